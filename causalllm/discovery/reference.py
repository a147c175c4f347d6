"""causal-learn, the reference: the only module that imports it.

``PCDiscovery(engine="causal-learn")`` runs causal-learn's ``pc`` here (``stable=True``,
``node_names`` always passed), as do KCI and background knowledge (required and forbidden
edges); FCI (:func:`fci`) and Meek's rules (:func:`meek_closure`) are causal-learn's too. The
native engine's fitted tests are registered in causal-learn's public CI-test registry, so its
algorithms also run on a streamed table's statistics.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import networkx as nx
import numpy as np

from ..errors import ConfigError
from .citests import CITest, check_correlation
from .meek import pdag_matrix, with_attributes
from .orient import endpoints_to_networkx

__all__ = ["causallearn_to_networkx", "fci", "make_ci_test", "meek_closure", "run_pc", "to_causallearn"]


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
    return endpoints_to_networkx(np.asarray(G_cl.graph), [n.get_name() for n in G_cl.get_nodes()])


def to_causallearn(G: nx.DiGraph, names: Sequence[str]) -> Any:
    """The inverse of :func:`causallearn_to_networkx` for CPDAG marks (``-->``, ``---``, ``<->``).

    Returns a causal-learn ``CausalGraph`` so its algorithms (Meek's rules) can run on our graphs.
    """
    from causallearn.graph.GraphClass import CausalGraph

    cg = CausalGraph(len(names), list(names))
    cg.G.graph = pdag_matrix(G, list(names)).astype(int)
    cg.G.reconstitute_dpath(cg.G.get_graph_edges())
    return cg


def meek_closure(G: nx.DiGraph, required: Sequence[tuple[str, str]] = (),
                 forbidden: Sequence[tuple[str, str]] = ()) -> nx.DiGraph:
    """Apply Meek's orientation rules (causal-learn's implementation) to a PDAG; returns a new graph.

    With ``required``/``forbidden`` (background knowledge), a rule never draws a forbidden arrow
    nor the reverse of a required one.

    Examples
    --------
    >>> from causalllm.graph import make_graph, add_edge
    >>> G = make_graph("abc"); add_edge(G, "a", "b"); add_edge(G, "b", "c", "---")
    >>> sorted(meek_closure(G).edges(data="mark"))  # rule 1: a -> b --- c becomes b -> c
    [('a', 'b', '-->'), ('b', 'c', '-->')]
    """
    from causallearn.utils.PCUtils.Meek import meek

    names = list(G.nodes)
    bk = background_knowledge(names, required, forbidden)
    return with_attributes(causallearn_to_networkx(meek(to_causallearn(G, names), background_knowledge=bk).G), G)


def make_ci_test(data: np.ndarray, test: str) -> Callable[[int, int, Sequence[int]], float]:
    """A callable ``(i, j, S) -> p`` running causal-learn's ``test`` on ``data`` (cached)."""
    from causallearn.utils.cit import CIT

    cit = CIT(np.asarray(data, dtype=float), test)

    def ci(i: int, j: int, S: Sequence[int] = ()) -> float:
        return float(cit(int(i), int(j), [int(s) for s in S]))

    return ci


def _causallearn_tests(cache: dict) -> dict[tuple[int, int], list[tuple[tuple[int, ...], float]]]:
    """causal-learn's p-value cache (keys ``"i;j|s1.s2"``) as ``(i, j)`` → ``[(S, p), ...]`` in run order.

    Only the reference engine needs this: the native engine records its tests itself.
    """
    out: dict[tuple[int, int], list[tuple[tuple[int, ...], float]]] = {}
    for key, p in cache.items():
        xy, _, cond = key.partition("|")
        if ";" not in xy:
            continue  # 'data_hash', 'method_name', 'parameters_hash'
        i, j = (int(v) for v in xy.split(";"))
        out.setdefault((i, j), []).append((tuple(int(v) for v in cond.split(".")) if cond else (), float(p)))
    return out


_NATIVE_CIT = "causalllm-native"


def _stand_in(native: CITest) -> np.ndarray:
    """What causal-learn is handed for the data when the registered native test reads statistics:
    it only takes the shape (and hashes the values) of this array, never tests on it."""
    return np.zeros((native.n_vars + 1, native.n_vars))


