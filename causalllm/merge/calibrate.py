"""How much the expert is trusted *on this dataset*: its agreement with the data's robust orientations.

The expert is calibrated on the robust orientations: among its order-consistent directional
answers on those edges, ``k`` agree and ``m`` disagree. With the data right on robust edges with
probability ``d`` (prior :data:`ROBUST_PRIOR`), agreement ``a = d q + (1 - d)(1 - q)`` gives the
expert's accuracy ``q`` (prior :data:`EXPERT_PRIOR`), on a grid posterior; ``trust`` is the
one-sided 95% lower bound of ``q`` and ``trust_mean`` its posterior mean.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import networkx as nx
import numpy as np

from ..expert.answers import PairAnswer
from ..graph import pair_key

__all__ = ["CALIBRATION_LEVEL", "DATA_RELIABILITY", "EXPERT_PRIOR", "LOCAL_CALIBRATION", "ROBUST_PRIOR", "calibrate",
           "local_trust", "usable_direction"]

#: Prior probability that the data's orientation is right, by evidence class.
DATA_RELIABILITY = {"robust": 0.8, "weak": 0.6, "undirected": 0.5}

CALIBRATION_LEVEL = 0.05

#: What an expert is assumed to be worth before calibration edges speak: (mean accuracy on
#: directed answers, strength in calibration edges). Chosen by measurement across profiles
#: (``benchmarks/bench_calibration.py``, README "Calibration"); the published rates (GPT-4 97.5% on
#: true edges, ~51% with disguised names) bracket the mean.
EXPERT_PRIOR = (0.75, 4.0)

#: The data's accuracy on robust orientations: (mean, strength). Measured 62.5–95% across
#: networks and sample sizes, hence a loose prior around DATA_RELIABILITY["robust"].
ROBUST_PRIOR = (0.8, 6.0)

#: Per-pair calibration (:func:`local_trust`) instead of one global figure. Measured off
#: (benchmarks/bench_calibration.py, 6 networks × 6 profiles): +0.001 orientation F1 for the topical
#: expert, −0.002 to −0.008 for good ones; a variable touches too few robust orientations.
LOCAL_CALIBRATION = False

#: How many robust edges the global estimate is worth in a pair's local calibration.
LOCAL_STRENGTH = 4.0


def _beta_grid(mean: float, strength: float, grid: np.ndarray) -> np.ndarray:
    """Beta(mean·strength, (1−mean)·strength) density on ``grid`` (flat when strength is 0)."""
    if strength <= 0:
        return np.ones_like(grid)
    a, b = mean * strength, (1 - mean) * strength
    return np.exp((a - 1) * np.log(grid) + (b - 1) * np.log1p(-grid))


def calibrate(pairs: dict[frozenset, PairAnswer], R: nx.DiGraph, level: float = CALIBRATION_LEVEL,
              prior: tuple[float, float] | None = None) -> dict:
    """The expert's agreement with the robust data orientations and the trust it earns.

    Agreement ``a = d q + (1 − d)(1 − q)`` mixes two unknowns: the expert's accuracy ``q`` and
    the data's accuracy ``d`` on robust edges. Both get a prior — ``q`` the expert prior
    (:data:`EXPERT_PRIOR`, mean and strength in calibration edges), ``d`` :data:`ROBUST_PRIOR` —
    and the ``k`` agreements and ``m`` disagreements update them jointly (a grid posterior), so a
    disagreement is blamed on whichever side is more likely wrong. ``trust`` is the one-sided 95%
    lower bound of ``q``, ``trust_mean`` its posterior mean.

    Examples
    --------
    >>> from causalllm.graph import make_graph, add_edge
    >>> R = make_graph("abc"); add_edge(R, "a", "b"); add_edge(R, "c", "b")
    >>> good = {pair_key("a", "b"): PairAnswer("a", "b", "-->", 0.9, True),
    ...         pair_key("b", "c"): PairAnswer("b", "c", "<--", 0.9, True)}
    >>> calibrate(good, R)["agree"], calibrate(good, R)["disagree"]
    (2, 0)
    """
    votes = _votes(pairs, R)
    k, m = sum(votes.values()), len(votes) - sum(votes.values())
    q_mean, q_strength = EXPERT_PRIOR if prior is None else prior
    q_low, q_avg = _posterior(k, m, (q_mean, q_strength), level)
    return {"agree": k, "disagree": m, "trust": round(q_low, 4), "trust_mean": round(q_avg, 4), "level": level,
            "expert_prior": {"mean": q_mean, "strength": q_strength},
            "robust_prior": {"mean": ROBUST_PRIOR[0], "strength": ROBUST_PRIOR[1]},
            "data_reliability": dict(DATA_RELIABILITY)}


def _votes(pairs: dict[frozenset, PairAnswer], R: nx.DiGraph) -> dict[tuple[str, str], bool]:
    """Each robust data orientation the expert answered usably → whether it agreed."""
    out = {}
    for u, v, d in R.edges(data=True):
        if d["mark"] != "-->":
            continue
        p = pairs.get(pair_key(u, v))
        if p is None or p.order_consistent is False or p.directed() is None:
            continue
        out[(u, v)] = p.directed() == (u, v)
    return out


_GRID = (np.arange(400) + 0.5) / 400


@functools.cache
def _log_agreement() -> tuple[np.ndarray, np.ndarray]:
    """log a and log(1 − a) on the (q, d) grid, a = d q + (1 − d)(1 − q): computed once, on first use."""
    Q, D = np.meshgrid(_GRID, _GRID, indexing="ij")
    a = D * Q + (1 - D) * (1 - Q)
    return np.log(a), np.log1p(-a)


def _posterior(k: int, m: int, prior: tuple[float, float], level: float) -> tuple[float, float]:
    """(lower ``level`` quantile, mean) of the expert's accuracy after ``k`` agreements and ``m``
    disagreements, jointly with the data's robust accuracy (see :func:`calibrate`)."""
    log_a, log_not_a = _log_agreement()
    post = (_beta_grid(prior[0], prior[1], _GRID)[:, None] * _beta_grid(*ROBUST_PRIOR, _GRID)[None, :]
            * np.exp(k * log_a + m * log_not_a))
    q_post = post.sum(axis=1)
    q_post /= q_post.sum()
    return float(_GRID[np.searchsorted(np.cumsum(q_post), level)]), float((_GRID * q_post).sum())


def local_trust(pairs: dict[frozenset, PairAnswer], R: nx.DiGraph, cal: dict, keys: Iterable[frozenset],
                strength: float | None = None, level: float = CALIBRATION_LEVEL) -> dict[frozenset, tuple[float, float]]:
    """Per pair, the expert's accuracy where it is answering: the robust orientations that share a
    variable with the pair, starting from the global estimate (worth ``strength`` edges).

    A model that knows one field and not another is right on one cluster of variables and
    guessing on the other; the global figure averages the two. Returns ``key → (lower bound,
    mean)``; a pair with no robust neighbour keeps the global figures."""
    votes = _votes(pairs, R)
    out = {}
    for key in keys:
        a, b = sorted(key)
        seen = {e: ok for e, ok in votes.items() if a in e or b in e}
        if not seen:
            out[key] = (cal["trust"], cal["trust_mean"])
            continue
        k = sum(seen.values())
        out[key] = _posterior(k, len(seen) - k, (cal["trust_mean"], LOCAL_STRENGTH if strength is None else strength),
                              level)
    return out


def usable_direction(p: PairAnswer | None) -> tuple[str, str] | None:
    """The expert's direction if it is a consistent, directional answer."""
    if p is None or p.order_consistent is False:
        return None
    return p.directed()


