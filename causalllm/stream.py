"""Big tables: one streaming pass from a file, or a Dask dataframe, to what PC needs.

:func:`causalllm.data.load_dataset` reads a whole table into pandas. This module never holds
the float frame. A file is read in batches by polars' streaming engine (measured against
pyarrow's streaming CSV reader on 1M × 50 floats: 2.0 s and 0.36 GB against 5.3 s and 0.76 GB,
README "Big tables") and every batch is folded into a :class:`Partial`:

* the facts the type rule needs (:class:`causalllm.data.ColumnFacts`), so each column is decided
  by the same rule as on the small path. Types are guessed from the first rows and verified over
  all of them; a wrong guess costs one more pass, never a different answer;
* for continuous columns: the row count, means and co-moments, merged with Chan, Golub and
  LeVeque's pairwise update, so 5M × 50 floats cost a 50 × 50 matrix;
* for discrete columns: category codes as ``uint8``/``uint16`` (one or two bytes per cell);
* for mixed tables: the continuous values too, which the mixed-data tests read row by row.

Partials merge in row order, so :func:`dask_dataset` computes the same statistics on a Dask
cluster: each partition is folded on its worker and only statistics and codes travel back; the
PC search, the LLM and the report run locally.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .data import (
    MAX_DISCRETE_LEVELS,
    ColumnFacts,
    Dataset,
    Dialect,
    Moments,
    apply_declared,
    check_described,
    check_levels,
    clean,
    decide_type,
    read_sample,
)
from .errors import ConfigError, DataError

__all__ = ["STREAM_MIN_BYTES", "STREAM_MIN_CELLS", "worth_streaming", "SAMPLE_ROWS", "MAX_LEVELS", "Partial",
           "streamable", "stream_dataset", "dask_dataset"]

log = logging.getLogger("causalllm")

#: With ``--stream auto``, files at least this big are streamed; smaller ones load whole (faster there) ...
STREAM_MIN_BYTES = 256 << 20
#: ... unless they hold this many cells: loaded whole, 5M cells cost ~0.3-1.5 GB in pandas and the float matrix.
STREAM_MIN_CELLS = 5_000_000
#: Rows read up front to guess each column's type (verified over all rows afterwards).
SAMPLE_ROWS = 10_000
#: Categories a discrete column may have; more make a contingency test meaningless.
MAX_LEVELS = 65_535
_NUMERIC_CAP = MAX_DISCRETE_LEVELS + 1  # the rule only asks whether a numeric column has more than 10 values
_STREAMABLE = (".csv", ".tsv", ".tab", ".parquet", ".pq")


def worth_streaming(path: Path) -> bool:
    """``--stream auto``'s rule: a file of :data:`STREAM_MIN_BYTES` or more, or of about
    :data:`STREAM_MIN_CELLS` cells or more (rows estimated from the first megabyte's line length)."""
    size = path.stat().st_size
    if size >= STREAM_MIN_BYTES:
        return True
    if path.suffix.lower() in (".parquet", ".pq"):
        import polars as pl

        lf = pl.scan_parquet(path)
        return int(lf.select(pl.len()).collect().item()) * len(lf.collect_schema()) >= STREAM_MIN_CELLS
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    lines = head.split(b"\n")
    if len(lines) < 3:
        return False
    fields = max(lines[0].count(b","), lines[0].count(b";"), lines[0].count(b"\t"), lines[0].count(b"|")) + 1
    return size / (len(head) / (len(lines) - 1)) * fields >= STREAM_MIN_CELLS


def streamable(path: str | Path, dialect: Dialect | None = None) -> bool:
    """Whether :func:`stream_dataset` can read ``path``: uncompressed CSV/TSV in UTF-8, or Parquet."""
    encoding = (dialect.encoding if dialect else None) or "utf-8"
    return Path(path).suffix.lower() in _STREAMABLE and encoding.lower().replace("_", "-") in _UTF8


_UTF8 = ("utf-8", "utf8", "utf-8-sig")


@dataclass
class _Plan:
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
            assert self.last is not None and other.first is not None
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

    Built by folding a batch (:meth:`fold`), combined with :meth:`merge`; :func:`_finish` turns the
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
             plan: _Plan, *, start: int, keep_values: bool) -> Partial:
        """The statistics of one batch. ``num`` holds the plan's numeric columns (NaN = missing),
        ``text`` the others (None = missing); ``start`` is the batch's first row in the table."""
        m = len(num) if plan.numeric else len(next(iter(text.values())))
        part = cls(n_read=m)
        num_at = {c: j for j, c in enumerate(plan.numeric)}
        # one pass finds the columns with anything but finite numbers; only those are looked at again
        unusual = ~np.isfinite(num).all(axis=0) if num.size else np.zeros(0, dtype=bool)
        has_nan = unusual.copy()
        txt_codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for c, kind in plan.kinds.items():
            f = _Facts(kind)
            if c in num_at:
                v = num[:, num_at[c]]
                nn = v
                if unusual[num_at[c]]:
                    inf = np.flatnonzero(np.isinf(v))
                    if len(inf):
                        raise DataError(f"column '{c}' has an infinite value ({v[inf[0]]}, line "
                                        f"{start + int(inf[0]) + 2}); replace it with a number or blank it (blanks "
                                        "are missing)")
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
            else:
                codes, uniques = pd.factorize(text[c], use_na_sentinel=True)
                txt_codes[c] = (codes, np.asarray(uniques, dtype=object))
                f.count = int((codes >= 0).sum())
                f.repeated = len(uniques) < f.count
                f.add_levels(uniques)
                like = numeric_like.get(c)
                if like is not None:
                    f.numeric_like = int(like.sum())
                    bad = np.flatnonzero((codes >= 0) & ~like)
                    if len(bad):
                        f.example = (str(text[c][bad[0]]), start + int(bad[0]))
            part.facts[c] = f
        # rows with a missing value in any used column are dropped (or refused, at the end)
        miss = np.zeros(m, dtype=bool)
        for c in plan.types:
            if c in num_at:
                col_miss = np.isnan(num[:, num_at[c]]) if has_nan[num_at[c]] else np.zeros(m, dtype=bool)
            else:
                col_miss = txt_codes[c][0] < 0
            part.missing[c] = int(col_miss.sum())
            miss |= col_miss
        keep = ~miss
        part.n = int(keep.sum())
        cont = [num_at[c] for c in plan.continuous]
        if cont:
            rows = num if part.n == m else num[keep]
            X = rows if len(cont) == rows.shape[1] else rows[:, cont]
            if part.n:
                part.mean = X.mean(axis=0)
                Xc = X - part.mean
                part.m2 = Xc.T @ Xc
                part.minimum, part.maximum = X.min(axis=0), X.max(axis=0)
            if keep_values:
                part.values.append(np.ascontiguousarray(X))
        if plan.discrete:
            found = []
            for c in plan.discrete:
                if c in num_at:
                    codes, uniques = pd.factorize(num[keep, num_at[c]])
                else:
                    all_codes, all_uniques = txt_codes[c]
                    codes, uniques = all_codes[keep], all_uniques
                if len(uniques) > MAX_LEVELS:
                    raise DataError(f"column '{c}' has more than {MAX_LEVELS} categories, too many for a contingency "
                                    "test; leave it out with --columns")
                found.append(codes)
                part.levels.append(list(uniques))
            # one byte per cell while every column has at most 256 categories
            block: np.ndarray = np.empty((part.n, len(plan.discrete)), dtype=_code_type(max(map(len, part.levels))))
            for j, codes in enumerate(found):
                block[:, j] = codes
            part.codes.append(block)
        return part

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
            assert self.m2 is not None and other.m2 is not None
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


