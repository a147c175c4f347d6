"""Decomposable scores on the engine's sufficient statistics, and a hill-climbing search over DAGs restricted to
candidate pairs with a per-arrow structure prior (the ``hybrid`` merge policy's re-search).

- :class:`GaussianBIC`: BIC of a linear-Gaussian family from the correlation matrix and the row count
  (the residual variance of a node on its parents; no pass over the rows).
- :class:`DiscreteBIC`: BIC of a multinomial family from the category codes the G² test holds (one
  count per family, cached): ``Σ N_jk log(N_jk / N_j) - ½ log(n) (r - 1) q``, pgmpy's ``BIC`` (equal
  to it in the tests).
- :class:`ConditionalGaussianBIC` and :class:`DegenerateGaussianBIC`: mixed data, on the likelihoods the
  ``cg`` and ``dg`` tests already compute (Andrews, Ramsey & Cooper's scores).
- :func:`hill_climb`: add / delete / reverse moves over the candidate pairs only, the best move first,
  a tabu list against undoing a move, every family's score cached (each move re-scores one or two
  families); forbidden arrows never added, required ones never removed or reversed; ``prior`` adds a
  log-odds bonus (or malus) for an arrow being present.

pgmpy's ``HillClimbSearch`` has the moves, but its structure prior depends on the kind of move only, not on
the arrow, and it re-counts families from the rows through pandas: an LLM's per-pair prior and
sufficient statistics are why the search is written here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from math import log
from typing import Any

import numpy as np

from ..errors import ConfigError
from .citests import joint_codes

__all__ = ["Climb", "ConditionalGaussianBIC", "DegenerateGaussianBIC", "DiscreteBIC", "GaussianBIC", "hill_climb",
           "score_for"]


class GaussianBIC:
    """BIC of ``x`` given ``parents`` for linear-Gaussian data, from the correlation matrix.

    Examples
    --------
    >>> s = GaussianBIC(np.array([[1.0, 0.8], [0.8, 1.0]]), 1000)
    >>> bool(s.local(1, (0,)) > s.local(1, ()))  # a strong parent pays for itself
    True
    """

    def __init__(self, corr: np.ndarray, n: int) -> None:
        self.corr = np.asarray(corr, dtype=float)
        self.n = int(n)

    def local(self, x: int, parents: tuple[int, ...]) -> float:
        var = 1.0
        if parents:
            P = list(parents)
            r = self.corr[x, P]
            var = 1.0 - float(r @ np.linalg.solve(self.corr[np.ix_(P, P)], r))
        return -0.5 * self.n * log(max(var, 1e-12)) - 0.5 * log(self.n) * (len(parents) + 1)


class DiscreteBIC:
    """BIC of ``x`` given ``parents`` for categorical data, from ``(variables, rows)`` category codes.

    The penalty counts the parameters of the parent configurations that occur, ``(r - 1)`` for each:
    a configuration absent from the sample leaves its ``r - 1`` probabilities free, without any bearing on the
    likelihood, as the G² test's degrees of freedom leave out empty strata (pgmpy's and Tetrad's ``BIC`` count
    every configuration; Tetrad keeps this count as a commented-out alternative). Where every configuration
    occurs the two agree (tested against pgmpy). Counting all of them made the re-search refuse true edges of
    many-category families (Win95pts, Barley: *Results*); leaving out also the child's values absent from a
    configuration, as the test does, lets deterministic families fit for free (measured: Barley SHD 266).

    Examples
    --------
    >>> codes = np.array([[0, 1, 0, 1] * 50, [0, 1, 0, 1] * 50])
    >>> s = DiscreteBIC(codes)
    >>> bool(s.local(1, (0,)) > s.local(1, ()))
    True
    """

    def __init__(self, cols: np.ndarray) -> None:
        self.cols = np.asarray(cols)
        self.n = self.cols.shape[1]
        self.cards = self.cols.max(axis=1).astype(np.int64) + 1

    def varies(self, x: int) -> bool:
        """Whether ``x`` takes more than one value (a constant column scores every parent set alike)."""
        return bool(self.cards[x] > 1)

    def local(self, x: int, parents: tuple[int, ...]) -> float:
        r = int(self.cards[x])
        strata = joint_codes([(self.cols[p], self.cards[p]) for p in parents], self.n)
        counts = np.bincount(strata * r + self.cols[x], minlength=(int(strata.max()) + 1) * r).reshape(-1, r)
        n_j = counts.sum(axis=1, keepdims=True)
        nz = counts > 0
        ll = float(np.sum(counts[nz] * np.log(counts[nz] / np.broadcast_to(n_j, counts.shape)[nz])))
        return ll - 0.5 * log(self.n) * (r - 1) * int(np.count_nonzero(n_j))


class ConditionalGaussianBIC:
    """The conditional-Gaussian BIC of mixed data (Andrews, Ramsey & Cooper 2018), on the test's own cached
    likelihoods: ``LL(x ∪ P) - LL(P)`` less half ``log n`` per parameter the family adds."""

    def __init__(self, test: Any) -> None:
        self.test = test

    def local(self, x: int, parents: tuple[int, ...]) -> float:
        t = self.test
        A, B = tuple(sorted((x, *parents))), tuple(sorted(parents))
        k = t._params(A) - (t._params(B) if B else 0)
        return t._loglik(A) - (t._loglik(B) if B else 0.0) - 0.5 * log(t.n) * k


class DegenerateGaussianBIC:
    """The degenerate-Gaussian BIC of mixed data (Andrews, Ramsey & Cooper 2019): each variable's block of
    indicator-embedded columns regressed on its parents' blocks, from the embedded covariance."""

    def __init__(self, test: Any) -> None:
        self.test = test

    def local(self, x: int, parents: tuple[int, ...]) -> float:
        t = self.test
        bx = t.blocks[x]
        bp = np.concatenate([t.blocks[q] for q in parents]) if parents else np.zeros(0, dtype=int)
        ll = -0.5 * t.n * (t._logdet(np.concatenate([bx, bp])) - t._logdet(bp))
        k = len(bx) * len(bp) + len(bx) * (len(bx) + 1) // 2
        return (ll if np.isfinite(ll) else -1e300) - 0.5 * log(t.n) * k


