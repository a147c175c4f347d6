"""The data engine: PC-stable on sufficient statistics, with batched CI tests and causal-learn's exact output.

causal-learn's ``pc`` spends ~95% of its time on per-test Python overhead (a cache-key string,
``np.ix_``, a tiny ``inv`` and a scalar ``norm.cdf`` per test), a skeleton loop that scans a
list of removals once per neighbour pair, and deep copies of the data during orientation. This
engine runs the same algorithm on the statistics the tests need — the correlation matrix and
the row count for Fisher-z, integer category codes for G² and χ², cell counts and per-cell
moments for the conditional-Gaussian test, the correlation matrix of the indicator-embedded data
for the degenerate-Gaussian test — and evaluates all tests of one conditioning-set size at once.

What it reproduces, and how (tested against causal-learn on every bundled dataset and on
random graphs)
---------------------------------------------------------------------------------------
* **Tests**: the same set as causal-learn's ``pc(stable=True)``: per node ``x`` in column
  order, per neighbour ``y``, every ``d``-subset of ``adj(x) \\ {y}`` in combination order;
  a test already run from the other side (same pair and set) is not run again. Fisher-z: the
  partial correlation ``r`` (the correlation itself for ``|S| = 0``, the closed form for
  ``|S| = 1``, else from the inverse of the ``[x, y, S]`` correlation submatrices, batched),
  ``p = 2 (1 - Φ(√(n - |S| - 3) |atanh r|))``; p-values agree with causal-learn's to ~1e-14. G²/χ²: counts of the
  non-empty strata of ``S``, degrees of freedom ``Σ (r_s - 1)(c_s - 1)`` over the rows and
  columns present in each stratum, ``p = 1`` when there are none — causal-learn's rules.
* **Skeleton** (PC-stable): removals applied at the end of each depth; a removed pair's
  separating set is the union of every set that separated it at that depth, from either side.
* **Orientation**: causal-learn's ``uc_sepset`` with priority 2 (existing colliders win) and
  its ``meek``, replayed on the endpoint matrix in causal-learn's iteration order — including
  its ancestor bookkeeping (``dpath``), which decides when Meek's rules decline an orientation.

Every test's conditioning set and p-value is recorded (:attr:`PCRun.log`), so evidence and
later checks never read a private cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Protocol

import numpy as np
from scipy.special import chdtrc, ndtr

from .errors import DataError

__all__ = ["ENGINE_VERSION", "CITest", "FisherZ", "DiscreteTest", "DegenerateGaussian", "ConditionalGaussian", "PCRun",
           "TestLog", "pc_stable", "pc_guess", "guided_skeleton", "guess_order",
           "skeleton", "orient", "check_correlation"]

#: Bumped whenever the engine's output could change.
ENGINE_VERSION = "1"

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


# ------------------------------------------------------------------ the tests

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
    """

    def __init__(self, codes: np.ndarray, *, gsq: bool = True, determinism: bool = False) -> None:
        self.determinism = determinism
        self.determined = 0  # tests with zero degrees of freedom and a non-empty conditioning set
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
        return (0.0 if self.determinism and S else 1.0) if df == 0 else float(chdtrc(df, stat))

    def pvalues(self, x: np.ndarray, y: np.ndarray, S: np.ndarray) -> np.ndarray:
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
            stat, df = kernel(self._cols, self.cards, x[idx][order], y[idx][order], np.ascontiguousarray(uniq),
                              which[order], self.gsq, int(width[idx].max()))
            # zero degrees of freedom: causal-learn's p = 1; with the determinism guard, "cannot separate"
            res = np.where(df == 0, 0.0 if self.determinism and d else 1.0, chdtrc(np.maximum(df, 1), stat))
            self.determined += int(np.count_nonzero(df == 0)) if d else 0
            out[idx[order]] = res
        sparse = np.flatnonzero(~dense)
        out[sparse] = _one_by_one(self._one, x[sparse], y[sparse], S[sparse])
        return out


_KERNEL: list = []
_KERNEL_MIN_WORK = 500_000


