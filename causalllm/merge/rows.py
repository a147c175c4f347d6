"""The rows of ``edges.csv``: one per pair any source connects, read off the final graph.

:func:`build_rows` is the one place rows (and the final graph carrying the same attributes) are
made, for ``discover`` (the merged graph) and ``ask`` (the LLM's own graph); each row's status is
:func:`causalllm.merge.statuses.status_of`, its ``decision`` says why the graph shows what it
shows, never at odds with it.
"""

from __future__ import annotations

from typing import Any, TypedDict

import networkx as nx

from ..data.dataset import Dataset
from ..discovery.pc import PCDiscovery
from ..expert.answers import PairAnswer
from ..graph import add_edge, make_graph, mark_between, pair_key
from .calibrate import usable_direction
from .model import Decision, MergeInfo, MergeOutcome
from .policies import POLICIES
from .statuses import kept_by, status_of

__all__ = ["EdgeRow", "build_rows"]


class EdgeRow(TypedDict, total=False):
    """One row of ``edges.csv``: a pair any source connects, read from ``source`` to ``target``.

    The first nine keys are always there (:data:`EDGE_COLUMNS`); the rest when an LLM or a
    priors file was used (:data:`LLM_COLUMNS`).
    """

    source: str
    target: str
    in_graph: bool  # the pair is adjacent in the final graph
    directed: bool  # ... and oriented source -> target
    status: str  # a key of causalllm.merge.statuses.STATUSES
    pc: str  # PC's mark read from source to target, "none" if PC removed the pair, "not run"
    data: str  # the data side's mark (PC's re-checked by the collider analysis), read the same way
    p_value: float | None  # the pair's largest CI-test p-value
    sepset: str  # the separating set of a removed pair ("{}" for the empty set)
    llm: str  # the LLM's combined answer read from source to target
    llm_confidence: float | None
    order_consistent: bool | None
    rationale: str
    llm_votes: str
    decision: str  # why the final graph shows what it shows
    kept: str  # whose orientation the graph shows: data, llm, both, meek, rerun (prior), "" (undirected)
    confounders: list[str]
    boot_adjacent: float  # --bootstrap: share of PC re-fits on subsamples with the pair adjacent
    boot_forward: float  # ... with source -> target
    boot_reverse: float  # ... with target -> source


def _direction(G: nx.DiGraph, a: str, b: str) -> tuple[str | None, tuple[str, str] | None]:
    m = mark_between(G, a, b)
    return m, ((a, b) if m == "-->" else (b, a) if m == "<--" else None)


def _llm_cells(p: PairAnswer | None, src: str, confounders: list[dict]) -> dict[str, Any]:
    return {"llm": p.answer_from(src) if p else "not asked", "llm_confidence": p.confidence if p else None,
            "order_consistent": p.order_consistent if p else None, "rationale": p.rationale if p else "",
            "llm_votes": p.votes_from(src) if p else "", "confounders": [c["name"] for c in confounders]}


def _final_graph(ds: Dataset, rows: list[EdgeRow], marks: list[str | None]) -> nx.DiGraph:
    """The final graph: the rows in the graph as arcs carrying the rows' attributes."""
    F = make_graph(ds.columns)
    for n in F.nodes:
        F.nodes[n].update(description=ds.descriptions.get(n, n), type=ds.types.get(n, ""))
    for r, mark in zip(rows, marks):
        if r["in_graph"]:
            attrs = {k: v for k, v in r.items() if k not in ("source", "target", "directed", "in_graph")}
            add_edge(F, r["source"], r["target"], mark or "-->", **attrs)
    return F


def build_rows(ds: Dataset, pairs: dict[frozenset, PairAnswer], confounders: dict[frozenset, list[dict]], *,
               pc: PCDiscovery | None = None, outcome: MergeOutcome | None = None, has_llm: bool = True,
               llm_graph: nx.DiGraph | None = None) -> tuple[list[EdgeRow], nx.DiGraph]:
    """One ``edges.csv`` row per pair any source connects, and the final graph with the same attributes.

    With ``pc`` and ``outcome`` (``discover``) the rows describe the merged graph; with
    ``llm_graph`` alone (``ask``) they describe the LLM's own graph, status ``llm``.
    """
    if outcome is None or pc is None:
        if llm_graph is None:
            raise ValueError("build_rows needs pc and outcome, or llm_graph")
        return _llm_rows(ds, pairs, confounders, llm_graph)
    G, D = outcome.graph, outcome.data_graph
    idx = {c: i for i, c in enumerate(ds.columns)}
    keys = {pair_key(u, v) for u, v in pc.graph_.edges} | {pair_key(u, v) for u, v in G.edges}
    keys |= {k for k, p in pairs.items() if p.directed() is not None or k in outcome.decisions}
    rows: list[EdgeRow] = []
    marks: list[str | None] = []
    for key in sorted(keys, key=lambda k: sorted(idx[n] for n in k)):
        a, b = sorted(key, key=idx.__getitem__)
        pcm, pc_dir = _direction(pc.graph_, a, b)
        dm, d_dir = _direction(D, a, b)
        fm, f_dir = _direction(G, a, b)
        p = pairs.get(key) if has_llm else None
        k_dir = outcome.knowledge.direction(a, b) if outcome.knowledge is not None else None
        policy = POLICIES[outcome.info.policy]
        status = status_of(pcm, dm, d_dir, p, fm, f_dir, k_dir, policy.added_status, policy.removed_status)
        if status == "none":
            continue
        src, tgt = f_dir or pc_dir or (p.directed() if p is not None and p.directed() else None) or (a, b)
        ev = pc.evidence_.get(key)
        row: EdgeRow = {
            "source": src, "target": tgt, "in_graph": fm is not None, "directed": f_dir is not None,
            "status": status, "pc": _relative(pcm, pc_dir, src, tgt), "data": _relative(dm, d_dir, src, tgt),
            "p_value": ev.p_value if ev else None,
            # "{}" marks the empty separating set (marginal independence), unlike "" (not removed)
            "sepset": (";".join(ev.cond_set) or "{}") if pcm is None and ev is not None else "",
        }
        if has_llm:
            dec = outcome.decisions.get(key)
            llm_dir = usable_direction(p)
            kept = kept_by(f_dir, d_dir, llm_dir, POLICIES[outcome.info.policy].reruns_pc, k_dir)
            cells = _llm_cells(p, src, confounders.get(key, []))
            row.update({"llm": cells["llm"], "llm_confidence": cells["llm_confidence"],
                        "order_consistent": cells["order_consistent"], "rationale": cells["rationale"],
                        "llm_votes": cells["llm_votes"], "decision": _decision(key, dec, status, kept, ev, outcome.info),
                        "kept": kept, "confounders": cells["confounders"]})
        rows.append(row)
        marks.append("-->" if f_dir else fm)
    return rows, _final_graph(ds, rows, marks)


