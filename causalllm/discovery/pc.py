"""The data side: the PC algorithm with the right CI test, and its evidence.

:class:`PCDiscovery` is a scikit-learn style estimator. By default it runs the native engine
(:mod:`causalllm.discovery.search`: PC-stable on sufficient statistics, batched tests, the same
output as causal-learn); ``engine="causal-learn"`` runs causal-learn's ``pc`` as the reference
(:mod:`causalllm.discovery.reference`, the only module importing causal-learn). Both engines
produce causal-learn's endpoint matrix, read by :func:`~causalllm.discovery.orient.endpoints_to_networkx`;
everything downstream sees the one-arc-per-pair representation of :mod:`causalllm.graph`.

CI test choice (``test="auto"``)
--------------------------------
* all continuous → Fisher-z (``fisherz``);
* all discrete → G² (``gsq``), on integer codes of the categories;
* mixed → the conditional-Gaussian likelihood-ratio test (``cg``; Andrews, Ramsey & Cooper
  2018) on the raw values. ``dg`` is the degenerate-Gaussian test (Andrews, Ramsey & Cooper
  2019); ``gsq``/``chisq`` on mixed data cut the continuous columns into ``bins`` quantile bins,
  with a warning (the former default; README, "Mixed data", compares the three). ``kci`` is the
  slow kernel alternative (causal-learn).

Data no test can use — exactly collinear or duplicated columns under Fisher-z or the
degenerate-Gaussian test, fewer rows than columns — is a one-line
:class:`~causalllm.errors.DataError` naming the columns, before any test runs.

Evidence kept per pair
----------------------
Every test's conditioning set and p-value is recorded (natively by the engine; for the
reference engine, read from causal-learn's test cache), so for every pair we know all its
tests. For a **removed** edge: the largest p-value among the tests that separated it, with
that test's conditioning set (``sepsets_`` keeps causal-learn's own separating set, the one
used for collider orientation: the union of the sets that separated the pair at that depth).
For a **kept** edge: the largest p-value among the tests that failed to separate it — how
close it came to removal.
"""


from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..errors import ConfigError, DataError
from ..graph import pair_key
from . import reference
from .citests import (
    CITest,
    ConditionalGaussian,
    DegenerateGaussian,
    DiscreteTest,
    FisherZ,
    check_correlation,
)
from .encode import choose_test, embed, encode
from .orient import EdgeRules, endpoints_to_networkx, orient
from .registry import (
    CI_TESTS,
    DEFAULT_ALPHA,
    DEFAULT_BINS,
    DEFAULT_MIN_ROWS_PER_STRATUM,
    ENGINES,
    alpha_problem,
)
from .search import ENGINE_VERSION, PCRun, pc_guess, pc_stable

__all__ = ["PCDiscovery", "PairEvidence", "choose_test", "encode", "fci_graph"]

log = logging.getLogger("causalllm")


@dataclass(frozen=True)
class PairEvidence:
    """What the CI tests said about one pair.

    ``p_value`` is the largest p-value of the pair's tests; ``cond_set`` the conditioning set
    of that test; ``adjacent`` whether PC kept the edge; ``n_tests`` how many tests ran.
    """

    p_value: float
    cond_set: tuple[str, ...]
    adjacent: bool
    n_tests: int


