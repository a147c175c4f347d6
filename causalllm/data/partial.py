"""Mergeable statistics of a table's rows: what one streaming pass (or one Dask partition) folds.

Every batch of rows is folded into a :class:`Partial`:

* the facts the type rule needs (:class:`causalllm.data.dataset.ColumnFacts`), so each column is
  decided by the same rule as on the small path. Types are guessed from the first rows
  (:func:`plan_from_sample`) and verified over all of them; a wrong guess costs one more pass,
  never a different answer;
* for continuous columns: the row count, means and co-moments, merged with Chan, Golub and
  LeVeque's pairwise update, so 5M × 50 floats cost a 50 × 50 matrix;
* for discrete columns: category codes as ``uint8``/``uint16`` (one or two bytes per cell);
* for mixed tables: the continuous values too, which the mixed-data tests read row by row.

Partials merge in row order (:meth:`Partial.merge`), so a file read in batches and a Dask
dataframe folded partition by partition give the same :class:`~causalllm.data.dataset.Dataset`
(:func:`finish`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from .clean import apply_declared, check_levels, infer_types
from .dataset import MAX_DISCRETE_LEVELS, ColumnFacts, Dataset, Moments, decide_type

__all__ = ["MAX_LEVELS", "Partial", "Plan", "finish", "plan_from_sample"]

log = logging.getLogger("causalllm")

#: Categories a discrete column may have; more make a contingency test meaningless.
MAX_LEVELS = 65_535

_NUMERIC_CAP = MAX_DISCRETE_LEVELS + 1  # the rule only asks whether a numeric column has more than 10 values


@dataclass
class Plan:
    """The decisions a pass folds with: how each column is read and which are used, as what."""

    kinds: dict[str, str]  # every column read -> "numeric" (read as floats), "text" or "bool" (read as strings)
    types: dict[str, str]  # usable columns, in data order -> "continuous" / "discrete"
    declared: dict[str, str] = field(default_factory=dict)  # the variables file's type column

    @property
    def numeric(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k == "numeric"]

    @property
    def text(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k != "numeric"]

    @property
    def continuous(self) -> list[str]:
        return [c for c, t in self.types.items() if t == "continuous"]

    @property
    def discrete(self) -> list[str]:
        return [c for c, t in self.types.items() if t == "discrete"]


@dataclass
class _Facts:
    """The streamed form of :class:`~causalllm.data.ColumnFacts`: mergeable in row order."""

    kind: str
    count: int = 0
    levels: set = field(default_factory=set)
    overflow: bool = False
    repeated: bool = False
    integral: bool = True
    increasing: bool = True
    decreasing: bool = True
    first: float | None = None
    last: float | None = None
    numeric_like: int = 0  # text values that read as numbers (a typo in a numeric column shows as few misses)
    example: tuple[str, int] | None = None  # a non-numeric text value and its row, for the stray-text error

    def cap(self) -> int:
        return _NUMERIC_CAP if self.kind == "numeric" else MAX_LEVELS + 1

    def add_levels(self, values: Any) -> None:
        if self.overflow:
            return
        new = set(values.tolist() if hasattr(values, "tolist") else values)
        if self.levels & new:
            self.repeated = True
        self.levels |= new
        if len(self.levels) > self.cap():
            self.overflow = True
            self.levels = set(list(self.levels)[: self.cap()])

    def merge(self, other: _Facts) -> _Facts:
        out = _Facts(self.kind, self.count + other.count, set(self.levels), self.overflow or other.overflow,
                     self.repeated or other.repeated, self.integral and other.integral,
                     self.increasing and other.increasing, self.decreasing and other.decreasing,
                     self.first if self.count else other.first, other.last if other.count else self.last,
                     self.numeric_like + other.numeric_like, self.example or other.example)
        if self.kind == "numeric" and self.count and other.count:
            assert self.last is not None
            assert other.first is not None
            out.increasing = out.increasing and self.last < other.first
            out.decreasing = out.decreasing and self.last > other.first
        out.add_levels(other.levels)
        return out

    def column_facts(self) -> ColumnFacts:
        k = self.cap() + 1 if self.overflow else len(self.levels)
        return ColumnFacts(self.kind, self.count, k, integral=self.integral,
                           strictly_monotonic=self.increasing or self.decreasing, all_distinct=not self.repeated)


@dataclass
class Partial:
    """The statistics of some rows of a table, mergeable in row order (one batch, partition or file).

    Built by folding a batch (:meth:`fold`), combined with :meth:`merge`; :func:`finish` turns the
    whole table's partial into a :class:`~causalllm.data.Dataset`.
    """

    n_read: int = 0
    facts: dict[str, _Facts] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    n: int = 0
    mean: np.ndarray | None = None
    m2: np.ndarray | None = None
    minimum: np.ndarray | None = None
    maximum: np.ndarray | None = None
    levels: list[list] = field(default_factory=list)
    codes: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)

    @classmethod
    def fold(cls, num: np.ndarray, text: dict[str, np.ndarray], numeric_like: dict[str, np.ndarray],
             plan: Plan, *, start: int, keep_values: bool) -> Partial:
        """The statistics of one batch. ``num`` holds the plan's numeric columns (NaN = missing),
        ``text`` the others (None = missing); ``start`` is the batch's first row in the table."""
        m = len(num) if plan.numeric else len(next(iter(text.values())))
        part = cls(n_read=m)
        num_at = {c: j for j, c in enumerate(plan.numeric)}
        # one pass finds the columns with anything but finite numbers; only those are looked at again
        unusual = ~np.isfinite(num).all(axis=0) if num.size else np.zeros(0, dtype=bool)
        txt_codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for c, kind in plan.kinds.items():
            if c in num_at:
                part.facts[c] = _numeric_facts(c, kind, num[:, num_at[c]], bool(unusual[num_at[c]]), start)
            else:
                part.facts[c], txt_codes[c] = _text_facts(c, kind, text[c], numeric_like.get(c), start)
        # rows with a missing value in any used column are dropped (or refused, at the end)
        miss = np.zeros(m, dtype=bool)
        for c in plan.types:
            if c in num_at:
                col_miss = np.isnan(num[:, num_at[c]]) if unusual[num_at[c]] else np.zeros(m, dtype=bool)
            else:
                col_miss = txt_codes[c][0] < 0
            part.missing[c] = int(col_miss.sum())
            miss |= col_miss
        keep = ~miss
        part.n = int(keep.sum())
        cont = [num_at[c] for c in plan.continuous]
        if cont:
            part._moments(num if part.n == m else num[keep], cont, keep_values)
        if plan.discrete:
            part._codes(plan.discrete, num, num_at, txt_codes, keep)
        return part

    def _moments(self, rows: np.ndarray, cont: list[int], keep_values: bool) -> None:
        """The continuous columns' count, means, co-moments and range (and values, for a mixed table)."""
        X = rows if len(cont) == rows.shape[1] else rows[:, cont]
        if self.n:
            self.mean = X.mean(axis=0)
            Xc = X - self.mean
            self.m2 = Xc.T @ Xc
            self.minimum, self.maximum = X.min(axis=0), X.max(axis=0)
        if keep_values:
            self.values.append(np.ascontiguousarray(X))

    def _codes(self, discrete: list[str], num: np.ndarray, num_at: dict[str, int],
               txt_codes: dict[str, tuple[np.ndarray, np.ndarray]], keep: np.ndarray) -> None:
        """The discrete columns' category codes of the kept rows, one byte per cell while they fit."""
        found = []
        for c in discrete:
            if c in num_at:
                codes, uniques = pd.factorize(num[keep, num_at[c]])
            else:
                all_codes, all_uniques = txt_codes[c]
                codes, uniques = all_codes[keep], all_uniques
            if len(uniques) > MAX_LEVELS:
                raise DataError(f"column '{c}' has more than {MAX_LEVELS} categories, too many for a contingency "
                                "test; leave it out with --columns")
            found.append(codes)
            self.levels.append(list(uniques))
        # one byte per cell while every column has at most 256 categories
        block: np.ndarray = np.empty((self.n, len(discrete)), dtype=_code_type(max(map(len, self.levels))))
        for j, codes in enumerate(found):
            block[:, j] = codes
        self.codes.append(block)

    def shift(self, rows: int) -> Partial:
        """The same partial for rows that start ``rows`` later in the table (row numbers in its examples)."""
        for f in self.facts.values():
            if f.example is not None:
                f.example = (f.example[0], f.example[1] + rows)
        return self

    def merge(self, other: Partial) -> Partial:
        """These rows followed by ``other``'s."""
        if not self.n_read:
            return other
        out = Partial(self.n_read + other.n_read, {c: f.merge(other.facts[c]) for c, f in self.facts.items()},
                      {c: k + other.missing[c] for c, k in self.missing.items()}, self.n + other.n)
        if self.mean is None or other.mean is None:
            src = self if other.mean is None else other
            out.mean, out.m2, out.minimum, out.maximum = src.mean, src.m2, src.minimum, src.maximum
        else:
            assert self.m2 is not None
            assert other.m2 is not None
            delta = other.mean - self.mean
            out.mean = self.mean + delta * (other.n / out.n)
            out.m2 = self.m2 + other.m2 + np.outer(delta, delta) * (self.n * other.n / out.n)
            out.minimum = np.minimum(self.minimum, other.minimum)  # type: ignore[arg-type]
            out.maximum = np.maximum(self.maximum, other.maximum)  # type: ignore[arg-type]
        out.values = self.values + other.values
        out.levels = [list(lv) for lv in self.levels]
        remapped = list(other.codes)  # other's blocks are its own: remapped in place
        for j, theirs in enumerate(other.levels):
            index = {v: i for i, v in enumerate(out.levels[j])}
            lookup = np.empty(len(theirs), dtype=np.uint32)
            for i, v in enumerate(theirs):
                if v not in index:
                    index[v] = len(out.levels[j])
                    out.levels[j].append(v)
                lookup[i] = index[v]
            if len(out.levels[j]) > MAX_LEVELS:
                raise DataError(f"a discrete column has more than {MAX_LEVELS} categories, too many for a "
                                "contingency test; leave it out with --columns")
            for i, b in enumerate(remapped):
                if lookup.size and lookup.max() > np.iinfo(b.dtype).max:
                    b = remapped[i] = b.astype(np.uint16)
                b[:, j] = lookup[b[:, j]]
        out.codes = self.codes + remapped
        return out


