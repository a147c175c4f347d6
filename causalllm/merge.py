"""Merging the data's graph with the LLM's answers into one acyclic graph where every edge says why.

The data decides adjacencies (the skeleton is PC's, except in the ``prior`` policy, where PC is
re-run with the LLM's knowledge). Orientations are where the two sources meet.

What the data knows about an orientation
----------------------------------------
PC orients edges from unshielded colliders ``x → z ← y``: ``z`` is not in the set that
separated ``x`` and ``y``. With finite samples that is fragile: PC stops at the first set that
separates the pair (often the empty set, when a weak link hides a dependence), other sets may
separate it too, some with ``z`` and some without, and colliders conflict. As in conservative
PC, ``x`` and ``y`` are tested given every small subset of their neighbours (reusing the tests
PC already ran), and each unshielded triple is a **collider** when ``z`` is in none of the
separating sets, a **non-collider** when it is in all of them, **ambiguous** otherwise. The **robust** orientations are those
of unambiguous colliders that no other collider contradicts (not closed under Meek's rules:
rule 1 assumes every v-structure is present, and the ambiguous ones are not). A PC orientation
that is not robust is **weak**; an undirected edge carries no
orientation evidence.

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
    Conservative: PC keeps every orientation it made; the expert's order-consistent answers
    orient only PC's undirected edges, most confident first, each followed by Meek's rules,
    with the same cycle and v-structure checks.
``prior``
    Confident (``>= prior_threshold``), order-consistent directional answers become causal-learn
    background knowledge (required ``a → b`` and forbidden ``b → a``) and PC is re-run with
    it. "No relation" answers are *not* turned into forbidden pairs: forbidding both directions
    makes causal-learn record an empty separating set and invent colliders. Every constraint is
    checked in the output and violations are listed (causal-learn can drop required edges).
``report``
    PC's graph unchanged; the LLM only labels the edges.

Whatever the policy, the final graph's causal claims are acyclic: a remaining cycle is broken
by making its least supported edge undirected, and that is recorded.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import networkx as nx

from .data import Dataset
from .errors import ConfigError
from .graph import add_edge, directed_part, make_graph, pair_key
from .pc import PCDiscovery, meek_closure
from .priors import LLMPriors, PairAnswer, llm_graph, priors_rows, read_priors
from .results import DiscoveryResult

__all__ = ["POLICIES", "DATA_RELIABILITY", "Triple", "classify_triples", "robust_orientations", "calibrate",
           "merge", "run_merge", "MergeOutcome"]

log = logging.getLogger("causalllm")

POLICIES = ("auto", "orient", "prior", "report")
#: Prior probability that the data's orientation is right, by evidence class.
DATA_RELIABILITY = {"robust": 0.8, "weak": 0.6, "undirected": 0.5}
CALIBRATION_LEVEL = 0.05


@dataclass(frozen=True)
class Triple:
    """An unshielded triple ``x – z – y`` and what the separating sets of ``(x, y)`` say about ``z``."""

    x: str
    z: str
    y: str
    kind: str  # collider | noncollider | ambiguous
    share: float  # fraction of separating sets containing z
    n_sep: int


def _candidate_sets(G: nx.Graph, x: str, y: str, max_size: int, max_sets: int) -> list[tuple[str, ...]]:
    """Subsets of adj(x) \\ {y} and of adj(y) \\ {x}, smallest first (conservative PC's candidates)."""
    from itertools import combinations

    out: list[tuple[str, ...]] = []
    seen: set[frozenset] = set()
    for side, other in ((x, y), (y, x)):
        nb = sorted(n for n in G.neighbors(side) if n != other)
        for k in range(0, min(max_size, len(nb)) + 1):
            for S in combinations(nb, k):
                fs = frozenset(S)
                if fs not in seen:
                    seen.add(fs)
                    out.append(S)
                if len(out) >= max_sets:
                    return out
    return out


def classify_triples(pc: PCDiscovery, *, max_size: int = 3, max_sets: int = 64) -> list[Triple]:
    """Classify every unshielded triple ``x – z – y`` of PC's skeleton, conservatively.

    As in conservative PC (Ramsey, Zhang & Spirtes 2006), ``x`` and ``y`` are tested given every
    subset (up to ``max_size`` variables, ``max_sets`` sets) of the neighbours of ``x`` and of
    ``y``; the sets with p > alpha separate them. PC itself stops at the first separating depth,
    often the empty set, which makes a finite-sample error look like a clean collider. The
    tests reuse causal-learn's cache, so those PC already ran cost nothing.
    """
    G = pc.graph_.to_undirected()
    idx = {n: i for i, n in enumerate(pc.columns_)}
    cit = pc.cg_.test
    sets_for: dict[frozenset, list[tuple[str, ...]]] = {}
    out = []
    for z in G.nodes:
        nb = sorted(G.neighbors(z))
        for i in range(len(nb)):
            for j in range(i + 1, len(nb)):
                x, y = nb[i], nb[j]
                if G.has_edge(x, y):
                    continue
                key = pair_key(x, y)
                if key not in sets_for:
                    seps = [S for S in _candidate_sets(G, x, y, max_size, max_sets)
                            if cit(idx[x], idx[y], [idx[s] for s in S]) > pc.alpha]
                    sets_for[key] = seps or pc.separating_sets(x, y) or [pc.sepsets_.get(key, ())]
                seps = sets_for[key]
                share = sum(1 for S in seps if z in S) / len(seps)
                kind = "collider" if share == 0 else "noncollider" if share == 1 else "ambiguous"
                out.append(Triple(x, z, y, kind, share, len(seps)))
    return out


def _mark(G: nx.DiGraph, u: str, v: str) -> str | None:
    """The pair's mark read from ``u`` to ``v`` (``<--`` when the arc points at ``u``), None if not adjacent."""
    if G.has_edge(u, v):
        return G.edges[u, v]["mark"]
    if G.has_edge(v, u):
        m = G.edges[v, u]["mark"]
        return "<--" if m == "-->" else m
    return None


def _creates_cycle(G: nx.DiGraph, u: str, v: str) -> bool:
    D = directed_part(G)
    return D.has_node(v) and D.has_node(u) and nx.has_path(D, v, u)


def robust_orientations(pc: PCDiscovery, triples: list[Triple], exclude: frozenset | set = frozenset()) -> nx.DiGraph:
    """PC's skeleton with only the robust orientations: those of unconflicted unambiguous colliders.

    Pairs in ``exclude`` get no collider vote (their orientation is left to another source).
    """
    votes: dict[frozenset, set[tuple[str, str]]] = {}
    for t in triples:
        if t.kind == "collider":
            for a in (t.x, t.y):
                votes.setdefault(pair_key(a, t.z), set()).add((a, t.z))
    R = make_graph(pc.graph_.nodes)
    for u, v in pc.graph_.edges:
        add_edge(R, u, v, "---")
    for key, dirs in sorted(votes.items(), key=lambda kv: sorted(kv[0])):
        if len(dirs) != 1 or key in exclude:
            continue  # colliders disagree about this edge: not robust
        (u, v), = dirs
        if not _creates_cycle(R, u, v):
            add_edge(R, u, v, "-->")
    # no Meek here: rule 1 assumes every v-structure is present, and the ambiguous colliders
    # left out would make it orient edges away from their true heads
    return R


def calibrate(pairs: dict[frozenset, PairAnswer], R: nx.DiGraph, level: float = CALIBRATION_LEVEL) -> dict:
    """The expert's agreement with the robust data orientations and the trust it earns.

    Examples
    --------
    >>> from causalllm.graph import make_graph, add_edge
    >>> R = make_graph("abc"); add_edge(R, "a", "b"); add_edge(R, "c", "b")
    >>> good = {pair_key("a", "b"): PairAnswer("a", "b", "-->", 0.9, True),
    ...         pair_key("b", "c"): PairAnswer("b", "c", "<--", 0.9, True)}
    >>> calibrate(good, R)["agree"], calibrate(good, R)["disagree"]
    (2, 0)
    """
    from scipy.stats import beta

    k = m = 0
    for u, v, d in R.edges(data=True):
        if d["mark"] != "-->":
            continue
        p = pairs.get(pair_key(u, v))
        if p is None or p.order_consistent is False or p.directed() is None:
            continue
        if p.directed() == (u, v):
            k += 1
        else:
            m += 1
    d = DATA_RELIABILITY["robust"]
    a_low = float(beta.ppf(level, k + 1, m + 1))
    a_mean = (k + 1) / (k + m + 2)
    to_q = lambda a: min(1.0, max(0.0, (a - (1 - d)) / (2 * d - 1)))  # noqa: E731
    return {"agree": k, "disagree": m, "agreement_lower": round(a_low, 4), "agreement_mean": round(a_mean, 4),
            "trust": round(to_q(a_low), 4), "trust_mean": round(to_q(a_mean), 4), "level": level,
            "data_reliability": dict(DATA_RELIABILITY)}


def _usable(p: PairAnswer | None) -> tuple[str, str] | None:
    """The expert's direction if it is a consistent, directional answer."""
    if p is None or p.order_consistent is False:
        return None
    return p.directed()


@dataclass
class MergeOutcome:
    """The merged graph and the record of every decision."""

    graph: nx.DiGraph
    decisions: dict[frozenset, dict]
    info: dict


class _Orienter:
    """Applies orientations one at a time with the cycle and v-structure checks, then Meek."""

    def __init__(self, G: nx.DiGraph, noncolliders: set[tuple[str, frozenset]]) -> None:
        self.G = G
        self.noncolliders = noncolliders
        self.origin: dict[frozenset, str] = {}

    def mark(self, u: str, v: str) -> str:
        return _mark(self.G, u, v) or ""

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
        if m == "<--":
            return f"conflicts with {v} -> {u}, already {self.origin.get(pair_key(u, v), 'set')}"
        if _creates_cycle(self.G, u, v):
            return "would create a directed cycle"
        for w in self.G.predecessors(v):
            if w != u and self.G.edges[w, v]["mark"] == "-->" and not (self.G.has_edge(u, w) or self.G.has_edge(w, u)):
                if any_new_collider:
                    return f"would create a new v-structure {u} -> {v} <- {w} the data did not find"
                if (v, pair_key(u, w)) in self.noncolliders:
                    return f"would create a v-structure {u} -> {v} <- {w} although {v} is in every set separating {u} and {w}"
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


def _break_cycles(G: nx.DiGraph, support: dict[frozenset, float]) -> list[dict]:
    """Make the least supported edge of each directed cycle undirected; return what was done."""
    done: list[dict] = []
    while True:
        try:
            cyc = nx.find_cycle(directed_part(G))
        except nx.NetworkXNoCycle:
            return done
        u, v = min(((a, b) for a, b, *_ in cyc), key=lambda e: (support.get(pair_key(*e), 0.0), e))
        add_edge(G, u, v, "---")
        done.append({"source": u, "target": v, "action": "made undirected to break a directed cycle",
                     "cycle": " -> ".join(a for a, *_ in cyc)})


def merge(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], policy: str = "auto", *,
          prior_threshold: float = 0.7, dataset: Dataset | None = None) -> MergeOutcome:
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
    triples = classify_triples(pc)
    R = robust_orientations(pc, triples)
    cal = calibrate(pairs, R)
    robust = {pair_key(u, v): (u, v) for u, v, d in R.edges(data=True) if d["mark"] == "-->"}
    noncolliders = {(t.z, pair_key(t.x, t.y)) for t in triples if t.kind == "noncollider"}
    decisions: dict[frozenset, dict] = {}
    info: dict[str, Any] = {"policy": policy, "calibration": cal,
                            "triples": {k: sum(1 for t in triples if t.kind == k) for k in ("collider", "noncollider", "ambiguous")},
                            "robust_orientations": len(robust), "skipped": [], "cycles_broken": [], "violations": []}

    def data_class(u: str, v: str, mark: str) -> str:
        if mark != "-->":
            return "undirected"
        return "robust" if robust.get(pair_key(u, v)) == (u, v) else "weak"

    pc_edges = {pair_key(u, v): (u, v, d["mark"]) for u, v, d in pc.graph_.edges(data=True)}
    for key, (u, v, mark) in pc_edges.items():
        decisions[key] = {"data_class": data_class(u, v, mark)}

    if policy == "report":
        G = pc.graph_.copy()
        for key in decisions:
            decisions[key]["kept"] = "data"
    elif policy == "prior":
        G = _prior(pc, pairs, prior_threshold, dataset, info)
    else:
        overridden = {k for k, (u, v) in robust.items()
                      if _usable(pairs.get(k)) not in (None, (u, v)) and cal["trust"] > DATA_RELIABILITY["robust"]}
        if policy == "auto":
            # start from the robust orientations (all their v-structures at once), leaving out
            # those the expert is trusted enough to overturn
            start = robust_orientations(pc, triples, exclude=overridden) if overridden else R.copy()
        else:
            start = pc.graph_.copy()
        orienter = _Orienter(start, noncolliders)
        for u, v, d in start.edges(data=True):
            if d["mark"] == "-->":
                orienter.origin[pair_key(u, v)] = "data"
        plan: list[tuple[int, float, str, str, str, str]] = []  # (phase, -strength, u, v, origin, why)
        for key, (u, v, mark) in pc_edges.items():
            cls = decisions[key]["data_class"]
            llm_dir = _usable(pairs.get(key))
            conf = pairs[key].confidence if key in pairs else 0.0
            if policy == "orient":
                if mark == "---" and llm_dir:
                    plan.append((1, -conf, llm_dir[0], llm_dir[1], "llm", "LLM orients an edge PC left undirected"))
                continue
            reliability = DATA_RELIABILITY[cls]
            # silent data: expected-value decision; data evidence: the risk-averse lower bound
            trust = cal["trust_mean"] if cls == "undirected" else cal["trust"]
            basis = "expected accuracy" if cls == "undirected" else "trust (95% lower bound)"
            if llm_dir and mark == "-->" and llm_dir == (u, v):
                plan.append((0 if cls == "robust" else 1, -conf, u, v, "both", f"data ({cls} orientation) and LLM agree"))
            elif llm_dir and trust > reliability:
                why = (f"expert {basis} {trust:.2f} (agreed on {cal['agree']} of {cal['agree'] + cal['disagree']} robust "
                       f"data orientations) exceeds the data's reliability {reliability:.2f} for a {cls} orientation")
                plan.append((1 if cls != "robust" else 0, -conf, llm_dir[0], llm_dir[1], "llm", why))
            elif mark == "-->":
                if llm_dir and llm_dir != (u, v):
                    why = (f"data kept: its {cls} orientation (reliability {reliability:.2f}) beats the expert's "
                           f"{basis} {trust:.2f}")
                else:
                    why = f"data: {cls} orientation"
                plan.append((0 if cls == "robust" else 2, -conf, u, v, "data", why))
            elif llm_dir:
                decisions[key]["why"] = (f"expert {basis} {trust:.2f} is too low to orient an edge the data left "
                                         f"undirected (needs > {reliability:.2f})")
        for _phase, _, u, v, origin, why in sorted(plan):
            key = pair_key(u, v)
            # auto: orientations are collected first and propagated once at the end, because a
            # half-applied collider would let Meek's rule 1 orient its other edge the wrong way.
            # orient: PC's graph already holds every v-structure, so propagate after each step.
            reason = orienter.try_orient(u, v, origin, propagate=policy == "orient",
                                         any_new_collider=policy == "orient")
            if reason is None:
                decisions[key].update(kept=origin, why=why)
            else:
                decisions[key].update(why=f"{origin} orientation {u} -> {v} skipped: {reason}")
                info["skipped"].append({"source": u, "target": v, "origin": origin, "reason": reason})
        if policy == "auto":
            orienter.propagate()
        G = orienter.G
        for key, origin in orienter.origin.items():
            if origin == "meek" and key in decisions and "kept" not in decisions[key]:
                decisions[key].update(kept="meek", why="implied by Meek's rules from the orientations above")
    support = {k: (2.0 if d.get("data_class") == "robust" else 1.0) + (pairs[k].confidence if k in pairs else 0.0)
               for k, d in decisions.items()}
    info["cycles_broken"] = _break_cycles(G, support)
    return MergeOutcome(graph=G, decisions=decisions, info=info)


