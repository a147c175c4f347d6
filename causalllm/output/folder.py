"""The one writer of the output folder: every file a run writes goes through :func:`save`.

The data files come first and the picture after them (a slow render never holds back
``edges.csv``); each file is written whole (to a temporary name, then renamed); the previous
run's files are removed first and ``manifest.json`` is written last, so a folder without one is
an interrupted save (:func:`check_complete`).
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from ..contract import CONFOUNDER_COLUMNS, MANIFEST, OUTPUTS, PRIORS_COLUMNS, csv_text, require_complete, truthy
from ..errors import ConfigError, RenderError
from ..graph import EXPORT_FORMATS, write_exports
from ..secrets import scrub
from .render import render
from .report import write_report
from .result import graph_for_export

if TYPE_CHECKING:
    from .result import DiscoveryResult

__all__ = ["check_complete", "ensure_out_dir", "save", "write_csv", "write_file"]

log = logging.getLogger("causalllm")


def ensure_out_dir(path: str | Path) -> Path:
    """Create ``path`` if needed and check it is writable (one-line error otherwise)."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        probe = p / ".causalllm-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise ConfigError(f"cannot write to output folder {p} ({e.strerror or e}); choose another --out") from None
    return p


def write_csv(path: Path, rows: Iterable[Any], columns: list[str]) -> None:
    """Write rows (dicts) with the given columns, whole (see :func:`csv_text`)."""
    _write(path, csv_text(rows, columns))


def _write(path: Path, content: str | bytes) -> Path:
    """Write a file whole, scrubbed of every secret (text, and bytes that are text such as SVG): to a
    temporary name beside it, then renamed over it. Every file of the output folder passes here."""
    if isinstance(content, str):
        content = scrub(content)
    elif content[:5] in (b"<?xml", b"<svg "):  # SVG is text; other pictures are drawn from scrubbed DOT source
        content = scrub(content.decode("utf-8", errors="replace")).encode("utf-8")
    tmp = path.with_name(f".{path.name}.partial")
    try:
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise ConfigError(f"cannot write {path} ({e.strerror or e}); check the disk and choose another --out") from None
    return path


def write_file(path: Path, content: str | bytes) -> Path:
    """Write one file through the output folder's writer (scrubbed, whole); for ``render`` and the like."""
    return _write(path, content)


def check_complete(folder: Path) -> dict:
    """The manifest of a results folder, or a one-line error when the run that wrote it did not finish."""
    require_complete(folder)
    m = folder / MANIFEST
    if not m.exists():
        return {}
    manifest = json.loads(m.read_text(encoding="utf-8"))
    if manifest.get("missing"):
        log.warning("%s was written by an interrupted run: %s not done", folder, ", ".join(manifest["missing"]))
    return manifest


#: Every file a run may write besides the manifest (globs).
_OUTPUTS = (*OUTPUTS, *(f"{stem}{f.suffix}" for stem in ("graph", "pc", "llm") for f in EXPORT_FORMATS.values()))


def save(result: DiscoveryResult, out_dir: str | Path, *, fmt: str = "svg", layout: str = "dot", rankdir: str = "LR",
         exports: Sequence[str] = (), png_width: int | None = None, confounders_view: str = "latent",
         png_dpi: float | None = None) -> dict[str, Path]:
    """Write every output file of ``result`` into ``out_dir``; return name → path of what was written.

    The data files come first and the picture after them (a slow render never holds back
    ``edges.csv``); each file is written whole (to a temporary name, then renamed); the
    previous run's files are removed first and ``manifest.json`` is written last, so a folder
    without one is an interrupted save (:func:`check_complete`).
    """
    out = ensure_out_dir(out_dir)
    for name in (MANIFEST, *_OUTPUTS):  # nothing of an earlier run survives into this one
        for old in out.glob(name):
            old.unlink()
    written: dict[str, Path] = {}
    dot_src = scrub(result.to_dot(layout=layout, rankdir=rankdir, confounders_view=confounders_view))
    written["dot"] = _write(out / "graph.dot", dot_src)
    H = graph_for_export(result.graph)
    buf = io.BytesIO()
    nx.write_graphml(H, buf)
    written["graphml"] = _write(out / "graph.graphml", buf.getvalue())
    data = nx.node_link_data(H, edges="edges")
    written["json"] = _write(out / "graph.json", json.dumps(data, indent=1, default=str))
    written["edges"] = _write(out / "edges.csv", csv_text(result.rows, result.columns))
    if result.answers:
        written["answers"] = _write(out / "llm_answers.jsonl",
                                    "".join(json.dumps(a, default=str) + "\n" for a in result.answers))
    if result.priors_rows:
        written["priors"] = _write(out / "priors.csv", csv_text(result.priors_rows, PRIORS_COLUMNS))
    if result.confounders:
        written["confounders"] = _write(out / "confounders.csv", csv_text(result.confounders, CONFOUNDER_COLUMNS))
    if exports:  # the merged, PC and LLM graphs for DoWhy, dagitty, Tetrad, pcalg/bnlearn
        latent = [(c["confounder"], c["source"], c["target"]) for c in result.confounders if not truthy(c["measured"])]
        written.update(write_exports(result.graph, out / "graph", exports, latent, write=_write))
        written.update(write_exports(result.pc_graph, out / "pc", exports, write=_write))
        if result.llm_graph is not None and result.llm_graph.number_of_edges():
            written.update(write_exports(result.llm_graph, out / "llm", exports, write=_write))
    svg_text = ""
    if fmt != "dot":
        try:
            picture = render(dot_src, fmt, layout, width=png_width, dpi=png_dpi)
            written[fmt] = _write(out / f"graph.{fmt}", picture)
            svg_text = picture.decode("utf-8") if fmt == "svg" else ""
        except RenderError as e:
            log.warning("could not write graph.%s: %s (graph.dot is written)", fmt, e)
    if not svg_text:
        try:
            svg_text = render(dot_src, "svg", layout).decode("utf-8")
        except RenderError:
            svg_text = ""
    manifest = dict(result.manifest, complete=not result.missing, missing=list(result.missing))
    result.manifest = manifest
    written["report"] = write_report(result, out / "report.html", svg_text)
    written["manifest"] = _write(out / MANIFEST, json.dumps(manifest, indent=2, default=str))
    return written

