"""The merge policies' procedures: the data side every policy starts from, then each policy's own step.

:func:`data_side` reads PC's fit the one way ``--llm none`` draws it (robust collider
orientations, then PC's other orientations where they pass the checks, then Meek's rules) and
calibrates the expert on it. Each ``run_*`` function is one policy of
:data:`causalllm.merge.policies.POLICIES`; :func:`finish` breaks any cycle left and checks the
analyst's knowledge, whatever the policy.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import networkx as nx

from ..data.knowledge import Knowledge
from ..discovery.colliders import Triple, classify_triples, robust_orientations
from ..discovery.pc import PCDiscovery
from ..expert.answers import PairAnswer
from ..graph import mark_between, pair_key
from .calibrate import LOCAL_CALIBRATION, calibrate, local_trust, usable_direction
from .model import Decision, MergeInfo, MergeOutcome, Violation
from .orient import break_cycles, honour_knowledge, orient_planned, unforbid, verify_knowledge

__all__ = ["DataSide", "data_side", "finish", "run_guided", "run_orient", "run_prior", "run_report", "run_weighted"]

log = logging.getLogger("causalllm")


@dataclass
class DataSide:
    """What every policy starts from: PC's fit read by the collider analysis, and the expert's calibration on it."""

    pc: PCDiscovery
    pairs: dict[frozenset, PairAnswer]
    knowledge: Knowledge
    triples: list[Triple]
    robust_graph: nx.DiGraph
    robust: dict[frozenset, tuple[str, str]]
    calibration: dict
    pc_edges: dict[frozenset, tuple[str, str, str]]
    decisions: dict[frozenset, Decision]
    graph: nx.DiGraph  # the data side's own graph (what --llm none draws)
    graph_decisions: dict[frozenset, Decision]
    info: MergeInfo


def data_side(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], name: str, knowledge: Knowledge | None
              ) -> DataSide:
    """The data side of ``pc`` and the expert's calibration on it, for the policy called ``name``."""
    t0 = time.perf_counter()
    triples = classify_triples(pc)
    k = knowledge or Knowledge()
    R = unforbid(robust_orientations(pc, triples), k)  # the analyst's knowledge outranks a collider vote
    cal = calibrate(pairs, R)
    robust = {pair_key(u, v): (u, v) for u, v, d in R.edges(data=True) if d["mark"] == "-->"}
    info = MergeInfo(policy=name, calibration=cal,
                     triples={c: sum(1 for t in triples if t.kind == c) for c in ("collider", "noncollider", "ambiguous")},
                     robust_orientations=len(robust))

    def data_class(u: str, v: str, mark: str) -> str:
        if mark != "-->":
            return "undirected"
        return "robust" if robust.get(pair_key(u, v)) == (u, v) else "weak"

    pc_edges = {pair_key(u, v): (u, v, d["mark"]) for u, v, d in pc.graph_.edges(data=True)}
    decisions = {key: Decision(data_class=data_class(u, v, mark)) for key, (u, v, mark) in pc_edges.items()}
    # the data side alone: the evidence-weighted procedure with nothing from the LLM
    data_decisions = {key: Decision(data_class=d.data_class) for key, d in decisions.items()}
    D = orient_planned(pc, {}, False, triples, R, robust, calibrate({}, R), pc_edges, data_decisions,
                       MergeInfo(name), knowledge=k)
    info.data_side_s = time.perf_counter() - t0
    return DataSide(pc, pairs, k, triples, R, robust, cal, pc_edges, decisions, D, data_decisions, info)


def run_weighted(side: DataSide, *, conservative: bool = False, local: bool = False) -> tuple[nx.DiGraph,
                                                                                             dict[frozenset, Decision]]:
    """``auto`` (evidence-weighted) or, ``conservative``, ``orient``: the LLM's answers applied with checks."""
    trust = local_trust(side.pairs, side.robust_graph, side.calibration, side.pc_edges) \
        if LOCAL_CALIBRATION and local else None
    G = orient_planned(side.pc, side.pairs, conservative, side.triples, side.robust_graph, side.robust,
                       side.calibration, side.pc_edges, side.decisions, side.info, base=side.graph,
                       knowledge=side.knowledge, local=trust)
    return G, side.decisions


def run_orient(side: DataSide) -> tuple[nx.DiGraph, dict[frozenset, Decision]]:
    """``orient``: the data side keeps every orientation; the LLM orients only its undirected edges."""
    return run_weighted(side, conservative=True)


def run_report(side: DataSide) -> tuple[nx.DiGraph, dict[frozenset, Decision]]:
    """``report``: the data side's graph unchanged; the LLM only labels."""
    G = side.graph.copy()
    for key, dec in side.graph_decisions.items():
        llm_dir = usable_direction(side.pairs.get(key))
        if llm_dir is not None and mark_between(G, *llm_dir) != "-->":
            dec.why = f"the report policy never changes the data side's graph ({dec.why or 'undirected'})"
    return G, side.graph_decisions


def required_directions(pairs: dict[frozenset, PairAnswer], threshold: float) -> list[tuple[str, str]]:
    """The confident, order-consistent directions ``prior`` turns into background knowledge."""
    required = []
    for p in sorted(pairs.values(), key=lambda a: (a.source, a.target)):
        d = usable_direction(p)
        if d and p.confidence >= threshold:
            required.append(d)
    return required


