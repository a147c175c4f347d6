"""The output folder as a transaction: checked before any work, locked, written whole elsewhere, swapped in.

:class:`OutputFolder` is how every run writes ``--out``:

* **before any work** (:meth:`OutputFolder.open`): the folder is created if needed and locked
  against a second run (``.causalllm.lock``, an advisory lock the system drops if the process
  dies); every name the run may write is checked — a file causalllm did not write (the previous
  run's manifest lists what it wrote) is never deleted or overwritten, so a name that collides
  with one is a one-line error now, and a non-empty folder that is not a causalllm output is
  refused unless ``--force`` (its files are still never touched);
* **during the save** every file is created in a fresh staging folder inside ``--out``, without
  following links (``O_NOFOLLOW | O_EXCL``), and fsynced; a failure there (a full disk) removes
  the staging folder and leaves the previous complete run as it was;
* **then the swap**: the old manifest goes first (the folder reads as incomplete while it
  changes), the new files replace the old by rename (the same disk: no new space needed), the
  previous run's files this run does not write are removed, and the new ``manifest.json`` — which
  lists every file it wrote — comes last.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from fnmatch import fnmatch
from pathlib import Path

from ..contract import MANIFEST, OUTPUTS
from ..errors import ConfigError
from ..graph.registry import EXPORT_FORMATS

__all__ = ["LOCK", "OutputFolder", "planned_outputs"]

#: The lock file a run holds in its output folder.
LOCK = ".causalllm.lock"
#: Staging folders are created under this prefix (hidden; an interrupted one is left behind and ignored).
STAGING = ".causalllm-staging-"
#: What an earlier version of causalllm wrote (its manifest had no list of files).
_LEGACY = (*OUTPUTS, *(f"{stem}{f.suffix}" for stem in ("graph", "pc", "llm") for f in EXPORT_FORMATS.values()))


def planned_outputs(fmt: str, exports: Iterable[str]) -> list[str]:
    """Every file a run with these picture and export formats may write (``manifest.json`` included)."""
    names = ["graph.dot", "graph.graphml", "graph.json", "edges.csv", "llm_answers.jsonl", "priors.csv",
             "confounders.csv", "report.html", MANIFEST]
    if fmt != "dot":
        names.append(f"graph.{fmt}")
    names += [f"{stem}{EXPORT_FORMATS[e].suffix}" for e in exports for stem in ("graph", "pc", "llm")]
    return names


class OutputFolder:
    """One run's output folder (see the module docstring). Use :meth:`open`, then :meth:`write` each file,
    then :meth:`commit`; :meth:`close` releases the lock (and drops an uncommitted staging folder)."""

    def __init__(self, path: Path, owned: set[str], lock_fd: int) -> None:
        self.path = path
        self.owned = owned  # the previous run's files: this run may replace or remove them
        self._lock_fd = lock_fd
        self._staging: Path | None = None
        self.written: list[str] = []

    @classmethod
    def open(cls, path: str | Path, planned: Iterable[str], *, force: bool = False) -> OutputFolder:
        """Create and lock ``path``, and check that every ``planned`` name may be written there."""
        p = Path(path)
        try:
            p.mkdir(parents=True, exist_ok=True)
            fd = os.open(p / LOCK, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o644)
        except OSError as e:
            raise ConfigError(f"cannot write to output folder {p} ({e.strerror or e}); choose another --out") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ConfigError(f"another causalllm run is writing into {p}; wait for it to finish or choose another "
                              "--out") from None
        folder = cls(p, set(), fd)
        try:
            folder.owned = folder._check(list(planned), force)
        except ConfigError:
            folder.close()
            raise
        return folder

    def _check(self, planned: list[str], force: bool) -> set[str]:
        """The previous run's files; a one-line error for a name that is not causalllm's to write."""
        present = {e.name for e in self.path.iterdir() if e.name != LOCK and not e.name.startswith(STAGING)}
        owned = _previous_outputs(self.path, present)
        others = sorted(present - owned)
        if others and not owned and not force:
            raise ConfigError(f"{self.path} holds files causalllm did not write ({', '.join(others[:5])}"
                              f"{', ...' if len(others) > 5 else ''}); choose a new or empty --out, or add --force to "
                              "write beside them (they are never touched)")
        clash = sorted(n for n in planned if n in present and (n not in owned or (self.path / n).is_dir()))
        if clash:
            raise ConfigError(f"{self.path} already holds {', '.join(clash)}, which causalllm did not write and never "
                              "overwrites; move it away or choose another --out")
        return owned

    def write(self, name: str, content: bytes) -> Path:
        """Create ``name`` in the staging folder (never following a link); returns where it will end up."""
        if self._staging is None:
            self._staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=self.path))
        target = self._staging / name
        try:
            fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            self.abort()
            raise ConfigError(f"cannot write {self.path / name} ({e.strerror or e}); the previous results in "
                              f"{self.path} are untouched: free some disk space or choose another --out") from None
        self.written.append(name)
        return self.path / name

    def commit(self, manifest: dict) -> Path:
        """Write the manifest (listing every file written), then swap the staged files in, the manifest last."""
        manifest = dict(manifest, files=sorted(self.written))
        self.write(MANIFEST, json.dumps(manifest, indent=2, default=str).encode("utf-8"))
        assert self._staging is not None
        with contextlib.suppress(FileNotFoundError):
            (self.path / MANIFEST).unlink()  # from here until the end the folder reads as incomplete
        for name in self.written:
            if name != MANIFEST:
                os.replace(self._staging / name, self.path / name)
        for name in sorted(self.owned - set(self.written)):  # the previous run's, not written this time
            target = self.path / name
            if target.is_file() or target.is_symlink():
                target.unlink()
        os.replace(self._staging / MANIFEST, self.path / MANIFEST)
        self.abort()
        return self.path / MANIFEST

    def abort(self) -> None:
        """Drop the staging folder (the previous complete run stays as it was)."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    def close(self) -> None:
        """Release the lock (an uncommitted save is dropped)."""
        self.abort()
        if self._lock_fd >= 0:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _previous_outputs(path: Path, present: set[str]) -> set[str]:
    """The files an earlier causalllm run wrote here: its manifest's list (an older version's: its output names)."""
    m = path / MANIFEST
    if MANIFEST not in present or not m.is_file():
        return set()
    try:
        manifest = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(manifest, dict) or manifest.get("tool") != "causalllm":
        return set()
    files = manifest.get("files")
    listed = set(files) if isinstance(files, list) else {n for n in present if any(fnmatch(n, g) for g in _LEGACY)}
    return (listed & present) | {MANIFEST}
