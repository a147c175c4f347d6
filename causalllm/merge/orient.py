"""Applying orientations one at a time with the checks every policy shares, then Meek's rules.

An orientation is skipped (and recorded) when the analyst's knowledge forbids it, when it would
close a directed cycle, or when it would create a v-structure at a robust non-collider (any new
v-structure, for the conservative ``orient`` procedure). :func:`orient_planned` is the procedure
``auto``, ``orient`` and the data side share; :func:`break_cycles` makes the final graph acyclic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import networkx as nx

from ..data.knowledge import Knowledge
from ..discovery.colliders import Triple, robust_orientations
from ..discovery.meek import meek_closure
from ..discovery.pc import PCDiscovery
from ..expert.answers import PairAnswer
from ..graph import add_edge, creates_cycle, directed_part, mark_between, pair_key
from .calibrate import DATA_RELIABILITY, usable_direction
from .model import CycleBreak, Decision, MergeInfo, SkippedOrientation, Violation

__all__ = ["break_cycles", "honour_knowledge", "orient_planned", "unforbid", "verify_knowledge"]

log = logging.getLogger("causalllm")


@dataclass(frozen=True, order=True)
class _Step:
    """One orientation to try: earlier phases first, then the more confident."""

    phase: int
    strength: float  # minus the LLM's confidence, so that sorting puts the most confident first
    u: str
    v: str
    origin: str
    why: str


class _Orienter:
    """Applies orientations one at a time with the cycle and v-structure checks, then Meek."""

    def __init__(self, G: nx.DiGraph, noncolliders: set[tuple[str, frozenset]], knowledge: Knowledge | None = None
                 ) -> None:
        self.G = G
        self.noncolliders = noncolliders
        self.knowledge = knowledge or Knowledge()
        self.forbid = self.knowledge.forbidden_edges()  # for Meek's rules (the checks read ruled_out)
        self.origin: dict[frozenset, str] = {}

    def mark(self, u: str, v: str) -> str:
        return mark_between(self.G, u, v) or ""

    def try_orient(self, u: str, v: str, origin: str, *, propagate: bool = True,
                   any_new_collider: bool = False) -> str | None:
        """Orient ``u → v``; return None on success or the reason it was skipped.

        ``propagate`` applies Meek's rules right away, which is only sound once every
        v-structure is in the graph. ``any_new_collider`` refuses every new v-structure, not
        only those at a robust non-collider.
        """
        m = self.mark(u, v)
        if m == "-->":
            return None
        if (u, v) in self.knowledge.ruled_out:
            return "forbidden by the knowledge file (the analyst's knowledge outranks it)"
        if m == "<--":
            return f"conflicts with {v} -> {u}, already {self.origin.get(pair_key(u, v), 'set')}"
        if creates_cycle(self.G, u, v):
            return "would create a directed cycle"
        for w in self.G.predecessors(v) if origin != "knowledge" else ():  # the analyst outranks a collider check
            if w != u and self.G.edges[w, v]["mark"] == "-->" and not (self.G.has_edge(u, w) or self.G.has_edge(w, u)):
                if any_new_collider:
                    return f"would create a new v-structure {u} -> {v} <- {w} the data did not find"
                if (v, pair_key(u, w)) in self.noncolliders:
                    return (f"would create a v-structure {u} -> {v} <- {w} although {v} is in every set "
                            f"separating {u} and {w}")
        add_edge(self.G, u, v, "-->")
        self.origin[pair_key(u, v)] = origin
        if propagate:
            self.propagate()
        return None

    def propagate(self) -> None:
        """Meek's rules; newly oriented edges are recorded as implied ("meek")."""
        H = meek_closure(self.G, self.knowledge.required, self.forbid)
        for a, b, d in H.edges(data=True):
            k = pair_key(a, b)
            if d["mark"] == "-->" and k not in self.origin:
                self.origin[k] = "meek"
        self.G = H


def break_cycles(G: nx.DiGraph, support: dict[frozenset, float]) -> list[CycleBreak]:
    """Make the least supported edge of each directed cycle undirected; return what was done."""
    done: list[CycleBreak] = []
    while True:
        try:
            cyc = nx.find_cycle(directed_part(G))
        except nx.NetworkXNoCycle:
            return done
        u, v = min(((a, b) for a, b, *_ in cyc), key=lambda e: (support.get(pair_key(*e), 0.0), e))
        add_edge(G, u, v, "---")
        done.append(CycleBreak(source=u, target=v, action="made undirected to break a directed cycle",
                               cycle=" -> ".join(a for a, *_ in cyc)))


