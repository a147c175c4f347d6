"""Bundled benchmark datasets (Sachs, Asia, Alarm, Child, ... and the Tübingen pairs).

The data live in the repository's top-level ``datasets/`` folder, installed as the package
data of ``causalllm._datasets`` so an installed ``causalllm`` finds them. Each folder holds
``data.csv``, ``variables.csv``, ``truth.csv``, ``meta.json`` and ``PROVENANCE.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import DataError

__all__ = ["BundledDataset", "get", "is_bundled", "listing", "names", "root", "truth_or_path"]


@dataclass(frozen=True)
class BundledDataset:
    """Paths and metadata of one bundled dataset."""

    name: str
    folder: Path
    title: str
    context: str
    kind: str

    @property
    def data_path(self) -> Path:
        return self.folder / "data.csv"

    @property
    def variables_path(self) -> Path:
        return self.folder / "variables.csv"

    @property
    def truth_path(self) -> Path:
        return self.folder / "truth.csv"


def root() -> Path:
    """Folder holding the bundled datasets (installed package data, else the source checkout)."""
    try:
        p = Path(str(resources.files("causalllm._datasets")))
        if (p / "README.md").exists():
            return p
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "datasets"


def names() -> list[str]:
    """Names of the bundled datasets.

    Examples
    --------
    >>> "sachs" in names() and "alarm" in names()
    True
    """
    r = root()
    return sorted(p.name for p in r.iterdir() if (p / "meta.json").exists()) if r.exists() else []


def is_bundled(name: str) -> bool:
    """Whether ``name`` is a bundled dataset name."""
    return "/" not in name and "\\" not in name and name in names()


def get(name: str) -> BundledDataset:
    """Metadata and paths of a bundled dataset."""
    if not is_bundled(name):
        raise DataError(f"no bundled dataset named {name!r}; available: {', '.join(names())}")
    folder = root() / name
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return BundledDataset(name=name, folder=folder, title=meta["title"], context=meta["context"], kind=meta["kind"])


def listing() -> list[dict[str, Any]]:
    """Name, kind, shape and title of each bundled dataset (``causalllm datasets``).

    Examples
    --------
    >>> next(r for r in listing() if r["name"] == "asia")["shape"]
    '10000 x 8'
    """
    rows = []
    for name in names():
        info = get(name)
        if info.kind == "pairs":
            shape = "108 pairs"
        else:
            with open(info.data_path, encoding="utf-8") as f:
                ncol = len(f.readline().split(","))
                nrow = sum(1 for _ in f)
            shape = f"{nrow} x {ncol}"
        rows.append({"name": name, "kind": info.kind, "shape": shape, "title": info.title,
                     "folder": str(info.folder)})
    return rows


def truth_or_path(path: str | Path) -> str | Path:
    """A bundled dataset name stands for its truth graph; anything else is a path."""
    return get(str(path)).truth_path if not Path(path).exists() and is_bundled(str(path)) else path
