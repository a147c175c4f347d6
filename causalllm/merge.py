"""Merging the data's graph with the LLM's answers into one acyclic graph where every edge says why.

:func:`merge` is pure: given PC's fitted result and the LLM's combined answers, it returns the
merged graph and a :class:`Decision` per pair (it asks nothing and writes nothing). The data
decides adjacencies (the skeleton is PC's, except in the ``prior`` policy, where PC is re-run
with the LLM's knowledge, and in ``guided``, where PC is re-run with the LLM's answers ordering
its tests). Orientations are where the two sources meet; what the data knows
about them is :mod:`causalllm.colliders`.

How much the expert is trusted *on this dataset*
------------------------------------------------
The expert is calibrated on the robust orientations: among its order-consistent directional
answers on those edges, ``k`` agree and ``m`` disagree. With the data right on robust edges with
probability ``d_robust`` (0.8), agreement ``a = d q + (1 - d)(1 - q)`` gives the expert's
accuracy ``q``, with Beta(k+1, m+1) uncertainty on ``a``. Each edge goes to the side with the
stronger case:

* where the data orientation exists (robust 0.8, weak 0.6 — the data's reliability by class),
  the expert wins only if the one-sided 95% **lower bound** of ``q`` exceeds it: overturning
  evidence needs confident evidence, so few calibration edges mean little trust;
* where the data is silent (an undirected edge, reliability 0.5), the expert orients it when
  its **expected** accuracy (posterior mean of ``q``) beats a coin: leaving the edge
  undirected is then the worse bet.

A random expert agrees about half of the time, so its lower bound is near 0 and its mean near
0.5: it overturns nothing. A GPT-4-like expert agrees on most robust edges and earns the right
to correct the data's weak orientations.

Policies
--------
``auto`` (default)
    The evidence-weighted merge above. Robust data orientations first, then the expert's
    winning orientations (most confident first), then the data's remaining weak orientations;
    each followed by Meek's rules; an orientation that would close a directed cycle or create a
    v-structure at a robust non-collider is skipped and recorded.
``orient``
    Conservative: the data side keeps every orientation it made; the expert's order-consistent
    answers orient only its undirected edges, most confident first, each followed by Meek's
    rules, with the same cycle and v-structure checks.
``prior``
    Confident (``>= prior_threshold``), order-consistent directional answers become causal-learn
    background knowledge (required ``a → b`` and forbidden ``b → a``) and PC is re-run with
    it. "No relation" answers are *not* turned into forbidden pairs: forbidding both directions
    makes causal-learn record an empty separating set and invent colliders. Every constraint is
    checked in the output and violations are listed (causal-learn can drop required edges).
``guided``
    PC-Guess (Guess2Graph, Hiremath et al. 2025): PC is re-run with the LLM's usable directions
    as the expert's guess, which only **orders** the CI tests — pairs guessed non-adjacent are
    tested first, conditioning sets without a guessed common descendant first — and removes a
    pair only when a test separates it (:func:`causalllm.engine.guided_skeleton`). Every
    adjacency is still the data's, so with a consistent test the skeleton is right whatever the
    expert's error rate; in finite samples a good guess means fewer tests on true edges and so
    fewer false removals. ``auto`` then runs on that fit. Pairs PC-stable removed that PC-Guess
    keeps are ``guided``; pairs it separates that PC-stable kept, ``separated``. It needs the
    LLM's view of every pair (``--strategy all``, its default).
``report``
    The data side's graph unchanged; the LLM only labels the edges.

The data side
-------------
Every policy reads the data through the same analysis, the one ``--llm none`` draws: ``auto``'s
procedure with no answers — the robust collider orientations first, then PC's other
orientations where they pass the cycle and v-structure checks, then Meek's rules. Against PC's
own CPDAG it was never worse and usually better (orientation F1 0.48 → 0.71 on 12 random
Gaussian DAGs at 500 rows, 0.62 → 0.75 at 2 000; child at 10 000 rows 0.82 → 0.95). Where it
differs from PC's mark the edge is labelled ``revised``.

Whatever the policy, the final graph's causal claims are acyclic: a remaining cycle is broken
by making its least supported edge undirected, and that is recorded.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypedDict

import networkx as nx
import numpy as np

from .answers import PairAnswer
from .colliders import Triple, classify_triples, robust_orientations
from .config import DEFAULT_PRIOR_THRESHOLD, POLICIES
from .errors import ConfigError
from .graph import add_edge, creates_cycle, directed_part, mark_between, pair_key
from .knowledge import Knowledge
from .pc import PCDiscovery, meek_closure

__all__ = ["DATA_RELIABILITY", "EXPERT_PRIOR", "ROBUST_PRIOR", "calibrate", "merge", "usable_direction", "Decision",
           "MergeInfo", "MergeOutcome",
           "SkippedOrientation", "Violation", "CycleBreak"]

log = logging.getLogger("causalllm")

#: Prior probability that the data's orientation is right, by evidence class.
DATA_RELIABILITY = {"robust": 0.8, "weak": 0.6, "undirected": 0.5}
CALIBRATION_LEVEL = 0.05
#: What an expert is assumed to be worth before calibration edges speak: (mean accuracy on
#: directed answers, strength in calibration edges). Chosen by measurement across profiles
#: (``examples/bench_calibration.py``, README "Calibration"); the published rates (GPT-4 97.5% on
#: true edges, ~51% with disguised names) bracket the mean.
EXPERT_PRIOR = (0.75, 4.0)
#: The data's accuracy on robust orientations: (mean, strength). Measured 62.5–95% across
#: networks and sample sizes, hence a loose prior around DATA_RELIABILITY["robust"].
ROBUST_PRIOR = (0.8, 6.0)
#: Per-pair calibration (:func:`local_trust`) instead of one global figure. Measured off
#: (examples/bench_calibration.py, 6 networks × 6 profiles): +0.001 orientation F1 for the topical
#: expert, −0.002 to −0.008 for good ones; a variable touches too few robust orientations.
LOCAL_CALIBRATION = False
#: How many robust edges the global estimate is worth in a pair's local calibration.
LOCAL_STRENGTH = 4.0


class SkippedOrientation(TypedDict):
    """A merge note: an orientation not applied, and why."""

    source: str
    target: str
    origin: str
    reason: str


class Violation(TypedDict):
    """A merge note: background knowledge the re-run PC did not honour."""

    source: str
    target: str
    problem: str


class CycleBreak(TypedDict):
    """A merge note: an edge made undirected to break a directed cycle."""

    source: str
    target: str
    action: str
    cycle: str


@dataclass
class Decision:
    """What the merge decided for one of PC's pairs.

    ``data_class`` is the data's evidence for its orientation (``robust``, ``weak`` or
    ``undirected``); ``kept`` whose orientation the graph shows (``data``, ``llm``, ``both``,
    ``meek``; empty when none was applied); ``why`` the reason in words.
    """

    data_class: str = ""
    kept: str = ""
    why: str = ""


@dataclass
class MergeInfo:
    """What the merge did as a whole (the report's calibration paragraph and merge notes)."""

    policy: str
    calibration: dict[str, Any] = field(default_factory=dict)
    triples: dict[str, int] = field(default_factory=dict)
    robust_orientations: int = 0
    skipped: list[SkippedOrientation] = field(default_factory=list)
    cycles_broken: list[CycleBreak] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    required: int | None = None
    prior_threshold: float | None = None
    knowledge: dict[str, Any] | None = None
    guided: dict[str, Any] | None = None


@dataclass
class MergeOutcome:
    """The merged graph, the record of every decision, and the data side's own graph.

    ``data_graph`` is what the data alone says: PC's skeleton with its orientations re-checked by
    the conservative collider analysis (module docstring, *The data side*). It is the same whatever the policy
    and whether or not an LLM was asked, and it is what ``--llm none`` draws — except under
    ``guided``, where it is the same analysis of PC-Guess's fit (``refit``).
    """

    graph: nx.DiGraph
    decisions: dict[frozenset, Decision]
    info: MergeInfo
    data_graph: nx.DiGraph = field(default_factory=nx.DiGraph)
    #: the PC fit the graph stands on when it is not the one given (``guided``: PC-Guess's)
    refit: PCDiscovery | None = None


@dataclass(frozen=True, order=True)
class _Step:
    """One orientation to try: earlier phases first, then the more confident."""

    phase: int
    strength: float  # minus the LLM's confidence, so that sorting puts the most confident first
    u: str
    v: str
    origin: str
    why: str


def _beta_grid(mean: float, strength: float, grid: np.ndarray) -> np.ndarray:
    """Beta(mean·strength, (1−mean)·strength) density on ``grid`` (flat when strength is 0)."""
    if strength <= 0:
        return np.ones_like(grid)
    a, b = mean * strength, (1 - mean) * strength
    return np.exp((a - 1) * np.log(grid) + (b - 1) * np.log1p(-grid))


def calibrate(pairs: dict[frozenset, PairAnswer], R: nx.DiGraph, level: float = CALIBRATION_LEVEL,
              prior: tuple[float, float] | None = None) -> dict:
    """The expert's agreement with the robust data orientations and the trust it earns.

    Agreement ``a = d q + (1 − d)(1 − q)`` mixes two unknowns: the expert's accuracy ``q`` and
    the data's accuracy ``d`` on robust edges. Both get a prior — ``q`` the expert prior
    (:data:`EXPERT_PRIOR`, mean and strength in calibration edges), ``d`` :data:`ROBUST_PRIOR` —
    and the ``k`` agreements and ``m`` disagreements update them jointly (a grid posterior), so a
    disagreement is blamed on whichever side is more likely wrong. ``trust`` is the one-sided 95%
    lower bound of ``q``, ``trust_mean`` its posterior mean.

    Examples
    --------
    >>> from causalllm.graph import make_graph, add_edge
    >>> R = make_graph("abc"); add_edge(R, "a", "b"); add_edge(R, "c", "b")
    >>> good = {pair_key("a", "b"): PairAnswer("a", "b", "-->", 0.9, True),
    ...         pair_key("b", "c"): PairAnswer("b", "c", "<--", 0.9, True)}
    >>> calibrate(good, R)["agree"], calibrate(good, R)["disagree"]
    (2, 0)
    """
    votes = _votes(pairs, R)
    k, m = sum(votes.values()), len(votes) - sum(votes.values())
    q_mean, q_strength = EXPERT_PRIOR if prior is None else prior
    q_low, q_avg = _posterior(k, m, (q_mean, q_strength), level)
    return {"agree": k, "disagree": m, "trust": round(q_low, 4), "trust_mean": round(q_avg, 4), "level": level,
            "expert_prior": {"mean": q_mean, "strength": q_strength},
            "robust_prior": {"mean": ROBUST_PRIOR[0], "strength": ROBUST_PRIOR[1]},
            "data_reliability": dict(DATA_RELIABILITY)}


def _votes(pairs: dict[frozenset, PairAnswer], R: nx.DiGraph) -> dict[tuple[str, str], bool]:
    """Each robust data orientation the expert answered usably → whether it agreed."""
    out = {}
    for u, v, d in R.edges(data=True):
        if d["mark"] != "-->":
            continue
        p = pairs.get(pair_key(u, v))
        if p is None or p.order_consistent is False or p.directed() is None:
            continue
        out[(u, v)] = p.directed() == (u, v)
    return out


_GRID = (np.arange(400) + 0.5) / 400


@functools.cache
def _log_agreement() -> tuple[np.ndarray, np.ndarray]:
    """log a and log(1 − a) on the (q, d) grid, a = d q + (1 − d)(1 − q): computed once, on first use."""
    Q, D = np.meshgrid(_GRID, _GRID, indexing="ij")
    a = D * Q + (1 - D) * (1 - Q)
    return np.log(a), np.log1p(-a)


def _posterior(k: int, m: int, prior: tuple[float, float], level: float) -> tuple[float, float]:
    """(lower ``level`` quantile, mean) of the expert's accuracy after ``k`` agreements and ``m``
    disagreements, jointly with the data's robust accuracy (see :func:`calibrate`)."""
    log_a, log_not_a = _log_agreement()
    post = (_beta_grid(prior[0], prior[1], _GRID)[:, None] * _beta_grid(*ROBUST_PRIOR, _GRID)[None, :]
            * np.exp(k * log_a + m * log_not_a))
    q_post = post.sum(axis=1)
    q_post /= q_post.sum()
    return float(_GRID[np.searchsorted(np.cumsum(q_post), level)]), float((_GRID * q_post).sum())


def local_trust(pairs: dict[frozenset, PairAnswer], R: nx.DiGraph, cal: dict, keys: Iterable[frozenset],
                strength: float | None = None, level: float = CALIBRATION_LEVEL) -> dict[frozenset, tuple[float, float]]:
    """Per pair, the expert's accuracy where it is answering: the robust orientations that share a
    variable with the pair, starting from the global estimate (worth ``strength`` edges).

    A model that knows one field and not another is right on one cluster of variables and
    guessing on the other; the global figure averages the two. Returns ``key → (lower bound,
    mean)``; a pair with no robust neighbour keeps the global figures."""
    votes = _votes(pairs, R)
    out = {}
    for key in keys:
        a, b = sorted(key)
        seen = {e: ok for e, ok in votes.items() if a in e or b in e}
        if not seen:
            out[key] = (cal["trust"], cal["trust_mean"])
            continue
        k = sum(seen.values())
        out[key] = _posterior(k, len(seen) - k, (cal["trust_mean"], LOCAL_STRENGTH if strength is None else strength),
                              level)
    return out


def usable_direction(p: PairAnswer | None) -> tuple[str, str] | None:
    """The expert's direction if it is a consistent, directional answer."""
    if p is None or p.order_consistent is False:
        return None
    return p.directed()


class _Orienter:
    """Applies orientations one at a time with the cycle and v-structure checks, then Meek."""

    def __init__(self, G: nx.DiGraph, noncolliders: set[tuple[str, frozenset]],
                 forbid: set[tuple[str, str]] | None = None) -> None:
        self.G = G
        self.noncolliders = noncolliders
        self.forbid = forbid or set()
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
        if (u, v) in self.forbid:
            return "forbidden by the knowledge file (the analyst's knowledge outranks it)"
        if m == "<--":
            return f"conflicts with {v} -> {u}, already {self.origin.get(pair_key(u, v), 'set')}"
        if creates_cycle(self.G, u, v):
            return "would create a directed cycle"
        for w in self.G.predecessors(v):
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
        H = meek_closure(self.G)
        for a, b, d in H.edges(data=True):
            k = pair_key(a, b)
            if d["mark"] == "-->" and k not in self.origin:
                self.origin[k] = "meek"
        self.G = H


def _break_cycles(G: nx.DiGraph, support: dict[frozenset, float]) -> list[CycleBreak]:
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


def merge(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], policy: str = "auto", *,
          prior_threshold: float = DEFAULT_PRIOR_THRESHOLD, knowledge: Knowledge | None = None) -> MergeOutcome:
    """Merge PC's graph with the expert's answers under ``policy`` (see module docstring).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0); a = rng.normal(size=2000); b = a + rng.normal(size=2000)
    >>> pc = PCDiscovery().fit(pd.DataFrame({"a": a, "b": b}))  # a --- b: the data cannot orient it
    >>> llm = {pair_key("a", "b"): PairAnswer("a", "b", "-->", 0.9, True)}
    >>> sorted(merge(pc, llm, "orient").graph.edges(data="mark"))
    [('a', 'b', '-->')]
    """
    if policy not in POLICIES:
        raise ConfigError(f"unknown --merge policy {policy!r}; use one of {', '.join(POLICIES)}")
    if policy == "guided":
        return _guided(pc, pairs, prior_threshold, knowledge)
    triples = classify_triples(pc)
    k = knowledge or Knowledge()
    forbid = set(k.forbidden_edges())
    R = _unforbid(robust_orientations(pc, triples), forbid)  # the analyst's knowledge outranks a collider vote
    cal = calibrate(pairs, R)
    robust = {pair_key(u, v): (u, v) for u, v, d in R.edges(data=True) if d["mark"] == "-->"}
    info = MergeInfo(policy=policy, calibration=cal,
                     triples={k: sum(1 for t in triples if t.kind == k) for k in ("collider", "noncollider", "ambiguous")},
                     robust_orientations=len(robust))

    def data_class(u: str, v: str, mark: str) -> str:
        if mark != "-->":
            return "undirected"
        return "robust" if robust.get(pair_key(u, v)) == (u, v) else "weak"

    pc_edges = {pair_key(u, v): (u, v, d["mark"]) for u, v, d in pc.graph_.edges(data=True)}
    decisions = {key: Decision(data_class=data_class(u, v, mark)) for key, (u, v, mark) in pc_edges.items()}
    # the data side alone: auto's procedure with nothing from the LLM
    data_decisions = {key: Decision(data_class=d.data_class) for key, d in decisions.items()}
    D = _orient(pc, {}, "auto", triples, R, robust, calibrate({}, R), pc_edges, data_decisions, MergeInfo("auto"),
                knowledge=k)

    if policy == "report":
        G = D.copy()
        decisions = data_decisions
        for key, dec in decisions.items():
            llm_dir = usable_direction(pairs.get(key))
            if llm_dir is not None and mark_between(G, *llm_dir) != "-->":
                dec.why = f"the report policy never changes the data side's graph ({dec.why or 'undirected'})"
    elif policy == "prior" and not _required(pairs, prior_threshold):
        # no constraint to re-run PC with: the data side stands (and the note says so)
        G, decisions = D.copy(), data_decisions
        info.required, info.prior_threshold = 0, prior_threshold
    elif policy == "prior":
        G = _prior(pc, pairs, prior_threshold, info, k)
    else:
        local = local_trust(pairs, R, cal, pc_edges) if LOCAL_CALIBRATION and policy == "auto" else None
        G = _orient(pc, pairs, policy, triples, R, robust, cal, pc_edges, decisions, info, base=D, knowledge=k,
                    local=local)
    support = {key: (2.0 if d.data_class == "robust" else 1.0) + (pairs[key].confidence if key in pairs else 0.0)
               for key, d in decisions.items()}
    info.cycles_broken = _break_cycles(G, support)
    if knowledge is not None:
        info.violations += _verify(G, k)
        info.knowledge = {"file": k.source, "required": len(k.required), "forbidden": len(forbid),
                          "tiers": len(k.tiers)}
    return MergeOutcome(graph=G, decisions=decisions, info=info, data_graph=D)


