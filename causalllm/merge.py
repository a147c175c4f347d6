"""Merging the data's graph with the LLM's answers (filled in by the merge issue)."""

from __future__ import annotations

from typing import Any

from .data import Dataset
from .graph import pair_key
from .pc import PCDiscovery
from .results import DiscoveryResult

__all__ = ["run_merge", "pc_row"]


def pc_row(pc: PCDiscovery, u: str, v: str, d: dict) -> dict:
    """The data columns of one ``edges.csv`` row for PC arc ``u → v``."""
    ev = pc.evidence_.get(pair_key(u, v))
    return {"source": u, "target": v, "in_graph": True, "directed": d["mark"] == "-->", "status": "data",
            "pc": d["mark"], "p_value": ev.p_value if ev else None, "sepset": ""}


def run_merge(ds: Dataset, pc: PCDiscovery, *, llm: Any = None, timings: dict, **kw: Any) -> DiscoveryResult:
    G = pc.graph_.copy()
    for n in G.nodes:
        G.nodes[n].update(description=ds.descriptions.get(n, n), type=ds.types.get(n, ""))
    rows = []
    for u, v, d in G.edges(data=True):
        row = pc_row(pc, u, v, d)
        d.update(status="data", pc=d["mark"])
        rows.append(row)
    return DiscoveryResult(graph=G, pc_graph=pc.graph_, rows=rows, manifest={})
