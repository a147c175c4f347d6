"""PC's adjacency search on batched CI tests: PC-stable (causal-learn's exact test set) and PC-Guess.

What it reproduces, and how (tested against causal-learn on every bundled dataset and on random
graphs)
---------------------------------------------------------------------------------------
* **Tests**: the same set as causal-learn's ``pc(stable=True)``: per node ``x`` in column
  order, per neighbour ``y``, every ``d``-subset of ``adj(x) \\ {y}`` in combination order;
  a test already run from the other side (same pair and set) is not run again. All tests of one
  depth are generated and evaluated at once (:mod:`causalllm.discovery.citests`).
* **Skeleton** (PC-stable): removals applied at the end of each depth; a removed pair's
  separating set is the union of every set that separated it at that depth, from either side.
* **Orientation**: :func:`causalllm.discovery.orient.orient`, causal-learn's rules replayed.
* **Background knowledge** (:class:`~causalllm.discovery.orient.EdgeRules`): orientations as
  causal-learn applies them; a pair forbidden in both directions is tested like any other and
  removed after the search (causal-learn removes it untested, with an empty separating set that
  makes false colliders: the one deliberate difference, see :mod:`.orient`).

Every test's conditioning set and p-value is recorded (:attr:`PCRun.log`), so evidence and
later checks never read a private cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from .citests import CITest
from .orient import EdgeRules, orient

__all__ = ["ENGINE_VERSION", "PCRun", "TestLog", "guess_order", "guided_skeleton", "pc_guess", "pc_stable", "skeleton"]

#: Bumped whenever the engine's output could change.
ENGINE_VERSION = "1"


@dataclass
class TestLog:
    """Every test one run made, depth by depth, in the order causal-learn first meets them.

    ``depths[d]`` is ``(i, j, S, p)``: arrays of the pair (``i < j``), the conditioning sets
    (shape ``(m, d)``) and the p-values.
    """

    depths: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def n_tests(self) -> int:
        return int(sum(len(d[3]) for d in self.depths))

    def by_pair(self) -> dict[tuple[int, int], list[tuple[tuple[int, ...], float]]]:
        """``(i, j)`` → every ``(conditioning set, p-value)`` tested, in the order run."""
        out: dict[tuple[int, int], list[tuple[tuple[int, ...], float]]] = {}
        for i, j, S, pv in self.depths:
            for a, b, row, p in zip(i.tolist(), j.tolist(), S.tolist(), pv.tolist()):
                out.setdefault((a, b), []).append((tuple(row), p))
        return out

    def summary(self) -> dict[tuple[int, int], tuple[float, tuple[int, ...], int]]:
        """``(i, j)`` → (largest p-value, the set of the first test reaching it, number of tests)."""
        if not self.depths:
            return {}
        i = np.concatenate([d[0] for d in self.depths])
        j = np.concatenate([d[1] for d in self.depths])
        pv = np.concatenate([d[3] for d in self.depths])
        where = np.concatenate([np.stack([np.full(len(d[3]), k), np.arange(len(d[3]))], 1)
                                for k, d in enumerate(self.depths)]) if len(pv) else np.zeros((0, 2), int)
        pos = np.arange(len(pv))
        order = np.lexsort((pos, -pv, j, i))  # per pair: largest p first, ties by first run
        pair = i[order] * (int(max(i.max(), j.max())) + 1) + j[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = pair[1:] != pair[:-1]
        counts = np.diff(np.append(np.flatnonzero(first), len(order)))
        out = {}
        for k, n in zip(order[first].tolist(), counts.tolist()):
            d, r = where[k]
            out[(int(i[k]), int(j[k]))] = (float(pv[k]), tuple(int(x) for x in self.depths[d][2][r]), int(n))
        return out


@dataclass
class PCRun:
    """What one run of the engine found.

    Attributes
    ----------
    graph : ndarray
        causal-learn's endpoint matrix: ``graph[i, j]`` is the mark at ``i`` of edge ``i–j``
        (``-1`` tail, ``1`` arrowhead, ``0`` no edge).
    sepsets : dict
        ``(i, j)`` with ``i < j`` → the separating set of a removed pair (sorted).
    log : TestLog
        Every test run, with its conditioning set and p-value.
    depth : int
        The largest conditioning-set size tested.
    """

    graph: np.ndarray
    sepsets: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)
    log: TestLog = field(default_factory=TestLog)
    depth: int = -1

    @property
    def n_tests(self) -> int:
        return self.log.n_tests


def _row_keys(lo: np.ndarray, hi: np.ndarray, S: np.ndarray, p: int) -> np.ndarray:
    """One integer per (pair, set) when it fits in 63 bits, else one row per test."""
    d = S.shape[1]
    if (p + 1) ** (d + 2) < 2 ** 62:
        key = lo * p + hi
        for c in range(d):
            key = key * p + S[:, c]
        return key
    return np.concatenate([lo[:, None], hi[:, None], S], axis=1)


def skeleton(test: CITest, alpha: float, *, max_depth: int | None = None
             ) -> tuple[np.ndarray, dict[tuple[int, int], tuple[int, ...]], TestLog, int]:
    """PC-stable's adjacency search; returns ``(adjacency, sepsets, test log, depth)``."""
    p = test.n_vars
    adj = ~np.eye(p, dtype=bool)
    sepsets: dict[tuple[int, int], tuple[int, ...]] = {}
    log = TestLog()
    depth = -1
    while p and adj.sum(axis=1).max() - 1 > depth:
        depth += 1
        if max_depth is not None and depth > max_depth:
            break
        xs, ys, Ss = _depth_tests(adj, depth)
        if len(xs) == 0:
            continue
        lo, hi = np.minimum(xs, ys), np.maximum(xs, ys)
        key = _row_keys(lo, hi, Ss, p)
        # one evaluation per distinct (pair, set), in the order causal-learn first meets it
        _, first, inverse = np.unique(key, axis=0 if key.ndim == 2 else None, return_index=True,
                                      return_inverse=True)
        inverse = inverse.reshape(-1)
        order = np.argsort(first, kind="stable")
        rows = first[order]
        pv_rows = test.pvalues(lo[rows], hi[rows], Ss[rows])
        pv_unique = np.empty(len(first))
        pv_unique[order] = pv_rows
        pv = pv_unique[inverse]
        log.depths.append((lo[rows], hi[rows], Ss[rows], pv_rows))
        # a pair is removed when any test, from either side, separated it; its separating set is
        # the union of the sets that did (what causal-learn's collider rule reads), kept sorted
        separating = np.flatnonzero(pv > alpha)
        pair_id = lo[separating] * p + hi[separating]
        removed = np.unique(pair_id)
        members: dict[int, list[int]] = {}
        if depth:
            flat = np.unique(np.repeat(pair_id, depth) * p + Ss[separating].ravel())
            for pid, v in zip((flat // p).tolist(), (flat % p).tolist()):
                members.setdefault(pid, []).append(v)
        ra, rb = removed // p, removed % p
        for pid, a, b in zip(removed.tolist(), ra.tolist(), rb.tolist()):
            sepsets[(a, b)] = tuple(members.get(pid, ()))
        adj[ra, rb] = adj[rb, ra] = False
    return adj, sepsets, log, depth


def guess_order(guess: np.ndarray) -> np.ndarray:
    """A topological order of the guessed graph ``guess`` (``guess[i, j]``: i → j), as each
    node's position. Where the guess has a cycle, the remaining node with the fewest guessed
    parents goes next (lowest index on ties), so every guess gives one order."""
    p = guess.shape[0]
    indeg = guess.sum(axis=0).astype(int)
    done = np.zeros(p, dtype=bool)
    pos = np.empty(p, dtype=int)
    for k in range(p):
        left = np.flatnonzero(~done)
        nxt = int(left[np.argmin(indeg[left])])
        pos[nxt], done[nxt] = k, True
        indeg[guess[nxt]] -= 1
    return pos


def guided_skeleton(test: CITest, alpha: float, guess: np.ndarray, *, max_depth: int | None = None
                    ) -> tuple[np.ndarray, dict[tuple[int, int], tuple[int, ...]], TestLog, int]:
    """PC-Guess's adjacency search (Guess2Graph, Hiremath et al. 2025): the expert's guess orders
    PC's tests, it never replaces one.

    ``guess[i, j]`` is True where the expert guesses ``i → j``. At each depth the adjacent pairs
    are taken in the guessed order — pairs guessed *non-adjacent* first, then guessed edges
    (column order within each group) — and removed as soon as a test separates them, so
    neighbourhoods shrink before the guessed edges are tested and a true edge faces fewer tests
    (fewer chances of a false removal). For each pair both neighbourhoods are searched, the
    smaller first; the conditioning sets holding no variable the guess puts after both ends (no
    guessed common descendant, which could open a collider path) come first. Every removal is a
    test with p > alpha, so with a consistent test the result is the true skeleton whatever the
    guess (the Guess2Graph guarantee); the guess only decides which errors finite samples make.
    """
    p = test.n_vars
    adj = ~np.eye(p, dtype=bool)
    guessed = guess | guess.T
    pos = guess_order(guess)
    sepsets: dict[tuple[int, int], tuple[int, ...]] = {}
    log = TestLog()
    tested: set[tuple[int, int, tuple[int, ...]]] = set()  # a test run from one side is not run again
    depth = -1
    while p:
        depth += 1
        if max_depth is not None and depth > max_depth:
            break
        deg = adj.sum(axis=1)
        lo, hi = np.nonzero(np.triu(adj, 1))
        testable = (deg[lo] - 1 >= depth) | (deg[hi] - 1 >= depth)
        if not testable.any():
            break
        lo, hi = lo[testable], hi[testable]
        order = np.lexsort((hi, lo, guessed[lo, hi]))  # guessed non-edges first
        rec: list[tuple[int, int, tuple[int, ...], float]] = []
        for i, j in zip(lo[order].tolist(), hi[order].tolist()):
            sep = _guided_pair(test, alpha, adj, pos, tested, i, j, depth, rec)
            if sep is not None:
                sepsets[(i, j)] = sep
                adj[i, j] = adj[j, i] = False
        if rec:
            log.depths.append((np.array([r[0] for r in rec]), np.array([r[1] for r in rec]),
                               np.array([r[2] for r in rec], dtype=np.int64).reshape(len(rec), depth),
                               np.array([r[3] for r in rec])))
    return adj, sepsets, log, depth


def _guided_pair(test: CITest, alpha: float, adj: np.ndarray, pos: np.ndarray,
                 tested: set[tuple[int, int, tuple[int, ...]]], i: int, j: int, depth: int,
                 rec: list[tuple[int, int, tuple[int, ...], float]]) -> tuple[int, ...] | None:
    """One pair's tests of one depth in PC-Guess's order (both neighbourhoods, the smaller first; sets
    without a guessed common descendant first), stopping at the first that separates it: its set, or None.
    Every test run is appended to ``rec``."""
    sides = sorted(((int(adj[i].sum()), i, j), (int(adj[j].sum()), j, i)))
    for _, a, b in sides:
        nb = [k for k in np.flatnonzero(adj[a]).tolist() if k != b]
        if len(nb) < depth:
            continue
        late = max(pos[i], pos[j])
        sets = sorted((S for S in combinations(nb, depth) if (i, j, tuple(sorted(S))) not in tested),
                      key=lambda S: any(pos[k] > late for k in S))
        if not sets:
            continue
        tested.update((i, j, tuple(sorted(S))) for S in sets)
        S_arr = np.array(sets, dtype=np.int64).reshape(len(sets), depth)
        pv = test.pvalues(np.full(len(sets), i), np.full(len(sets), j), np.sort(S_arr, axis=1))
        hit = np.flatnonzero(pv > alpha)
        stop = int(hit[0]) + 1 if len(hit) else len(sets)
        rec += [(i, j, tuple(sorted(S)), float(q)) for S, q in zip(sets[:stop], pv[:stop].tolist())]
        if len(hit):
            return tuple(sorted(sets[hit[0]]))
    return None


def _depth_tests(adj: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ordered test ``(x, y, S)`` of one depth, in causal-learn's order."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    Ss: list[np.ndarray] = []
    for x in range(adj.shape[0]):
        neigh = np.flatnonzero(adj[x])
        if len(neigh) < depth - 1 or len(neigh) - 1 < depth:
            continue
        subsets = (np.array(list(combinations(neigh.tolist(), depth)), dtype=np.int64) if depth
                   else np.zeros((1, 0), dtype=np.int64))
        # (y, S) with y not in S, y in neighbour order, then S in combination order
        ok = ~(subsets[None, :, :] == neigh[:, None, None]).any(axis=2)
        yi, si = np.nonzero(ok)
        if len(yi) == 0:
            continue
        xs.append(np.full(len(yi), x, dtype=np.int64))
        ys.append(neigh[yi])
        Ss.append(subsets[si])
    if not xs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, depth), np.int64)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(Ss)


def _finish(adj: np.ndarray, sepsets: dict[tuple[int, int], tuple[int, ...]], log: TestLog, depth: int,
            rules: EdgeRules | None) -> PCRun:
    if rules is not None:
        adj = adj & ~rules.banned()  # after the search: no separating set is invented for them
    return PCRun(graph=orient(adj, sepsets, rules), sepsets=sepsets, log=log, depth=depth)


def pc_stable(test: CITest, alpha: float, *, max_depth: int | None = None, rules: EdgeRules | None = None) -> PCRun:
    """PC-stable with ``test``: skeleton, then causal-learn's default orientation (with ``rules``, the knowledge)."""
    return _finish(*skeleton(test, alpha, max_depth=max_depth), rules)


def pc_guess(test: CITest, alpha: float, guess: np.ndarray, *, max_depth: int | None = None,
             rules: EdgeRules | None = None) -> PCRun:
    """PC-Guess with ``test``: :func:`guided_skeleton`, then the same orientation as :func:`pc_stable`."""
    return _finish(*guided_skeleton(test, alpha, guess, max_depth=max_depth), rules)


