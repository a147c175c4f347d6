"""The native engine reproduces causal-learn's pc(stable=True) exactly: tests, p-values, sepsets, orientations."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from causallearn.search.ConstraintBased.PC import pc

from causalllm.data import bundled
from causalllm.discovery.citests import ConditionalGaussian, DegenerateGaussian, DiscreteTest, FisherZ, check_correlation
from causalllm.discovery.encode import embed
from causalllm.discovery.orient import orient
from causalllm.discovery.pc import PCDiscovery
from causalllm.discovery.search import pc_stable
from causalllm.errors import DataError


def _reference(X: np.ndarray, test: str, alpha: float):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pc(X, alpha, test, True, 0, 2, show_progress=False)


def _native(X: np.ndarray, test: str, alpha: float):
    if test == "fisherz":
        T = FisherZ(np.corrcoef(X.T), X.shape[0])
    else:
        codes = np.column_stack([np.unique(X[:, j], return_inverse=True)[1] for j in range(X.shape[1])])
        T = DiscreteTest(codes, gsq=test == "gsq")
    return pc_stable(T, alpha)


def assert_identical(X: np.ndarray, test: str, alpha: float = 0.05) -> int:
    """Same endpoint matrix, same tests, p-values to 1e-9 relative, same separating sets; returns #tests."""
    cg = _reference(X, test, alpha)
    run = _native(X, test, alpha)
    assert np.array_equal(np.asarray(cg.G.graph), run.graph)
    ref = {}
    for key, p in cg.test.pvalue_cache.items():
        xy, _, cond = key.partition("|")
        if ";" in xy:
            i, j = map(int, xy.split(";"))
            ref[(i, j, tuple(map(int, cond.split("."))) if cond else ())] = p
    ours = {(i, j, S): p for (i, j), lst in run.log.by_pair().items() for S, p in lst}
    assert set(ref) == set(ours)
    for k, p in ref.items():
        assert ours[k] == pytest.approx(p, rel=1e-9, abs=1e-300), k
    n = X.shape[1]
    for i in range(n):
        for j in range(i + 1, n):
            if cg.sepset[i, j] is not None and cg.G.graph[i, j] == 0:
                union = {int(k) for S in cg.sepset[i, j] for k in S}
                assert set(run.sepsets[(i, j)]) == union, (i, j)
    return len(ours)


def _bundled_matrix(name: str, test: str) -> np.ndarray:
    df = pd.read_csv(bundled.get(name).data_path, keep_default_na=False)
    if test == "fisherz":
        return df.to_numpy(float)
    return np.column_stack([pd.Categorical(df[c].astype(str)).codes for c in df.columns]).astype(float)


@pytest.mark.parametrize(("name", "test"), [("sachs", "fisherz"), ("asia", "gsq"), ("asia", "chisq"), ("cancer", "gsq"),
                                       ("earthquake", "chisq"), ("survey", "gsq"),
                                       pytest.param("child", "gsq", marks=pytest.mark.slow),
                                       pytest.param("alarm", "gsq", marks=pytest.mark.slow),
                                       pytest.param("alarm", "chisq", marks=pytest.mark.slow)])
def test_identical_on_every_bundled_dataset(name, test):
    assert assert_identical(_bundled_matrix(name, test), test) > 10


def gaussian_graph(p: int, n: int, seed: int, degree: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    order = rng.permutation(p)
    W = np.zeros((p, p))
    for a in range(p):
        for b in range(a + 1, p):
            if rng.random() < degree / (p - 1):
                W[order[a], order[b]] = rng.uniform(0.2, 1.0) * rng.choice([-1, 1])
    X = np.zeros((n, p))
    for j in order:
        X[:, j] = X @ W[:, j] + rng.normal(size=n)
    return X


def discrete_graph(p: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cards = rng.integers(2, 4, size=p)
    X = np.zeros((n, p), dtype=int)
    for j in range(p):
        parents = [k for k in range(j) if rng.random() < 2.5 / max(j, 1)][:3]
        logits = rng.normal(size=(n, cards[j]))
        for k in parents:
            logits += rng.normal(scale=1.5, size=(cards[k], cards[j]))[X[:, k]]
        u = rng.random(n)[:, None]
        probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        X[:, j] = (u > probs.cumsum(1)).sum(1)
    return X[:, rng.permutation(p)].astype(float)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20))