def _finish(part: Partial, plan: _Plan, *, missing: str, source: str) -> Dataset | _Plan:
    """The dataset these statistics describe, or the corrected plan when a type guess was wrong."""
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
    types = {c: types[c] for c in plan.kinds if c in types}  # data order
    if kinds != plan.kinds or types != plan.types:
        return _Plan(kinds, types, plan.declared)
    for col, why in excluded.items():
        log.warning("excluding column '%s': %s", col, why)
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
    cont, disc = plan.continuous, plan.discrete
    frame_cols: dict[str, Any] = {}
    if disc:
        _final_codes(part, disc, frame_cols)
    keep = dict(types)
    if cont and part.mean is not None:
        assert part.minimum is not None and part.maximum is not None
        for j, c in enumerate(cont):
            if part.minimum[j] == part.maximum[j]:
                keep.pop(c)
    for c in disc:
        if len(frame_cols[c].categories) <= 1:
            keep.pop(c)
    for c in set(types) - set(keep):
        log.warning("excluding column '%s' after dropping rows: constant", c)
        excluded[c] = "constant"
    check_levels({c: len(frame_cols[c].categories) for c in disc if c in keep}, part.n, source)
    if len(keep) < 2:
        raise DataError("fewer than two usable columns remain after dropping missing rows; fill in missing values")
    info = {"reader": "", "streamed": True, "rows_read": part.n_read, "rows_dropped": n_dropped}
    if not disc:
        assert part.mean is not None and part.m2 is not None and part.minimum is not None and part.maximum is not None
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
def _plan(sample: pd.DataFrame, columns: Sequence[str] | None, declared: dict[str, str]) -> _Plan:
    """First guesses from the sample: how to read each column, and its type."""
    from .data import infer_types

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
    return _Plan(kinds, {str(c): types[c] for c in sample.columns if c in types}, declared)


