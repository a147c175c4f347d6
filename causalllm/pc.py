"""The data side: the PC algorithm (causal-learn) with the right CI test, and its evidence.

This is the only module that imports causal-learn. :class:`PCDiscovery` is a scikit-learn
style estimator around ``causallearn.search.ConstraintBased.PC.pc`` (``stable=True``,
``node_names`` always passed); background knowledge (required and forbidden edges), the CI
test of a fitted run (:meth:`PCDiscovery.ci_test`), FCI (:func:`fci_graph`) and Meek's rules
(:func:`meek_closure`) all go through here. :func:`causallearn_to_networkx` is the **only**
place that reads causal-learn's endpoint matrix; everything downstream sees the
one-arc-per-pair representation of :mod:`causalllm.graph`.

CI test choice (``test="auto"``)
--------------------------------
* all continuous → Fisher-z (``fisherz``);
* all discrete → G² (``gsq``), on integer codes of the categories;
* mixed → the continuous columns are cut into ``bins`` quantile bins and G² is used, with a
  warning (a kernel test, ``kci``, is the slow alternative).

Evidence kept per pair
----------------------
causal-learn caches every test it runs; after the fit we read that cache, so for every pair we
know all its tests. For a **removed** edge: the largest p-value among the tests that separated
it, with that test's conditioning set (``sepsets_`` keeps causal-learn's own separating set,
the one used for collider orientation; with ``stable=True`` it is the union of the sets that
separated the pair at that depth). For a **kept** edge: the largest p-value among the tests that
failed to separate it — how close it came to removal.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from .config import DEFAULT_ALPHA, DEFAULT_BINS, TESTS
from .data import Dataset
from .errors import ConfigError, DataError
from .graph import add_edge, make_graph, pair_key

__all__ = [
    "PairEvidence",
    "PCDiscovery",
    "causallearn_to_networkx",
    "choose_test",
    "encode",
    "make_ci_test",
    "to_causallearn",
    "meek_closure",
    "fci_graph",
]

log = logging.getLogger("causalllm")

_MARK_AT_SOURCE = {-1: "-", 1: "<", 2: "o"}
_MARK_AT_TARGET = {-1: "-", 1: ">", 2: "o"}


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


def choose_test(kind: str, test: str = "auto") -> str:
    """The CI test for data of ``kind`` (``continuous``, ``discrete``, ``mixed``).

    Examples
    --------
    >>> choose_test("continuous"), choose_test("discrete"), choose_test("mixed")
    ('fisherz', 'gsq', 'gsq')
    >>> choose_test("discrete", "chisq")
    'chisq'
    """
    if test not in TESTS:
        raise ConfigError(f"unknown CI test {test!r}; use one of {', '.join(TESTS)}")
    if test != "auto":
        return test
    return "fisherz" if kind == "continuous" else "gsq"


def encode(ds: Dataset, test: str, bins: int = DEFAULT_BINS) -> np.ndarray:
    """The numeric matrix causal-learn receives for ``ds`` under ``test``.

    Discrete columns become integer category codes (causal-learn's χ²/G² only need distinct
    values). For a discrete test, continuous columns are cut into ``bins`` quantile bins; for
    Fisher-z or KCI, discrete columns are used as their codes.
    """
    discrete_test = test in ("chisq", "gsq")
    if not discrete_test and all(t == "continuous" for t in ds.types.values()):
        return np.ascontiguousarray(ds.frame.to_numpy(dtype=float))
    cols = []
    for c in ds.columns:
        s = ds.frame[c]
        if ds.types[c] == "discrete":
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                cols.append(s.to_numpy(dtype=float))
            else:
                cols.append(pd.Categorical(s.astype(str)).codes.astype(float))
        elif discrete_test:
            cols.append(pd.qcut(s.rank(method="first"), q=bins, labels=False, duplicates="drop").to_numpy(dtype=float))
        else:
            cols.append(s.to_numpy(dtype=float))
    return np.ascontiguousarray(np.column_stack(cols), dtype=float)


def causallearn_to_networkx(G_cl: Any) -> nx.DiGraph:
    """Convert a causal-learn ``GeneralGraph`` (CPDAG or PAG) to the causalllm representation.

    causal-learn stores the endpoint mark at node ``i`` of edge ``i–j`` in ``graph[i, j]``:
    ``-1`` tail, ``1`` arrowhead, ``2`` circle, ``0`` no edge. Each adjacent pair becomes one
    arc with a ``mark`` (see :mod:`causalllm.graph`).

    Examples
    --------
    >>> import numpy as np
    >>> from causallearn.graph.GeneralGraph import GeneralGraph
    >>> from causallearn.graph.GraphNode import GraphNode
    >>> g = GeneralGraph([GraphNode("a"), GraphNode("b")])
    >>> g.graph = np.array([[0, -1], [1, 0]])  # a --> b
    >>> list(causallearn_to_networkx(g).edges(data="mark"))
    [('a', 'b', '-->')]
    """
    names = [n.get_name() for n in G_cl.get_nodes()]
    M = np.asarray(G_cl.graph)
    G = make_graph(names)
    n = len(names)
    for i in range(n):
        for j in range(i + 1, n):
            at_i, at_j = int(M[i, j]), int(M[j, i])
            if at_i == 0 and at_j == 0:
                continue
            if at_i not in _MARK_AT_SOURCE or at_j not in _MARK_AT_TARGET:
                raise ValueError(f"unexpected causal-learn endpoint pair ({at_i}, {at_j}) for {names[i]}, {names[j]}")
            add_edge(G, names[i], names[j], _MARK_AT_SOURCE[at_i] + "-" + _MARK_AT_TARGET[at_j])
    return G


def to_causallearn(G: nx.DiGraph, names: Sequence[str]) -> Any:
    """The inverse of :func:`causallearn_to_networkx` for CPDAG marks (``-->``, ``---``, ``<->``).

    Returns a causal-learn ``CausalGraph`` so its algorithms (Meek's rules) can run on our graphs.
    """
    from causallearn.graph.GraphClass import CausalGraph

    idx = {n: i for i, n in enumerate(names)}
    M = np.zeros((len(names), len(names)), dtype=int)
    ends = {"-->": (-1, 1), "---": (-1, -1), "<->": (1, 1)}
    for u, v, d in G.edges(data=True):
        at_u, at_v = ends[d.get("mark", "-->")]
        M[idx[u], idx[v]], M[idx[v], idx[u]] = at_u, at_v
    cg = CausalGraph(len(names), list(names))
    cg.G.graph = M
    cg.G.reconstitute_dpath(cg.G.get_graph_edges())
    return cg


def meek_closure(G: nx.DiGraph) -> nx.DiGraph:
    """Apply Meek's orientation rules (causal-learn's implementation) to a PDAG; returns a new graph.

    Examples
    --------
    >>> from causalllm.graph import make_graph, add_edge
    >>> G = make_graph("abc"); add_edge(G, "a", "b"); add_edge(G, "b", "c", "---")
    >>> sorted(meek_closure(G).edges(data="mark"))  # rule 1: a -> b --- c becomes b -> c
    [('a', 'b', '-->'), ('b', 'c', '-->')]
    """
    from causallearn.utils.PCUtils.Meek import meek

    names = list(G.nodes)
    H = causallearn_to_networkx(meek(to_causallearn(G, names)).G)
    for u, v, d in H.edges(data=True):
        old = G.edges[u, v] if G.has_edge(u, v) else G.edges[v, u]
        for k, val in old.items():
            if k not in ("mark", "directed"):
                d.setdefault(k, val)
    return H


def make_ci_test(data: np.ndarray, test: str) -> Callable[[int, int, Sequence[int]], float]:
    """A callable ``(i, j, S) -> p`` running causal-learn's ``test`` on ``data`` (cached)."""
    from causallearn.utils.cit import CIT

    cit = CIT(np.asarray(data, dtype=float), test)

    def ci(i: int, j: int, S: Sequence[int] = ()) -> float:
        return float(cit(int(i), int(j), [int(s) for s in S]))

    return ci