def score_for(fitted: object) -> GaussianBIC | DiscreteBIC | ConditionalGaussianBIC | DegenerateGaussianBIC:
    """The score for a fitted :class:`~causalllm.discovery.pc.PCDiscovery` (or its engine test), on the statistics
    the test already holds: Gaussian BIC for Fisher-z, discrete BIC for G²/χ², the conditional- and
    degenerate-Gaussian BICs for ``cg`` and ``dg``."""
    native = getattr(fitted, "_native", fitted)
    if native is None:
        raise ConfigError("--merge hybrid scores the native engine's statistics; leave out --engine causal-learn")
    name = getattr(native, "name", "")
    if name == "fisherz":
        return GaussianBIC(native.corr, native.n)  # type: ignore[attr-defined]
    if name in ("gsq", "chisq"):
        return DiscreteBIC(native._cols)  # type: ignore[attr-defined]
    if name == "cg":
        return ConditionalGaussianBIC(native)
    if name == "dg":
        return DegenerateGaussianBIC(native)
    raise ConfigError(f"--merge hybrid scores the data with the test's own model (Fisher-z, G^2/chi^2, cg, dg), not "
                      f"the {name} test; choose another --merge policy or --test")


@dataclass
class Climb:
    """A hill-climb's result: the DAG's arrows, its moves, and each arrow's score gain given the final parents."""

    arrows: set[tuple[int, int]]
    moves: int
    score: float
    gain: dict[tuple[int, int], float] = field(default_factory=dict)


