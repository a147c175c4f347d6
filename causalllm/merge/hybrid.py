"""``hybrid``: past PC's skeleton — a score-based re-search where the LLM proposes candidate edges and the data's
score decides.

Every other policy can only orient, keep or re-test the pairs PC looked at, so the merged graph is capped by
PC's skeleton: an edge a marginal or first-order test removed stays removed even where the LLM names it. Here,
from the data side's graph (one DAG of its class), a hill-climbing search over DAGs
(:func:`causalllm.discovery.score.hill_climb`, BIC on the engine's sufficient statistics, the CI test's
own model: Gaussian, multinomial, conditional or degenerate Gaussian) may add, delete or
reverse arrows between **candidate pairs**: PC's skeleton, every pair the LLM claims as a direct cause, and
the pairs joining a claimed pair's endpoint to the other endpoint's neighbours. The LLM's answers enter as a
prior on presence, measured on PC's own skeleton (:func:`presence_weights`): a claimed pair adds the log of
how much likelier a claim is on PC's adjacent pairs than on its separated ones, a "no direct relation"
answer subtracts the same measure for "none" answers; answers that do not tell the two apart carry no
information, and then the search does not widen. PC's adjacencies stand unless the LLM says
"no direct relation" (BIC left alone underfits many-category families and prunes true edges) or PC kept the
pair by its determinism guard alone (a test with zero degrees of freedom refused as a separation: no evidence
of dependence, so the score decides; measured, Win95pts loses half of PC's false adjacencies). The score
still decides: a claim whose edge loses more likelihood than the prior gives stays out
(status ``llm_only``).

The search's skeleton replaces PC's (:meth:`~causalllm.discovery.pc.PCDiscovery.with_skeleton`: a pair
the score removes is separated by its DAG's parents), PC's orientation rules run on it, and the
evidence-weighted merge (``auto``: the conservative collider re-check, the expert calibrated on it)
orients it. Statuses: ``restored`` (a pair PC removed, put back by the score), ``pruned`` (a pair PC kept,
removed by the score where the LLM says there is no direct relation or the guard alone kept it); each
``decision`` gives the score difference. The analyst's knowledge is honoured throughout: forbidden arrows are
never added, required ones never removed or reversed, and the final boundary of every policy applies.
"""

from __future__ import annotations

import time
from math import log

import networkx as nx
from scipy.special import betaincinv

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

__all__ = ["candidate_pairs", "presence_weights", "run_hybrid"]


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
    first = data_side(pc, pairs, name, knowledge)  # the data side the search starts from
    k = first.knowledge
    names = list(pc.columns_)
    idx = {n: i for i, n in enumerate(names)}
    skeleton = {pair_key(u, v) for u, v in pc.graph_.edges}
    w_claim, w_none = presence_weights(pairs, skeleton)
    # answers that do not tell PC's edges from its non-edges carry no information about presence: they
    # neither widen the search nor weigh in it
    cand = candidate_pairs(pc, pairs if w_claim else {}, k)
    score = score_for(pc)
    # a constant column scores every parent set alike: the prior alone would draw its edges
    varies = getattr(score, "varies", lambda x: True)
    cand = {key for key in cand if all(varies(idx[n]) for n in key)}
    prior = _prior(pairs, cand, idx, w_claim, w_none)
    # PC's adjacencies stand unless the LLM says "no direct relation" and the score agrees (BIC underfits
    # many-category families: left alone it prunes true edges on Water, Win95pts and Barley), or unless only
    # the determinism guard kept them: a zero-degree test is no evidence of dependence, so the score decides
    guarded = pc.determined_pairs_
    keep = [(idx[u], idx[v]) for u, v in pc.graph_.edges if pair_key(u, v) not in guarded
            and not (w_none and pairs.get(pair_key(u, v)) is not None and pairs[pair_key(u, v)].answer == "none")]
    start = _start(first.graph)
    climb = hill_climb(score.local, len(names), [(idx[a], idx[b]) for a, b in map(sorted, cand)],
                       [(idx[u], idx[v]) for u, v in start.edges if (u, v) not in k.ruled_out], prior=prior,
                       forbidden=[(idx[u], idx[v]) for u, v in k.ruled_out],
                       required=[(idx[u], idx[v]) for u, v in k.required],
                       keep=keep)
    H = nx.DiGraph([(names[a], names[b]) for a, b in climb.arrows])
    H.add_nodes_from(names)
    found = {pair_key(u, v) for u, v in H.edges}
    # a pair the score removes is separated by the later one's parents in its DAG (the local Markov property)
    seps = {key: tuple(sorted(H.predecessors(_later(H, *sorted(key))))) for key in skeleton - found}
    # PC's own skeleton back (the usual case for an expert that adds nothing): its data side stands
    hpc = pc.with_skeleton(sorted(H.edges), seps) if found != skeleton else None
    side = data_side(hpc, pairs, name, knowledge) if hpc is not None else first
    out = finish(side, *run_weighted(side, local=True), knowledge)
    _explain(out.decisions, pc, H, climb.gain, prior, idx, skeleton, seps)
    out.refit = hpc
    out.info.hybrid = {"candidates": len(cand), "skeleton": len(skeleton), "moves": climb.moves,
                       "restored": len(found - skeleton), "pruned": len(skeleton - found),
                       "prior_claim": round(w_claim, 4), "prior_none": round(w_none, 4),
                       "score": type(score).__name__,
                       "search_s": round(time.perf_counter() - t0, 3)}
    return out