def _prior(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], threshold: float, dataset: Dataset | None,
           info: dict) -> nx.DiGraph:
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

    if dataset is None:
        raise ConfigError("the prior policy re-runs PC and needs the dataset")
    bk = BackgroundKnowledge()
    nodes = {n: GraphNode(n) for n in pc.columns_}  # names must match node_names exactly (causal-learn pitfall)
    required = []
    for p in sorted(pairs.values(), key=lambda a: (a.source, a.target)):
        d = _usable(p)
        if d and p.confidence >= threshold:
            bk.add_required_by_node(nodes[d[0]], nodes[d[1]])
            bk.add_forbidden_by_node(nodes[d[1]], nodes[d[0]])
            required.append(d)
    pc2 = PCDiscovery(alpha=pc.alpha, test=pc.test_, bins=pc.bins, background_knowledge=bk).fit(dataset)
    G = pc2.graph_
    for a, b in required:
        if G.has_edge(a, b) and G.edges[a, b]["mark"] == "-->":
            continue
        if G.has_edge(b, a) and G.edges[b, a]["mark"] == "-->":
            problem = f"forbidden {b} -> {a} is in the output"
        elif G.has_edge(a, b) or G.has_edge(b, a):
            problem = f"required {a} -> {b} is present but not oriented"
        else:
            problem = f"required {a} -> {b} was removed by a CI test"
        info["violations"].append({"source": a, "target": b, "problem": problem})
    info["required"] = len(required)
    info["prior_threshold"] = threshold
    if info["violations"]:
        log.warning("causal-learn did not honour %d of %d background-knowledge constraints (listed in the report)",
                    len(info["violations"]), len(required))
    return G


