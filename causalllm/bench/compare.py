"""``causalllm compare``: two graph files (or results folders, or bundled names) scored against each other."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ..data.bundled import truth_or_path
from ..errors import DataError
from ..graph import compare, read_graph
from ..graph.read import read_truth

__all__ = ["compare_files"]

log = logging.getLogger("causalllm")


def compare_files(pred: str | Path, truth: str | Path) -> dict[str, Any]:
    """``causalllm compare``: :func:`compare` of two graph files or folders (a bundled name stands for its truth).

    Examples
    --------
    >>> compare_files("asia", "asia")["shd"]
    0
    """
    T = read_truth(truth_or_path(truth))
    own = read_graph(truth_or_path(pred))
    P = read_graph(truth_or_path(pred), nodes=list(T.nodes))
    named = {n for n in P.nodes if P.degree(n)}
    if named and not named & {n for n in T.nodes if T.degree(n)}:
        raise DataError(f"{pred} and {truth} share no variable names ({', '.join(sorted(named)[:4])}... against "
                        f"{', '.join(sorted(T.nodes)[:4])}...); compare graphs of the same data")
    known = set(own.nodes) | set(_columns(pred))
    foreign = sorted(n for n in T.nodes if T.degree(n) and n not in known)
    if foreign:
        log.warning("the true graph names %s, not in %s: their true edges count as missed", ", ".join(foreign[:6]),
                    pred)
    return compare(P, T)


def _columns(pred: str | Path) -> list[str]:
    """The analysed columns of a results folder (its manifest), else none."""
    p = Path(pred)
    if p.is_dir() and (p / "manifest.json").exists():
        return list(json.loads((p / "manifest.json").read_text(encoding="utf-8")).get("columns", {}))
    return []