def _group_cache(cache: dict) -> dict[str, list[tuple[str, float]]]:
    """Group causal-learn's p-value cache (keys ``"i;j|s1.s2"``) by pair, without parsing yet.

    This runs once per test PC made (~10^5 at 100 variables), so it does the least possible work;
    names are resolved later, per pair.
    """
    groups: dict[str, list[tuple[str, float]]] = {}
    for key, p in cache.items():
        xy, _, cond = key.partition("|")
        lst = groups.get(xy)
        if lst is None:
            if ";" not in xy:
                continue  # 'data_hash', 'method_name', 'parameters_hash'
            lst = groups[xy] = []
        lst.append((cond, p))
    return groups


def _cond_names(cond: str, names: list[str]) -> tuple[str, ...]:
    return tuple(names[int(s)] for s in cond.split(".")) if cond else ()


class PCDiscovery:
    """The PC algorithm on a :class:`~causalllm.data.Dataset` (or DataFrame).

    Parameters
    ----------
    alpha : float
        Significance level of the CI tests, in (0, 1).
    test : {"auto", "fisherz", "chisq", "gsq", "kci"}
        CI test; ``auto`` chooses from the column types (see module docstring).
    stable : bool
        PC-stable skeleton (order-independent removals).
    uc_rule, uc_priority : int
        causal-learn's collider rule and conflict priority (defaults as causal-learn).
    bins : int
        Quantile bins for continuous columns under a discrete test.
    show_progress : bool
        causal-learn's progress bar on stderr.
    required, forbidden : sequence of (str, str)
        Background knowledge: directed edges PC must keep or must not orient so (used by the
        ``prior`` merge policy). causal-learn may still delete a required edge by a CI test:
        check the output.

    Attributes
    ----------
    graph_ : networkx.DiGraph
        The CPDAG, one arc per adjacent pair (``mark`` ``-->`` or ``---``), with ``p_value``.
    sepsets_ : dict
        ``frozenset({a, b})`` → causal-learn's separating set for every removed pair.
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
    data_ : numpy.ndarray
        The matrix given to causal-learn (for re-use by FCI and falsification).

    Examples
    --------
    >>> from causalllm.data import load_dataset
    >>> pc = PCDiscovery(alpha=0.01).fit(load_dataset("asia"))
    >>> pc.test_, pc.graph_.number_of_nodes()
    ('gsq', 8)
    """

    _tests: dict[frozenset, list[tuple[tuple[str, ...], float]]] | None = None

    def __init__(
        self,
        alpha: float = DEFAULT_ALPHA,
        test: str = "auto",
        *,
        stable: bool = True,
        uc_rule: int = 0,
        uc_priority: int = 2,
        bins: int = DEFAULT_BINS,
        show_progress: bool = False,
        required: Sequence[tuple[str, str]] = (),
        forbidden: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.alpha = alpha
        self.test = test
        self.stable = stable
        self.uc_rule = uc_rule
        self.uc_priority = uc_priority
        self.bins = bins
        self.show_progress = show_progress
        self.required = required
        self.forbidden = forbidden

    @property
    def tests_(self) -> dict[frozenset, list[tuple[tuple[str, ...], float]]]:
        """``frozenset({a, b})`` → every ``(conditioning set, p-value)`` PC tested for the pair."""
        if self._tests is None:
            self._tests = {k: [(_cond_names(c, self.columns_), float(p)) for c, p in lst]
                           for k, lst in self._raw_tests.items()}
        return self._tests

    def separating_sets(self, a: str, b: str) -> list[tuple[str, ...]]:
        """Conditioning sets of the tests that separated ``a`` and ``b`` (p > alpha)."""
        return [_cond_names(c, self.columns_) for c, p in self._raw_tests.get(pair_key(a, b), []) if p > self.alpha]

    def _validate(self) -> None:
        if not (isinstance(self.alpha, (int, float)) and 0 < float(self.alpha) < 1):
            raise ConfigError(f"alpha must be strictly between 0 and 1, got {self.alpha}; e.g. --alpha 0.05")
        if self.bins < 2:
            raise ConfigError(f"bins must be at least 2, got {self.bins}")

    def ci_test(self, x: str, y: str, S: Sequence[str] = ()) -> float:
        """p-value of the fitted CI test for ``x`` independent of ``y`` given ``S``.

        Tests PC already ran come from causal-learn's cache at no cost.
        """
        idx = self._index
        return float(self.cg_.test(idx[x], idx[y], [idx[s] for s in S]))

    def with_knowledge(self, required: Sequence[tuple[str, str]], forbidden: Sequence[tuple[str, str]] = ()
                       ) -> PCDiscovery:
        """A new fit on the same data, test and alpha, with background knowledge."""
        other = PCDiscovery(alpha=self.alpha, test=self.test_, stable=self.stable, uc_rule=self.uc_rule,
                            uc_priority=self.uc_priority, bins=self.bins, required=required, forbidden=forbidden)
        other._validate()
        return other._fit_matrix(self.data_, self.columns_, self.test_)

    def fit(self, data: Dataset | pd.DataFrame) -> PCDiscovery:
        """Run PC; sets the learned attributes and returns ``self``."""
        self._validate()
        ds = data if isinstance(data, Dataset) else Dataset.from_frame(data)
        test = choose_test(ds.kind, self.test)
        if self.test == "auto" and ds.kind == "mixed":
            log.warning("mixed continuous/discrete data: continuous columns cut into %d quantile bins, G^2 test "
                        "(use --test kci for a kernel test on the raw values; much slower)", self.bins)
        X = encode(ds, test, self.bins)
        if test == "fisherz":
            sd = X.std(axis=0)
            if np.any(sd == 0):
                raise DataError("a column has zero variance after encoding; remove it")
        return self._fit_matrix(X, ds.columns, test)

    def _knowledge(self, names: list[str]) -> Any:
        """causal-learn's BackgroundKnowledge for ``required``/``forbidden``, or None."""
        if not self.required and not self.forbidden:
            return None
        from causallearn.graph.GraphNode import GraphNode
        from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

        nodes = {n: GraphNode(n) for n in names}  # names must match node_names exactly (causal-learn pitfall)
        unknown = sorted({n for e in (*self.required, *self.forbidden) for n in e} - set(nodes))
        if unknown:
            raise ConfigError(f"background knowledge names unknown column(s): {', '.join(unknown)}")
        bk = BackgroundKnowledge()
        for a, b in self.required:
            bk.add_required_by_node(nodes[a], nodes[b])
        for a, b in self.forbidden:
            bk.add_forbidden_by_node(nodes[a], nodes[b])
        return bk

    def _fit_matrix(self, X: np.ndarray, names: list[str], test: str) -> PCDiscovery:
        from causallearn.search.ConstraintBased.PC import pc

        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            kwargs: dict[str, Any] = {}
            bk = self._knowledge(list(names))
            if bk is not None:
                kwargs["background_knowledge"] = bk
            cg = pc(X, self.alpha, test, self.stable, self.uc_rule, self.uc_priority,
                    show_progress=self.show_progress, node_names=list(names), **kwargs)
        self.fit_time_ = time.perf_counter() - t0
        self.cg_ = cg
        self._tests = None
        self.test_ = test
        self.data_ = X
        self.columns_: list[str] = list(names)
        self._index = {n: i for i, n in enumerate(self.columns_)}
        G = causallearn_to_networkx(cg.G)
        self._raw_tests: dict[frozenset, list[tuple[str, float]]] = {}
        self.evidence_: dict[frozenset, PairEvidence] = {}
        self.p_values_: dict[frozenset, float] = {}
        self.sepsets_: dict[frozenset, tuple[str, ...]] = {}
        self.n_tests_ = 0
        for xy, lst in _group_cache(cg.test.pvalue_cache).items():
            i, j = (int(v) for v in xy.split(";"))
            a, b = names[i], names[j]
            key = pair_key(a, b)
            self._raw_tests[key] = lst
            self.n_tests_ += len(lst)
            cond, p = max(lst, key=lambda t: t[1])
            p = float(p)
            adjacent = G.has_edge(a, b) or G.has_edge(b, a)
            S = _cond_names(cond, names)
            self.evidence_[key] = PairEvidence(p_value=p, cond_set=S, adjacent=adjacent, n_tests=len(lst))
            self.p_values_[key] = p
            if not adjacent:
                sets = cg.sepset[i, j] or []
                merged: list[str] = []
                for sep in sets:
                    for k in sep:
                        if names[k] not in merged:
                            merged.append(names[k])
                self.sepsets_[key] = tuple(merged) if sets else S
        for u, v, d in G.edges(data=True):
            ev = self.evidence_.get(pair_key(u, v))
            d["p_value"] = ev.p_value if ev else None
        self.graph_ = G
        return self


def fci_graph(pc: PCDiscovery) -> nx.DiGraph:
    """causal-learn's FCI on a fitted run's data, test and alpha: the PAG as a causalllm graph."""
    from causallearn.search.ConstraintBased.FCI import fci

    # causal-learn's FCI prints every orientation it makes to stdout: keep stdout for results
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        G_cl, _ = fci(pc.data_, pc.test_, pc.alpha, show_progress=False, node_names=list(pc.columns_))
    return causallearn_to_networkx(G_cl)