def _numeric_facts(c: str, kind: str, v: np.ndarray, unusual: bool, start: int) -> _Facts:
    """The type rule's facts of one numeric column of a batch (an infinite value is a one-line error)."""
    f = _Facts(kind)
    nn = v
    if unusual:
        inf = np.flatnonzero(np.isinf(v))
        if len(inf):
            raise DataError(f"column '{c}' has an infinite value ({v[inf[0]]}, line {start + int(inf[0]) + 2}); "
                            "replace it with a number or blank it (blanks are missing)")
        nn = v[~np.isnan(v)]
    f.count = len(nn)
    if len(nn):
        f.first, f.last = float(nn[0]), float(nn[-1])
        # each check first on a prefix: a continuous column settles every fact there
        head = nn[:1000]
        f.integral = bool(np.all(np.mod(head, 1) == 0)) and bool(np.all(np.mod(nn, 1) == 0))
        f.add_levels(np.unique(head))
        if not f.overflow:
            f.add_levels(np.unique(nn))
        d = np.diff(head)
        f.increasing = bool(np.all(d > 0)) and bool(np.all(np.diff(nn) > 0))
        f.decreasing = bool(np.all(d < 0)) and bool(np.all(np.diff(nn) < 0))
    return f


def _text_facts(c: str, kind: str, values: np.ndarray, like: np.ndarray | None, start: int
                ) -> tuple[_Facts, tuple[np.ndarray, np.ndarray]]:
    """The type rule's facts of one text column of a batch, and its codes and distinct values."""
    f = _Facts(kind)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    f.count = int((codes >= 0).sum())
    f.repeated = len(uniques) < f.count
    f.add_levels(uniques)
    if like is not None:
        f.numeric_like = int(like.sum())
        bad = np.flatnonzero((codes >= 0) & ~like)
        if len(bad):
            f.example = (str(values[bad[0]]), start + int(bad[0]))
    return f, (codes, np.asarray(uniques, dtype=object))


