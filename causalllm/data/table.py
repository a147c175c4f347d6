"""Reading a table file: CSV/TSV (separator, decimal mark and encoding detected), Parquet, Excel.

Every problem with the file raises :class:`~causalllm.errors.DataError` whose message names the
problem and the fix in one line; pandas' silent repairs (renamed duplicate columns, padded short
rows) are refused before pandas sees the file.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, DataError
from .clean import clean
from .dataset import MISSING_MARKERS

__all__ = ["Dialect", "read_sample", "read_table", "sniff"]

log = logging.getLogger("causalllm")


@dataclass(frozen=True)
class Dialect:
    """How a delimited text file is written. ``None`` fields are detected by :func:`sniff`.

    Attributes
    ----------
    sep : str or None
        Field separator (``--sep``); detected among ``,`` ``;`` tab and ``|``.
    decimal : str or None
        Decimal mark (``--decimal``); ``,`` is detected in files not separated by commas.
    encoding : str or None
        Text encoding (``--encoding``); default UTF-8, with or without a byte-order mark.
    na_values : tuple of str
        Cell values read as missing besides :data:`MISSING_MARKERS` (``--na-values``).
    """

    sep: str | None = None
    decimal: str | None = None
    encoding: str | None = None
    na_values: tuple[str, ...] = ()

    @property
    def missing(self) -> list[str]:
        return [*MISSING_MARKERS, *self.na_values]


_SEPS = (",", ";", "\t", "|")

_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


def sniff(path: Path, dialect: Dialect | None = None) -> Dialect:
    """``dialect`` with its unset fields detected from the first 64 KB of ``path``.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(p, "w").write("a;b\\n1,5;2,25\\n3,1;4,0\\n")
    >>> d = sniff(Path(p)); d.sep, d.decimal
    (';', ',')
    """
    dialect = dialect or Dialect()
    encoding = dialect.encoding or "utf-8-sig"  # a byte-order mark is not part of the first column's name
    try:
        with open(path, encoding=encoding, newline="") as f:
            text = f.read(1 << 16)
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not valid {encoding.replace('-sig', '').upper()} (byte 0x{e.object[e.start]:02x} "
                        f"at offset {e.start}); give its encoding with --encoding (e.g. --encoding latin-1) or "
                        "re-save it as UTF-8") from None
    except LookupError:
        raise ConfigError(f"unknown --encoding {dialect.encoding!r}; e.g. utf-8, latin-1, cp1252") from None
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if len(lines) > 1 and not text.endswith(("\n", "\r")) and len(text) == 1 << 16:
        lines = lines[:-1]  # the last line may be cut by the 64 KB read
    sep = dialect.sep
    if sep is None:
        default = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","

        def fields(s: str) -> set[int]:
            return {len(r) for r in csv.reader(lines, delimiter=s)}

        sep = default
        if not (len(fields(default)) == 1 and fields(default) != {1}):
            found = [s for s in _SEPS if s != default and len(fields(s)) == 1 and fields(s) != {1}]
            if found:
                sep = found[0]
                log.warning("reading %s as %s-separated (detected; --sep sets it)", path.name,
                            {"\t": "tab", ";": "semicolon", "|": "pipe", ",": "comma"}[sep])
            elif len(lines) > 1 and len({len(ln.split()) for ln in lines}) == 1 and len(lines[0].split()) > 1:
                raise DataError(f"{path} looks separated by spaces; give --sep ' ' (or re-save it with commas)")
    decimal = dialect.decimal
    if decimal is None:
        decimal = "."
        if sep != ",":
            cells = [c for r in csv.reader(lines[1:], delimiter=sep) for c in r if c.strip()]
            if cells and sum(bool(_DECIMAL_COMMA.match(c)) for c in cells) > len(cells) / 4:
                decimal = ","
                log.warning("reading %s with decimal commas (detected; --decimal sets it)", path.name)
    return Dialect(sep=sep, decimal=decimal, encoding=encoding, na_values=dialect.na_values)


def _header(first: list[str] | None, path: Path) -> list[str]:
    """A delimited file's header row, checked: present, unique names, none empty."""
    if first is None or not any(h.strip() for h in first):
        raise DataError(f"{path} is empty; give a file with a header row and data rows")
    header = [h.strip() for h in first]
    dups = sorted({h for h in header if header.count(h) > 1})
    if dups:
        raise DataError(f"{path} has duplicate column names: {', '.join(dups)}; rename them so each is unique")
    if "" in header:
        raise DataError(f"{path} has an empty column name (column {header.index('') + 1}); "
                        "name every column in the header row")
    return header


def _check_delimited(path: Path, sep: str, encoding: str = "utf-8-sig") -> list[str]:
    """Validate encoding, header and row lengths in one streaming pass; return the header.

    pandas silently renames duplicate columns (``a.1``) and pads short rows with NaN, so
    these checks must happen before it sees the file.
    """
    try:
        with open(path, newline="", encoding=encoding) as f:
            reader = csv.reader(f, delimiter=sep, skipinitialspace=True)  # as pandas reads it
            header = _header(next(reader, None), path)
            n_rows = 0
            for row in reader:
                if not row:
                    continue
                n_rows += 1
                if len(row) != len(header):
                    raise DataError(
                        f"{path} line {reader.line_num} has {len(row)} fields but the header has {len(header)}; "
                        "fix the ragged row (check quoting and delimiters)")
            if n_rows == 0:
                raise DataError(f"{path} has a header but no data rows; add data rows")
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not valid {encoding.replace('-sig', '').upper()} (byte 0x{e.object[e.start]:02x} "
                        f"at offset {e.start}); give its encoding with --encoding (e.g. --encoding latin-1) or re-save "
                        "it as UTF-8") from None
    return header


