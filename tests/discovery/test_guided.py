"""PC-Guess (the guided policy): the guess orders PC's tests and never overrules one.

Checked three ways: with a d-separation oracle for a test, every guess — perfect, empty, random,
reversed, adversarial — gives the true skeleton and PC-stable's CPDAG (the Guess2Graph guarantee);
on sampled data every removal is a logged test with p > alpha and every kept pair's tests all
reject; and through the pipeline, pairs it keeps or separates differently from PC-stable get their
own status with both tests as evidence.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from fakes import FakeChatModel

from causalllm.config import RunConfig
from causalllm.data import load_dataset
from causalllm.discovery.pc import PCDiscovery
from causalllm.discovery.search import guess_order, guided_skeleton, pc_guess, pc_stable
from causalllm.expert.asker import LLMPriors
from causalllm.graph import pair_key, read_graph
from causalllm.merge import merge
from causalllm.pipeline import combine


class DSeparation:
    """A CI test that is always right: p = 1 when the truth d-separates, else 0."""

    def __init__(self, T: nx.DiGraph, names: list[str]) -> None:
        self.T, self.names, self.n_vars, self.n = T, names, len(names), 10 ** 6
        self.calls = 0
        self._sep = getattr(nx, "is_d_separator", None) or nx.d_separated

    def pvalues(self, x: np.ndarray, y: np.ndarray, S: np.ndarray) -> np.ndarray:
        self.calls += len(x)
        n = self.names
        return np.array([1.0 if self._sep(self.T, {n[a]}, {n[b]}, {n[k] for k in s}) else 0.0
                         for a, b, s in zip(x.tolist(), y.tolist(), S.tolist())])


@pytest.fixture(scope="module")
def alarm():
    T = read_graph("datasets/alarm/truth.csv")
    D = nx.DiGraph(list(T.edges))
    names = sorted(D.nodes)
    idx = {n: i for i, n in enumerate(names)}
    true = np.zeros((len(names), len(names)), dtype=bool)
    for u, v in D.edges:
        true[idx[u], idx[v]] = True
    return D, names, true


def _guesses(true: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    rand = rng.random(true.shape) < 0.1
    np.fill_diagonal(rand, False)
    skel = true | true.T
    adversarial = np.triu(~skel, 1)  # every true edge guessed absent, every absent pair guessed an edge
    return {"perfect": true, "empty": np.zeros_like(true), "random": rand, "reversed": true.T.copy(),
            "adversarial": adversarial}


def test_any_guess_gives_the_true_skeleton_with_a_perfect_test(alarm):
    D, names, true = alarm
    reference = pc_stable(DSeparation(D, names), 0.05)
    calls = {}
    for name, guess in _guesses(true).items():
        oracle = DSeparation(D, names)
        run = pc_guess(oracle, 0.05, guess)
        assert ((run.graph != 0) == (true | true.T)).all(), name
        assert (run.graph == reference.graph).all(), name  # the same CPDAG as PC-stable's
        calls[name] = oracle.calls
    # a good guess removes non-edges early: fewer tests than a wrong one (what helps in finite samples)
    assert calls["perfect"] < calls["empty"] < calls["adversarial"]


def test_guessed_order_is_topological_and_total():
    G = np.zeros((4, 4), dtype=bool)
    G[2, 0] = G[0, 3] = G[3, 1] = True
    pos = guess_order(G)
    assert sorted(pos.tolist()) == [0, 1, 2, 3]
    assert pos[2] < pos[0] < pos[3] < pos[1]
    G[1, 2] = True  # a cycle: still one order, every node placed once
    assert sorted(guess_order(G).tolist()) == [0, 1, 2, 3]


def test_every_removal_is_a_logged_test_above_alpha():
    ds = load_dataset("child")
    pc = PCDiscovery().fit(ds)
    names = pc.columns_
    T = read_graph("datasets/child/truth.csv")
    gpc = pc.with_guess([(u, v) for u, v in T.edges])
    assert gpc.guess_
    assert gpc.n_tests_ > 0
    for key, tests in gpc.tests_.items():
        a, b = sorted(key, key=names.index)
        adjacent = gpc.graph_.has_edge(a, b) or gpc.graph_.has_edge(b, a)
        if adjacent:
            assert all(p <= gpc.alpha for _, p in tests), key
        else:
            # the last test run on a removed pair is the one that separated it, and it is its sepset
            S, p = tests[-1]
            assert p > gpc.alpha
            assert tuple(S) == gpc.sepsets_[key]
    assert all(len([1 for _, p in t if p > gpc.alpha]) <= 1 for t in gpc.tests_.values())


def test_skeleton_log_matches_separations():
    from causalllm.discovery.citests import DiscreteTest

    ds = load_dataset("asia")
    codes = np.column_stack([np.unique(ds.frame[c], return_inverse=True)[1] for c in ds.columns])
    adj, sepsets, log, depth = guided_skeleton(DiscreteTest(codes), 0.05, np.zeros((8, 8), dtype=bool))
    assert depth >= 1
    assert log.n_tests > 0
    for (i, j), S in sepsets.items():
        assert not adj[i, j]
        assert i < j
        assert list(S) == sorted(S)


def test_guided_policy_statuses_and_evidence():
    """Insurance sampled at 1 000 rows, where PC-stable misses true edges: PC-Guess with a perfect
    expert keeps two of them (measured: both true), through the whole combine step."""
    from causalllm.bench.evaluate import _resolve
    from causalllm.bench.networks import network_sample

    full, T = _resolve("insurance", from_network=True)
    ds = full.with_frame(network_sample("insurance", 1000, 0, full.columns))
    pc = PCDiscovery().fit(ds)
    model = FakeChatModel(truth=nx.DiGraph(list(T.edges)), profile="perfect")
    asker = LLMPriors(model, strategy="all", confounders="none").fit(ds, pc)
    r = combine(ds, pc, asker.answers(), RunConfig(data=ds, merge="guided", fci=False, falsify=False))
    guided = [row for row in r.rows if row["status"] == "guided"]
    assert guided, "expected PC-Guess to keep an adjacency PC-stable removed"
    truth_pairs = {pair_key(u, v) for u, v in T.edges}
    assert all(pair_key(row["source"], row["target"]) in truth_pairs for row in guided)
    for row in guided:
        assert row["in_graph"]
        assert row["pc"] == "none"
        assert "PC-stable removed it given" in row["decision"]
        assert "none of its" in row["decision"]
    for row in (x for x in r.rows if x["status"] == "separated"):
        assert not row["in_graph"]
        assert "separated it given" in row["decision"]
    info = r.merge_info.guided
    assert info["added"] == len(guided)
    assert info["tests"] > 0
    assert r.manifest["merge"]["guided"]["added"] == len(guided)
    # the graph's adjacencies are PC-Guess's, every one
    gpc = pc.with_guess(sorted(d for d in (p.directed() for p in asker.pairs_.values() if p.order_consistent) if d))
    assert {pair_key(u, v) for u, v in r.graph.edges} == {pair_key(u, v) for u, v in gpc.graph_.edges}
    assert merge(pc, asker.pairs_, "guided").refit is not None


def test_guided_refuses_what_it_cannot_honour_before_any_work():
    from causalllm.config import RunConfig
    from causalllm.errors import ConfigError

    for extra in ({"engine": "causal-learn"}, {"test": "kci"}):
        with pytest.raises(ConfigError, match="--merge guided re-runs PC on the native engine"):
            RunConfig.from_options(data="asia", merge="guided", **extra)


def test_no_usable_guess_leaves_pc_stable_standing():
    ds = load_dataset("asia")
    pc = PCDiscovery().fit(ds)
    out = merge(pc, {}, "guided")
    assert out.refit is None
    assert out.info.guided["guessed_edges"] == 0
    assert sorted(out.graph.edges(data="mark")) == sorted(merge(pc, {}, "auto").graph.edges(data="mark"))


def test_the_same_guess_is_searched_once():
    """evaluate scores several experts on one PC fit: the ones that guess the same edges share one PC-Guess fit."""
    pc = PCDiscovery().fit(load_dataset("asia"))
    guess = [("smoke", "lung"), ("lung", "either"), ("tub", "either")]
    first = pc.with_guess(guess)
    assert pc.with_guess(list(reversed(guess))) is first
    assert pc.with_guess(guess[:2]) is not first