# ------------------------------------------------------------------ files, with polars
def _scan_csv(path: Path, dialect: Dialect, schema: dict[str, Any]) -> Any:
    import polars as pl

    return pl.scan_csv(path, separator=str(dialect.sep), schema=schema, null_values=dialect.missing,
                       decimal_comma=dialect.decimal == ",")


def _lazy(path: Path, plan: _Plan, header: list[str], dialect: Dialect) -> Any:
    import polars as pl

    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        lf = pl.scan_parquet(path)
        num = [pl.col(c).cast(pl.Float64, strict=True) for c in plan.numeric]
    else:
        schema = {c: (pl.Float64 if plan.kinds.get(c) == "numeric" else pl.String) for c in header}
        lf = _scan_csv(path, dialect, schema)
        num = [pl.col(c) for c in plan.numeric]
    exprs = []
    for c in plan.text:
        # as pandas reads it on the small path: leading blanks skipped, blank-only cells missing
        s = pl.col(c).cast(pl.String).str.strip_chars_start()
        s = pl.when(s.str.len_bytes() == 0).then(None).otherwise(s)
        exprs.append(s.alias(c))
        if plan.kinds[c] == "text":
            exprs.append(s.cast(pl.Float64, strict=False).is_not_null().alias(c + "\0num"))
    return lf.select([*num, *exprs])


def _batches(path: Path, plan: _Plan, header: list[str], dialect: Dialect, progress: Any) -> Iterator[Partial]:
    import polars as pl

    lf = _lazy(path, plan, header, dialect)
    start = 0
    keep_values = bool(plan.discrete and plan.continuous)
    try:
        for b in lf.collect_batches(chunk_size=100_000):
            num = b.select(plan.numeric).to_numpy().astype(float, copy=False) if plan.numeric else np.empty((len(b), 0))
            text = {c: b[c].to_numpy() for c in plan.text}
            like = {c: b[c + "\0num"].to_numpy() for c in plan.text if plan.kinds[c] == "text"}
            yield Partial.fold(num, text, like, plan, start=start, keep_values=keep_values)
            start += len(b)
            progress(len(b))
    except pl.exceptions.PolarsError as e:
        raise _read_error(path, plan, header, dialect, e) from None


def _read_error(path: Path, plan: _Plan, header: list[str], dialect: Dialect, e: Exception) -> DataError:
    """A polars read error as the one-line error the small path would give (column, value, line)."""
    import polars as pl

    first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
    if "more fields" in first:
        return DataError(f"{path} has a row with more fields than its header; fix the ragged row "
                         "(check quoting and delimiters)")
    if "utf-8" in first.lower() or "utf8" in first.lower():
        return DataError(f"{path} is not valid UTF-8; re-save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)")
    if path.suffix.lower() not in (".parquet", ".pq") and plan.numeric:
        try:
            found = _first_non_number(path, plan, header, dialect)
        except pl.exceptions.PolarsError as again:  # the file is broken in another way: say that one
            return _read_error(path, _Plan({}, {}), header, dialect, again)
        if found is not None:
            return found
    return DataError(f"{path} could not be read ({first}); check the file")


