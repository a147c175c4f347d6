"""The compiled counting kernel of the G²/χ² test (numba): the contingency tables of many tests at once.

Imported only when a batch of discrete tests is big enough to pay for it
(:meth:`causalllm.discovery.citests.DiscreteTest.pvalues`). Tests that share a conditioning set
share its strata, computed once; each test's table is counted densely and reduced, per stratum,
to its statistic and degrees of freedom (causal-learn's rules: empty rows and columns of a
stratum are not counted).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["tables"]


@numba.njit(cache=True, nogil=True)
def _strata(codes_t: np.ndarray, cards: np.ndarray, S_row: np.ndarray,
            strata: np.ndarray) -> int:  # pragma: no cover - compiled
    """Each row's stratum of the conditioning set ``S_row`` (in ``strata``); returns how many strata."""
    n = codes_t.shape[1]
    k = 1
    for r in range(n):
        strata[r] = 0
    for j in range(S_row.shape[0]):
        v = S_row[j]
        cv = cards[v]
        k *= cv
        for r in range(n):
            strata[r] = strata[r] * cv + codes_t[v, r]
    return k


@numba.njit(cache=True, nogil=True)
def _stratum(counts: np.ndarray, base: int, cx: int, cy: int, sa: np.ndarray, sb: np.ndarray, gsq: bool,
             g: float) -> tuple[float, int]:  # pragma: no cover - compiled
    """One stratum's contribution added to the running statistic ``g`` (one sum across strata, in causal-learn's
    order): ``(g, degrees of freedom)``; an empty stratum adds nothing."""
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
        return g, 0
    zero_rows = (sa[:cx] == 0).sum()
    zero_cols = (sb[:cy] == 0).sum()
    for a in range(cx):
        for b in range(cy):
            e = sa[a] * sb[b] / tot
            c = counts[base + a * cy + b]
            if gsq:
                if c > 0:
                    g += c * np.log(c / e)
            elif e > 0:
                g += (c - e) ** 2 / e
    return g, (cx - 1 - zero_rows) * (cy - 1 - zero_cols)


@numba.njit(cache=True, nogil=True)
def tables(codes_t: np.ndarray, cards: np.ndarray, xs: np.ndarray, ys: np.ndarray, S_unique: np.ndarray,
           s_of_test: np.ndarray, gsq: bool, width: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Statistic and degrees of freedom of every test ``(xs[t], ys[t] | S_unique[s_of_test[t]])``, the tests
    sorted by conditioning set; ``width`` bounds the largest table."""
    m = xs.shape[0]
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
            k = _strata(codes_t, cards, S_unique[current], strata)
        x, y = xs[t], ys[t]
        cx, cy = cards[x], cards[y]
        cxy = cx * cy
        counts[:k * cxy] = 0
        for r in range(n):
            counts[strata[r] * cxy + codes_t[x, r] * cy + codes_t[y, r]] += 1
        g = 0.0
        df = 0
        for st in range(k):
            g, sdf = _stratum(counts, st * cxy, cx, cy, sa, sb, gsq, g)
            df += sdf
        stat[t] = 2 * g if gsq else g
        dfs[t] = df
    return stat, dfs
