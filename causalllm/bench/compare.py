"""``causalllm compare``: two graph files (or results folders, or bundled names) scored against each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..data.bundled import truth_or_path
from ..errors import DataError
from ..graph import compare, read_graph

__all__ = ["compare_files"]


def compare_files(pred: str | Path, truth: str | Path) -> dict[str, Any]:
    """``causalllm compare``: :func:`compare` of two graph files or folders (a bundled name stands for its truth).

    Examples
    --------
    >>> compare_files("asia", "asia")["shd"]
    0
    """
    T = read_graph(truth_or_path(truth))
    P = read_graph(truth_or_path(pred), nodes=list(T.nodes))
    named = {n for n in P.nodes if P.degree(n)}
    if named and not named & {n for n in T.nodes if T.degree(n)}:
        raise DataError(f"{pred} and {truth} share no variable names ({', '.join(sorted(named)[:4])}... against "
                        f"{', '.join(sorted(T.nodes)[:4])}...); compare graphs of the same data")
    return compare(P, T)


