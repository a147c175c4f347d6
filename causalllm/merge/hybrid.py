"""``hybrid``: past PC's skeleton — a score-based re-search where the LLM proposes candidate edges and the data's
score decides.

Every other policy can only orient, keep or re-test the pairs PC looked at, so the merged graph is capped by
PC's skeleton: an edge a marginal or first-order test removed stays removed even where the LLM names it. Here,
from the data side's graph (one DAG of its class), a hill-climbing search over DAGs
(:func:`causalllm.discovery.score.hill_climb`, BIC on the engine's sufficient statistics, the CI test's
own model: Gaussian, multinomial, conditional or degenerate Gaussian) may add, delete or
reverse arrows between **candidate pairs**: PC's skeleton, every pair the LLM claims as a direct cause, and
the pairs joining a claimed pair's endpoint to the other endpoint's neighbours. The LLM's answers enter as a
structure prior: a claimed arrow adds the log-odds ``log(q / (1 - q))`` of the expert's calibrated accuracy
``q`` (the 95% lower bound ``auto`` measures on the data's robust orientations), a "no direct relation"
answer subtracts it; at or below ``q = 0.5`` (a random or contrarian expert) the answers carry no
information: the candidates are PC's skeleton alone, the prior is flat, and the search is the score's
own. The score still decides: a claim whose arrow loses more likelihood than the prior gives stays out
(status ``llm_only``).

The search's skeleton replaces PC's (:meth:`~causalllm.discovery.pc.PCDiscovery.with_skeleton`: a pair
the score removes is separated by its DAG's parents), PC's orientation rules run on it, and the
evidence-weighted merge (``auto``: the conservative collider re-check, the expert calibrated on it)
orients it. Statuses: ``restored`` (a pair PC removed, put back by the score), ``pruned`` (a pair PC kept,
removed by the score); each ``decision`` gives the score difference. The analyst's knowledge is honoured
throughout: forbidden arrows are never added, required ones never removed or reversed, and the final
boundary of every policy applies.
"""

from __future__ import annotations

import time
from math import log

import networkx as nx

from ..data.knowledge import Knowledge
from ..discovery.pc import PCDiscovery
from ..discovery.score import hill_climb, score_for
from ..errors import DataError
from ..expert.answers import PairAnswer
from ..graph import add_edge, directed_part, pair_key
from ..graph.formats import dag_extension
from .calibrate import usable_direction
from .model import Decision, MergeOutcome
from .runs import data_side, finish, run_weighted

__all__ = ["candidate_pairs", "run_hybrid"]


def candidate_pairs(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], knowledge: Knowledge) -> set[frozenset]:
    """PC's skeleton, the LLM's claimed pairs, and each claim's endpoints joined to the other's neighbours;
    never a pair the knowledge bans both ways."""
    U = pc.graph_.to_undirected()
    cand = {pair_key(u, v) for u, v in U.edges}
    for p in pairs.values():
        d = usable_direction(p)
        if d is None or pair_key(*d) in cand:
            continue
        a, b = d
        cand.add(pair_key(a, b))
        cand |= {pair_key(a, c) for c in U.neighbors(b) if c != a} | {pair_key(b, c) for c in U.neighbors(a) if c != b}
    return {k for k in cand if any(knowledge.allows(u, v) for u, v in (tuple(k), tuple(k)[::-1]))}