def unforbid(G: nx.DiGraph, k: Knowledge) -> nx.DiGraph:
    """``G`` with every arrow the knowledge rules out made undirected."""
    for u, v, d in list(G.edges(data=True)):
        if d["mark"] == "-->" and (u, v) in k.ruled_out:
            add_edge(G, u, v, "---")
    return G


def honour_knowledge(G: nx.DiGraph, k: Knowledge) -> list[tuple[str, str]]:
    """The last word: every arrow the knowledge forbids (forbidden, or the reverse of a required one) made
    undirected, whatever step drew it; returns them (each orienting step already declines them, so this
    is a guarantee, not a repair)."""
    out = [(u, v) for u, v, m in G.edges(data="mark") if m == "-->" and (u, v) in k.ruled_out]
    for u, v in out:
        add_edge(G, u, v, "---")
    if out:
        log.warning("the final check made %d arrow(s) the knowledge file forbids undirected: %s", len(out),
                    ", ".join(f"{u} -> {v}" for u, v in out))
    return out


def verify_knowledge(G: nx.DiGraph, k: Knowledge) -> list[Violation]:
    """Every way the final graph breaks the analyst's knowledge (listed, never silent)."""
    out = []
    for a, b in k.required:
        m = mark_between(G, a, b)
        if m != "-->":
            problem = ("required by the knowledge file but removed by a CI test" if m is None else
                       f"required by the knowledge file but drawn {a} {m} {b}")
            out.append(Violation(source=a, target=b, problem=problem))
    for a, b in k.forbidden_edges():
        if mark_between(G, a, b) == "-->":
            out.append(Violation(source=a, target=b, problem=f"forbidden by the knowledge file but drawn {a} -> {b}"))
    if out:
        log.warning("the final graph breaks %d constraint(s) of the knowledge file (listed in the report)", len(out))
    return out


def _plan(conservative: bool, pairs: dict[frozenset, PairAnswer], cal: dict, pc_edges: dict[frozenset, tuple[str, str, str]],
          decisions: dict[frozenset, Decision], local: dict[frozenset, tuple[float, float]] | None = None
          ) -> list[_Step]:
    """The orientations the evidence-weighted procedure (or, ``conservative``, the one that only fills in the data
    side's undirected edges) will try, each with its reason."""
    plan: list[_Step] = []
    for key, (u, v, mark) in pc_edges.items():
        cls = decisions[key].data_class
        llm_dir = usable_direction(pairs.get(key))
        conf = pairs[key].confidence if key in pairs else 0.0
        if conservative:
            if mark == "---" and llm_dir:
                plan.append(_Step(1, -conf, llm_dir[0], llm_dir[1], "llm", "LLM orients an edge PC left undirected"))
            continue
        reliability = DATA_RELIABILITY[cls]
        # silent data: expected-value decision; data evidence: the risk-averse lower bound
        low, mean = local[key] if local is not None and key in local else (cal["trust"], cal["trust_mean"])
        trust = mean if cls == "undirected" else low
        basis = "expected accuracy" if cls == "undirected" else "trust (95% lower bound)"
        if llm_dir and mark == "-->" and llm_dir == (u, v):
            plan.append(_Step(0 if cls == "robust" else 1, -conf, u, v, "both", f"data ({cls} orientation) and LLM agree"))
        elif llm_dir and trust > reliability:
            why = (f"expert {basis} {trust:.2f} (agreed on {cal['agree']} of {cal['agree'] + cal['disagree']} robust "
                   f"data orientations) exceeds the data's reliability {reliability:.2f} for a {cls} orientation")
            plan.append(_Step(1 if cls != "robust" else 0, -conf, llm_dir[0], llm_dir[1], "llm", why))
        elif mark == "-->":
            if llm_dir and llm_dir != (u, v):
                why = (f"data kept: its {cls} orientation (reliability {reliability:.2f}) beats the expert's "
                       f"{basis} {trust:.2f}")
            else:
                why = f"data: {cls} orientation"
            plan.append(_Step(0 if cls == "robust" else 2, -conf, u, v, "data", why))
        elif llm_dir:
            decisions[key].why = (f"expert {basis} {trust:.2f} is too low to orient an edge the data left "
                                  f"undirected (needs > {reliability:.2f})")
    return sorted(plan)