def test_identical_on_random_gaussian_graphs(seed):
    p = 10 + (seed % 6) * 10  # 10, 20, ..., 60 variables
    assert_identical(gaussian_graph(p, 600, seed), "fisherz", alpha=[0.01, 0.05, 0.1][seed % 3])


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20))
def test_identical_on_random_discrete_graphs(seed):
    p = 10 + (seed % 4) * 10  # 10, 20, 30, 40 variables, 2-3 categories each
    assert_identical(discrete_graph(p, 600, seed), ["gsq", "chisq"][seed % 2], alpha=[0.01, 0.05][seed % 2])


def test_estimator_engines_agree_and_evidence_is_native():
    from causalllm.data import load_dataset

    for name in ("sachs", "asia"):
        ds = load_dataset(name)
        # causal-learn's rule for zero-df tests (p = 1): the determinism guard off
        a = PCDiscovery(engine="native", determinism=False, min_rows_per_stratum=0).fit(ds)
        b = PCDiscovery(engine="causal-learn").fit(ds)
        assert (a.engine_, b.engine_) == ("native", "causal-learn")
        assert not hasattr(a, "cg_")
        assert sorted(a.graph_.edges(data="mark")) == sorted(b.graph_.edges(data="mark"))
        assert a.sepsets_ == b.sepsets_
        assert a.n_tests_ == b.n_tests_
        for key, ev in a.evidence_.items():
            other = b.evidence_[key]
            assert (ev.cond_set, ev.adjacent, ev.n_tests) == (other.cond_set, other.adjacent, other.n_tests)
            assert ev.p_value == pytest.approx(other.p_value, rel=1e-9, abs=1e-300)
        x, y = ds.columns[:2]
        assert a.ci_test(x, y, ds.columns[2:4]) == pytest.approx(b.ci_test(x, y, ds.columns[2:4]), rel=1e-9)


def test_collider_and_chain_orientation():
    adj = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool)
    assert orient(adj, {(0, 2): ()}).tolist() == [[0, -1, 0], [1, 0, 1], [0, -1, 0]]
    assert orient(adj, {(0, 2): (1,)}).tolist() == [[0, -1, 0], [-1, 0, -1], [0, -1, 0]]


def test_degenerate_gaussian_is_the_regression_likelihood_ratio():
    """Checked against the definition computed another way: residual covariances of least squares."""
    rng = np.random.default_rng(4)
    n = 3000
    z = rng.normal(size=n)
    g = rng.integers(0, 3, size=n)
    x = 0.5 * z + 0.4 * (g == 1) + rng.normal(size=n)
    h = (x + rng.normal(size=n) > 0).astype(int) + (z > 1)  # three levels, depends on x and z
    X = np.column_stack([x, g, z, h]).astype(float)
    discrete = np.array([False, True, False, True])
    E, blocks, _ = embed(X, discrete, ["x", "g", "z", "h"])
    T = DegenerateGaussian(np.corrcoef(E.T), blocks, n)

    def lr(a, b, S):
        def resid_logdet(target, given):
            Y = E[:, target]
            Z = np.column_stack([np.ones(n), E[:, given]]) if len(given) else np.ones((n, 1))
            R = Y - Z @ np.linalg.lstsq(Z, Y, rcond=None)[0]
            return np.linalg.slogdet(np.atleast_2d(R.T @ R / n))[1]
        bs = np.concatenate([blocks[s] for s in S]) if S else np.zeros(0, int)
        return n * (resid_logdet(blocks[a], bs) - resid_logdet(blocks[a], np.concatenate([blocks[b], bs])))

    from scipy.stats import chi2

    for a, b, S in [(0, 2, ()), (0, 1, (2,)), (1, 3, (0, 2)), (0, 3, (2,))]:
        df = len(blocks[a]) * len(blocks[b])
        want = chi2.sf(lr(a, b, S), df)
        got = T.pvalues(np.array([a]), np.array([b]), np.array([S], dtype=np.int64).reshape(1, len(S)))[0]
        assert got == pytest.approx(want, rel=1e-6, abs=1e-12), (a, b, S)
    # two continuous columns: the likelihood-ratio twin of Fisher's z, -n log(1 - r^2)
    r = np.corrcoef(x, z)[0, 1]
    p = T.pvalues(np.array([0]), np.array([2]), np.zeros((1, 0), np.int64))[0]
    assert p == pytest.approx(chi2.sf(-n * np.log(1 - r * r), 1), rel=1e-9)