def run_hybrid(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], name: str, knowledge: Knowledge | None
               ) -> MergeOutcome:
    """``hybrid``: PC's skeleton revised by the restricted score-based re-search (the LLM's calibrated answers
    as its prior), then the evidence-weighted merge (``auto``) on the revised fit."""
    t0 = time.perf_counter()
    first = data_side(pc, pairs, name, knowledge)  # the expert's calibration on PC's own data side
    k = first.knowledge
    names = list(pc.columns_)
    idx = {n: i for i, n in enumerate(names)}
    q = float(first.calibration.get("trust", 0.5)) if first.calibration else 0.5
    w = log(q / (1 - q)) if q > 0.5 else 0.0
    # answers no better than a coin carry no information: they neither widen the search nor weigh in it
    cand = candidate_pairs(pc, pairs if w else {}, k)
    prior = _prior(pairs, cand, idx, w)
    start = _start(first.graph)
    score = score_for(pc)
    climb = hill_climb(score.local, len(names), [(idx[a], idx[b]) for a, b in map(sorted, cand)],
                       [(idx[u], idx[v]) for u, v in start.edges if (u, v) not in k.ruled_out], prior=prior,
                       forbidden=[(idx[u], idx[v]) for u, v in k.ruled_out],
                       required=[(idx[u], idx[v]) for u, v in k.required])
    H = nx.DiGraph([(names[a], names[b]) for a, b in climb.arrows])
    H.add_nodes_from(names)
    skeleton = {pair_key(u, v) for u, v in pc.graph_.edges}
    found = {pair_key(u, v) for u, v in H.edges}
    # a pair the score removes is separated by the later one's parents in its DAG (the local Markov property)
    seps = {key: tuple(sorted(H.predecessors(_later(H, *sorted(key))))) for key in skeleton - found}
    hpc = pc.with_skeleton(sorted(H.edges), seps)
    side = data_side(hpc, pairs, name, knowledge)
    out = finish(side, *run_weighted(side, local=True), knowledge)
    for a, b in sorted(H.edges):
        key = pair_key(a, b)
        if key in skeleton:
            continue
        ev = pc.evidence_.get(key)
        removed = f"PC removed it given {{{', '.join(ev.cond_set)}}} (p = {ev.p_value:.3g})" if ev else "PC removed it"
        bonus = prior.get((idx[a], idx[b])) or prior.get((idx[b], idx[a]), 0.0)  # the pair's, either arrow
        dec = out.decisions.setdefault(key, Decision(data_class="undirected"))
        dec.why = (f"{removed}; the score-based re-search puts it back: BIC {climb.gain[(idx[a], idx[b])]:+.1f}"
                   + (f" with the LLM's prior {bonus:+.2f}" if bonus else ", no LLM prior")
                   + (f"; {dec.why}" if dec.why else ""))
    for key in sorted(skeleton - found, key=sorted):
        a, b = sorted(key)
        against = prior.get((idx[a], idx[b]), 0.0) > 0 or prior.get((idx[b], idx[a]), 0.0) > 0
        out.decisions[key] = Decision(data_class="undirected", why=(
            "PC kept it; the score-based re-search removed it (the structure scores higher without it"
            + (", the LLM's prior for it outweighed" if against else "")
            + f"; separated given {{{', '.join(seps[key])}}}, its DAG's parents)"))
    out.refit = hpc
    out.info.hybrid = {"candidates": len(cand), "skeleton": len(skeleton), "moves": climb.moves,
                       "restored": len(found - skeleton), "pruned": len(skeleton - found),
                       "prior_log_odds": round(w, 4), "score": type(score).__name__,
                       "search_s": round(time.perf_counter() - t0, 3)}
    return out


def _start(G: nx.DiGraph) -> nx.DiGraph:
    """One DAG of the data side's class to start from; an arrow closing a directed cycle (the data side's own
    graph is not cycle-broken) is left to the extension's order."""
    G = G.copy()
    while True:
        try:
            return dag_extension(G)[0]
        except DataError:
            u, v = nx.find_cycle(directed_part(G))[0][:2]
            add_edge(G, u, v, "---")


def _later(H: nx.DiGraph, a: str, b: str) -> str:
    """Of two non-adjacent nodes of a DAG, one the other is not a descendant of (its parents separate them)."""
    return a if nx.has_path(H, b, a) else b


def _prior(pairs: dict[frozenset, PairAnswer], cand: set[frozenset], idx: dict[str, int], w: float
           ) -> dict[tuple[int, int], float]:
    """The structure prior on the candidate pairs: ``+w`` for a claimed arrow, ``-w`` for either arrow of a
    pair the LLM says has no direct relation (none at all when ``w`` is 0)."""
    prior: dict[tuple[int, int], float] = {}
    if not w:
        return prior
    for key, p in pairs.items():
        if key not in cand:
            continue
        d = usable_direction(p)
        if d is not None:
            prior[(idx[d[0]], idx[d[1]])] = w
        elif p.answer == "none" and p.order_consistent is not False:
            a, b = tuple(key)
            prior[(idx[a], idx[b])] = prior[(idx[b], idx[a])] = -w
    return prior
