"""Orienting PC's skeleton exactly as causal-learn's ``pc`` does: background knowledge
(``orient_by_background_knowledge``), colliders (``uc_sepset``, priority 2), then Meek's rules, each
declining what the knowledge forbids, replayed on the endpoint matrix in causal-learn's iteration
order — including its ancestor bookkeeping (``dpath``), which decides when Meek's rules decline an
orientation.

One deliberate difference, for a pair the knowledge forbids in both directions (no edge at all):
causal-learn removes it before any test and records an empty separating set, which makes every
common neighbour a collider (a chain ``a → b → c`` with ``a–c`` forbidden comes out
``a → b ← c``). Here the pair is tested like any other and removed after the search
(:class:`EdgeRules`); when no test separated it there is no separating set, so it makes no
collider.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..graph import add_edge, make_graph

__all__ = ["EdgeRules", "endpoints_to_networkx", "meek_matrix", "orient"]

_MARK_AT_SOURCE = {-1: "-", 1: "<", 2: "o"}

_MARK_AT_TARGET = {-1: "-", 1: ">", 2: "o"}


def endpoints_to_networkx(M: np.ndarray, names: Sequence[str]) -> nx.DiGraph:
    """The one reader of causal-learn's endpoint encoding (``M[i, j]`` is the mark at ``i``).

    The native engine (:func:`orient`) produces the same matrix, so both engines'
    graphs go through here.
    """
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


@dataclass(frozen=True)
class EdgeRules:
    """Background knowledge by column index: ``forbidden[i, j]`` / ``required[i, j]`` for ``i → j``.

    Examples
    --------
    >>> r = EdgeRules.from_pairs(3, required=[(0, 1)], forbidden=[(2, 0), (0, 2)])
    >>> bool(r.required[0, 1]), r.banned().tolist()[0]
    (True, [False, False, True])
    """

    forbidden: np.ndarray
    required: np.ndarray

    @classmethod
    def from_pairs(cls, p: int, required: Sequence[tuple[int, int]] = (), forbidden: Sequence[tuple[int, int]] = ()
                   ) -> EdgeRules:
        F = np.zeros((p, p), dtype=bool)
        R = np.zeros((p, p), dtype=bool)
        for i, j in forbidden:
            F[i, j] = True
        for i, j in required:
            R[i, j] = True
        return cls(F, R)

    def banned(self) -> np.ndarray:
        """Pairs forbidden in both directions: no edge may join them."""
        return self.forbidden & self.forbidden.T

    def declines(self, i: int, j: int) -> bool:
        """Whether an orientation rule must not draw ``i → j`` (forbidden, or ``j → i`` required)."""
        return bool(self.forbidden[i, j] or self.required[j, i])


class _Endpoints:
    """causal-learn's endpoint matrix and its ancestor bookkeeping (``dpath``), operation for operation.

    ``dpath`` is read only by Meek's rules, so during the collider phase its updates are
    logged and replayed once (causal-learn rebuilds it after every re-oriented edge: ~200
    rebuilds at 200 variables, here one).
    """

    def __init__(self, adj: np.ndarray) -> None:
        p = adj.shape[0]
        self.g = np.where(adj, -1, 0).astype(np.int64)
        self._dpath: np.ndarray | None = None
        self._rebuild_from: np.ndarray | None = None  # graph of the last rebuild, None: the identity
        self._pending: list[tuple[int, int]] = []
        self._p = p

    def directed(self, i: int, j: int) -> bool:
        return bool(self.g[i, j] == -1 and self.g[j, i] == 1)

    def undirected(self, i: int, j: int) -> bool:
        return bool(self.g[i, j] == -1 and self.g[j, i] == -1)

    @property
    def dpath(self) -> np.ndarray:
        """``dpath[a, b] == 1``: ``b`` counts as an ancestor of ``a`` (causal-learn's partial closure)."""
        if self._dpath is None:
            self._dpath = np.eye(self._p, dtype=np.int64)
            if self._rebuild_from is not None:
                g = self._rebuild_from
                ii, jj = np.nonzero(np.triu(g.T != 0, 1))  # get_graph_edges order, popped from the end
                for i, j in zip(ii[::-1].tolist(), jj[::-1].tolist()):
                    if g[j, i] == 1 and g[i, j] == -1:
                        self._adjust(i, j)
                    elif g[i, j] == 1 and g[j, i] == -1:
                        self._adjust(j, i)
            for i, j in self._pending:
                self._adjust(i, j)
            self._pending = []
        return self._dpath

    def _adjust(self, i: int, j: int) -> None:
        # GeneralGraph.adjust_dpath: i becomes an ancestor of j, and of what j reaches, partially
        d = self._dpath
        assert d is not None
        row_i = d[i] == 1
        col_j = d[:, j] == 1
        d[j, i] = 1
        d[j, row_i] = 1
        d[col_j, i] = 1

    def orient(self, i: int, j: int) -> None:
        """Remove the pair's edge (rebuilding ``dpath`` if it was directed), then add ``i → j``."""
        g = self.g
        if g[i, j] != 0 or g[j, i] != 0:
            was_directed = self.directed(i, j) or self.directed(j, i)
            g[i, j] = g[j, i] = 0
            if was_directed:
                self._rebuild_from = g.copy()
                self._dpath = None
                self._pending = []
        g[j, i] = 1
        g[i, j] = -1
        if self._dpath is None:
            self._pending.append((i, j))
        else:
            self._adjust(i, j)

    def adjacencies(self) -> list[tuple[int, int]]:
        """causal-learn's ``find_adj``: tails then arrowheads, each as (column, row) in row-major order."""
        out: list[tuple[int, int]] = []
        for mark in (-1, 1):
            rows, cols = np.nonzero(self.g == mark)
            out.extend(zip(cols.tolist(), rows.tolist()))
        return out

    def unshielded_triples(self) -> list[tuple[int, int, int]]:
        adj = self.adjacencies()
        by_first: dict[int, list[tuple[int, int]]] = {}
        for a in adj:
            by_first.setdefault(a[0], []).append(a)
        g = self.g
        return [(a, b, c) for a, b in adj for _, c in by_first.get(b, ()) if c != a and g[a, c] == 0]

    def triangles(self) -> list[tuple[int, int, int]]:
        adj = self.adjacencies()
        members = set(adj)
        by_first: dict[int, list[tuple[int, int]]] = {}
        for a in adj:
            by_first.setdefault(a[0], []).append(a)
        return [(a, b, c) for a, b in adj for _, c in by_first.get(b, ()) if c != a and (a, c) in members]

    def kites(self, tri: list[tuple[int, int, int]]) -> list[tuple[int, int, int, int]]:
        groups: dict[tuple[int, int], list[int]] = {}
        for n, t in enumerate(tri):
            groups.setdefault((t[0], t[2]), []).append(n)
        g = self.g
        out: list[tuple[int, int, int, int]] = []
        for n0, t0 in enumerate(tri):
            for n1 in groups[(t0[0], t0[2])]:
                t1 = tri[n1]
                if n1 != n0 and t0[1] < t1[1] and g[t0[1], t1[1]] == 0:
                    out.append((t0[0], t0[1], t1[1], t0[2]))
        return out


def orient(adj: np.ndarray, sepsets: dict[tuple[int, int], tuple[int, ...]], rules: EdgeRules | None = None
           ) -> np.ndarray:
    """Knowledge, colliders (``uc_sepset``, priority 2), then Meek's rules, exactly as causal-learn's ``pc`` does.

    A non-adjacent pair without a separating set (removed by ``rules``, not by a test) makes no collider.

    Examples
    --------
    >>> adj = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool)
    >>> orient(adj, {(0, 2): ()}).tolist()  # 0 -> 1 <- 2: 1 did not separate 0 and 2
    [[0, -1, 0], [1, 0, 1], [0, -1, 0]]
    >>> orient(adj, {(0, 2): ()}, EdgeRules.from_pairs(3, forbidden=[(2, 1)])).tolist()  # 1 -> 2, no collider
    [[0, -1, 0], [-1, 0, -1], [0, 1, 0]]
    """
    E = _Endpoints(adj)
    if rules is not None:
        _orient_by_knowledge(E, rules)
    for x, y, z in [t for t in E.unshielded_triples() if t[0] < t[2]]:
        if rules is not None and (rules.declines(x, y) or rules.declines(z, y)):
            continue
        sep = sepsets.get((x, z))
        if sep is None or y in sep:
            continue
        if not E.directed(y, x) and not E.directed(y, z):
            E.orient(x, y)
            E.orient(z, y)
    _meek(E, rules)
    return E.g


def _orient_by_knowledge(E: _Endpoints, rules: EdgeRules) -> None:
    """causal-learn's ``orient_by_background_knowledge``: each undirected edge, in its edge order, oriented
    away from a forbidden direction or along a required one."""
    ii, jj = np.nonzero(np.triu(E.g != 0, 1))
    for i, j in zip(ii.tolist(), jj.tolist()):
        if not E.undirected(i, j):
            continue
        if rules.forbidden[j, i]:
            E.orient(i, j)
        elif rules.forbidden[i, j] or rules.required[j, i]:
            E.orient(j, i)
        elif rules.required[i, j]:
            E.orient(i, j)


def _meek(E: _Endpoints, rules: EdgeRules | None) -> None:
    """Meek's rules 1-3 in causal-learn's order; an orientation the knowledge declines is not made."""
    UT, Tri = E.unshielded_triples(), E.triangles()
    Kite = E.kites(Tri)

    def ok(a: int, b: int) -> bool:
        return rules is None or not rules.declines(a, b)

    loop = True
    while loop:
        loop = False
        for i, j, k in UT:
            if E.directed(i, j) and E.undirected(j, k) and ok(j, k) and E.dpath[j, k] != 1:
                E.orient(j, k)
                loop = True
        for i, j, k in Tri:
            if E.directed(i, j) and E.directed(j, k) and E.undirected(i, k) and ok(i, k) and E.dpath[i, k] != 1:
                E.orient(i, k)
                loop = True
        for i, j, k, m in Kite:
            if (E.undirected(i, j) and E.undirected(i, k) and E.directed(j, m) and E.directed(k, m)
                    and E.undirected(i, m) and ok(i, m) and E.dpath[i, m] != 1):
                E.orient(i, m)
                loop = True


def meek_matrix(M: np.ndarray, rules: EdgeRules | None = None) -> np.ndarray:
    """Meek's rules on a PDAG's endpoint matrix (causal-learn's encoding), as causal-learn's ``meek`` applies
    them after rebuilding the ancestor bookkeeping from the graph's edges; returns the new matrix.

    Examples
    --------
    >>> M = np.array([[0, -1, 0], [1, 0, -1], [0, -1, 0]])  # 0 -> 1 --- 2
    >>> meek_matrix(M).tolist()  # rule 1: 1 -> 2
    [[0, -1, 0], [1, 0, -1], [0, 1, 0]]
    """
    E = _Endpoints(M != 0)
    E.g = np.array(M, dtype=np.int64)
    E._rebuild_from = E.g.copy()  # causal-learn's reconstitute_dpath over the graph's edges
    _meek(E, rules)
    return E.g