def _relative(mark: str | None, direction: tuple[str, str] | None, src: str, tgt: str) -> str:
    """A graph's mark for the pair read from ``src`` to ``tgt``: ``-->``, ``<--``, ``---`` or ``none``."""
    if mark is None:
        return "none"
    if direction is None:
        return mark
    return "-->" if direction == (src, tgt) else "<--"


_SHOWS = {"data": "the data side's orientation", "llm": "the LLM's orientation",
          "both": "the orientation data side and LLM agree on", "meek": "an orientation implied by Meek's rules",
          "rerun": "the orientation of PC re-run with the LLM's background knowledge",
          "knowledge": "the direction your knowledge file sets"}


def _decision(key: frozenset, dec: Decision | None, status: str, kept: str, ev: Any, info: MergeInfo) -> str:
    """Why the graph shows what it shows, never at odds with it: the merge's reason, and what overrode it."""
    why = dec.why if dec else ""
    if status == "llm_only" and ev is not None and not ev.adjacent:
        return why or f"data found them independent given {{{', '.join(ev.cond_set)}}} (p = {ev.p_value:.3g})"
    broken = [c for c in info.cycles_broken if pair_key(c["source"], c["target"]) == key]
    if broken:
        return f"{why + '; ' if why else ''}{broken[0]['action']} ({broken[0]['cycle']})"
    if not kept:
        return why or "left undirected"
    applied = dec.kept if dec else ""
    if kept == "knowledge" and applied != "knowledge":
        return f"{_SHOWS[kept]}" + (f" (without it: {why})" if why else "")
    # no note when the merge's reason already names the arrow's source ("both" covers either side)
    if why and (applied == kept or (kept == "both" and applied in ("data", "llm", "knowledge")) or
                (applied in ("both", "knowledge") and kept in ("data", "llm"))):
        return why
    if not why and status == "reversed" and kept == "data":
        return POLICIES[info.policy].keeps_data or _SHOWS[kept]
    return f"{why}; the graph shows {_SHOWS[kept]}" if why else _SHOWS[kept]


def _llm_rows(ds: Dataset, pairs: dict[frozenset, PairAnswer], confounders: dict[frozenset, list[dict]],
              G: nx.DiGraph) -> tuple[list[EdgeRow], nx.DiGraph]:
    """``ask``: one row per answered pair (a "none" answer is no row), the LLM's graph as the graph."""
    rows: list[EdgeRow] = []
    for p in pairs.values():
        d = p.directed()
        in_graph = d is not None and G.has_edge(*d)
        src, tgt = d or (p.source, p.target)
        if d is None and p.answer == "none":
            continue
        cells = _llm_cells(p, src, confounders.get(frozenset((p.source, p.target)), []))
        rows.append({"source": src, "target": tgt, "in_graph": in_graph, "directed": d is not None, "status": "llm",
                     "pc": "not run", "p_value": None, "sepset": "",
                     "llm": "-->" if d else p.answer, "llm_confidence": cells["llm_confidence"],
                     "order_consistent": cells["order_consistent"], "rationale": cells["rationale"],
                     "llm_votes": cells["llm_votes"],
                     "decision": "removed to break a cycle" if d and not in_graph else "",
                     "kept": "llm" if in_graph else "", "confounders": cells["confounders"]})
    for r in rows:
        if r["in_graph"]:
            G.edges[r["source"], r["target"]].update(status="llm", llm_confidence=r["llm_confidence"],
                                                     rationale=r["rationale"], order_consistent=r["order_consistent"])
    for n in G.nodes:
        G.nodes[n].update(description=ds.descriptions.get(n, n), type=ds.types.get(n, ""))
    return rows, G