def _first_non_number(path: Path, plan: _Plan, header: list[str], dialect: Dialect) -> DataError | None:
    """The first cell of a numeric column that is not a number, as the stray-text error with its line."""
    import polars as pl

    lf = _scan_csv(path, dialect, {c: pl.String for c in header}).with_row_index("\0row")
    for c in plan.numeric:
        s = pl.col(c).str.strip_chars()
        if dialect.decimal == ",":
            s = s.str.replace(",", ".", literal=True)
        hit = lf.filter(s.is_not_null() & (s != "") & s.cast(pl.Float64, strict=False).is_null()).select(
            "\0row", c).head(1).collect()
        if len(hit):
            row, value = hit.row(0)
            return DataError(f"column '{c}' in {path} is numeric but has non-numeric value {value!r} "
                             f"(line {row + 2}); fix or blank that value (blanks are treated as missing)")
    return None


class _Progress:
    """Bytes, MB/s and rows read, on stderr (tqdm); silent when disabled.

    A CSV's bytes are estimated from its rows (the average row length of its first megabyte);
    a Parquet file counts rows against its metadata's total."""

    def __init__(self, path: Path, enabled: bool) -> None:
        self.bar: Any = None
        self.rows = 0
        if not enabled:
            return
        from tqdm import tqdm

        if path.suffix.lower() in (".parquet", ".pq"):
            import polars as pl

            total, self.per_row, unit = int(pl.scan_parquet(path).select(pl.len()).collect().item()), 1.0, "rows"
        else:
            with open(path, "rb") as f:
                head = f.read(1 << 20)
            total, self.per_row, unit = path.stat().st_size, len(head) / max(head.count(b"\n"), 1), "B"
        self.bar = tqdm(total=total, unit=unit, unit_scale=True, unit_divisor=1024 if unit == "B" else 1000,
                        desc=f"reading {path.name}", file=sys.stderr, leave=True, dynamic_ncols=True)

    def __call__(self, rows: int) -> None:
        if self.bar is None:
            return
        self.rows += rows
        self.bar.update(min(int(rows * self.per_row), self.bar.total - self.bar.n))
        self.bar.set_postfix_str(f"{self.rows:,} rows", refresh=False)

    def close(self, done: bool = False) -> None:
        if self.bar is not None:
            if done:
                self.bar.update(self.bar.total - self.bar.n)  # the estimate ends where the file does
            self.bar.set_postfix_str(f"{self.rows:,} rows", refresh=True)
            self.bar.close()
            self.bar = None


def stream_dataset(
    path: str | Path,
    descriptions: dict[str, str] | None = None,
    *,
    columns: Sequence[str] | None = None,
    missing: str = "drop",
    progress: bool = False,
    dialect: Dialect | None = None,
    declared: dict[str, str] | None = None,
) -> Dataset:
    """Read a CSV/TSV/Parquet file in one streaming pass into the statistics PC needs.

    Gives the same dataset as :func:`causalllm.data.load_dataset` (types, exclusions, dropped
    rows, and for PC the same correlation matrix or category codes) without holding the float
    frame. Continuous tables come back with ``frame=None`` and their :class:`Moments`.

    Examples
    --------
    >>> import os, tempfile, numpy as np, pandas as pd
    >>> p = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> rng = np.random.default_rng(0)
    >>> pd.DataFrame(rng.normal(size=(100, 3)), columns=list("abc")).to_csv(p, index=False)
    >>> ds = stream_dataset(p)
    >>> ds.frame is None, ds.n_rows, ds.stats.corr().shape
    (True, 100, (3, 3))
    """
    path = Path(path)
    if not streamable(path, dialect):
        raise ConfigError(f"{path.name}: only UTF-8 .csv and .tsv files, and .parquet files, can be streamed; use "
                          "--stream never")
    t0 = time.perf_counter()
    declared = dict(declared or {})
    sample, header, dialect = read_sample(path, SAMPLE_ROWS, dialect, declared)
    descriptions = dict(descriptions or {})
    check_described(descriptions, header, columns)
    plan = _plan(sample, columns, declared)
    passes = 0
    while True:
        passes += 1
        bar = _Progress(path, progress)
        total = Partial()
        try:
            for part in _batches(path, plan, header, dialect, bar):
                total = total.merge(part)
            bar.close(done=True)
        finally:
            bar.close()
        if not total.n_read:
            raise DataError(f"{path} has a header but no data rows; add data rows")
        result = _finish(total, plan, missing=missing, source=str(path))
        if isinstance(result, Dataset):
            break
        log.info("the first %d rows misled the type guess; reading %s again with the corrected types",
                 SAMPLE_ROWS, path.name)
        plan = result
    result.load_info.update(reader=f"polars {_polars_version()} (streaming)", passes=passes,
                            seconds=round(time.perf_counter() - t0, 3))
    _describe(result, descriptions)
    return result