def _guided(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], prior_threshold: float,
            knowledge: Knowledge | None) -> MergeOutcome:
    """The ``guided`` policy: ``auto`` on PC-Guess's fit, the LLM's directions ordering its tests."""
    guess = sorted(d for d in (usable_direction(p) for p in pairs.values()) if d is not None)
    if not guess:  # nothing to order the tests by: PC-stable's fit stands, as auto reads it
        out = merge(pc, pairs, "auto", prior_threshold=prior_threshold, knowledge=knowledge)
        out.info.policy = "guided"
        out.info.guided = {"guessed_edges": 0, "added": 0, "removed": 0, "tests": pc.n_tests_,
                           "pc_tests": pc.n_tests_}
        return out
    gpc = pc.with_guess(guess)
    out = merge(gpc, pairs, "auto", prior_threshold=prior_threshold, knowledge=knowledge)
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
    out.info.policy = "guided"
    out.info.guided = {"guessed_edges": len(guess), "added": len(after - before), "removed": len(before - after),
                       "tests": gpc.n_tests_, "pc_tests": pc.n_tests_}
    out.refit = gpc
    return out


def _unforbid(G: nx.DiGraph, forbid: set[tuple[str, str]]) -> nx.DiGraph:
    """``G`` with every arrow the knowledge forbids made undirected."""
    for u, v, d in list(G.edges(data=True)):
        if d["mark"] == "-->" and (u, v) in forbid:
            add_edge(G, u, v, "---")
    return G


