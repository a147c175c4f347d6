"""The CI tests of the native engine, evaluated in batches on the data's sufficient statistics.

Each test is one entry of :data:`causalllm.discovery.registry.CI_TESTS` (its name, what it is
for, which engines have it) and, where the native engine has it, a class here: Fisher-z on the correlation matrix and the
row count (:class:`FisherZ`), χ²/G² on integer category codes (:class:`DiscreteTest`, counted by
a compiled kernel), the conditional-Gaussian test on cell counts and per-cell moments
(:class:`ConditionalGaussian`) and the degenerate-Gaussian test on the correlation matrix of the
indicator-embedded data (:class:`DegenerateGaussian`). p-values agree with causal-learn's to
~1e-12 (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from scipy.special import chdtrc, ndtr

from ..errors import DataError

__all__ = ["CITest", "ConditionalGaussian", "DegenerateGaussian", "DiscreteTest", "FisherZ", "check_correlation"]


_EPS = np.finfo(float).eps
#: smallest eigenvalue of a correlation matrix below which its columns count as collinear
_COLLINEAR = 1e-10


class CITest(Protocol):
    """A conditional-independence test evaluated in batches.

    ``pvalues(x, y, S)`` takes ``m`` tests as arrays (``x < y``, ``S`` of shape ``(m, d)``
    with each row sorted) and returns their ``m`` p-values.
    """

    name: str
    n_vars: int

    def pvalues(self, x: np.ndarray, y: np.ndarray, S: np.ndarray) -> np.ndarray: ...


def check_correlation(corr: np.ndarray, n: int, names: Sequence[str], what: str = "Fisher-z") -> None:
    """Raise a one-line :class:`DataError` when the correlation matrix is (numerically) singular.

    Every conditioning set's submatrix of a positive-definite matrix is invertible, so one
    check up front replaces causal-learn's mid-run ``Data correlation matrix is singular`` —
    and catches what its inverse lets through: columns collinear up to rounding, whose
    partial correlations are noise. Singular means a smallest eigenvalue below 1e-10.
    """
    p = corr.shape[0]
    if not np.all(np.isfinite(corr)):
        bad = sorted({names[i] for i in np.argwhere(~np.isfinite(corr))[:, 0]})
        raise DataError(f"the {what} test cannot use column(s) {', '.join(bad)} (no variation); remove them")
    if n <= p:
        raise DataError(f"{n} rows for {p} columns: the {what} test needs more rows than columns; "
                        "add rows or choose fewer columns with --columns")
    w, v = np.linalg.eigh(corr)
    if w[0] > _COLLINEAR:
        return
    # name the culprits: duplicates first, then the smallest set spanning a null direction
    dup = [(names[i], names[j]) for i in range(p) for j in range(i + 1, p) if abs(corr[i, j]) > 1 - 1e-12]
    if dup:
        a, b = dup[0]
        raise DataError(f"columns {a!r} and {b!r} are perfectly correlated (one is a copy or a linear function of "
                        "the other); drop one of them (--columns)")
    null = v[:, 0]
    involved = [names[i] for i in np.argsort(-np.abs(null)) if abs(null[i]) > 1e-6]
    raise DataError(f"columns {', '.join(involved)} are exactly collinear (one is a linear combination of the "
                    f"others, e.g. a total next to its parts); drop one of them (--columns)")


def _one_by_one(one: Any, x: np.ndarray, y: np.ndarray, S: np.ndarray) -> np.ndarray:
    """p-values of tests evaluated one at a time by ``one(x, y, S_tuple)``."""
    return np.array([one(int(a), int(b), tuple(int(v) for v in row)) for a, b, row in zip(x, y, S)], dtype=float)


class FisherZ:
    """Fisher's z test of partial correlation, from the correlation matrix and the row count.

    Examples
    --------
    >>> t = FisherZ(np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]]), 1000)
    >>> bool(t.pvalues(np.array([0, 0]), np.array([1, 2]), np.zeros((2, 0), int))[1] == 1.0)
    True
    """

    name = "fisherz"

    def __init__(self, corr: np.ndarray, n: int) -> None:
        self.corr = np.asarray(corr, dtype=float)
        self.n = int(n)
        self.n_vars = self.corr.shape[0]

    def pvalues(self, x: np.ndarray, y: np.ndarray, S: np.ndarray, chunk: int = 20000) -> np.ndarray:
        m, d = S.shape
        out = np.empty(m)
        for lo in range(0, m, chunk):
            hi = min(m, lo + chunk)
            xx, yy = x[lo:hi], y[lo:hi]
            if d == 0:  # the inverse of [[1, c], [c, 1]] gives back c
                r = self.corr[xx, yy].copy()
            elif d == 1:  # the first-order partial correlation in closed form
                z = S[lo:hi, 0]
                cxy, cxz, cyz = self.corr[xx, yy], self.corr[xx, z], self.corr[yy, z]
                r = (cxy - cxz * cyz) / np.sqrt(np.abs((1 - cxz * cxz) * (1 - cyz * cyz)))
            else:  # -P01 / sqrt(P00 P11) of the inverse of the [x, y, S] submatrices, all at once
                idx = np.concatenate([xx[:, None], yy[:, None], S[lo:hi]], axis=1)
                inv = np.linalg.inv(self.corr[idx[:, :, None], idx[:, None, :]])
                r = -inv[:, 0, 1] / np.sqrt(np.abs(inv[:, 0, 0] * inv[:, 1, 1]))
            big = np.abs(r) >= 1
            r[big] = (1.0 - _EPS) * np.sign(r[big])
            z = 0.5 * np.log((1 + r) / (1 - r))
            stat = np.sqrt(self.n - d - 3) * np.abs(z)
            out[lo:hi] = 2 * (1 - ndtr(np.abs(stat)))
        return out


class DiscreteTest:
    """χ² or G² test of conditional independence on integer category codes (causal-learn's rules).

    ``codes`` is an ``(n, p)`` array of 0-based codes, each column's values ``0 .. card - 1``.
    They are held in the smallest unsigned type that fits (one byte per cell for up to 256
    categories), so 5M rows × 50 columns cost 250 MB.

    A test with zero degrees of freedom — in every stratum of ``S`` one of the pair takes a
    single value, i.e. ``S`` determines it in this sample (a deterministic node given its
    parents, or strata too sparse to hold two values) — carries no evidence either way.
    causal-learn returns p = 1 for it, so it separates the pair. With ``determinism=True``
    (the guard ``PCDiscovery`` uses by default) it returns p = 0 for a non-empty ``S``: such
    a test never removes an edge, as in Tetrad's handling of determined variables.

    The reliability rule (``min_rows_per_stratum``, ``PCDiscovery``'s default 10): a test whose
    conditioning set ``S`` has more strata than ``n / min_rows_per_stratum`` (``∏|s|`` > n / 10:
    fewer than 10 rows per stratum on average) is not run. It reads the pair's association within
    each stratum, and with a handful of rows per stratum its G² carries no evidence either way, yet
    under causal-learn's rules it can separate the pair. Here it returns p = 0, so it never does
    (``unreliable`` counts them); it is decided from the categories alone, before any counting.
    pcalg's ``gSquareDis`` bounds the rows per *nominal degree of freedom* instead,
    ``(|x| - 1)(|y| - 1)·∏|s|``, and assumes independence below it; with 70–90-category variables
    (bnlearn's Mildew) that bound refuses nearly every conditional test, although causal-learn's
    degrees of freedom (empty rows and columns left out) make them informative: measured, it raised
    Mildew's SHD from 17.5 to 129.5 at 10 000 rows, where the per-stratum bound changes little
    (``benchmarks/bench_reliability.py``). 0 (this class's default) runs every test, as causal-learn does.
    """

    def __init__(self, codes: np.ndarray, *, gsq: bool = True, determinism: bool = False,
                 min_rows_per_stratum: float = 0.0) -> None:
        self.determinism = determinism
        self.determined = 0  # tests with zero degrees of freedom and a non-empty conditioning set
        self.determined_pairs: set[tuple[int, int]] = set()  # the pairs (lower index first) of those tests
        self.min_rows_per_stratum = min_rows_per_stratum
        self.unreliable = 0  # tests the reliability rule did not run
        codes = np.asarray(codes)
        self.n, self.n_vars = codes.shape
        self.cards = codes.max(axis=0).astype(np.int64) + 1
        top = int(self.cards.max())
        codes = codes.astype(np.uint8 if top <= 256 else np.uint16 if top <= 65536 else np.int64, copy=False)
        self.gsq = gsq
        self.name = "gsq" if gsq else "chisq"
        self._strata: dict[tuple[int, ...], tuple[np.ndarray, int]] = {}
        # one row per variable: the numpy path reads a column as a row, the kernel reads them all
        self._cols = np.ascontiguousarray(codes.T)

    def _stratum(self, S: tuple[int, ...]) -> tuple[np.ndarray, int]:
        """Each row's stratum of ``S`` as 0..k-1 over the strata present, and k."""
        hit = self._strata.get(S)
        if hit is not None:
            return hit
        if len(S) == 1:
            code, k = self._col(S[0]), int(self.cards[S[0]])
        else:
            base, k_base = self._stratum(S[:-1])
            code = base * int(self.cards[S[-1]]) + self._col(S[-1])
            k = k_base * int(self.cards[S[-1]])
        if k > self.n:  # re-index to the strata present, so the table stays small
            uniq, code = np.unique(code, return_inverse=True)
            k = len(uniq)
        if len(self._strata) > 4096:
            self._strata.clear()
        self._strata[S] = (code, k)
        return code, k

    def _col(self, j: int) -> np.ndarray:
        """Column ``j``'s codes widened for arithmetic (the stored ones are one or two bytes)."""
        return self._cols[j].astype(np.int64)

    def _one(self, x: int, y: int, S: tuple[int, ...]) -> float:
        cx, cy = int(self.cards[x]), int(self.cards[y])
        if S:
            code, k = self._stratum(S)
            counts = np.bincount(code * (cx * cy) + self._col(x) * cy + self._col(y), minlength=k * cx * cy)
            table = counts.reshape(k, cx, cy)
            s_tot = table.sum(axis=(1, 2))
            table = table[s_tot != 0]
            s_tot = s_tot[s_tot != 0]
            sx, sy = table.sum(axis=2), table.sum(axis=1)
            expected = sx[:, :, None] * sy[:, None, :] / s_tot[:, None, None]
        else:
            table = np.bincount(self._col(x) * cy + self._col(y), minlength=cx * cy).reshape(1, cx, cy)
            sx, sy = table.sum(axis=2), table.sum(axis=1)
            expected = np.outer(sx[0], sy[0])[None] / self.n
        zero = expected == 0
        e1 = np.where(zero, 1.0, expected)
        if self.gsq:
            ratio = table / e1
            ratio[ratio == 0] = 1
            stat = 2 * np.sum(table * np.log(ratio))
        else:
            stat = np.sum((table - expected) ** 2 / e1)
        zero_rows = zero.all(axis=2).sum(axis=1)
        zero_cols = zero.all(axis=1).sum(axis=1)
        df = int(np.sum((cx - 1 - zero_rows) * (cy - 1 - zero_cols)))
        if df == 0 and S:
            self.determined += 1
            self.determined_pairs.add((min(x, y), max(x, y)))
        return (0.0 if self.determinism and S else 1.0) if df == 0 else float(chdtrc(df, stat))

    def pvalues(self, x: np.ndarray, y: np.ndarray, S: np.ndarray) -> np.ndarray:
        m = S.shape[0]
        weak = self.weak(x, y, S)
        if not weak.any():
            return self._counted(x, y, S)
        self.unreliable += int(np.count_nonzero(weak))
        out = np.zeros(m)
        run = np.flatnonzero(~weak)
        out[run] = self._counted(x[run], y[run], S[run])
        return out

    def weak(self, x: np.ndarray, y: np.ndarray, S: np.ndarray) -> np.ndarray:
        """Which tests the reliability rule does not run: a non-empty ``S`` with fewer than
        ``min_rows_per_stratum`` rows per stratum on average."""
        m, d = S.shape
        if not (d and self.min_rows_per_stratum > 0 and m):
            return np.zeros(m, dtype=bool)
        # float: the strata of a deep set of many-category variables overflow int64
        return self.n < self.min_rows_per_stratum * self.cards[S].astype(float).prod(axis=1)

    def hopeless(self, x: int, neigh: np.ndarray, depth: int) -> np.ndarray:
        """For each ``y`` in ``neigh``: whether every ``depth``-subset of ``neigh`` without ``y`` is a set the
        reliability rule does not test ``x``–``y`` on (so the search need not list them): even the ``depth``
        fewest-category neighbours have too many strata.

        Examples
        --------
        >>> t = DiscreteTest(np.tile(np.arange(4), 25)[:, None] * np.ones((1, 4), int), min_rows_per_stratum=10)
        >>> t.hopeless(0, np.array([1, 2, 3]), 2).tolist()  # 100 rows < 10 * 4 * 4 strata
        [True, True, True]
        >>> t.hopeless(0, np.array([1, 2, 3]), 1).tolist()  # 100 rows >= 10 * 4
        [False, False, False]
        """
        if not depth or self.min_rows_per_stratum <= 0 or len(neigh) <= depth:
            return np.zeros(len(neigh), dtype=bool)
        c = self.cards[neigh].astype(float)
        rank = np.empty(len(c), dtype=np.int64)
        rank[np.argsort(c, kind="stable")] = np.arange(len(c))
        smallest = np.sort(c)[:depth + 1]
        # without y: the depth fewest categories of the others (one more if y is among the fewest)
        floor = np.where(rank < depth, smallest.prod() / c, smallest[:depth].prod())
        return self.n < self.min_rows_per_stratum * floor

    def _counted(self, x: np.ndarray, y: np.ndarray, S: np.ndarray) -> np.ndarray:
        """The p-values of tests that are run: counted, in batches where that pays."""
        m, d = S.shape
        out = np.empty(m)
        if m == 0:
            return out
        # the compiled kernel pays off once a batch counts a few million cells (loading it costs ~0.3 s)
        kernel = _count_kernel() if m * self.n >= _KERNEL_MIN_WORK else None
        if kernel is None:
            return _one_by_one(self._one, x, y, S)
        # tables small enough to count densely go to the compiled kernel in one call
        width = self.cards[S].prod(axis=1) * self.cards[x] * self.cards[y] if d else self.cards[x] * self.cards[y]
        dense = width <= max(4 * self.n, 1 << 16)
        if dense.any():
            idx = np.flatnonzero(dense)
            # tests sharing a conditioning set share its strata: group them, compute each once
            if d:
                uniq, which = np.unique(S[idx], axis=0, return_inverse=True)
                which = which.reshape(-1)
            else:
                uniq, which = np.zeros((1, 0), dtype=np.int64), np.zeros(len(idx), dtype=np.int64)
            order = np.argsort(which, kind="stable")
            xo, yo = x[idx][order], y[idx][order]
            stat, df = kernel(self._cols, self.cards, xo, yo, np.ascontiguousarray(uniq), which[order], self.gsq,
                              int(width[idx].max()))
            # zero degrees of freedom: causal-learn's p = 1; with the determinism guard, "cannot separate"
            res = np.where(df == 0, 0.0 if self.determinism and d else 1.0, chdtrc(np.maximum(df, 1), stat))
            if d and (df == 0).any():
                self.determined += int(np.count_nonzero(df == 0))
                zx, zy = xo[df == 0], yo[df == 0]
                self.determined_pairs.update(zip(np.minimum(zx, zy).tolist(), np.maximum(zx, zy).tolist()))
            out[idx[order]] = res
        sparse = np.flatnonzero(~dense)
        out[sparse] = _one_by_one(self._one, x[sparse], y[sparse], S[sparse])
        return out


_KERNEL: list = []

#: how many numbers the conditional-Gaussian test stacks at most in one pass (cells x continuous members squared)
_STACK = 1 << 21

_KERNEL_MIN_WORK = 500_000


def _count_kernel() -> Any:
    """The compiled counting kernel (:func:`causalllm.discovery.kernel.tables`), or None where numba is
    unavailable (numpy is used then). Imported on first use: loading it costs ~0.3 s."""
    if _KERNEL:
        return _KERNEL[0]
    try:
        from .kernel import tables
    except ImportError:  # pragma: no cover - numba is a dependency; this keeps odd platforms working
        _KERNEL.append(None)
        return None
    _KERNEL.append(tables)
    return tables


class DegenerateGaussian:
    """The degenerate-Gaussian likelihood-ratio test for mixed data (Andrews, Ramsey & Cooper 2019).

    Discrete variables are embedded as indicator columns (one per category but the last) and
    every variable is then treated as (possibly multivariate) Gaussian: the test of
    ``X ⫫ Y | S`` compares the Gaussian log-likelihood of regressing ``X``'s block on
    ``S``'s blocks with and without ``Y``'s block, a likelihood ratio with ``|X| · |Y|``
    degrees of freedom. Only the covariance matrix of the embedded data and the row count are
    needed. With two continuous variables it is Fisher-z's likelihood-ratio twin.
    """

    name = "dg"

    def __init__(self, cov: np.ndarray, blocks: list[np.ndarray], n: int) -> None:
        self.cov = np.asarray(cov, dtype=float)
        self.blocks = blocks
        self.n = int(n)
        self.n_vars = len(blocks)

    def _logdet(self, idx: np.ndarray) -> float:
        if len(idx) == 0:
            return 0.0
        sign, val = np.linalg.slogdet(self.cov[np.ix_(idx, idx)])
        return float(val) if sign > 0 else float("-inf")

    def _one(self, x: int, y: int, S: tuple[int, ...]) -> float:
        bx, by = self.blocks[x], self.blocks[y]
        bs = np.concatenate([self.blocks[s] for s in S]) if S else np.zeros(0, dtype=int)
        # log-likelihood ratio of X | (Y, S) against X | S; the Gaussian terms make it symmetric in X and Y
        lr = self.n * (self._logdet(np.concatenate([bx, bs])) + self._logdet(np.concatenate([by, bs]))
                       - self._logdet(np.concatenate([bx, by, bs])) - self._logdet(bs))
        df = len(bx) * len(by)
        if not np.isfinite(lr):
            return 0.0
        return float(chdtrc(df, max(lr, 0.0)))

    def pvalues(self, x: np.ndarray, y: np.ndarray, S: np.ndarray) -> np.ndarray:
        return _one_by_one(self._one, x, y, S)


#: a set to fit: itself, its discrete members, its continuous ones' columns, and its cells (ids, counts, log-likelihood)
_Member = tuple[tuple[int, ...], tuple[int, ...], list[int], tuple[np.ndarray, np.ndarray, float]]


class ConditionalGaussian:
    """The conditional-Gaussian likelihood-ratio test for mixed data (Andrews, Ramsey & Cooper 2018).

    A set ``A`` of variables splits the rows into cells, one per joint category of its discrete
    members that occurs; the cells are multinomial and, within a cell ``c`` of ``n_c`` rows, the
    continuous members are Gaussian with the cell's mean and the covariance
    ``C_c = (n_c S_c + R) / (n_c + 1)`` — the cell's maximum-likelihood covariance ``S_c``
    shrunk toward ``R``, that of all rows, by one pseudo-row (regularised discriminant analysis,
    Friedman 1989), so small cells stay finite. With ``d`` continuous members,

    ``l(A) = Σ_c n_c log(n_c / n) - n_c / 2 (log det C_c + d log 2π + tr(C_c⁻¹ S_c))``

    and ``k(A) = K (d (d + 3) / 2 + 1) - 1`` parameters, ``K`` the number of possible joint
    categories. The test of ``X ⫫ Y | S`` is ``2 (l(X,Y,S) - l(Y,S) - l(X,S) + l(S))`` on
    ``k(X,Y,S) - k(Y,S) - k(X,S) + k(S)`` degrees of freedom. On continuous columns alone it is
    ``-n log(1 - r²)``; on discrete ones, G². Continuous columns are standardised (the units
    cancel in the ratio). It needs cell counts and per-cell sums of the columns and of their
    products.
    """

    name = "cg"

    def __init__(self, X: np.ndarray, discrete: np.ndarray) -> None:
        X = np.asarray(X, dtype=float)
        self.n, self.n_vars = X.shape
        self.discrete = np.asarray(discrete, dtype=bool)
        self._codes: dict[int, np.ndarray] = {}
        self._cards: dict[int, int] = {}
        self._col: dict[int, int] = {}
        cont = [j for j in range(self.n_vars) if not self.discrete[j]]
        for j in range(self.n_vars):
            if self.discrete[j]:
                levels, codes = np.unique(X[:, j], return_inverse=True)
                self._codes[j] = codes.reshape(-1).astype(np.int64)
                self._cards[j] = len(levels)
        for k, j in enumerate(cont):
            self._col[j] = k
        Z = X[:, cont]
        Z = (Z - Z.mean(axis=0)) / Z.std(axis=0) if cont else np.zeros((self.n, 0))
        self._Z = np.ascontiguousarray(Z.T)
        self._R = Z.T @ Z / self.n
        self._whole = np.zeros(self.n, dtype=np.int64)  # every row in the one cell of a set without discrete members
        self._ll: dict[tuple[int, ...], float] = {}
        self._cells: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray, float]] = {}
        self._moments: dict[tuple[tuple[int, ...], int, int], np.ndarray] = {}

    def _cell_ids(self, D: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, float]:
        """Each row's cell among those that occur, the cells' counts, and their multinomial log-likelihood."""
        hit = self._cells.get(D)
        if hit is None:
            ids, counts = _renumber(joint_codes([(self._codes[j], self._cards[j]) for j in D], self.n))
            counts = counts.astype(float)
            hit = (ids, counts, float(np.sum(counts * np.log(counts / self.n))))
            if len(self._cells) > 4096:
                self._cells.clear()
                self._moments.clear()
            self._cells[D] = hit
        return hit

    def _moment(self, D: tuple[int, ...], ids: np.ndarray, k: int, a: int, b: int) -> np.ndarray:
        """Per-cell sums of column ``a`` times column ``b`` (``b = -1``: of column ``a`` alone)."""
        key = (D, a, b)
        hit = self._moments.get(key)
        if hit is None:
            w = self._Z[a] if b < 0 else self._Z[a] * self._Z[b]
            hit = np.bincount(ids, weights=w, minlength=k)
            if len(self._moments) > 100_000:
                self._moments.clear()
            self._moments[key] = hit
        return hit

    def _loglik(self, A: tuple[int, ...]) -> float:
        """``l(A)`` of the sorted set ``A``."""
        hit = self._ll.get(A)
        return hit if hit is not None else self._fit([A])[A]

    def _fit(self, keys: Sequence[tuple[int, ...]]) -> dict[tuple[int, ...], float]:
        """``l(A)`` of each sorted set ``A`` in ``keys``, remembered. The cells of all the sets with the same number
        of continuous members are stacked and their Gaussian terms computed in one pass (as andrey-core's
        ``loglik_many`` does): a test costs a few array operations per batch, not per set."""
        out: dict[tuple[int, ...], float] = {}
        by_d: dict[int, list[_Member]] = {}
        cells: dict[int, int] = {}
        for A in keys:
            D = tuple(j for j in A if self.discrete[j])
            C = [self._col[j] for j in A if not self.discrete[j]]
            hit = self._cell_ids(D) if D else (self._whole, np.array([float(self.n)]), 0.0)
            if not C:
                out[A] = hit[2]
                continue
            d = len(C)
            by_d.setdefault(d, []).append((A, D, C, hit))
            cells[d] = cells.get(d, 0) + len(hit[1])
            if cells[d] * d * d > _STACK:  # bounded stacks
                out.update(self._gaussian(d, by_d.pop(d)))
                cells[d] = 0
        for d, group in by_d.items():
            out.update(self._gaussian(d, group))
        if len(self._ll) > 200_000:
            self._ll.clear()
        self._ll.update(out)
        return out

    def _gaussian(self, d: int, group: list[_Member]) -> dict[tuple[int, ...], float]:
        """``l(A)`` of sets with ``d`` continuous members ``C`` and discrete members ``D`` (their cells given), in one
        stacked pass."""
        counts, means, M2s, Rs, base = [], [], [], [], []
        for _A, D, C, (ids, cnt, ll) in group:
            k = len(cnt)
            M2 = np.empty((k, d, d))
            for u in range(d):
                for v in range(u, d):
                    M2[:, u, v] = M2[:, v, u] = self._moment(D, ids, k, C[u], C[v])
            mean = np.empty((k, d))
            for u in range(d):
                mean[:, u] = self._moment(D, ids, k, C[u], -1)
            counts.append(cnt)
            means.append(mean / cnt[:, None])
            M2s.append(M2)
            Rs.append(self._R[C][:, C])
            base.append(ll)
        sizes = np.array([len(c) for c in counts])
        starts = np.cumsum(sizes) - sizes
        n_c = np.concatenate(counts)[:, None, None]
        mean = np.concatenate(means)
        S = np.concatenate(M2s) / n_c - mean[:, :, None] * mean[:, None, :]
        Cc = (n_c * S + np.repeat(np.array(Rs), sizes, axis=0)) / (n_c + 1)
        sign, logdet = np.linalg.slogdet(Cc)
        trace = np.trace(np.linalg.solve(Cc, S), axis1=1, axis2=2)
        terms = n_c[:, 0, 0] / 2 * (logdet + d * np.log(2 * np.pi) + trace)
        values = np.array(base) - np.add.reduceat(terms, starts)
        values[np.minimum.reduceat(sign, starts) <= 0] = np.nan
        return {member[0]: float(v) for member, v in zip(group, values)}

    def _params(self, A: tuple[int, ...]) -> int:
        K = 1
        d = 0
        for j in A:
            if self.discrete[j]:
                K *= self._cards[j]
            else:
                d += 1
        return K * (d * (d + 3) // 2 + 1) - 1

    def pvalues(self, x: np.ndarray, y: np.ndarray, S: np.ndarray) -> np.ndarray:
        """The p-values of a batch: the four sets of every test, those not yet known fitted together."""
        keys = []
        for a, b, row in zip(x.tolist(), y.tolist(), S.tolist()):
            s = tuple(sorted(row))
            keys += [tuple(sorted((a, b, *s))), tuple(sorted((b, *s))), tuple(sorted((a, *s))), s]
        known = {A: self._ll[A] for A in set(keys) if A in self._ll}
        todo = [A for A in dict.fromkeys(keys) if A not in known]
        if todo:
            known.update(self._fit(todo))
        out = np.empty(len(x))
        for t in range(len(x)):
            sets = keys[4 * t:4 * t + 4]
            lxys, lys, lxs, ls = (known[A] for A in sets)
            kxys, kys, kxs, ks = (self._params(A) for A in sets)
            stat = 2 * (lxys - lys - lxs + ls)
            df = kxys - kys - kxs + ks
            out[t] = 1.0 if df <= 0 or not np.isfinite(stat) else chdtrc(df, max(stat, 0.0))
        return out


def joint_codes(columns: Sequence[tuple[np.ndarray, int]], n: int) -> np.ndarray:
    """Each of the ``n`` rows' joint category of ``(codes, categories)`` columns, in the order of the product code;
    renumbered to the combinations that occur whenever the product passes ``4 n``, so it never overflows."""
    code = np.zeros(n, dtype=np.int64)
    for col, card in columns:
        code = code * int(card) + col
        if code.max() > 4 * n:
            code = _renumber(code)[0]
    return code


def _renumber(code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes renumbered 0.. in order of the codes that occur, and each one's count (``np.unique``'s
    ``return_inverse``/``return_counts``), by counting instead of sorting where the codes are few."""
    if code.max() > 8 * len(code):
        _, ids, counts = np.unique(code, return_inverse=True, return_counts=True)
        return ids.reshape(-1), counts
    seen = np.bincount(code)
    occurs = seen > 0
    return (np.cumsum(occurs) - 1)[code], seen[occurs]
