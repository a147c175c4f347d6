"""The numbers each CI test reads: which test suits the data, the matrix causal-learn receives, and the
degenerate-Gaussian test's indicator embedding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..errors import ConfigError
from .registry import DEFAULT_BINS, TEST_CHOICES

__all__ = ["choose_test", "embed", "encode"]


def choose_test(kind: str, test: str = "auto") -> str:
    """The CI test for data of ``kind`` (``continuous``, ``discrete``, ``mixed``).

    Examples
    --------
    >>> choose_test("continuous"), choose_test("discrete"), choose_test("mixed")
    ('fisherz', 'gsq', 'cg')
    >>> choose_test("discrete", "chisq")
    'chisq'
    """
    if test not in TEST_CHOICES:
        raise ConfigError(f"unknown CI test {test!r}; use one of {', '.join(TEST_CHOICES)}")
    if test != "auto":
        return test
    # mixed data: the conditional-Gaussian test measured at least as good as binning, and better
    # with more rows; the degenerate-Gaussian test did worse (README, "Mixed data")
    return {"continuous": "fisherz", "discrete": "gsq"}.get(kind, "cg")


def encode(ds: Dataset, test: str, bins: int = DEFAULT_BINS) -> np.ndarray:
    """The numeric matrix causal-learn receives for ``ds`` under ``test``.

    Discrete columns become integer category codes (causal-learn's χ²/G² only need distinct
    values). For a discrete test, continuous columns are cut into ``bins`` quantile bins; for
    Fisher-z, KCI and the degenerate-Gaussian test, discrete columns are used as their codes
    (the degenerate-Gaussian test then embeds them as indicators).
    """
    discrete_test = test in ("chisq", "gsq")
    frame = ds.rows(f"the {test} test")
    if not discrete_test and all(t == "continuous" for t in ds.types.values()):
        return np.ascontiguousarray(frame.to_numpy(dtype=float))
    cols = []
    for c in ds.columns:
        s = frame[c]
        if ds.types[c] == "discrete":
            if isinstance(s.dtype, pd.CategoricalDtype):  # a streamed column: sorted levels, so codes keep their order
                cols.append(s.cat.codes.to_numpy(dtype=float))
            elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                cols.append(s.to_numpy(dtype=float))
            else:
                cols.append(pd.Categorical(s.astype(str)).codes.astype(float))
        elif discrete_test:
            cols.append(pd.qcut(s.rank(method="first"), q=bins, labels=False, duplicates="drop").to_numpy(dtype=float))
        else:
            cols.append(s.to_numpy(dtype=float))
    return np.ascontiguousarray(np.column_stack(cols), dtype=float)


def embed(X: np.ndarray, discrete: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray], list[str]]:
    """The degenerate-Gaussian embedding: each discrete column as indicators of all its categories but the last."""
    cols: list[np.ndarray] = []
    blocks: list[np.ndarray] = []
    labels: list[str] = []
    for j in range(X.shape[1]):
        start = len(cols)
        if discrete[j]:
            levels, codes = np.unique(X[:, j], return_inverse=True)
            for k, level in enumerate(levels[:-1]):
                cols.append((codes == k).astype(float))
                labels.append(f"{names[j]}={level:g}")
        else:
            cols.append(X[:, j])
            labels.append(str(names[j]))
        blocks.append(np.arange(start, len(cols)))
    return np.column_stack(cols), blocks, labels