# ------------------------------------------------------------------ statuses and rows

def _status(pc_mark: str | None, pc_dir: tuple[str, str] | None, p: PairAnswer | None,
            final_mark: str | None, final_dir: tuple[str, str] | None) -> str:
    llm_dir = _usable(p)
    if pc_mark is None:
        if p is not None and p.directed() is not None:
            return "llm_only"
        return "data" if final_mark else "none"  # an edge only the prior policy's PC re-run found
    if p is None:
        return "data" if final_dir or pc_dir else "unresolved"
    if p.answer == "none":
        return "data_only"
    if llm_dir is None:
        return "data" if final_dir else "unresolved"
    if pc_dir is not None:
        return "agree" if pc_dir == llm_dir else "reversed"
    if final_dir is None:
        return "unresolved"
    return "oriented_by_llm" if final_dir == llm_dir else "reversed"


def build_rows(ds: Dataset, pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], outcome: MergeOutcome,
               confounders: dict[frozenset, list[dict]], has_llm: bool) -> tuple[list[dict], nx.DiGraph]:
    """One ``edges.csv`` row per pair any source connects, and the final graph with the same attributes."""
    G = outcome.graph
    idx = {c: i for i, c in enumerate(ds.columns)}
    keys = {pair_key(u, v) for u, v in pc.graph_.edges} | {pair_key(u, v) for u, v in G.edges}
    keys |= {k for k, p in pairs.items() if p.directed() is not None or k in outcome.decisions}
    rows = []
    for key in sorted(keys, key=lambda k: sorted(idx[n] for n in k)):
        a, b = sorted(key, key=idx.__getitem__)
        pcm = _mark(pc.graph_, a, b)
        pc_dir = (a, b) if pcm == "-->" else (b, a) if pcm == "<--" else None
        fm = _mark(G, a, b)
        f_dir = (a, b) if fm == "-->" else (b, a) if fm == "<--" else None
        p = pairs.get(key)
        status = _status(pcm, pc_dir, p, fm, f_dir) if has_llm else "data"
        if status == "none":
            continue
        src, tgt = f_dir or pc_dir or (p.directed() if p is not None and p.directed() else None) or (a, b)
        ev = pc.evidence_.get(key)
        dec = outcome.decisions.get(key, {})
        pc_rel = "none" if pcm is None else ("-->" if pc_dir == (src, tgt) else "<--" if pc_dir else pcm)
        row: dict[str, Any] = {
            "source": src, "target": tgt, "in_graph": fm is not None, "directed": f_dir is not None,
            "status": status, "pc": pc_rel, "p_value": ev.p_value if ev else None,
            # "{}" marks the empty separating set (marginal independence), unlike "" (not removed)
            "sepset": (";".join(ev.cond_set) or "{}") if pcm is None and ev is not None else "",
            "_mark": "-->" if f_dir else fm,
        }
        if has_llm:
            llm_dir = p.directed() if p is not None else None
            kept = ("llm" if f_dir == llm_dir and f_dir != pc_dir else "data" if f_dir == pc_dir and f_dir is not None
                    else "neither") if status == "reversed" else dec.get("kept", "")
            why = dec.get("why", "")
            if status == "reversed" and not why:
                policy = outcome.info.get("policy", "")
                why = {"report": "the report policy never changes the data's graph",
                       "orient": "the orient policy keeps every orientation the data made",
                       "prior": "PC re-run with the LLM's background knowledge still orients it this way"}.get(
                           policy, "") if kept == "data" else ""
            if status == "llm_only" and ev is not None and not ev.adjacent:
                why = why or (f"data found them independent given {{{', '.join(ev.cond_set)}}} "
                              f"(p = {ev.p_value:.3g})")
            row.update({
                "llm": p.answer_from(src) if p else "not asked",
                "llm_confidence": p.confidence if p else None,
                "order_consistent": p.order_consistent if p else None,
                "rationale": p.rationale if p else "",
                "llm_votes": p.votes_from(src) if p else "",
                "decision": why, "kept": kept,
                "confounders": [c["name"] for c in confounders.get(key, [])],
            })
        rows.append(row)
    # the final graph: same arcs, with the row's attributes
    F = make_graph(ds.columns)
    for n in F.nodes:
        F.nodes[n].update(description=ds.descriptions.get(n, n), type=ds.types.get(n, ""))
    for r in rows:
        mark = r.pop("_mark")
        if r["in_graph"]:
            attrs = {k: v for k, v in r.items() if k not in ("source", "target", "directed", "in_graph")}
            add_edge(F, r["source"], r["target"], mark, **attrs)
    return rows, F