def _verify(G: nx.DiGraph, k: Knowledge) -> list[Violation]:
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
            out.append(Violation(source=a, target=b, problem="forbidden by the knowledge file but drawn"))
    if out:
        log.warning("the final graph breaks %d constraint(s) of the knowledge file (listed in the report)", len(out))
    return out


def _plan(policy: str, pairs: dict[frozenset, PairAnswer], cal: dict, pc_edges: dict[frozenset, tuple[str, str, str]],
          decisions: dict[frozenset, Decision], local: dict[frozenset, tuple[float, float]] | None = None
          ) -> list[_Step]:
    """The orientations ``orient`` or ``auto`` will try, each with its reason."""
    plan: list[_Step] = []
    for key, (u, v, mark) in pc_edges.items():
        cls = decisions[key].data_class
        llm_dir = usable_direction(pairs.get(key))
        conf = pairs[key].confidence if key in pairs else 0.0
        if policy == "orient":
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


def _orient(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], policy: str, triples: list[Triple], R: nx.DiGraph,
            robust: dict[frozenset, tuple[str, str]], cal: dict, pc_edges: dict[frozenset, tuple[str, str, str]],
            decisions: dict[frozenset, Decision], info: MergeInfo, base: nx.DiGraph | None = None,
            knowledge: Knowledge | None = None, local: dict[frozenset, tuple[float, float]] | None = None
            ) -> nx.DiGraph:
    """The ``auto`` and ``orient`` policies: apply the planned orientations one at a time, with checks.

    ``orient`` starts from ``base``, the data side's graph, and only fills in its undirected edges."""
    noncolliders = {(t.z, pair_key(t.x, t.y)) for t in triples if t.kind == "noncollider"}
    k = knowledge or Knowledge()
    forbid = set(k.forbidden_edges())
    low = {k: local[k][0] if local is not None and k in local else cal["trust"] for k in robust}
    overridden = {k for k, (u, v) in robust.items()
                  if usable_direction(pairs.get(k)) not in (None, (u, v)) and low[k] > DATA_RELIABILITY["robust"]}
    if policy == "auto":
        # start from the robust orientations (all their v-structures at once), leaving out
        # those the expert is trusted enough to overturn
        start = _unforbid(robust_orientations(pc, triples, exclude=overridden), forbid) if overridden else R.copy()
    else:
        assert base is not None
        start = base.copy()
        pc_edges = {pair_key(u, v): (u, v, d["mark"]) for u, v, d in start.edges(data=True)}
    orienter = _Orienter(start, noncolliders, forbid)
    for a, b in k.required:  # the analyst's knowledge first: it outranks data and LLM alike
        key = pair_key(a, b)
        if key in decisions and orienter.try_orient(a, b, "knowledge", propagate=policy == "orient") is None:
            decisions[key].kept, decisions[key].why = "knowledge", f"the knowledge file requires {a} -> {b}"
    for u, v, d in start.edges(data=True):
        if d["mark"] == "-->" and pair_key(u, v) not in orienter.origin:
            key = pair_key(u, v)
            orienter.origin[key] = "data"
            if key in decisions and policy == "orient":
                decisions[key].kept = "data"
                decisions[key].why = "the orient policy keeps every orientation the data side made"
    for step in _plan(policy, pairs, cal, pc_edges, decisions, local):
        dec = decisions[pair_key(step.u, step.v)]
        # auto: orientations are collected first and propagated once at the end, because a
        # half-applied collider would let Meek's rule 1 orient its other edge the wrong way.
        # orient: PC's graph already holds every v-structure, so propagate after each step.
        reason = orienter.try_orient(step.u, step.v, step.origin, propagate=policy == "orient",
                                     any_new_collider=policy == "orient")
        if reason is None:
            dec.kept, dec.why = step.origin, step.why
        else:
            dec.why = f"{step.origin} orientation {step.u} -> {step.v} skipped: {reason}"
            info.skipped.append(SkippedOrientation(source=step.u, target=step.v, origin=step.origin, reason=reason))
    if policy == "auto":
        orienter.propagate()
    for key, origin in orienter.origin.items():
        if key not in decisions or decisions[key].kept:
            continue
        if origin == "meek":
            decisions[key].kept, decisions[key].why = "meek", "implied by Meek's rules from the orientations above"
        elif origin == "data":
            decisions[key].kept = "data"
            decisions[key].why = "data: a robust collider orientation (the conservative re-analysis of PC's colliders)"
    return orienter.G


