"""The table causal discovery works on: :class:`Dataset`, its columns' types and their statistics.

A :class:`Dataset` is what every later step reads: the usable columns, their types
(``continuous`` or ``discrete``), their plain-words descriptions, and a record of what was
excluded and why. One type rule (:func:`decide_type`) decides every column, from the
:class:`ColumnFacts` of a whole frame or of a streamed file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError

__all__ = ["MAX_DISCRETE_LEVELS", "MISSING_MARKERS", "ColumnFacts", "Dataset", "Moments", "decide_type", "file_sha256"]

#: Cell values read as missing. pandas' defaults also include "None", a real category in many
#: datasets (e.g. Child's ``CardiacMixing``), so the list is explicit.
MISSING_MARKERS = ("", "NA", "N/A", "#N/A", "NaN", "nan", "null", "NULL")

#: Integer (or integral float) columns with at most this many distinct values are discrete.
MAX_DISCRETE_LEVELS = 10


@dataclass
class ColumnFacts:
    """What the type rule needs to know about one column, however it was gathered.

    :func:`infer_types` reads these off a whole frame; :mod:`causalllm.stream` gathers them
    batch by batch, so both loaders decide every column by the one rule in :func:`decide_type`.

    Attributes
    ----------
    kind : {"bool", "numeric", "text"}
    count : int
        Non-missing values.
    k : int
        Distinct non-missing values (a streamed count stops just above what the rule needs).
    integral : bool
        Every numeric value is a whole number.
    strictly_monotonic : bool
        Numeric values strictly increase (or strictly decrease) down the rows.
    all_distinct : bool
        No value repeats.
    """

    kind: str
    count: int
    k: int
    integral: bool = True
    strictly_monotonic: bool = False
    all_distinct: bool = False

    @classmethod
    def of(cls, s: pd.Series) -> ColumnFacts:
        """The facts of a whole column."""
        nn = s.dropna()
        k = int(nn.nunique())
        if pd.api.types.is_bool_dtype(s):
            return cls("bool", len(nn), k, all_distinct=k == len(nn))
        if pd.api.types.is_numeric_dtype(s):
            integral = bool(np.all(np.mod(nn.to_numpy(dtype=float), 1) == 0))
            strict = k == len(nn) and bool(nn.is_monotonic_increasing or nn.is_monotonic_decreasing)
            return cls("numeric", len(nn), k, integral=integral, strictly_monotonic=strict, all_distinct=k == len(nn))
        return cls("text", len(nn), k, all_distinct=k == len(nn))


def decide_type(facts: ColumnFacts, n_rows: int) -> tuple[str | None, str | None]:
    """The one type rule: ``(type, None)`` for a usable column, ``(None, reason)`` for an excluded one.

    Examples
    --------
    >>> decide_type(ColumnFacts("numeric", count=100, k=3), 100)
    ('discrete', None)
    >>> decide_type(ColumnFacts("numeric", count=100, k=100, strictly_monotonic=True), 100)
    (None, 'ID-like (a distinct increasing integer per row)')
    """
    if facts.count == 0:
        return None, "all values missing"
    if facts.k <= 1:
        return None, "constant"
    if facts.kind == "bool":
        return "discrete", None
    if facts.kind == "numeric":
        if facts.integral and facts.strictly_monotonic and n_rows >= 20:
            return None, "ID-like (a distinct increasing integer per row)"
        return ("discrete" if facts.integral and facts.k <= MAX_DISCRETE_LEVELS else "continuous"), None
    if facts.all_distinct and facts.count >= 10:
        return None, "ID-like (a distinct text value per row)"
    return "discrete", None


@dataclass(frozen=True)
class Moments:
    """Sufficient statistics of continuous columns: all that Fisher-z PC needs from the rows.

    Attributes
    ----------
    names : list of str
    n : int
        Rows.
    mean, minimum, maximum : numpy.ndarray
        Per column.
    cov : numpy.ndarray
        Sample covariance (``n - 1`` denominator), as :func:`numpy.cov`.
    """

    names: list[str]
    n: int
    mean: np.ndarray
    cov: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray

    def corr(self) -> np.ndarray:
        """The correlation matrix, computed as :func:`numpy.corrcoef` does."""
        d = np.sqrt(np.diag(self.cov))
        c = self.cov / d[:, None] / d[None, :]
        np.clip(c, -1, 1, out=c)
        return c

    def select(self, names: Sequence[str]) -> Moments:
        """The statistics of a subset of the columns."""
        idx = [self.names.index(c) for c in names]
        return Moments(list(names), self.n, self.mean[idx], self.cov[np.ix_(idx, idx)], self.minimum[idx],
                       self.maximum[idx])


@dataclass
class Dataset:
    """A table ready for causal discovery.

    Attributes
    ----------
    frame : pandas.DataFrame or None
        Usable columns only, rows with missing values already handled. ``None`` when a big
        continuous table was streamed into ``stats`` instead (:mod:`causalllm.stream`); a
        streamed discrete or mixed table keeps its discrete columns as compact categoricals.
    types : dict
        Column name → ``"continuous"`` or ``"discrete"``.
    descriptions : dict
        Column name → description (the name itself when none was given).
    name : str
        Short label (bundled dataset name or file stem).
    context : str or None
        One-sentence description of the whole dataset, used in prompts.
    truth_path : Path or None
        Ground-truth edge list, when known (bundled datasets).
    excluded : dict
        Column name → reason it was left out.
    n_dropped : int
        Rows dropped because of missing values.
    inputs : dict
        Input file path → SHA-256, for the run manifest.
    undescribed : list of str
        Columns without a description.
    stats : Moments or None
        The sufficient statistics of a streamed continuous table (``frame`` is then ``None``).
    load_info : dict
        What loading decided: the reader, rows read and dropped (for the run manifest).
    flagged : dict
        Variable (or ``"context"``) → the instruction-like text found in its description, which
        was not sent to the LLM (see :func:`causalllm.expert.screen.screen`).
    aliases : dict
        Column name → what prompts call it instead (a name that reads like an instruction).
    """

    frame: pd.DataFrame | None
    types: dict[str, str]
    descriptions: dict[str, str]
    name: str = "data"
    context: str | None = None
    truth_path: Path | None = None
    excluded: dict[str, str] = field(default_factory=dict)
    n_dropped: int = 0
    inputs: dict[str, str] = field(default_factory=dict)
    undescribed: list[str] = field(default_factory=list)
    stats: Moments | None = None
    load_info: dict[str, Any] = field(default_factory=dict)
    flagged: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    def with_frame(self, frame: pd.DataFrame) -> Dataset:
        """The same variables, types and descriptions over other rows (resamples, simulations)."""
        return Dataset(frame=frame, types=dict(self.types), descriptions=dict(self.descriptions), name=self.name,
                       context=self.context, truth_path=self.truth_path, inputs=dict(self.inputs))

    @property
    def columns(self) -> list[str]:
        """Column names in data order."""
        return list(self.frame.columns) if self.frame is not None else list(self.types)

    @property
    def n_rows(self) -> int:
        """Rows used (after missing values were handled)."""
        if self.frame is not None:
            return len(self.frame)
        assert self.stats is not None
        return self.stats.n

    def rows(self, why: str) -> pd.DataFrame:
        """The frame, or a one-line error saying that ``why`` needs rows a streamed table does not keep."""
        if self.frame is None:
            raise ConfigError(f"{why} needs the data rows, but this table was streamed into its correlation matrix; "
                              "use --stream never to load it whole (needs memory for every row)")
        return self.frame

    @property
    def kind(self) -> str:
        """``continuous``, ``discrete`` or ``mixed``."""
        kinds = set(self.types.values())
        return kinds.pop() if len(kinds) == 1 else "mixed"

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        descriptions: Mapping[str, str] | None = None,
        *,
        name: str = "data",
        context: str | None = None,
        missing: str = "drop",
    ) -> Dataset:
        """Build a dataset from an in-memory frame (library use).

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset.from_frame(pd.DataFrame({"a": [1.0, 2.5, 3.1], "b": [0.2, 0.1, 0.7]}))
        >>> ds.types
        {'a': 'continuous', 'b': 'continuous'}
        """
        from .load import prepare

        return prepare(frame, dict(descriptions or {}), name=name, context=context, columns=None, missing=missing,
                       inputs={})


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (for the run manifest)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


