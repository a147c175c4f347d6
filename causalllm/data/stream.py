"""Big files: one streaming pass from a CSV/TSV/Parquet file to what PC needs.

:func:`causalllm.data.load.load_dataset` reads a whole table into pandas. This module never
holds the float frame: a file is read in batches by polars' streaming engine (measured against
pyarrow's streaming CSV reader on 1M × 50 floats: 2.0 s and 0.36 GB against 5.3 s and 0.76 GB,
README "Big tables") and every batch is folded into a :class:`~causalllm.data.partial.Partial`,
so 5M × 50 floats cost a 50 × 50 matrix and each column is typed by the small path's rule.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from .clean import check_described, warn_sentinels
from .dataset import Dataset
from .partial import Partial, Plan, finish, plan_from_sample
from .table import Dialect, read_sample

__all__ = ["SAMPLE_ROWS", "STREAM_MIN_BYTES", "STREAM_MIN_CELLS", "describe", "stream_dataset",
           "streamable", "worth_streaming"]

log = logging.getLogger("causalllm")

#: With ``--stream auto``, files at least this big are streamed; smaller ones load whole (faster there) ...
STREAM_MIN_BYTES = 256 << 20

#: ... unless they hold this many cells: loaded whole, 5M cells cost ~0.3-1.5 GB in pandas and the float matrix.
STREAM_MIN_CELLS = 5_000_000

#: Rows read up front to guess each column's type (verified over all rows afterwards).
SAMPLE_ROWS = 10_000

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


# ------------------------------------------------------------------ files, with polars
def _scan_csv(path: Path | list[Path], dialect: Dialect, schema: dict[str, Any]) -> Any:
    import polars as pl

    return pl.scan_csv(path, separator=str(dialect.sep), schema=schema, null_values=dialect.missing,
                       decimal_comma=dialect.decimal == ",")


def _lazy(path: Path, plan: Plan, header: list[str], dialect: Dialect, files: Sequence[Path] = ()) -> Any:
    """The streaming query over ``path`` (or over every one of ``files``, read as one table)."""
    import polars as pl

    suffix = path.suffix.lower()
    src: Any = list(files) or path
    if suffix in (".parquet", ".pq"):
        lf = pl.scan_parquet(src)
        num = [pl.col(c).cast(pl.Float64, strict=True) for c in plan.numeric]
    else:
        schema = {c: (pl.Float64 if plan.kinds.get(c) == "numeric" else pl.String) for c in header}
        lf = _scan_csv(src, dialect, schema)
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


def _batches(path: Path, plan: Plan, header: list[str], dialect: Dialect, progress: Any, files: Sequence[Path] = ()
             ) -> Iterator[Partial]:
    import polars as pl

    lf = _lazy(path, plan, header, dialect, files)
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
        if files:
            raise DataError(f"the files {files[0].parent}/... could not be read as one table "
                            f"({str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__}); check "
                            "that they share one header and its types") from None
        raise _read_error(path, plan, header, dialect, e) from None


def _read_error(path: Path, plan: Plan, header: list[str], dialect: Dialect, e: Exception) -> DataError:
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
            return _read_error(path, Plan({}, {}), header, dialect, again)
        if found is not None:
            return found
    return DataError(f"{path} could not be read ({first}); check the file")


def _first_non_number(path: Path, plan: Plan, header: list[str], dialect: Dialect) -> DataError | None:
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

    def __init__(self, path: Path, enabled: bool, files: Sequence[Path] = ()) -> None:
        self.bar: Any = None
        self.rows = 0
        if not enabled:
            return
        from tqdm import tqdm

        every = list(files) or [path]
        if path.suffix.lower() in (".parquet", ".pq"):
            import polars as pl

            total, self.per_row, unit = int(pl.scan_parquet(every).select(pl.len()).collect().item()), 1.0, "rows"
        else:
            with open(path, "rb") as f:
                head = f.read(1 << 20)
            total, self.per_row = sum(p.stat().st_size for p in every), len(head) / max(head.count(b"\n"), 1)
            unit = "B"
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
    files: Sequence[Path] = (),
) -> Dataset:
    """Read a CSV/TSV/Parquet file (or ``files``, read as one table; ``path`` is the first) in one
    streaming pass into the statistics PC needs.

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
    plan = plan_from_sample(sample, columns, declared)
    warn_sentinels(sample, dict.fromkeys(plan.numeric, "continuous"), f"{path} (its first {SAMPLE_ROWS} rows)")
    _same_header(files, header, dialect)
    passes = 0
    while True:
        passes += 1
        total = _one_pass(path, plan, header, dialect, progress, files)
        result = finish(total, plan, missing=missing, source=str(path))
        if isinstance(result, Dataset):
            break
        log.info("the first %d rows misled the type guess; reading %s again with the corrected types",
                 SAMPLE_ROWS, path.name)
        plan = result
    result.load_info.update(reader=f"polars {_polars_version()} (streaming)", passes=passes,
                            seconds=round(time.perf_counter() - t0, 3))
    describe(result, descriptions)
    return result


def _one_pass(path: Path, plan: Plan, header: list[str], dialect: Dialect, progress: bool, files: Sequence[Path]
              ) -> Partial:
    """One streaming pass over the file (or files) folded into one :class:`Partial`.

    BLAS runs on one thread meanwhile: polars parses the next batches on every core, and a batch's
    cross-products (100 000 rows) gain little from more BLAS threads, so letting both compete made the
    pass up to 3x slower on a busy machine (``benchmarks/bench_scale.py``)."""
    from threadpoolctl import threadpool_limits

    bar = _Progress(path, progress, files)
    total = Partial()
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            for part in _batches(path, plan, header, dialect, bar, files):
                total = total.merge(part)
        bar.close(done=True)
    finally:
        bar.close()
    if not total.n_read:
        raise DataError(f"{path} has a header but no data rows; add data rows")
    return total


def _same_header(files: Sequence[Path], header: list[str], dialect: Dialect) -> None:
    """Files read as one table share the first one's columns: a one-line error naming the first that does not."""
    import csv

    import polars as pl

    for f in files[1:]:
        if f.suffix.lower() in (".parquet", ".pq"):
            cols = list(pl.read_parquet_schema(f))
        else:
            with open(f, newline="", encoding=dialect.encoding or "utf-8", errors="replace") as fh:
                cols = [c.strip() for c in next(csv.reader(fh, delimiter=str(dialect.sep)), [])]
        if cols != header:
            raise DataError(f"{f} has columns {', '.join(cols[:5])}{'...' if len(cols) > 5 else ''}, not those of "
                            f"{files[0]} ({', '.join(header[:5])}{'...' if len(header) > 5 else ''}); files read as one "
                            "table need one header")


def describe(ds: Dataset, descriptions: dict[str, str]) -> None:
    """Give ``ds`` its descriptions (the name where none), warning about the undescribed columns."""
    ds.undescribed = [c for c in ds.columns if not descriptions.get(c)]
    if descriptions and ds.undescribed:
        log.warning("no description for %d column(s): %s (their names are used)", len(ds.undescribed),
                    ", ".join(ds.undescribed))
    ds.descriptions = {c: (descriptions.get(c) or c) for c in ds.columns}


def _polars_version() -> str:
    import polars as pl

    return str(pl.__version__)