def _decide(part: Partial, plan: Plan, source: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Every column's type by the one rule: ``(how each is read, types, excluded)``; stray text in a numeric
    column is a one-line error naming the value and its line."""
    types: dict[str, str] = {}
    excluded: dict[str, str] = {}
    kinds = dict(plan.kinds)
    for c, f in part.facts.items():
        if f.kind == "text" and f.count:
            share = f.numeric_like / f.count
            if share == 1:  # numbers read as text (a column empty in the first rows): read it as numbers
                kinds[c] = "numeric"
                continue
            if share >= 0.9 and f.example:
                value, row = f.example
                raise DataError(f"column '{c}' in {source} is numeric but has non-numeric value {value!r} "
                                f"(line {row + 2}); fix or blank that value (blanks are treated as missing)")
        kind, why = decide_type(f.column_facts(), part.n_read)
        if kind is None:
            excluded[c] = str(why)
        else:
            types[c] = kind
    types, excluded = apply_declared(types, excluded, plan.declared)
    return kinds, {c: types[c] for c in plan.kinds if c in types}, excluded  # data order


def _check_rows(part: Partial, types: dict[str, str], missing: str, source: str) -> int:
    """Enough usable columns and complete rows (missing values refused or dropped); returns the rows dropped."""
    if len(types) < 2:
        raise DataError(f"{source} has {len(types)} usable column(s) ({', '.join(types) or 'none'}); causal "
                        "discovery needs at least two non-constant, non-ID columns")
    n_missing = {c: k for c, k in part.missing.items() if k}
    if n_missing and missing == "error":
        which = ", ".join(f"{c} ({k})" for c, k in n_missing.items())
        raise DataError(f"missing values in {which}; fill them in or use --missing drop")
    n_dropped = part.n_read - part.n
    if n_dropped:
        log.warning("dropped %d of %d rows with missing values", n_dropped, part.n_read)
        if part.n < 3:
            raise DataError(f"only {part.n} complete rows remain after dropping missing values; fill in missing values")
    return n_dropped


def _not_constant(part: Partial, plan: Plan, types: dict[str, str], frame_cols: dict[str, Any]) -> dict[str, str]:
    """The usable columns still varying once incomplete rows are dropped."""
    keep = dict(types)
    if plan.continuous and part.mean is not None:
        assert part.minimum is not None
        assert part.maximum is not None
        for j, c in enumerate(plan.continuous):
            if part.minimum[j] == part.maximum[j]:
                keep.pop(c)
    for c in plan.discrete:
        if len(frame_cols[c].categories) <= 1:
            keep.pop(c)
    return keep


def finish(part: Partial, plan: Plan, *, missing: str, source: str) -> Dataset | Plan:
    """The dataset these statistics describe, or the corrected plan when a type guess was wrong."""
    kinds, types, excluded = _decide(part, plan, source)
    if kinds != plan.kinds or types != plan.types:
        return Plan(kinds, types, plan.declared)
    for col, why in excluded.items():
        log.warning("excluding column '%s': %s", col, why)
    n_dropped = _check_rows(part, types, missing, source)
    cont, disc = plan.continuous, plan.discrete
    frame_cols: dict[str, Any] = {}
    if disc:
        _final_codes(part, disc, frame_cols)
    keep = _not_constant(part, plan, types, frame_cols)
    for c in set(types) - set(keep):
        log.warning("excluding column '%s' after dropping rows: constant", c)
        excluded[c] = "constant"
    check_levels({c: len(frame_cols[c].categories) for c in disc if c in keep}, part.n, source)
    if len(keep) < 2:
        raise DataError("fewer than two usable columns remain after dropping missing rows; fill in missing values")
    info = {"reader": "", "streamed": True, "rows_read": part.n_read, "rows_dropped": n_dropped}
    if not disc:
        assert part.mean is not None
        assert part.m2 is not None
        assert part.minimum is not None
        assert part.maximum is not None
        stats = Moments(cont, part.n, part.mean, part.m2 / (part.n - 1), part.minimum, part.maximum)
        stats = stats.select([c for c in cont if c in keep])
        return Dataset(frame=None, types=keep, descriptions={}, excluded=excluded, n_dropped=n_dropped, stats=stats,
                       load_info=info)
    if cont:
        X = np.concatenate(part.values) if part.values else np.empty((0, len(cont)))
        for j, c in enumerate(cont):
            frame_cols[c] = X[:, j]
    frame = pd.DataFrame({c: frame_cols[c] for c in types if c in keep})
    return Dataset(frame=frame, types=keep, descriptions={}, excluded=excluded, n_dropped=n_dropped, load_info=info)


def _final_codes(part: Partial, disc: list[str], out: dict[str, Any]) -> None:
    """Each discrete column as a categorical over its sorted levels, one byte per cell up to 256 levels.

    The row blocks are copied into one column-major array and released one by one, so the codes
    are held about once, not twice."""
    ranks, cats = [], []
    for j in range(len(disc)):
        levels = part.levels[j] if part.levels else []
        present = np.zeros(len(levels), dtype=bool)
        for b in part.codes:
            present[np.unique(b[:, j])] = True
        used = [i for i in range(len(levels)) if present[i]]
        order = sorted(used, key=lambda i: _sort_key(levels[i]))
        rank = np.zeros(len(levels), dtype=np.int64)
        rank[order] = np.arange(len(order))
        ranks.append(rank)
        cats.append([levels[i] for i in order])
    dtype = np.int8 if max((len(c) for c in cats), default=0) <= 127 else np.int16
    codes = np.empty((part.n, len(disc)), dtype=dtype, order="F")
    at = 0
    while part.codes:
        b = part.codes.pop(0)
        for j in range(len(disc)):
            codes[at:at + len(b), j] = ranks[j][b[:, j]]
        at += len(b)
    for j, c in enumerate(disc):
        index = pd.Index(cats[j], dtype=object if cats[j] and isinstance(cats[j][0], str) else None)
        out[c] = pd.Categorical.from_codes(codes[:, j], categories=index, validate=False)


def _code_type(levels: int) -> np.dtype:
    return np.dtype(np.uint8 if levels <= 256 else np.uint16)


def _sort_key(v: Any) -> tuple:
    return (0, float(v), "") if isinstance(v, (int, float, np.number)) else (1, 0.0, str(v))


# ------------------------------------------------------------------ planning from a sample
def plan_from_sample(sample: pd.DataFrame, columns: Sequence[str] | None, declared: dict[str, str]) -> Plan:
    """First guesses from the sample: how to read each column, and its type."""
    if columns:
        sample = sample[list(columns)]
    sample = sample[[c for c in sample.columns if declared.get(c) != "exclude"]]
    kinds = {}
    for c in sample.columns:
        s = sample[c]
        if pd.api.types.is_bool_dtype(s):
            kinds[c] = "bool"
        elif pd.api.types.is_numeric_dtype(s) and s.notna().any():
            kinds[c] = "numeric"
        else:
            kinds[c] = "text"
    types, _ = apply_declared(*infer_types(sample), declared)
    return Plan(kinds, {str(c): types[c] for c in sample.columns if c in types}, declared)