def _count_kernel() -> Any:
    """The compiled counting kernel (numba), or None where numba is unavailable (numpy is used then)."""
    if _KERNEL:
        return _KERNEL[0]
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency; this keeps odd platforms working
        _KERNEL.append(None)
        return None

    @numba.njit(cache=True, nogil=True)
    def tables(codes_t, cards, xs, ys, S_unique, s_of_test, gsq, width):  # pragma: no cover - compiled
        m = xs.shape[0]
        d = S_unique.shape[1]
        n = codes_t.shape[1]
        counts = np.zeros(width, dtype=np.int64)
        strata = np.zeros(n, dtype=np.int64)
        stat = np.zeros(m)
        dfs = np.zeros(m, dtype=np.int64)
        top = 1
        for v in range(cards.shape[0]):
            top = max(top, cards[v])
        sa = np.zeros(top, dtype=np.int64)
        sb = np.zeros(top, dtype=np.int64)
        current = -1
        k = 1
        for t in range(m):
            if s_of_test[t] != current:  # a new conditioning set: its strata, once
                current = s_of_test[t]
                k = 1
                for r in range(n):
                    strata[r] = 0
                for j in range(d):
                    v = S_unique[current, j]
                    cv = cards[v]
                    k *= cv
                    for r in range(n):
                        strata[r] = strata[r] * cv + codes_t[v, r]
            x, y = xs[t], ys[t]
            cx, cy = cards[x], cards[y]
            cxy = cx * cy
            size = k * cxy
            counts[:size] = 0
            for r in range(n):
                counts[strata[r] * cxy + codes_t[x, r] * cy + codes_t[y, r]] += 1
            g = 0.0
            df = 0
            for st in range(k):
                base = st * cxy
                sa[:] = 0
                sb[:] = 0
                tot = 0
                for a in range(cx):
                    for b in range(cy):
                        c = counts[base + a * cy + b]
                        sa[a] += c
                        sb[b] += c
                        tot += c
                if tot == 0:
                    continue
                zero_rows = 0
                for a in range(cx):
                    if sa[a] == 0:
                        zero_rows += 1
                zero_cols = 0
                for b in range(cy):
                    if sb[b] == 0:
                        zero_cols += 1
                df += (cx - 1 - zero_rows) * (cy - 1 - zero_cols)
                for a in range(cx):
                    for b in range(cy):
                        e = sa[a] * sb[b] / tot
                        c = counts[base + a * cy + b]
                        if gsq:
                            if c > 0:
                                g += c * np.log(c / e)
                        elif e > 0:
                            g += (c - e) ** 2 / e
            stat[t] = 2 * g if gsq else g
            dfs[t] = df
        return stat, dfs

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
        self._ll: dict[tuple[int, ...], float] = {}
        self._cells: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray, float]] = {}
        self._moments: dict[tuple[tuple[int, ...], int, int], np.ndarray] = {}

    def _cell_ids(self, D: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, float]:
        """Each row's cell among those that occur, the cells' counts, and their multinomial log-likelihood."""
        hit = self._cells.get(D)
        if hit is None:
            code = np.zeros(self.n, dtype=np.int64)
            for j in D:
                code = code * self._cards[j] + self._codes[j]
                if code.max() > 4 * self.n:  # keep the codes small: renumber the cells that occur
                    code = np.unique(code, return_inverse=True)[1].reshape(-1)
            _, ids, counts = np.unique(code, return_inverse=True, return_counts=True)
            counts = counts.astype(float)
            hit = (ids.reshape(-1), counts, float(np.sum(counts * np.log(counts / self.n))))
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
        hit = self._ll.get(A)
        if hit is not None:
            return hit
        D = tuple(j for j in A if self.discrete[j])
        C = [self._col[j] for j in A if not self.discrete[j]]
        d = len(C)
        if D:
            ids, counts, ll = self._cell_ids(D)
        else:
            ids, counts, ll = np.zeros(self.n, dtype=np.int64), np.array([float(self.n)]), 0.0
        if d:
            k = len(counts)
            mean = np.stack([self._moment(D, ids, k, a, -1) for a in C], axis=1) / counts[:, None]
            M2 = np.empty((k, d, d))
            for u in range(d):
                for v in range(u, d):
                    M2[:, u, v] = M2[:, v, u] = self._moment(D, ids, k, C[min(u, v)], C[max(u, v)])
            S = M2 / counts[:, None, None] - mean[:, :, None] * mean[:, None, :]
            R = self._R[np.ix_(C, C)]
            Cc = (counts[:, None, None] * S + R) / (counts[:, None, None] + 1)
            sign, logdet = np.linalg.slogdet(Cc)
            trace = np.trace(np.linalg.solve(Cc, S), axis1=1, axis2=2)
            ll -= float(np.sum(counts / 2 * (logdet + d * np.log(2 * np.pi) + trace)))
            if np.any(sign <= 0):
                ll = float("nan")
        self._ll[A] = ll
        if len(self._ll) > 200_000:
            self._ll.clear()
        return ll

    def _params(self, A: tuple[int, ...]) -> int:
        K = 1
        d = 0
        for j in A:
            if self.discrete[j]:
                K *= self._cards[j]
            else:
                d += 1
        return K * (d * (d + 3) // 2 + 1) - 1

    def _one(self, x: int, y: int, S: tuple[int, ...]) -> float:
        sets = [tuple(sorted((x, y) + S)), tuple(sorted((y,) + S)), tuple(sorted((x,) + S)), tuple(sorted(S))]
        lxys, lys, lxs, ls = (self._loglik(A) for A in sets)
        kxys, kys, kxs, ks = (self._params(A) for A in sets)
        stat = 2 * (lxys - lys - lxs + ls)
        df = kxys - kys - kxs + ks
        if df <= 0 or not np.isfinite(stat):
            return 1.0
        return float(chdtrc(df, max(stat, 0.0)))

    def pvalues(self, x: np.ndarray, y: np.ndarray, S: np.ndarray) -> np.ndarray:
        return _one_by_one(self._one, x, y, S)


# ------------------------------------------------------------------ the skeleton

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
                    sepsets[(i, j)] = tuple(sorted(sets[hit[0]]))
                    adj[i, j] = adj[j, i] = False
                    break
        if rec:
            log.depths.append((np.array([r[0] for r in rec]), np.array([r[1] for r in rec]),
                               np.array([r[2] for r in rec], dtype=np.int64).reshape(len(rec), depth),
                               np.array([r[3] for r in rec])))
    return adj, sepsets, log, depth


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


# ------------------------------------------------------------------ orientation

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


def orient(adj: np.ndarray, sepsets: dict[tuple[int, int], tuple[int, ...]]) -> np.ndarray:
    """Colliders (``uc_sepset``, priority 2) then Meek's rules, exactly as causal-learn's ``pc`` does.

    Examples
    --------
    >>> adj = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool)
    >>> orient(adj, {(0, 2): ()}).tolist()  # 0 -> 1 <- 2: 1 did not separate 0 and 2
    [[0, -1, 0], [1, 0, 1], [0, -1, 0]]
    """
    E = _Endpoints(adj)
    for x, y, z in [t for t in E.unshielded_triples() if t[0] < t[2]]:
        if y in sepsets.get((x, z), ()):
            continue
        if not E.directed(y, x) and not E.directed(y, z):
            E.orient(x, y)
            E.orient(z, y)
    UT, Tri = E.unshielded_triples(), E.triangles()
    Kite = E.kites(Tri)
    loop = True
    while loop:
        loop = False
        for i, j, k in UT:
            if E.directed(i, j) and E.undirected(j, k) and not E.dpath[j, k] == 1:
                E.orient(j, k)
                loop = True
        for i, j, k in Tri:
            if E.directed(i, j) and E.directed(j, k) and E.undirected(i, k) and not E.dpath[i, k] == 1:
                E.orient(i, k)
                loop = True
        for i, j, k, m in Kite:
            if (E.undirected(i, j) and E.undirected(i, k) and E.directed(j, m) and E.directed(k, m)
                    and E.undirected(i, m) and not E.dpath[i, m] == 1):
                E.orient(i, m)
                loop = True
    return E.g


def pc_stable(test: CITest, alpha: float, *, max_depth: int | None = None) -> PCRun:
    """PC-stable with ``test``: skeleton, then causal-learn's default orientation."""
    adj, sepsets, log, depth = skeleton(test, alpha, max_depth=max_depth)
    return PCRun(graph=orient(adj, sepsets), sepsets=sepsets, log=log, depth=depth)


def pc_guess(test: CITest, alpha: float, guess: np.ndarray, *, max_depth: int | None = None) -> PCRun:
    """PC-Guess with ``test``: :func:`guided_skeleton`, then the same orientation as :func:`pc_stable`."""
    adj, sepsets, log, depth = guided_skeleton(test, alpha, guess, max_depth=max_depth)
    return PCRun(graph=orient(adj, sepsets), sepsets=sepsets, log=log, depth=depth)