def _describe(ds: Dataset, descriptions: dict[str, str]) -> None:
    ds.undescribed = [c for c in ds.columns if not descriptions.get(c)]
    if descriptions and ds.undescribed:
        log.warning("no description for %d column(s): %s (their names are used)", len(ds.undescribed),
                    ", ".join(ds.undescribed))
    ds.descriptions = {c: (descriptions.get(c) or c) for c in ds.columns}


def _polars_version() -> str:
    import polars as pl

    return str(pl.__version__)


# ------------------------------------------------------------------ Dask
def _fold_partition(pdf: pd.DataFrame, plan: _Plan, start: int, keep_values: bool) -> Partial:
    """One Dask partition's statistics (runs on a worker)."""
    num = np.empty((len(pdf), len(plan.numeric)))
    for j, c in enumerate(plan.numeric):
        s = pdf[c]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            s = s.astype(object).where(s.notna(), None)
            conv = pd.to_numeric(s.astype(str).str.strip().where(s.notna(), None), errors="coerce")
            bad = np.flatnonzero(s.notna().to_numpy() & conv.isna().to_numpy())
            if len(bad):
                raise DataError(f"column '{c}' is numeric but has non-numeric value {s.iloc[bad[0]]!r} "
                                f"(row {start + int(bad[0]) + 1}); fix or blank that value")
            s = conv
        num[:, j] = s.to_numpy(dtype=float, na_value=np.nan)
    text: dict[str, np.ndarray] = {}
    like: dict[str, np.ndarray] = {}
    for c in plan.text:
        s = pdf[c].astype(object)
        s = s.where(s.notna(), None).map(lambda v: None if v is None else str(v).lstrip() or None)
        text[c] = s.to_numpy(dtype=object)
        if plan.kinds[c] == "text":
            like[c] = pd.to_numeric(s, errors="coerce").notna().to_numpy()
    return Partial.fold(num, text, like, plan, start=start, keep_values=keep_values)


def dask_dataset(
    ddf: Any,
    descriptions: dict[str, str] | None = None,
    *,
    columns: Sequence[str] | None = None,
    missing: str = "drop",
    name: str = "data",
    declared: dict[str, str] | None = None,
) -> Dataset:
    """The statistics of a ``dask.dataframe``, computed where its partitions live.

    Each partition is folded into a :class:`Partial` on its worker; the partials come back
    (continuous columns: a p × p matrix each; discrete columns: their codes) and are merged in
    partition order, so the result equals :func:`stream_dataset` on the same rows.

    Examples
    --------
    >>> import dask.dataframe as dd, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(100, 3)), columns=list("abc"))
    >>> ds = dask_dataset(dd.from_pandas(df, npartitions=3))
    >>> ds.n_rows, round(float(ds.stats.corr()[0, 1]), 6) == round(float(df.corr().iloc[0, 1]), 6)
    (100, True)
    """
    import dask

    t0 = time.perf_counter()
    header = [str(c) for c in ddf.columns]
    if columns:
        ddf = ddf[list(columns)]
    sample = ddf.head(SAMPLE_ROWS, npartitions=-1, compute=True)
    if len(sample) == 0:
        raise DataError("the Dask dataframe has no rows; check the files it reads")
    declared = dict(declared or {})
    sample = clean(sample.reset_index(drop=True), name, declared)
    descriptions = dict(descriptions or {})
    check_described(descriptions, header, columns)
    plan = _plan(sample, None, declared)
    lengths = ddf.map_partitions(len).compute()
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int)
    parts = ddf.to_delayed()
    passes = 0
    while True:
        passes += 1
        keep_values = bool(plan.discrete and plan.continuous)
        fold = dask.delayed(_fold_partition)
        partials = dask.compute(*[fold(p, plan, int(s), keep_values) for p, s in zip(parts, starts)])
        total = Partial()
        for part in partials:
            total = total.merge(part)
        result = _finish(total, plan, missing=missing, source=name)
        if isinstance(result, Dataset):
            break
        plan = result
    result.name = name
    result.load_info.update(reader=f"dask {dask.__version__}", passes=passes, partitions=len(parts),
                            seconds=round(time.perf_counter() - t0, 3))
    _describe(result, descriptions)
    return result