def test_degenerate_data_is_a_one_line_error():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    names = ["a", "b", "total", "copy"]
    X = np.column_stack([a, b, a + b, a])
    with pytest.raises(DataError, match="'a' and 'copy' are perfectly correlated"):
        check_correlation(np.corrcoef(X.T), 50, names)
    with pytest.raises(DataError, match=r"a, b, total are exactly collinear|total, a, b are exactly collinear|"
                                        r"exactly collinear"):
        check_correlation(np.corrcoef(X[:, :3].T), 50, names[:3])
    with pytest.raises(DataError, match="3 rows for 4 columns"):
        check_correlation(np.corrcoef(X[:3].T), 3, names)
    for test in ("fisherz", "gsq", "dg"):
        with pytest.raises(DataError, match="more rows than columns"):
            PCDiscovery(test=test).fit(pd.DataFrame(X[:3], columns=names))


def test_conditional_gaussian_special_cases_and_definition():
    """G² on discrete columns, -n log(1 - r²) on continuous ones, and the published likelihood in between."""
    from scipy.stats import chi2

    rng = np.random.default_rng(5)
    n = 4000
    d1 = rng.integers(0, 3, size=n)
    d2 = (d1 + rng.integers(0, 2, size=n)) % 3
    c1 = 0.8 * (d1 == 2) + (1 + 0.5 * (d1 == 1)) * rng.normal(size=n)
    c2 = 0.5 * c1 + rng.normal(size=n)
    X = np.column_stack([d1, d2, c1, c2]).astype(float)
    disc = np.array([True, True, False, False])
    T = ConditionalGaussian(X, disc)

    def p(a, b, S=()):
        return T.pvalues(np.array([a]), np.array([b]), np.array([S], dtype=np.int64).reshape(1, len(S)))[0]

    g = DiscreteTest(X[:, :2].astype(int), gsq=True)
    assert p(0, 1) == pytest.approx(g.pvalues(np.array([0]), np.array([1]), np.zeros((1, 0), np.int64))[0], rel=1e-9)
    r = np.corrcoef(c1, c2)[0, 1]
    assert p(2, 3) == pytest.approx(chi2.sf(-n * np.log(1 - r * r), 1), rel=1e-9)

    # d1 against c1, straight from the definition: cells of d1, covariances shrunk by one pseudo-row
    z = (c1 - c1.mean()) / c1.std()
    def loglik(cells):
        ll = 0.0
        for c in np.unique(cells):
            zc = z[cells == c]
            m = len(zc)
            s2 = zc.var()
            v = (m * s2 + 1.0) / (m + 1)
            ll += m * np.log(m / n) - m / 2 * (np.log(v) + np.log(2 * np.pi) + s2 / v)
        return ll
    stat = 2 * (loglik(d1) - loglik(np.zeros(n, int)) - sum(m * np.log(m / n) for m in np.bincount(d1)))
    df = 3 * (1 * 4 // 2 + 1) - 1 - (1 * 4 // 2 + 1 - 1) - (3 - 1)
    assert p(0, 2) == pytest.approx(chi2.sf(stat, df), rel=1e-9)
    assert p(1, 2, (0,)) > 0.01  # d2 depends on c1 only through d1


def test_conditional_gaussian_batches_equal_single_tests(monkeypatch):
    """A batch's sets are fitted stacked, in passes bounded by ``_STACK``: every p-value is the one the test
    gets alone, in a fresh test object, whatever the bound."""
    from causalllm.discovery import citests

    rng = np.random.default_rng(3)
    n = 1500
    d = rng.integers(0, 3, size=(n, 3))
    c = rng.normal(size=(n, 3)) + d[:, :1]
    X = np.column_stack([d, c, c[:, 0] + rng.normal(size=n)]).astype(float)
    disc = np.array([True] * 3 + [False] * 4)
    x, y, S = [], [], []
    for _ in range(120):
        v = rng.permutation(7)[:4]
        x.append(v[0]); y.append(v[1]); S.append(v[2:])
    x, y, S = np.array(x), np.array(y), np.array(S, dtype=np.int64)
    alone = [ConditionalGaussian(X, disc).pvalues(x[i:i + 1], y[i:i + 1], S[i:i + 1])[0] for i in range(len(x))]
    for bound in (1, 50, 1 << 21):
        monkeypatch.setattr(citests, "_STACK", bound)
        assert ConditionalGaussian(X, disc).pvalues(x, y, S) == pytest.approx(alone, rel=1e-9, abs=1e-12)


def test_determinism_guard_keeps_edges_of_a_deterministic_node(monkeypatch):
    """Asia's `either` is tub OR lung: given {tub, lung} it is constant, so every test of either
    with its children has zero degrees of freedom. causal-learn reads that as p = 1 and removes
    either -> xray and either -> dysp; the guard does not let such a test separate a pair, and names the
    pairs it kept that way (the same with the compiled kernel and without)."""
    from causalllm.data import load_dataset
    from causalllm.discovery import citests
    from causalllm.graph import pair_key, read_graph
    from causalllm.graph.metrics import compare

    ds = load_dataset("asia")
    T = read_graph("datasets/asia/truth.csv")
    plain, guarded = PCDiscovery(determinism=False).fit(ds), PCDiscovery().fit(ds)
    assert plain.n_determined_ > 0
    assert guarded.n_determined_ > 0
    for child in ("xray", "dysp"):
        assert not plain.graph_.has_edge("either", child)
        assert guarded.graph_.edges["either", child]["mark"] == "-->"
    assert compare(guarded.graph_, T)["shd"] < compare(plain.graph_, T)["shd"]
    kept = {k for k in guarded.determined_pairs_ if guarded.evidence_[k].adjacent}
    assert {pair_key("either", "xray"), pair_key("either", "dysp")} <= kept
    for work in (0, 10**15):  # the kernel for every batch, then never
        monkeypatch.setattr(citests, "_KERNEL_MIN_WORK", work)
        assert PCDiscovery().fit(ds).determined_pairs_ == guarded.determined_pairs_
    # on data without determinism the guard changes nothing: causal-learn's output exactly
    child = load_dataset("child")
    a, b = PCDiscovery().fit(child), PCDiscovery(engine="causal-learn").fit(child)
    assert a.n_determined_ == 0
    assert not a.determined_pairs_
    assert sorted(a.graph_.edges(data="mark")) == sorted(b.graph_.edges(data="mark"))


def test_reliability_rule_never_separates_on_a_table_too_sparse():
    """x and y independent given z (120 categories), 1 000 rows: about 8 rows per stratum of z, fewer than 10,
    so x ⫫ y | z is not run, the pair stays adjacent and the count says so; with the rule off (causal-learn's
    way) the test runs."""
    rng = np.random.default_rng(0)
    z = rng.integers(0, 120, 1000)
    x = (z + rng.integers(0, 2, 1000)) % 3
    y = (z + rng.integers(0, 2, 1000)) % 3
    df = pd.DataFrame({"x": x.astype(str), "y": y.astype(str), "z": [f"z{v}" for v in z]})
    ruled, plain = PCDiscovery().fit(df), PCDiscovery(min_rows_per_stratum=0).fit(df)
    assert ruled.test_ == "gsq"
    assert ruled.n_unreliable_ > 0
    assert ruled.engine_info()["n_unreliable"] == ruled.n_unreliable_
    assert ruled.graph_.has_edge("x", "y") or ruled.graph_.has_edge("y", "x")
    # a test the rule did not run is in no log: x-y was only tested marginally
    assert [S for S, _ in ruled.tests_[frozenset("xy")]] == [()]
    assert [S for S, _ in plain.tests_[frozenset("xy")]] == [(), ("z",)]
    assert plain.n_unreliable_ == 0
    assert PCDiscovery(engine="causal-learn").fit(df).engine_info()["min_rows_per_stratum"] is None


@pytest.mark.parametrize("seed", range(4))
def test_skipping_whole_neighbourhoods_changes_nothing_but_the_work(seed):
    """The search does not list the tests of a neighbourhood the rule would not run at all (``hopeless``);
    the same search listing them and dropping each one gives the same graph, separating sets and log."""
    rng = np.random.default_rng(seed)
    p, n = 9, 400
    cards = rng.integers(2, 6, size=p)
    X = np.zeros((n, p), dtype=int)
    for j in range(p):
        logits = rng.normal(size=(n, cards[j]))
        for k in range(j):
            if rng.random() < 0.4:
                logits += rng.normal(scale=1.5, size=(cards[k], cards[j]))[X[:, k]]
        X[:, j] = (rng.random(n)[:, None] > (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).cumsum(1)).sum(1)

    class Listing(DiscreteTest):
        hopeless = None  # type: ignore[assignment]

    fast, slow = DiscreteTest(X, min_rows_per_stratum=40), Listing(X, min_rows_per_stratum=40)
    a, b = pc_stable(fast, 0.05), pc_stable(slow, 0.05)
    assert np.array_equal(a.graph, b.graph)
    assert a.sepsets == b.sepsets
    assert a.log.by_pair() == b.log.by_pair()
    assert fast.unreliable >= slow.unreliable > 0


@pytest.mark.parametrize(("name", "test"), [("asia", "gsq"), ("sachs", "fisherz"), ("child", "gsq")])
def test_batches_of_any_size_give_the_same_search(name, test):
    """The tests of a depth run in batches (memory flat in their number): batches of 7 tests, of one and of
    all give the same skeleton, separating sets and tests in the same order."""
    from causalllm.discovery.search import skeleton

    X = _bundled_matrix(name, test)
    make = (lambda: FisherZ(np.corrcoef(X.T), X.shape[0])) if test == "fisherz" else (
        lambda: DiscreteTest(np.column_stack([np.unique(X[:, j], return_inverse=True)[1] for j in range(X.shape[1])])))
    runs = [skeleton(make(), 0.05, chunk=c) for c in (7, 1, 1 << 30)]
    ref = runs[0][2].by_pair()
    for adj, sep, log, depth in runs[1:]:
        assert np.array_equal(adj, runs[0][0])
        assert sep == runs[0][1]
        assert depth == runs[0][3]
        # small batches count on numpy, big ones on the compiled kernel: p-values equal to rounding
        got = log.by_pair()
        assert {k: [S for S, _ in v] for k, v in got.items()} == {k: [S for S, _ in v] for k, v in ref.items()}
        assert [p for v in got.values() for _, p in v] == pytest.approx([p for v in ref.values() for _, p in v],
                                                                         rel=1e-9, abs=1e-300)
    assert len(runs[0][2].depths) > len(runs[2][2].depths)  # it did run in batches