def orient_planned(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], conservative: bool, triples: list[Triple],
                   R: nx.DiGraph, robust: dict[frozenset, tuple[str, str]], cal: dict,
                   pc_edges: dict[frozenset, tuple[str, str, str]], decisions: dict[frozenset, Decision],
                   info: MergeInfo, base: nx.DiGraph | None = None, knowledge: Knowledge | None = None,
                   local: dict[frozenset, tuple[float, float]] | None = None) -> nx.DiGraph:
    """Apply the planned orientations one at a time, with checks: the evidence-weighted procedure, or
    (``conservative``) one that starts from ``base``, the data side's graph, and only fills in its
    undirected edges."""
    noncolliders = {(t.z, pair_key(t.x, t.y)) for t in triples if t.kind == "noncollider"}
    k = knowledge or Knowledge()
    low = {k: local[k][0] if local is not None and k in local else cal["trust"] for k in robust}
    overridden = {k for k, (u, v) in robust.items()
                  if usable_direction(pairs.get(k)) not in (None, (u, v)) and low[k] > DATA_RELIABILITY["robust"]}
    if not conservative:
        # start from the robust orientations (all their v-structures at once), leaving out
        # those the expert is trusted enough to overturn
        start = unforbid(robust_orientations(pc, triples, exclude=overridden), k) if overridden else R.copy()
    else:
        assert base is not None
        start = base.copy()
        pc_edges = {pair_key(u, v): (u, v, d["mark"]) for u, v, d in start.edges(data=True)}
    orienter = _Orienter(start, noncolliders, k)
    _seed(orienter, k, decisions, conservative)
    for step in _plan(conservative, pairs, cal, pc_edges, decisions, local):
        dec = decisions[pair_key(step.u, step.v)]
        # auto: orientations are collected first and propagated once at the end, because a
        # half-applied collider would let Meek's rule 1 orient its other edge the wrong way.
        # orient: PC's graph already holds every v-structure, so propagate after each step.
        reason = orienter.try_orient(step.u, step.v, step.origin, propagate=conservative,
                                     any_new_collider=conservative)
        if reason is None:
            dec.kept, dec.why = step.origin, step.why
        else:
            dec.why = f"{step.origin} orientation {step.u} -> {step.v} skipped: {reason}"
            info.skipped.append(SkippedOrientation(source=step.u, target=step.v, origin=step.origin, reason=reason))
    if not conservative:
        orienter.propagate()
    _credit(orienter, decisions)
    return orienter.G


def _seed(orienter: _Orienter, k: Knowledge, decisions: dict[frozenset, Decision], conservative: bool) -> None:
    """The analyst's arrows first — required, or the only direction the tiers and forbidden edges allow (they
    outrank data and LLM alike) — then the arrows the start graph already holds, credited to the data."""
    for u, v in list(orienter.G.edges):
        d = k.direction(u, v)
        key = pair_key(u, v)
        if d is None or key not in decisions:
            continue
        if orienter.try_orient(*d, "knowledge", propagate=conservative) is None:
            why = "requires" if d in k.required else "allows only"
            decisions[key].kept, decisions[key].why = "knowledge", f"the knowledge file {why} {d[0]} -> {d[1]}"
    for u, v, d in orienter.G.edges(data=True):
        if d["mark"] == "-->" and pair_key(u, v) not in orienter.origin:
            key = pair_key(u, v)
            orienter.origin[key] = "data"
            if key in decisions and conservative:
                decisions[key].kept = "data"
                decisions[key].why = "the orient policy keeps every orientation the data side made"


def _credit(orienter: _Orienter, decisions: dict[frozenset, Decision]) -> None:
    """Whose arrow each pair the plan left alone got: Meek's rules' or the data's robust collider's."""
    for key, origin in orienter.origin.items():
        if key not in decisions or decisions[key].kept:
            continue
        if origin == "meek":
            decisions[key].kept, decisions[key].why = "meek", "implied by Meek's rules from the orientations above"
        elif origin == "data":
            decisions[key].kept = "data"
            decisions[key].why = "data: a robust collider orientation (the conservative re-analysis of PC's colliders)"
