"""The hybrid policy's score and search: BIC on sufficient statistics (equal to pgmpy's), the hill-climb's
guarantees (knowledge, candidates), and an oracle: with the exact score of the true distribution and a perfect
expert's prior, the search recovers the true DAG's equivalence class."""

from __future__ import annotations

import math
import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from causalllm.discovery.score import DiscreteBIC, GaussianBIC, hill_climb


def test_discrete_bic_equals_pgmpys():
    """pgmpy's BIC, but for the parent configurations absent from the sample, whose parameters are not counted
    (Asia's `either` is tub OR lung: tub = yes with either = no never occurs)."""
    pytest.importorskip("pgmpy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.estimators import BIC

    from causalllm.data import load_dataset

    df = load_dataset("asia").frame.astype(str)
    cols = np.stack([pd.Categorical(df[c]).codes for c in df.columns]).astype(np.int64)
    ours, ref = DiscreteBIC(cols), BIC(df)
    names = list(df.columns)
    n = len(df)
    absent = 0
    for x, parents in [(1, ()), (2, (0,)), (5, (2, 3)), (6, (5,)), (7, (4, 5)), (7, (2, 5)), (4, (2, 5, 6))]:
        P = [names[p] for p in parents]
        q = math.prod(df[c].nunique() for c in P)
        missing = q - (len(df.groupby(P).size()) if P else 1)
        absent += missing
        theirs = ref.local_score(names[x], P) + 0.5 * math.log(n) * (df[names[x]].nunique() - 1) * missing
        assert ours.local(x, parents) == pytest.approx(theirs, rel=1e-9)
    assert absent > 0  # the rule was exercised


def test_gaussian_bic_prefers_the_true_parents():
    rng = np.random.default_rng(0)
    a = rng.normal(size=5000)
    b = a + rng.normal(size=5000)
    c = rng.normal(size=5000)
    s = GaussianBIC(np.corrcoef(np.stack([a, b, c])), 5000)
    assert s.local(1, (0,)) > s.local(1, ()) > s.local(1, (2,)) - 1e-9
    assert s.local(1, (0,)) > s.local(1, (0, 2))  # a useless parent costs its penalty


@pytest.mark.parametrize("seed", range(6))
def test_the_climb_never_draws_a_forbidden_arrow_and_keeps_the_required(seed):
    rng = np.random.default_rng(seed)
    p, n = 8, 3000
    X = np.zeros((n, p))
    for j in range(p):
        for k in range(j):
            if rng.random() < 0.3:
                X[:, j] += rng.uniform(0.5, 1.0) * X[:, k]
        X[:, j] += rng.normal(size=n)
    score = GaussianBIC(np.corrcoef(X.T), n)
    pairs = [(i, j) for i in range(p) for j in range(i + 1, p)]
    cand = [pairs[k] for k in rng.choice(len(pairs), 18, replace=False)]
    forbidden = {cand[0], cand[1][::-1], cand[2], cand[2][::-1]}
    required = {cand[3]}
    prior = {e: rng.normal() for e in cand}
    c = hill_climb(score.local, p, cand, [], prior=prior, forbidden=forbidden, required=required)
    assert not c.arrows & forbidden
    assert required <= c.arrows
    assert {tuple(sorted(e)) for e in c.arrows} <= set(cand)  # only candidate pairs
    assert nx.is_directed_acyclic_graph(nx.DiGraph(list(c.arrows)))


def _vstructures(arrows: set[tuple[str, str]]) -> set[tuple[frozenset, str]]:
    D = nx.DiGraph(list(arrows))
    return {(frozenset((a, b)), z) for z in D for a in D.predecessors(z) for b in D.predecessors(z)
            if a < b and not D.has_edge(a, b) and not D.has_edge(b, a)}


@pytest.mark.parametrize(("name", "uncarried"), [("asia", set()), ("child", set()), (
    "insurance", {("RiskAversion", "MakeModel"), ("RiskAversion", "VehicleYear")})])
def test_exact_score_and_a_perfect_prior_recover_the_true_class(name, uncarried):
    """The score of the true distribution (family marginals by exact inference, 10^12 rows) from a start
    missing a quarter of the true edges, the candidates being the true pairs and their neighbours' pairs:
    the search ends on the true skeleton and v-structures — of the true DAG less the edges its distribution
    does not carry. Insurance's CPTs have two: MakeModel's and VehicleYear's given their other parents do not
    depend on RiskAversion, so the likelihood gains nothing from those arrows, and no score, nor the prior a
    perfect expert gives them, can justify their parameters."""
    pytest.importorskip("pgmpy")
    from pgmpy.inference import VariableElimination

    from causalllm.bench.networks import _network, network_truth

    T, model = network_truth(name), _network(name)
    names = sorted(T.nodes)
    idx = {v: i for i, v in enumerate(names)}
    card = {v: model.get_cardinality(v) for v in names}
    ve, N = VariableElimination(model), 1e12
    known: dict[tuple[int, tuple[int, ...]], float] = {}

    def loglik(x: int, parents: tuple[int, ...]) -> float:  # per row, of the true distribution
        key = (x, tuple(sorted(parents)))
        if key not in known:
            vs = [names[x], *(names[q] for q in key[1])]
            P = ve.query(vs, joint=True, show_progress=False)
            joint = np.transpose(P.values, [P.variables.index(v) for v in vs]).reshape(card[vs[0]], -1)
            with np.errstate(divide="ignore", invalid="ignore"):
                known[key] = float(np.sum(np.where(joint > 0, joint * np.log(joint / joint.sum(axis=0, keepdims=True)),
                                                   0.0)))
        return known[key]

    def exact(x: int, parents: tuple[int, ...]) -> float:
        return N * loglik(x, parents) - 0.5 * math.log(N) * (card[names[x]] - 1) * math.prod(
            card[names[q]] for q in parents)

    # the arrows whose child's likelihood, given its other true parents, does not change without them
    found = set()
    for a, b in T.edges:
        pa = tuple(idx[p] for p in T.predecessors(b))
        if loglik(idx[b], pa) - loglik(idx[b], tuple(p for p in pa if p != idx[a])) < 1e-12:
            found.add((a, b))
    assert found == uncarried
    truth = {(idx[a], idx[b]) for a, b in T.edges}
    U = T.to_undirected()
    cand = {tuple(sorted(e)) for e in truth} | {tuple(sorted((idx[a], idx[c]))) for a, b in T.edges
                                                for c in U.neighbors(b) if c != a}
    start = sorted(truth)[1::4] + sorted(truth)[2::4] + sorted(truth)[3::4]
    c = hill_climb(exact, len(names), cand, start, prior={e: math.log(0.9 / 0.1) for e in truth})
    carried = set(T.edges) - uncarried
    assert {frozenset(e) for e in c.arrows} == {frozenset((idx[a], idx[b])) for a, b in carried}
    named = {(names[a], names[b]) for a, b in c.arrows}
    assert _vstructures(named) == _vstructures(carried)