def read_table(path: str | Path, dialect: Dialect | None = None) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet or Excel file, with one-line errors for unusable files.

    A delimited file's separator, decimal mark and encoding are detected unless ``dialect``
    sets them (:func:`sniff`).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(p, "w").write("x,y\\n1,2\\n3,4\\n")
    >>> read_table(p).shape
    (2, 2)
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file {path} does not exist; check the path (or run 'causalllm datasets' for bundled names)")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a data file; give a .csv, .tsv, .parquet or .xlsx file")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty; give a file with a header row and data rows")
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix.lower() == ".gz" else path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(path)
        except ImportError:
            raise ConfigError("reading Parquet needs pyarrow; pip install pyarrow (or convert the file to CSV)") from None
        except (OSError, ValueError, TypeError) as e:  # pyarrow's ArrowException types derive from these
            raise DataError(f"{path} is not a readable Parquet file ({e.__class__.__name__}); check the file") from None
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        df = _read_excel(path)
    else:
        df = _read_delimited(path, suffix, dialect)
    df.columns = [str(c).strip() for c in df.columns]
    if df.shape[0] == 0:
        raise DataError(f"{path} has a header but no data rows; add data rows")
    return df


def _read_excel(path: Path) -> pd.DataFrame:
    """The first sheet of a workbook (openpyxl, the optional extra ``causalllm[excel]``)."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise ConfigError("reading Excel needs openpyxl: pip install 'causalllm[excel]' (or save the sheet as CSV)"
                          ) from None
    try:
        df = pd.read_excel(path, sheet_name=0, na_values=list(MISSING_MARKERS), keep_default_na=False)
    except (OSError, ValueError, KeyError) as e:  # openpyxl's InvalidFileException is an OSError
        raise DataError(f"{path} is not a readable Excel workbook ({e.__class__.__name__}); save the sheet as CSV"
                        ) from None
    dups = sorted({c for c in df.columns if str(c).rsplit(".", 1)[0] in df.columns and "." in str(c)})
    if dups:
        raise DataError(f"{path} has duplicate column names ({', '.join(map(str, dups))}); rename them")
    return df


def _read_delimited(path: Path, suffix: str, dialect: Dialect | None) -> pd.DataFrame:
    if suffix.endswith(".gz"):
        # compressed files skip detection and the streaming pre-check; pandas still catches most problems
        d = Dialect(sep=(dialect.sep if dialect else None) or ("\t" if suffix == ".tsv.gz" else ","),
                    decimal=(dialect.decimal if dialect else None) or ".",
                    encoding=(dialect.encoding if dialect else None) or "utf-8-sig",
                    na_values=dialect.na_values if dialect else ())
        header = None
    else:
        d = sniff(path, dialect)
        header = _check_delimited(path, str(d.sep), str(d.encoding))
    df = _pandas_csv(path, d)
    if header is not None:
        _set_header(df, header, path)
    return df


def _pandas_csv(path: Path, d: Dialect, nrows: int | None = None) -> pd.DataFrame:
    """pandas' reader in the dialect ``d`` (the whole file, or its first ``nrows``), with one-line errors."""
    try:
        return pd.read_csv(path, sep=d.sep, decimal=str(d.decimal), encoding=d.encoding, skipinitialspace=True,
                           keep_default_na=False, na_values=d.missing, nrows=nrows)
    except pd.errors.ParserError as e:
        raise DataError(f"{path} could not be parsed: {str(e).strip().splitlines()[-1]}; fix the ragged rows") from None
    except UnicodeDecodeError:
        raise DataError(f"{path} is not valid {str(d.encoding).upper()}; give its encoding with --encoding") from None


def _set_header(df: pd.DataFrame, header: list[str], path: Path) -> None:
    """The header as read by the row check (pandas renames duplicates); the two readers must agree."""
    if len(df.columns) != len(header):
        raise DataError(f"{path}: its header reads as {len(header)} column(s) one way and {len(df.columns)} another "
                        "(unbalanced quotes?); fix the quoting")
    df.columns = header


def read_sample(path: Path, nrows: int, dialect: Dialect | None = None, declared: Mapping[str, str] | None = None
                ) -> tuple[pd.DataFrame, list[str], Dialect]:
    """The first ``nrows`` rows of a CSV/TSV/Parquet file, read and cleaned as the small path reads them,
    the file's header, and its dialect (detected where not given)."""
    if not path.exists():
        raise DataError(f"data file {path} does not exist; check the path (or run 'causalllm datasets' for bundled names)")
    if path.suffix.lower() in (".parquet", ".pq"):
        import polars as pl

        try:
            head = pl.read_parquet(path, n_rows=nrows)
        except (pl.exceptions.PolarsError, OSError) as e:
            raise DataError(f"{path} is not a readable Parquet file ({e.__class__.__name__}); check the file") from None
        df = pd.DataFrame({c: head[c].to_numpy() for c in head.columns})
    else:
        d = sniff(path, dialect)
        with open(path, newline="", encoding=d.encoding, errors="replace") as f:
            header = _header(next(csv.reader(f, delimiter=str(d.sep), skipinitialspace=True), None), path)
        df = _pandas_csv(path, d, nrows)
        _set_header(df, header, path)
        dialect = d
    df.columns = [str(c).strip() for c in df.columns]
    return clean(df, str(path), declared), list(df.columns), dialect or Dialect()


