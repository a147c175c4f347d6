"""Edge stability: PC re-fitted on subsamples of the rows (``--bootstrap``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..data.dataset import Dataset
from ..errors import ConfigError, DataError
from ..graph import pair_key

if TYPE_CHECKING:
    from .pc import PCDiscovery

__all__ = ["bootstrap"]


def bootstrap(pc: PCDiscovery, ds: Dataset, resamples: int, *, seed: int = 0, fraction: float = 0.5
              ) -> dict[frozenset, dict[str, float]]:
    """Edge stability: PC re-fitted (same test, alpha, engine and knowledge) on ``resamples`` subsamples of the rows.

    Each subsample draws ``fraction`` of the rows without replacement — duplicated rows would
    inflate every test's power, as in ``evaluate`` — with a seed derived from ``seed``. Returns,
    for every pair adjacent in at least one resample, the share of resamples where it was
    adjacent and where each direction was drawn (``"a->b"`` for the pair read in column order).

    Examples
    --------
    >>> from causalllm.data import load_dataset
    >>> from causalllm.discovery.pc import PCDiscovery
    >>> ds = load_dataset("asia")
    >>> st = bootstrap(PCDiscovery().fit(ds), ds, 3, seed=0)
    >>> st[pair_key("tub", "either")]["adjacent"]
    1.0
    """
    if resamples < 1:
        raise ConfigError(f"--bootstrap needs at least 1 resample, got {resamples}")
    if ds.frame is None:
        raise ConfigError("--bootstrap re-fits PC on subsamples of the rows, but this table was streamed into its "
                          "statistics; use --stream never to load the rows")
    rows = ds.rows("--bootstrap")
    m = int(len(rows) * fraction)
    if m <= len(ds.columns):
        raise DataError(f"--bootstrap subsamples {m} of {len(rows)} rows, too few for {len(ds.columns)} columns; "
                        "add rows or leave out --bootstrap")
    idx = {c: i for i, c in enumerate(ds.columns)}
    counts: dict[frozenset, dict[str, float]] = {}
    rng = np.random.default_rng(seed)
    for _ in range(resamples):
        take = np.sort(rng.choice(len(rows), size=m, replace=False))
        fit = pc._like().fit(ds.with_frame(rows.iloc[take].reset_index(drop=True)))
        for u, v, mark in fit.graph_.edges(data="mark"):
            a, b = sorted((u, v), key=idx.__getitem__)
            c = counts.setdefault(pair_key(a, b), {"adjacent": 0.0, f"{a}->{b}": 0.0, f"{b}->{a}": 0.0})
            c["adjacent"] += 1
            if mark == "-->":
                c[f"{u}->{v}"] += 1
    return {k: {name: n / resamples for name, n in c.items()} for k, c in counts.items()}
