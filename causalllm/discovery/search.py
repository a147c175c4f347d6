"""PC's adjacency search on batched CI tests: PC-stable (causal-learn's exact test set) and PC-Guess.

What it reproduces, and how (tested against causal-learn on every bundled dataset and on random
graphs)
---------------------------------------------------------------------------------------
* **Tests**: the same set as causal-learn's ``pc(stable=True)``: per node ``x`` in column
  order, per neighbour ``y``, every ``d``-subset of ``adj(x) \\ {y}`` in combination order;
  a test already run from the other side (same pair and set) is not run again. The tests of one
  depth are generated and evaluated in batches of about a million (:mod:`causalllm.discovery.citests`),
  so memory stays flat however many there are.
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

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations
from math import comb

import numpy as np

from .citests import CITest
from .orient import EdgeRules, orient

__all__ = ["ENGINE_VERSION", "PCRun", "TestLog", "guess_order", "guided_skeleton", "pc_guess", "pc_stable", "skeleton"]

#: Bumped whenever the engine's output could change.
ENGINE_VERSION = "1"


@dataclass
class TestLog:
    """Every test one run made, depth by depth, in the order causal-learn first meets them.

    ``depths`` holds one ``(i, j, S, p)`` per batch of tests, in the order run (a depth's tests in one
    or more batches): arrays of the pair (``i < j``), the conditioning sets (shape ``(m, d)``) and the
    p-values.
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


#: Tests listed and evaluated at once: the tests of one depth can run to tens of millions (1 200 variables),
#: so they are generated and run in batches of about this many, and memory stays flat in their number.
CHUNK = 1 << 20


def skeleton(test: CITest, alpha: float, *, max_depth: int | None = None, chunk: int = CHUNK
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
        pair_ids: list[np.ndarray] = []
        sets: list[np.ndarray] = []
        # removals wait for the end of the depth (PC-stable), so batches are independent
        for lo, hi, Ss in _depth_tests(adj, depth, test, chunk):
            pv, ran = _run_tests(test, lo, hi, Ss)
            log.depths.append((lo[ran], hi[ran], Ss[ran], pv[ran]))
            separating = np.flatnonzero(pv > alpha)
            pair_ids.append(lo[separating] * p + hi[separating])
            sets.append(Ss[separating])
        if not pair_ids:
            continue
        # a pair is removed when any test, from either side, separated it; its separating set is
        # the union of the sets that did (what causal-learn's collider rule reads), kept sorted
        pair_id = np.concatenate(pair_ids)
        removed = np.unique(pair_id)
        members: dict[int, list[int]] = {}
        if depth:
            flat = np.unique(np.repeat(pair_id, depth) * p + np.concatenate(sets).ravel())
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
    hopeless = getattr(test, "hopeless", None)
    for _, a, b in sides:
        nb = [k for k in np.flatnonzero(adj[a]).tolist() if k != b]
        if len(nb) < depth or (hopeless is not None and hopeless(a, np.array([*nb, b]), depth)[-1]):
            continue  # no set, or none the reliability rule would run
        late = max(pos[i], pos[j])
        sets = sorted((S for S in combinations(nb, depth) if (i, j, tuple(sorted(S))) not in tested),
                      key=lambda S: any(pos[k] > late for k in S))
        if not sets:
            continue
        tested.update((i, j, tuple(sorted(S))) for S in sets)
        S_arr = np.array(sets, dtype=np.int64).reshape(len(sets), depth)
        pv, ran = _run_tests(test, np.full(len(sets), i), np.full(len(sets), j), np.sort(S_arr, axis=1))
        hit = np.flatnonzero(pv > alpha)
        stop = int(hit[0]) + 1 if len(hit) else len(sets)
        rec += [(i, j, tuple(sorted(S)), float(q)) for S, q, r in zip(sets[:stop], pv[:stop].tolist(), ran[:stop])
                if r]
        if len(hit):
            return tuple(sorted(sets[hit[0]]))
    return None


def _run_tests(test: CITest, x: np.ndarray, y: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The p-values of these tests and which ran: one the test's reliability rule does not run (``test.weak``)
    gets p = 0 — it never separates its pair — and stays out of the log."""
    weak_of = getattr(test, "weak", None)
    weak = weak_of(x, y, S) if weak_of is not None else np.zeros(len(x), dtype=bool)
    if not weak.any():
        return test.pvalues(x, y, S), ~weak
    test.unreliable += int(np.count_nonzero(weak))  # type: ignore[attr-defined]
    pv = np.zeros(len(x))
    ran = ~weak
    pv[ran] = test.pvalues(x[ran], y[ran], S[ran])
    return pv, ran


def _depth_tests(adj: np.ndarray, depth: int, test: CITest | None = None, chunk: int = CHUNK
                 ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The distinct tests ``(lo, hi, S)`` of one depth in causal-learn's order, in batches of about ``chunk``.

    causal-learn meets them per node ``x`` in column order, per neighbour ``y``, per ``depth``-subset
    ``S`` of ``adj(x) \\ {y}`` in combination order, and runs a test met before from the other side only
    once: a test from ``x`` with ``y < x`` whose ``S`` lies in ``adj(y)`` was met from ``y``, so it is
    not listed (no deduplication over the whole depth, whose tests can run to tens of millions). Nor
    are those of a neighbour ``y`` whose every set the test's reliability rule would not run
    (``test.hopeless``): they are counted."""
    buf: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    size = 0
    hopeless = getattr(test, "hopeless", None)
    for x in range(adj.shape[0]):
        neigh = np.flatnonzero(adj[x])
        if len(neigh) < depth - 1 or len(neigh) - 1 < depth:
            continue
        skip = hopeless(x, neigh, depth) if hopeless is not None else np.zeros(len(neigh), dtype=bool)
        if skip.any():
            test.unreliable += int(skip.sum()) * comb(len(neigh) - 1, depth)  # type: ignore[union-attr]
            if skip.all():
                continue
        subsets = (np.array(list(combinations(neigh.tolist(), depth)), dtype=np.int64) if depth
                   else np.zeros((1, 0), dtype=np.int64))
        step = max(1, chunk // len(subsets))
        for start in range(0, len(neigh), step):
            ys = neigh[start:start + step]
            # (y, S) with y not in S, y in neighbour order, then S in combination order
            ok = ~(subsets[None, :, :] == ys[:, None, None]).any(axis=2) & ~skip[start:start + step, None]
            earlier = np.flatnonzero(ys < x)
            if len(earlier):  # met before from y's side
                ok[earlier] &= ~adj[ys[earlier]][:, subsets].all(axis=2)
            yi, si = np.nonzero(ok)
            if len(yi) == 0:
                continue
            y = ys[yi]
            buf.append((np.minimum(x, y), np.maximum(x, y), subsets[si]))
            size += len(yi)
            if size >= chunk:
                yield tuple(np.concatenate(a) for a in zip(*buf))  # type: ignore[misc]
                buf, size = [], 0
    if buf:
        yield tuple(np.concatenate(a) for a in zip(*buf))  # type: ignore[misc]


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