def run_merge(ds: Dataset, pc: PCDiscovery, *, llm: Any = None, priors_path: Any = None, policy: str = "auto",
              seed: int = 0, prior_threshold: float = 0.7, fci: bool = True, falsify: bool = True,
              timings: dict | None = None) -> DiscoveryResult:
    """Ask (or read priors), merge, cross-check confounders with FCI, falsify the LLM graph."""
    timings = timings if timings is not None else {}
    pairs: dict[frozenset, PairAnswer] = {}
    confounders: dict[frozenset, list[dict]] = {}
    answers: list[dict] = []
    manifest: dict[str, Any] = {}
    has_llm = False
    if priors_path is not None:
        pairs, confounders = read_priors(priors_path, ds)
        has_llm = True
        from .data import file_sha256

        manifest["priors_file"] = {"path": str(priors_path), "sha256": file_sha256(priors_path)}
    elif llm is not None:
        t0 = time.perf_counter()
        asker = llm if isinstance(llm, LLMPriors) else LLMPriors(llm, seed=seed)
        asker.fit(ds, pc)
        timings["llm"] = time.perf_counter() - t0
        pairs, confounders, answers = asker.pairs_, asker.confounders_, asker.answers_
        has_llm = True
        manifest["llm_stats"] = asker.stats_
        manifest["llm_options"] = {"strategy": asker.strategy, "samples": asker.samples,
                                   "both_orders": asker.both_orders, "confounders": asker.confounders,
                                   "concurrency": asker.concurrency, "max_calls": asker.max_calls,
                                   "share_stats": asker.share_stats}
        manifest["prompt_version"] = asker.stats_["prompt_version"]
        if asker.simulated:
            manifest["simulated"] = asker.simulated
        manifest["llm_summary"] = asker.summary()
    t0 = time.perf_counter()
    outcome = merge(pc, pairs, policy if has_llm else "report", prior_threshold=prior_threshold, dataset=ds)
    rows, F = build_rows(ds, pc, pairs, outcome, confounders, has_llm)
    timings["merge"] = time.perf_counter() - t0
    result = DiscoveryResult(graph=F, pc_graph=pc.graph_, rows=rows, manifest=manifest, answers=answers,
                             merge_info=outcome.info if has_llm else {})
    if has_llm:
        result.priors_rows = priors_rows(pairs, confounders)
        L, removed = llm_graph(pairs, ds.columns)
        result.llm_graph = L
        result.merge_info["llm_graph_cycles_removed"] = removed
        if confounders:
            t0 = time.perf_counter()
            from .checks import fci_confounders

            result.confounders = fci_confounders(ds, pc, confounders, run_fci=fci)
            timings["fci"] = time.perf_counter() - t0
        if falsify and L.number_of_edges():
            t0 = time.perf_counter()
            from .checks import falsify_graph

            result.falsification = falsify_graph(L, pc, seed=seed)
            timings["falsify"] = time.perf_counter() - t0
    return result