def _required(pairs: dict[frozenset, PairAnswer], threshold: float) -> list[tuple[str, str]]:
    """The confident, order-consistent directions ``prior`` turns into background knowledge."""
    required = []
    for p in sorted(pairs.values(), key=lambda a: (a.source, a.target)):
        d = usable_direction(p)
        if d and p.confidence >= threshold:
            required.append(d)
    return required


def _prior(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], threshold: float, info: MergeInfo,
           knowledge: Knowledge) -> nx.DiGraph:
    """The ``prior`` policy: PC re-run with the confident answers as background knowledge, then checked.
    The analyst's knowledge file comes first; an LLM constraint that contradicts it is left out."""
    forbid = set(knowledge.forbidden_edges())
    llm = [(a, b) for a, b in _required(pairs, threshold) if (a, b) not in forbid and (b, a) not in knowledge.required]
    required = list(dict.fromkeys([*knowledge.required, *llm]))
    G = pc.with_knowledge(required, list(dict.fromkeys([*forbid, *((b, a) for a, b in llm)]))).graph_
    for a, b in llm:  # the knowledge file's own constraints are checked once, by _verify
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
    info.prior_threshold = threshold
    if info.violations:
        log.warning("causal-learn did not honour %d of %d background-knowledge constraints (listed in the report)",
                    len(info.violations), len(llm))
    return G