def _register_native_cit() -> None:
    """Make the native engine's fitted tests usable by causal-learn's algorithms (its public CIT registry)."""
    from causallearn.utils.cit import CIT_Base, register_ci_test

    class NativeCIT(CIT_Base):
        def __init__(self, data: np.ndarray, native: CITest | None = None, **kwargs: Any) -> None:
            super().__init__(data, **kwargs)
            self.method = _NATIVE_CIT
            self.native = native

        def __call__(self, X: Any, Y: Any, condition_set: Any = None) -> float:
            Xs, Ys, cond, key = self.get_formatted_XYZ_and_cachekey(X, Y, condition_set)
            if key not in self.pvalue_cache:
                assert self.native is not None
                S = np.array([cond], dtype=np.int64).reshape(1, len(cond))
                self.pvalue_cache[key] = float(self.native.pvalues(np.array(Xs), np.array(Ys), S)[0])
            return self.pvalue_cache[key]

    register_ci_test(_NATIVE_CIT, NativeCIT)


def background_knowledge(names: Sequence[str], required: Sequence[tuple[str, str]],
                         forbidden: Sequence[tuple[str, str]]) -> Any:
    """causal-learn's BackgroundKnowledge for ``required``/``forbidden``, or None."""
    if not required and not forbidden:
        return None
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

    nodes = {n: GraphNode(n) for n in names}  # names must match node_names exactly (causal-learn pitfall)
    unknown = sorted({n for e in (*required, *forbidden) for n in e} - set(nodes))
    if unknown:
        raise ConfigError(f"background knowledge names unknown column(s): {', '.join(unknown)}")
    bk = BackgroundKnowledge()
    for a, b in required:
        bk.add_required_by_node(nodes[a], nodes[b])
    for a, b in forbidden:
        bk.add_forbidden_by_node(nodes[a], nodes[b])
    # causal-learn scans every rule on each query (tiers expand to O(p^2) forbidden pairs, queried
    # for every triple): the same answers from sets by name. The type stays BackgroundKnowledge,
    # which causal-learn checks with type(), so the lookups are set on the instance.
    req, forb = set(required), set(forbidden)
    bk.is_required = lambda n1, n2: (n1.get_name(), n2.get_name()) in req
    bk.is_forbidden = lambda n1, n2: (n1.get_name(), n2.get_name()) in forb
    return bk


def run_pc(X: np.ndarray | None, names: list[str], test: str, alpha: float, *, stable: bool, uc_rule: int,
           uc_priority: int, show_progress: bool, knowledge: Any = None, native: CITest | None = None
           ) -> tuple[np.ndarray, dict[tuple[int, int], tuple[int, ...]], dict, Any]:
    """causal-learn's ``pc``: the endpoint matrix, separating sets, every test run, and its CausalGraph.

    Without the rows (a streamed table), causal-learn's algorithm runs on the native test built
    from the statistics, through its public registry of CI tests."""
    from causallearn.search.ConstraintBased.PC import pc

    kwargs: dict[str, Any] = {}
    if X is None:
        assert native is not None
        X, test = _stand_in(native), _NATIVE_CIT
        kwargs["native"] = native
        _register_native_cit()
    elif test == "fisherz":
        check_correlation(np.corrcoef(X.T), X.shape[0], names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if knowledge is not None:
            kwargs["background_knowledge"] = knowledge
        cg = pc(X, alpha, test, stable, uc_rule, uc_priority, show_progress=show_progress, node_names=names, **kwargs)
    sepsets: dict[tuple[int, int], tuple[int, ...]] = {}
    p = len(names)
    for i in range(p):
        for j in range(i + 1, p):
            sets = cg.sepset[i, j]
            if sets is not None and cg.G.graph[i, j] == 0:
                sepsets[(i, j)] = tuple(sorted({int(k) for sep in sets for k in sep}))
    return np.asarray(cg.G.graph), sepsets, _causallearn_tests(cg.test.pvalue_cache), cg


def fci(data: np.ndarray | None, test: str, alpha: float, names: Sequence[str], *, native: CITest | None = None,
        knowledge: Any = None) -> nx.DiGraph:
    """causal-learn's FCI: the PAG as a causalllm graph. With ``native``, on the engine's own test."""
    from causallearn.search.ConstraintBased.FCI import fci as cl_fci

    kwargs: dict[str, Any] = {}
    if native is not None:
        _register_native_cit()
        test, kwargs = _NATIVE_CIT, {"native": native}
    if knowledge is not None:  # the background knowledge PC ran with binds FCI too
        kwargs["background_knowledge"] = knowledge
    # causal-learn's FCI prints every orientation it makes to stdout: keep stdout for results
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        G_cl, _ = cl_fci(data if data is not None else _stand_in(native), test, alpha,  # type: ignore[arg-type]
                         show_progress=False, node_names=list(names), **kwargs)
    return causallearn_to_networkx(G_cl)


def version() -> str:
    """causal-learn's installed version."""
    from importlib import metadata

    try:
        return metadata.version("causal-learn")
    except metadata.PackageNotFoundError:
        return ""