def _explain(decisions: dict[frozenset, Decision], pc: PCDiscovery, H: nx.DiGraph,
             gain: dict[tuple[int, int], float], prior: dict[tuple[int, int], float], idx: dict[str, int],
             skeleton: set[frozenset], seps: dict[frozenset, tuple[str, ...]]) -> None:
    """Each restored and pruned pair's decision: PC's test, the score's gain, the LLM's prior."""
    found = {pair_key(u, v) for u, v in H.edges}
    for a, b in sorted(H.edges):
        key = pair_key(a, b)
        if key in skeleton:
            continue
        ev = pc.evidence_.get(key)
        removed = f"PC removed it given {{{', '.join(ev.cond_set)}}} (p = {ev.p_value:.3g})" if ev else "PC removed it"
        bonus = prior.get((idx[a], idx[b])) or prior.get((idx[b], idx[a]), 0.0)  # the pair's, either arrow
        dec = decisions.setdefault(key, Decision(data_class="undirected"))
        dec.why = (f"{removed}; the score-based re-search puts it back: BIC {gain[(idx[a], idx[b])]:+.1f}"
                   + (f" with the LLM's prior {bonus:+.2f}" if bonus else ", no LLM prior")
                   + (f"; {dec.why}" if dec.why else ""))
    for key in sorted(skeleton - found, key=sorted):
        a, b = sorted(key)
        bonus = prior.get((idx[a], idx[b])) or prior.get((idx[b], idx[a]), 0.0)  # the pair's, either arrow
        said = (f"the LLM says there is no direct relation (prior {bonus:+.2f})" if bonus < 0 else
                "only the determinism guard kept it (a test with zero degrees of freedom: no evidence either way)"
                + (f", the LLM's prior {bonus:+.2f} for it" if bonus else ""))
        decisions[key] = Decision(data_class="undirected", why=(
            f"PC kept it; {said} and the score-based re-search removes it: the structure scores higher without it "
            f"(separated given {{{', '.join(seps[key])}}}, its DAG's parents)"))


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


def presence_weights(pairs: dict[frozenset, PairAnswer], skeleton: set[frozenset]) -> tuple[float, float]:
    """How much the LLM's answers say about an edge's presence, measured on PC's own skeleton: the log of how
    much likelier a direct-cause claim is on PC's adjacent pairs than on its separated ones, and the same for
    a "no direct relation" answer the other way, each rate taken at the conservative end of its 95% interval
    (0 when the answers do not tell the pairs apart). An expert claiming causation for half the unrelated
    pairs (GPT-4's published rate) earns less than ``log(0.975 / 0.5)``, far from its direction accuracy's
    log-odds.

    Examples
    --------
    >>> from causalllm.expert.answers import PairAnswer
    >>> adj = {frozenset((f"a{i}", f"b{i}")) for i in range(20)}
    >>> pairs = {k: PairAnswer(*sorted(k), "-->", 0.9, True) for k in adj}
    >>> pairs |= {frozenset((f"c{i}", f"d{i}")): PairAnswer(f"c{i}", f"d{i}", "none", 0.9, True) for i in range(20)}
    >>> [round(w, 2) for w in presence_weights(pairs, adj)]
    [1.88, 1.88]
    """
    counts = {(a, c): 0 for a in (True, False) for c in ("claim", "none")}
    asked = {True: 0, False: 0}
    for key, p in pairs.items():
        adjacent = key in skeleton
        asked[adjacent] += 1
        if usable_direction(p) is not None:
            counts[(adjacent, "claim")] += 1
        elif p.answer == "none" and p.order_consistent is not False:
            counts[(adjacent, "none")] += 1
    def bound(adjacent: bool, answer: str, q: float) -> float:  # a quantile of the rate's Beta(1, 1) posterior
        n = counts[(adjacent, answer)]
        return float(betaincinv(n + 1, asked[adjacent] - n + 1, q))

    # conservative, as the direction calibration: the lower 95% bound of the likelier rate over the upper
    # bound of the other, so answers independent of the data's skeleton earn nothing
    return (max(0.0, log(bound(True, "claim", 0.05) / bound(False, "claim", 0.95))),
            max(0.0, log(bound(False, "none", 0.05) / bound(True, "none", 0.95))))


def _prior(pairs: dict[frozenset, PairAnswer], cand: set[frozenset], idx: dict[str, int], w_claim: float,
           w_none: float) -> dict[tuple[int, int], float]:
    """The structure prior on the candidate pairs' arrows: ``+w_claim`` where the LLM claims a direct cause
    (either arrow: the direction is left to the orientation step), ``-w_none`` where it says there is none."""
    prior: dict[tuple[int, int], float] = {}
    for key, p in pairs.items():
        if key not in cand:
            continue
        a, b = (idx[n] for n in sorted(key))
        if usable_direction(p) is not None and w_claim:
            prior[(a, b)] = prior[(b, a)] = w_claim
        elif p.answer == "none" and p.order_consistent is not False and w_none:
            prior[(a, b)] = prior[(b, a)] = -w_none
    return prior