def run_prior(side: DataSide, threshold: float) -> tuple[nx.DiGraph, dict[frozenset, Decision]]:
    """``prior``: PC re-run with the confident answers as background knowledge, then checked.

    The analyst's knowledge file comes first; an LLM constraint that contradicts it is left out.
    With no confident direction to enforce, PC is not re-run and the data side stands."""
    info = side.info
    info.prior_threshold = threshold
    llm_required = required_directions(side.pairs, threshold)
    if not llm_required:
        info.required = 0
        return side.graph.copy(), side.graph_decisions
    k = side.knowledge
    forbid = set(k.forbidden_edges())
    llm = [(a, b) for a, b in llm_required if (a, b) not in forbid and (b, a) not in k.required]
    required = list(dict.fromkeys([*k.required, *llm]))
    G = side.pc.with_knowledge(required, list(dict.fromkeys([*forbid, *((b, a) for a, b in llm)]))).graph_
    for a, b in llm:  # the knowledge file's own constraints are checked once, by verify_knowledge
        if G.has_edge(a, b) and G.edges[a, b]["mark"] == "-->":
            continue
        if G.has_edge(b, a) and G.edges[b, a]["mark"] == "-->":
            problem = f"forbidden {b} -> {a} is in the output"
        elif G.has_edge(a, b) or G.has_edge(b, a):
            problem = f"required {a} -> {b} is present but not oriented"
        else:
            problem = f"required {a} -> {b} was removed by a CI test"
        info.violations.append(Violation(source=a, target=b, problem=problem))
    info.required = len(required)
    if info.violations:
        log.warning("PC re-run with the LLM's directions did not honour %d of %d of them (listed in the report)",
                    len(info.violations), len(llm))
    return G, side.decisions


def finish(side: DataSide, G: nx.DiGraph, decisions: dict[frozenset, Decision], knowledge: Knowledge | None
           ) -> MergeOutcome:
    """Break the cycles a policy left (least supported edge undirected) and check the analyst's knowledge."""
    pairs, info = side.pairs, side.info
    support = {key: (2.0 if d.data_class == "robust" else 1.0) + (pairs[key].confidence if key in pairs else 0.0)
               for key, d in decisions.items()}
    info.cycles_broken = break_cycles(G, support)
    if knowledge is not None:
        k = side.knowledge
        for u, v in honour_knowledge(G, k):  # the one boundary every policy's graph passes
            decisions.setdefault(pair_key(u, v), Decision()).why = (
                f"made undirected at the final check: the knowledge file rules out {u} -> {v}")
        honour_knowledge(side.graph, k)  # and the data side's graph, drawn beside it
        info.violations += verify_knowledge(G, k)
        info.knowledge = {"file": k.source, "required": len(k.required), "forbidden": len(k.forbidden_edges()),
                          "tiers": len(k.tiers)}
    return MergeOutcome(graph=G, decisions=decisions, info=info, data_graph=side.graph, knowledge=knowledge)


def run_guided(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], name: str, knowledge: Knowledge | None
               ) -> MergeOutcome:
    """``guided``: the evidence-weighted merge on PC-Guess's fit, the LLM's directions ordering its tests."""
    guess = sorted(d for d in (usable_direction(p) for p in pairs.values()) if d is not None)
    if not guess:  # nothing to order the tests by: PC-stable's fit stands, as the weighted merge reads it
        side = data_side(pc, pairs, name, knowledge)
        out = finish(side, *run_weighted(side, local=True), knowledge)
        out.info.guided = {"guessed_edges": 0, "added": 0, "removed": 0, "tests": pc.n_tests_,
                           "pc_tests": pc.n_tests_}
        return out
    gpc = pc.with_guess(guess)
    side = data_side(gpc, pairs, name, knowledge)
    out = finish(side, *run_weighted(side, local=True), knowledge)
    before = {pair_key(u, v) for u, v in pc.graph_.edges}
    after = {pair_key(u, v) for u, v in gpc.graph_.edges}
    for key in after - before:
        ev, gev = pc.evidence_.get(key), gpc.evidence_.get(key)
        removed = (f"PC-stable removed it given {{{', '.join(ev.cond_set)}}} (p = {ev.p_value:.3g})" if ev else
                   "PC-stable removed it")
        kept = (f"testing in the LLM's guessed order (PC-Guess), none of its {gev.n_tests} test(s) separated it "
                f"(largest p = {gev.p_value:.3g})" if gev else "PC-Guess kept it")
        dec = out.decisions[key]
        dec.why = f"{removed}; {kept}" + (f"; {dec.why}" if dec.why else "")
    for key in before - after:
        gev = gpc.evidence_.get(key)
        sep = gpc.sepsets_.get(key, ())
        out.decisions[key] = Decision(data_class="undirected", why=(
            f"PC-Guess, testing in the LLM's guessed order, separated it given {{{', '.join(sep)}}}"
            + (f" (p = {gev.p_value:.3g})" if gev else "") + ", a test PC-stable did not run"))
    out.info.guided = {"guessed_edges": len(guess), "added": len(after - before), "removed": len(before - after),
                       "tests": gpc.n_tests_, "pc_tests": pc.n_tests_}
    out.refit = gpc
    return out