class PCDiscovery:
    """The PC algorithm on a :class:`~causalllm.data.Dataset` (or DataFrame).

    Parameters
    ----------
    alpha : float
        Significance level of the CI tests, in (0, 1).
    test : {"auto", "fisherz", "chisq", "gsq", "cg", "dg", "kci"}
        CI test; ``auto`` chooses from the column types (see module docstring).
    engine : {"native", "causal-learn"}
        ``native`` (default): :mod:`causalllm.discovery.search`, PC-stable on sufficient statistics with
        batched tests, whose output equals causal-learn's. ``causal-learn``: causal-learn's
        ``pc``, the reference. KCI always runs on causal-learn; the degenerate-Gaussian and
        conditional-Gaussian tests only on the native engine. Background knowledge runs on
        both (one documented difference: :mod:`causalllm.discovery.orient`).
    stable : bool
        PC-stable skeleton (order-independent removals). The native engine is always stable.
    uc_rule, uc_priority : int
        causal-learn's collider rule and conflict priority (defaults as causal-learn; the
        native engine implements the defaults).
    bins : int
        Quantile bins for continuous columns under a discrete test.
    show_progress : bool
        causal-learn's progress bar on stderr.
    max_depth : int, optional
        Largest conditioning set tried (native engine); ``depth_limited_`` says whether it
        stopped the search.
    determinism : bool
        G²/χ² on the native engine: a test with zero degrees of freedom (the conditioning set
        determines one of the pair in this sample — a deterministic node given its parents) never
        separates a pair (:class:`causalllm.discovery.citests.DiscreteTest`). causal-learn counts it as
        p = 1; ``False`` reproduces that. ``n_determined_`` counts the tests it concerned and
        ``determined_pairs_`` holds their pairs: an adjacent one among them stands by the guard alone,
        where causal-learn would have removed it.
    min_rows_per_stratum : float
        G²/χ² on the native engine, the reliability rule: a test whose conditioning set has fewer
        than this many rows per stratum on average is not run and never separates the pair
        (:class:`causalllm.discovery.citests.DiscreteTest`). ``n_unreliable_`` counts them. 0 runs
        every test, as causal-learn does; ``engine="causal-learn"`` always does.
    required, forbidden : sequence of (str, str)
        Background knowledge: directed edges PC must orient so, or must not. A CI test may still
        remove a required edge (the merge lists it); a pair forbidden both ways is never adjacent.

    Attributes
    ----------
    graph_ : networkx.DiGraph
        The CPDAG, one arc per adjacent pair (``mark`` ``-->`` or ``---``), with ``p_value``.
    sepsets_ : dict
        ``frozenset({a, b})`` → the separating set of every pair a test removed (causal-learn's: the
        union of the sets that separated it at its depth), in column order.
    vetoed_ : list of (str, str)
        Pairs no test separated, removed because the knowledge forbids both directions (native
        engine; they have no separating set, so they make no collider).
    p_values_ : dict
        ``frozenset({a, b})`` → largest p-value among the pair's tests.
    evidence_ : dict
        ``frozenset({a, b})`` → :class:`PairEvidence`.
    n_tests_ : int
        Number of distinct CI tests run.
    tests_ : dict
        ``frozenset({a, b})`` → every ``(conditioning set, p-value)`` tested for the pair.
    test_ : str
        The CI test used.
    engine_ : str
        The engine that ran (``native`` or ``causal-learn``).
    depth_limited_ : bool
        ``max_depth`` stopped the adjacency search before it ran out of tests.
    n_determined_, determined_pairs_ : int, frozenset
        How many tests had zero degrees of freedom under the determinism guard, and their pairs
        (``frozenset({a, b})``); an adjacent one stands by the guard alone.
    data_ : numpy.ndarray or None
        The encoded matrix (for re-use by FCI); ``None`` when the test was built from a streamed
        table's statistics or codes (FCI and background knowledge then use that test).

    Examples
    --------
    >>> from causalllm.data import load_dataset
    >>> pc = PCDiscovery(alpha=0.01).fit(load_dataset("asia"))
    >>> pc.test_, pc.engine_, pc.graph_.number_of_nodes()
    ('gsq', 'native', 8)
    """

    _tests: dict[frozenset, list[tuple[tuple[str, ...], float]]] | None = None
    _pair_tests: dict[tuple[int, int], list[tuple[tuple[int, ...], float]]] | None = None
    _known: dict[tuple[int, int, tuple[int, ...]], float] | None = None
    _native: CITest | None = None
    _run: PCRun | None = None
    _guessed: dict[tuple, PCDiscovery] | None = None
    #: the guessed edges that ordered the tests (PC-Guess), or None for PC-stable
    guess_: list[tuple[str, str]] | None = None
    _index: dict[str, int]

    def __init__(
        self,
        alpha: float = DEFAULT_ALPHA,
        test: str = "auto",
        *,
        engine: str = "native",
        stable: bool = True,
        uc_rule: int = 0,
        uc_priority: int = 2,
        bins: int = DEFAULT_BINS,
        show_progress: bool = False,
        required: Sequence[tuple[str, str]] = (),
        forbidden: Sequence[tuple[str, str]] = (),
        max_depth: int | None = None,
        determinism: bool = True,
        min_rows_per_stratum: float = DEFAULT_MIN_ROWS_PER_STRATUM,
    ) -> None:
        self.determinism = determinism
        self.min_rows_per_stratum = min_rows_per_stratum
        self.alpha = alpha
        self.test = test
        self.engine = engine
        self.stable = stable
        self.uc_rule = uc_rule
        self.uc_priority = uc_priority
        self.bins = bins
        self.show_progress = show_progress
        self.required = required
        self.forbidden = forbidden
        self.max_depth = max_depth

    # ---------------------------------------------------------- evidence
    @property
    def tests_(self) -> dict[frozenset, list[tuple[tuple[str, ...], float]]]:
        """``frozenset({a, b})`` → every ``(conditioning set, p-value)`` PC tested for the pair."""
        if self._tests is None:
            names = self.columns_
            self._tests = {pair_key(names[i], names[j]): [(tuple(names[k] for k in S), p) for S, p in lst]
                           for (i, j), lst in self._by_pair().items()}
        return self._tests

    def _by_pair(self) -> dict[tuple[int, int], list[tuple[tuple[int, ...], float]]]:
        if self._pair_tests is None:
            assert self._run is not None
            self._pair_tests = self._run.log.by_pair()
        return self._pair_tests

    def separating_sets(self, a: str, b: str) -> list[tuple[str, ...]]:
        """Conditioning sets of the tests that separated ``a`` and ``b`` (p > alpha)."""
        i, j = sorted((self._index[a], self._index[b]))
        return [tuple(self.columns_[k] for k in S) for S, p in self._by_pair().get((i, j), []) if p > self.alpha]

    def ci_test(self, x: str, y: str, S: Sequence[str] = ()) -> float:
        """p-value of the fitted CI test for ``x`` independent of ``y`` given ``S``.

        Tests PC already ran are looked up in its record at no cost.
        """
        return float(self.ci_tests([(x, y, tuple(S))])[0])

    def ci_tests(self, tests: Sequence[tuple[str, str, Sequence[str]]]) -> np.ndarray:
        """p-values of many tests ``(x, y, S)`` at once: those PC already ran looked up in its record, the rest
        submitted to the engine in one batch per conditioning-set size (what the later checks use).

        Examples
        --------
        >>> from causalllm.data import load_dataset
        >>> pc = PCDiscovery().fit(load_dataset("asia"))
        >>> p = pc.ci_tests([("tub", "lung", ()), ("smoke", "dysp", ("lung", "bronc"))])
        >>> bool(p[1] > pc.alpha), bool(p[0] == pc.ci_test("tub", "lung"))
        (True, True)
        """
        idx = self._index
        if self._native is None:
            return np.array([float(self.cg_.test(idx[x], idx[y], [idx[s] for s in S])) for x, y, S in tests])
        if self._known is None:
            self._known = {(a, b, T): p for (a, b), lst in self._by_pair().items() for T, p in lst}
        keys: list[tuple[int, int, tuple[int, ...]]] = [
            (min(idx[x], idx[y]), max(idx[x], idx[y]), tuple(sorted(idx[s] for s in S))) for x, y, S in tests]
        todo: dict[int, list[tuple[int, int, tuple[int, ...]]]] = {}
        for k in dict.fromkeys(keys):
            if k not in self._known:
                todo.setdefault(len(k[2]), []).append(k)
        for d, batch in todo.items():
            arr = np.array([[i, j, *S] for i, j, S in batch], dtype=np.int64).reshape(len(batch), d + 2)
            for k, p in zip(batch, self._native.pvalues(arr[:, 0], arr[:, 1], arr[:, 2:]).tolist()):
                self._known[k] = p
        return np.array([self._known[k] for k in keys], dtype=float)

    def _validate(self) -> None:
        problem = alpha_problem(self.alpha)
        if problem:
            raise ConfigError(f"alpha {problem}")
        if self.bins < 2:
            raise ConfigError(f"bins must be at least 2, got {self.bins}")
        if self.engine not in ENGINES:
            raise ConfigError(f"unknown engine {self.engine!r}; use one of {', '.join(ENGINES)}")
        if self.max_depth is not None and self.engine == "causal-learn":
            raise ConfigError("--max-depth bounds the native engine; leave out --engine causal-learn")

    # ---------------------------------------------------------- fitting
    def _like(self, **changes: Any) -> PCDiscovery:
        """An unfitted estimator with this one's settings and fitted test (``changes`` override)."""
        settings = dict(alpha=self.alpha, test=self.test_, engine=self.engine, stable=self.stable,
                        uc_rule=self.uc_rule, uc_priority=self.uc_priority, bins=self.bins, required=self.required,
                        forbidden=self.forbidden, max_depth=self.max_depth, determinism=self.determinism,
                        min_rows_per_stratum=self.min_rows_per_stratum)
        return PCDiscovery(**{**settings, **changes})

    def with_guess(self, guess: Sequence[tuple[str, str]]) -> PCDiscovery:
        """A new fit on the same data, test and alpha with PC-Guess (:func:`causalllm.discovery.search.pc_guess`):
        the guessed directed edges order the CI tests; no test is skipped or overruled.

        Examples
        --------
        >>> from causalllm.data import load_dataset
        >>> pc = PCDiscovery().fit(load_dataset("asia"))
        >>> pc.with_guess([("smoke", "lung"), ("lung", "either")]).guess_
        [('smoke', 'lung'), ('lung', 'either')]
        """
        if self._native is None:
            raise ConfigError(f"--merge guided runs on the native engine; the {self.test_} test here runs on "
                              "causal-learn (use another --test, or leave out --engine causal-learn)")
        kept = [(a, b) for a, b in guess if a in self._index and b in self._index]
        key = tuple(sorted(kept))
        if self._guessed is None:
            self._guessed = {}
        if key not in self._guessed:  # the same guess (another expert, same answers) is not searched again
            other = self._like()
            other.guess_ = kept
            self._guessed[key] = other._fit_matrix(self.data_, self.columns_, self.test_, self.discrete_,
                                                   native=self._native)
        return self._guessed[key]

    def with_skeleton(self, adjacent: Sequence[tuple[str, str]], sepsets: Mapping[frozenset, Sequence[str]]
                      ) -> PCDiscovery:
        """A fit on the same tests with the skeleton given (the hybrid policy's re-search): PC's orientation
        (colliders from the separating sets, Meek's rules, the knowledge) on ``adjacent``, PC's separating sets
        for the pairs it removed and ``sepsets`` for pairs PC kept that the skeleton leaves out. No test is run.

        Examples
        --------
        >>> from causalllm.data import load_dataset
        >>> pc = PCDiscovery().fit(load_dataset("asia"))
        >>> kept = [(u, v) for u, v in pc.graph_.edges if {u, v} != {"lung", "either"}]
        >>> other = pc.with_skeleton(kept, {frozenset(("lung", "either")): ("smoke",)})
        >>> other.graph_.has_edge("lung", "either") or other.graph_.has_edge("either", "lung")
        False
        """
        if self._run is None:
            raise ConfigError("--merge hybrid re-reads the native engine's search; leave out --engine causal-learn")
        idx, names = self._index, self.columns_
        adj = np.zeros((len(names), len(names)), dtype=bool)
        for a, b in adjacent:
            adj[idx[a], idx[b]] = adj[idx[b], idx[a]] = True
        seps = {k: v for k, v in self._run.sepsets.items() if not adj[k]}
        for key, S in sepsets.items():
            i, j = sorted(idx[n] for n in key)
            if not adj[i, j]:
                seps[(i, j)] = tuple(sorted(idx[n] for n in S))
        rules = self._rules(names)
        other = self._like()
        for attr in ("_native", "n_tests_", "fit_time_", "n_determined_", "determined_pairs_", "n_unreliable_",
                     "depth_limited_", "test_", "engine_", "data_", "discrete_", "columns_", "_index"):
            setattr(other, attr, getattr(self, attr))
        other._run = PCRun(graph=orient(adj, seps, rules), sepsets=seps, log=self._run.log, depth=self._run.depth)
        other._tests = other._guessed = other._known = None
        other._pair_tests = None
        other._record_evidence(endpoints_to_networkx(other._run.graph, names), seps, self._run.log.summary())
        return other

    def with_knowledge(self, required: Sequence[tuple[str, str]], forbidden: Sequence[tuple[str, str]] = ()
                       ) -> PCDiscovery:
        """A new fit on the same data, test and alpha, with background knowledge."""
        other = self._like(required=required, forbidden=forbidden)
        other._validate()
        return other._fit_matrix(self.data_, self.columns_, self.test_, self.discrete_, native=self._native)

    def fit(self, data: Dataset | pd.DataFrame) -> PCDiscovery:
        """Run PC; sets the learned attributes and returns ``self``."""
        self._validate()
        ds = data if isinstance(data, Dataset) else Dataset.from_frame(data)
        test = choose_test(ds.kind, self.test)
        discrete = np.array([ds.types[c] == "discrete" for c in ds.columns])
        compact = self._compact_test(ds, test)
        if compact is not None:
            return self._fit_matrix(None, ds.columns, test, discrete, native=compact)
        if ds.kind != "discrete" and test in ("gsq", "chisq"):
            log.warning("%s data: continuous columns cut into %d quantile bins for the %s test (--test auto uses "
                        "the values: %s)", ds.kind, self.bins, "G^2" if test == "gsq" else "chi-square",
                        choose_test(ds.kind))
        elif ds.kind != "continuous" and test == "fisherz":
            log.warning("%s data under Fisher-z: category codes are treated as numbers, which assumes ordered, evenly "
                        "spaced categories (--test auto uses %s)", ds.kind, choose_test(ds.kind))
        X = encode(ds, test, self.bins)
        return self._fit_matrix(X, ds.columns, test, discrete)

    def _compact_test(self, ds: Dataset, test: str) -> CITest | None:
        """The test built straight from a streamed table's statistics or category codes, without
        the float matrix (``None`` for an in-memory table: it goes through :func:`encode`)."""
        names = ds.columns
        if ds.stats is not None:
            if test != "fisherz":
                raise ConfigError(f"the {test} test needs the data rows, but this table was streamed into its "
                                  "correlation matrix; use --test fisherz, or --stream never to load every row")
            stats = ds.stats.select(names)
            corr = stats.corr()
            check_correlation(corr, stats.n, names)
            return FisherZ(corr, stats.n)
        frame = ds.frame
        if (test in ("gsq", "chisq") and ds.kind == "discrete" and frame is not None
                and all(isinstance(frame[c].dtype, pd.CategoricalDtype) for c in names)):
            # built variable-major, as the test stores it, so the codes are not copied again
            top = max(len(frame[c].cat.categories) for c in names)
            cols = np.empty((len(names), len(frame)), dtype=np.uint8 if top <= 256 else np.uint16)
            for j, c in enumerate(names):
                cols[j] = frame[c].cat.codes.to_numpy()
            return DiscreteTest(cols.T, gsq=test == "gsq", determinism=self.determinism)
        return None

    def _engine_for(self, test: str) -> str:
        info = CI_TESTS[test]
        if not info.reference:
            if self.engine != "native":
                raise ConfigError(f"the mixed-data test {test} runs on the native engine; leave out "
                                  "--engine causal-learn or choose another --test")
            return "native"
        if not info.native or not self.stable or (self.uc_rule, self.uc_priority) != (0, 2):
            return "causal-learn"
        return self.engine

    def _native_test(self, X: np.ndarray, names: list[str], test: str, discrete: np.ndarray) -> CITest:
        n = X.shape[0]
        if test == "fisherz":
            corr = np.corrcoef(X.T)
            check_correlation(corr, n, names)
            return FisherZ(corr, n)
        if test in ("gsq", "chisq"):
            codes = np.column_stack([np.unique(X[:, j], return_inverse=True)[1].reshape(-1) for j in range(X.shape[1])])
            return DiscreteTest(codes, gsq=test == "gsq", determinism=self.determinism)
        if test == "cg":
            cont = [j for j in range(X.shape[1]) if not discrete[j]]
            if len(cont) > 1:
                check_correlation(np.corrcoef(X[:, cont].T), n, [names[j] for j in cont], "conditional-Gaussian")
            return ConditionalGaussian(X, discrete)
        E, blocks, labels = embed(X, discrete, names)
        if n <= E.shape[1]:
            raise DataError(f"{n} rows for {E.shape[1]} columns once the discrete columns are expanded into "
                            "indicators (degenerate-Gaussian test); add rows, or use --test gsq to bin instead")
        corr = np.corrcoef(E.T)
        check_correlation(corr, n, labels, "degenerate-Gaussian")
        return DegenerateGaussian(corr, blocks, n)

    def _rules(self, names: list[str]) -> EdgeRules | None:
        """The background knowledge by column index, for the native engine (None without any)."""
        if not self.required and not self.forbidden:
            return None
        idx = {c: i for i, c in enumerate(names)}
        unknown = sorted({n for e in (*self.required, *self.forbidden) for n in e} - set(idx))
        if unknown:
            raise ConfigError(f"background knowledge names unknown column(s): {', '.join(unknown)}")
        return EdgeRules.from_pairs(len(names), [(idx[a], idx[b]) for a, b in self.required],
                                    [(idx[a], idx[b]) for a, b in self.forbidden])

    def _knowledge(self, names: list[str]) -> Any:
        """causal-learn's BackgroundKnowledge for ``required``/``forbidden``, or None."""
        return reference.background_knowledge(names, self.required, self.forbidden)

    def _fit_matrix(self, X: np.ndarray | None, names: list[str], test: str, discrete: np.ndarray,
                    native: CITest | None = None) -> PCDiscovery:
        names = list(names)
        p = len(names)
        n = X.shape[0] if X is not None else native.n  # type: ignore[union-attr]
        if n <= p:
            raise DataError(f"{n} rows for {p} columns: PC needs more rows than columns; add rows or choose fewer "
                            "columns with --columns")
        engine = self._engine_for(test)
        t0 = time.perf_counter()
        self._native = None
        self._run = None
        if native is None and engine == "native":
            assert X is not None
            native = self._native_test(X, names, test, discrete)
        self._native = native
        if isinstance(native, DiscreteTest):  # the rule is the native engine's; causal-learn runs every test
            native.min_rows_per_stratum = self.min_rows_per_stratum if engine == "native" else 0.0
        determined_before = getattr(native, "determined", 0)
        if isinstance(native, DiscreteTest):
            native.determined_pairs = set()
        unreliable_before = getattr(native, "unreliable", 0)
        if engine == "native":
            assert native is not None
            M, sepsets, summary = self._native_search(native, names)
        else:
            M, sepsets, pair_tests = self._causallearn(X, names, test, native)
            self._pair_tests = pair_tests
            summary = {}
            for key, lst in pair_tests.items():
                cond, pmax = max(lst, key=lambda t: t[1])
                summary[key] = (pmax, cond, len(lst))
            self.n_tests_ = sum(len(v) for v in pair_tests.values())
        self.fit_time_ = time.perf_counter() - t0
        self.n_determined_ = getattr(native, "determined", 0) - determined_before
        self.determined_pairs_ = frozenset(pair_key(names[i], names[j])
                                           for i, j in getattr(native, "determined_pairs", ()))
        self.n_unreliable_ = getattr(native, "unreliable", 0) - unreliable_before
        self.depth_limited_ = bool(self.max_depth is not None and self._run is not None
                                   and self._run.depth > self.max_depth)
        if self.max_depth is not None and engine != "native":
            log.warning("causal-learn's PC (background knowledge, KCI) has no depth bound: --max-depth %d was not "
                        "applied to it", self.max_depth)
        self._tests = None
        self._guessed = None
        self._known = None
        self.test_ = test
        self.engine_ = engine
        self.data_ = X
        self.discrete_ = discrete
        self.columns_: list[str] = names
        self._index = {c: i for i, c in enumerate(names)}
        self._record_evidence(endpoints_to_networkx(M, names), sepsets, summary)
        return self

    def _native_search(self, native: CITest, names: list[str]) -> tuple[np.ndarray, dict, dict]:
        """PC-stable (or PC-Guess, with a guess) on the native engine: endpoints, sepsets, the test summary."""
        p = len(names)
        if self.guess_ is not None:
            G = np.zeros((p, p), dtype=bool)
            idx = {c: i for i, c in enumerate(names)}
            for a, b in self.guess_:
                G[idx[a], idx[b]] = True
            self._run = pc_guess(native, self.alpha, G, max_depth=self.max_depth, rules=self._rules(names))
        else:
            self._run = pc_stable(native, self.alpha, max_depth=self.max_depth, rules=self._rules(names))
        self.n_tests_ = self._run.n_tests
        self._pair_tests = None
        return self._run.graph, self._run.sepsets, self._run.log.summary()

    def _record_evidence(self, G: nx.DiGraph, sepsets: dict[tuple[int, int], tuple[int, ...]],
                         summary: dict[tuple[int, int], tuple[float, tuple[int, ...], int]]) -> None:
        """``graph_``, ``evidence_``, ``p_values_`` and ``sepsets_`` from a run's graph and test summary."""
        names = self.columns_
        self.evidence_: dict[frozenset, PairEvidence] = {}
        self.p_values_: dict[frozenset, float] = {}
        self.sepsets_: dict[frozenset, tuple[str, ...]] = {}
        self.vetoed_: list[tuple[str, str]] = []
        for (i, j), (pmax, cond, count) in summary.items():
            a, b = names[i], names[j]
            key = pair_key(a, b)
            adjacent = G.has_edge(a, b) or G.has_edge(b, a)
            S = tuple(names[k] for k in cond)
            self.evidence_[key] = PairEvidence(p_value=pmax, cond_set=S, adjacent=adjacent, n_tests=count)
            self.p_values_[key] = pmax
            if not adjacent:
                sep = sepsets.get((i, j))
                if sep is None and self.engine_ == "native":
                    self.vetoed_.append((a, b))  # removed by the knowledge, not separated by a test
                    continue
                self.sepsets_[key] = tuple(names[k] for k in sep) if sep is not None else S
        for u, v, d in G.edges(data=True):
            ev = self.evidence_.get(pair_key(u, v))
            d["p_value"] = ev.p_value if ev else None
        self.graph_ = G

    def _causallearn(self, X: np.ndarray | None, names: list[str], test: str, native: CITest | None = None
                     ) -> tuple[np.ndarray, dict[tuple[int, int], tuple[int, ...]], dict]:
        """causal-learn's ``pc``: the reference engine (and KCI, and background knowledge)."""
        M, sepsets, tests, self.cg_ = reference.run_pc(
            X, names, test, self.alpha, stable=self.stable, uc_rule=self.uc_rule, uc_priority=self.uc_priority,
            show_progress=self.show_progress, knowledge=self._knowledge(names), native=native)
        return M, sepsets, tests

    def _rule_applies(self) -> bool:
        """Whether the G²/χ² reliability rule ran (the native engine's discrete tests)."""
        return self.engine_ == "native" and self.test_ in ("gsq", "chisq")

    def engine_info(self) -> dict[str, Any]:
        """The engine that ran PC, its version and settings (for the manifest)."""
        info: dict[str, Any] = {"name": self.engine_, "test": self.test_, "alpha": self.alpha, "stable": True,
                                "orientation": "uc_sepset priority 2 + Meek (causal-learn's default)",
                                "n_tests": self.n_tests_, "fit_s": round(self.fit_time_, 4),
                                "max_depth": self.max_depth, "depth_limited": self.depth_limited_,
                                "determinism_guard": self.determinism, "n_determined": self.n_determined_,
                                "min_rows_per_stratum": self.min_rows_per_stratum if self._rule_applies() else None,
                                "n_unreliable": self.n_unreliable_}
        info["version"] = ENGINE_VERSION if self.engine_ == "native" else reference.version()
        return info


def fci_graph(pc: PCDiscovery) -> nx.DiGraph:
    """causal-learn's FCI on a fitted run's data, test and alpha: the PAG as a causalllm graph.

    After a native fit, FCI runs with the engine's own tests (through causal-learn's public
    registry of CI tests), so it also works for the degenerate-Gaussian test.
    """
    return reference.fci(pc.data_, pc.test_, pc.alpha, list(pc.columns_), native=pc._native,
                         knowledge=pc._knowledge(list(pc.columns_)))