def hill_climb(local: Callable[[int, tuple[int, ...]], float], p: int, candidates: Iterable[tuple[int, int]],
               start: Iterable[tuple[int, int]], *, prior: Mapping[tuple[int, int], float] | None = None,
               forbidden: Iterable[tuple[int, int]] = (), required: Iterable[tuple[int, int]] = (),
               keep: Iterable[tuple[int, int]] = (), tabu_length: int = 20, max_iter: int = 10_000,
               epsilon: float = 1e-6) -> Climb:
    """Greedy hill-climbing over DAGs whose arrows join ``candidates`` pairs, from ``start`` (a DAG).

    Each step takes the move (add, delete or reverse one arrow) that raises ``Σ local(x, parents(x))``
    plus the ``prior`` of the arrows present the most, not undoing one of the last ``tabu_length``
    moves, until no move gains more than ``epsilon``. A pair in ``keep`` stays adjacent (its arrow may
    turn, not go).

    Examples
    --------
    >>> corr = np.array([[1, .6, .36], [.6, 1, .6], [.36, .6, 1]])  # a chain 0 - 1 - 2
    >>> c = hill_climb(GaussianBIC(corr, 5000).local, 3, [(0, 1), (1, 2), (0, 2)], [])
    >>> sorted(frozenset(a) for a in c.arrows) == [frozenset((0, 1)), frozenset((1, 2))]
    True
    """
    prior = dict(prior or {})
    forbidden, required = set(forbidden), set(required)
    kept = {(min(a, b), max(a, b)) for a, b in keep}
    pairs = sorted({(min(a, b), max(a, b)) for a, b in candidates if a != b})
    parents: list[set[int]] = [set() for _ in range(p)]
    for a, b in start:
        parents[b].add(a)
    for a, b in required:
        parents[b].add(a)
        parents[a].discard(b)
    cache: dict[tuple[int, frozenset[int]], float] = {}

    def sc(x: int, ps: set[int]) -> float:
        key = (x, frozenset(ps))
        if key not in cache:
            cache[key] = local(x, tuple(sorted(ps)))
        return cache[key]

    tabu: list[tuple[str, int, int]] = []
    moves = 0
    for _ in range(max_iter):
        best: tuple[float, tuple[str, int, int]] | None = None
        paths = _Paths(parents)  # reachability of this step's DAG, once
        for i, j in pairs:
            for op, a, b, gain in _moves(i, j, parents, sc, prior, forbidden, required, paths):
                if op == "-" and (i, j) in kept:
                    continue
                if (op, a, b) not in tabu and gain > epsilon and (best is None or gain > best[0]):
                    best = (gain, (op, a, b))
        if best is None:
            break
        tabu = [*tabu, _apply(parents, *best[1])][-tabu_length:]
        moves += 1
    arrows = {(a, b) for b in range(p) for a in parents[b]}
    total = sum(sc(x, parents[x]) for x in range(p)) + sum(prior.get(e, 0.0) for e in arrows)
    gains = {(a, b): sc(b, parents[b]) - sc(b, parents[b] - {a}) for a, b in arrows}
    return Climb(arrows, moves, total, gains)


def _apply(parents: list[set[int]], op: str, a: int, b: int) -> tuple[str, int, int]:
    """Make the move; returns the move that would undo it (kept tabu for a while)."""
    if op == "+":
        parents[b].add(a)
        return "-", a, b
    parents[b].discard(a)
    if op == "-":
        return "+", a, b
    parents[a].add(b)
    return "flip", b, a


def _moves(i: int, j: int, parents: list[set[int]], sc: Callable[[int, set[int]], float],
           prior: Mapping[tuple[int, int], float], forbidden: set[tuple[int, int]], required: set[tuple[int, int]],
           paths: _Paths) -> Iterable[tuple[str, int, int, float]]:
    """The legal moves on the pair ``i``–``j`` and their gains."""
    for a, b in ((i, j), (j, i)):
        if a in parents[b]:  # a -> b present: delete it, or reverse it
            if (a, b) in required:
                return
            drop = sc(b, parents[b] - {a}) - sc(b, parents[b]) - prior.get((a, b), 0.0)
            yield "-", a, b, drop
            if (b, a) not in forbidden and not paths.other_path(a, b):
                yield "flip", a, b, drop + sc(a, parents[a] | {b}) - sc(a, parents[a]) + prior.get((b, a), 0.0)
            return
    for a, b in ((i, j), (j, i)):
        if (a, b) not in forbidden and not paths.reaches(b, a):
            yield "+", a, b, sc(b, parents[b] | {a}) - sc(b, parents[b]) + prior.get((a, b), 0.0)


class _Paths:
    """Which nodes each node reaches in a DAG (given as parent sets), computed once per step."""

    def __init__(self, parents: list[set[int]]) -> None:
        self.children: list[list[int]] = [[] for _ in parents]
        for c, ps in enumerate(parents):
            for q in ps:
                self.children[q].append(c)
        self._desc: dict[int, set[int]] = {}

    def descendants(self, u: int) -> set[int]:
        if u not in self._desc:
            seen: set[int] = set()
            stack = [u]
            while stack:
                for c in self.children[stack.pop()]:
                    if c not in seen:
                        seen.add(c)
                        stack.append(c)
            self._desc[u] = seen
        return self._desc[u]

    def reaches(self, src: int, dst: int) -> bool:
        return dst in self.descendants(src)

    def other_path(self, a: int, b: int) -> bool:
        """A directed path a ⇝ b besides the arrow a -> b (reversing it would close a cycle)."""
        return any(c != b and b in self.descendants(c) for c in self.children[a])
