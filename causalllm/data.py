"""Loading an analyst's data and variable descriptions.

The first step of the one-way pipeline (load → discover → ask → merge → render/report).
:func:`load_dataset` turns a table file (CSV, TSV or Parquet) plus an optional variables
file into a :class:`Dataset`: the usable columns, their inferred types (``continuous`` or
``discrete``), their plain-words descriptions, and a record of what was excluded and why.

Every problem with the input raises :class:`~causalllm.errors.DataError` whose message
names the problem and the fix in one line.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import MISSING
from .errors import ConfigError, DataError

__all__ = [
    "Dataset",
    "Dialect",
    "sniff",
    "Moments",
    "ColumnFacts",
    "decide_type",
    "load_dataset",
    "read_table",
    "read_sample",
    "clean",
    "check_described",
    "check_levels",
    "apply_declared",
    "read_variables",
    "read_types",
    "read_variables_file",
    "DECLARED_TYPES",
    "infer_types",
    "variables_template",
    "write_variables_template",
    "file_sha256",
    "MAX_DISCRETE_LEVELS",
    "MISSING_MARKERS",
]

log = logging.getLogger("causalllm")

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
        was not sent to the LLM (see :func:`causalllm.pipeline.screen`).
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
        return _prepare(frame, dict(descriptions or {}), name=name, context=context,
                        columns=None, missing=missing, inputs={})


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (for the run manifest)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


def parse_mapping(text: str, suffix: str) -> Any:
    """Parse JSON (``.json``) or YAML (anything else); ValueError with the parser's first line."""
    import yaml

    try:
        if suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:  # json's JSONDecodeError is a ValueError
        raise ValueError(str(e).splitlines()[0] if str(e) else e.__class__.__name__) from None


def read_variables(path: str | Path) -> dict[str, str]:
    """Read a variables file: CSV with ``name,description`` or a YAML/JSON mapping.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "v.json")
    >>> _ = open(p, "w").write('{"smoking": "Cigarettes per day"}')
    >>> read_variables(p)
    {'smoking': 'Cigarettes per day'}
    """
    return read_variables_file(path)[0]


#: Values of a variables file's ``type`` column: they override the inferred type (blank: infer).
DECLARED_TYPES = ("continuous", "discrete", "exclude")


def read_types(path: str | Path) -> dict[str, str]:
    """The types a variables file declares (its ``type`` column, or ``type:`` in a YAML/JSON entry).

    ``continuous``, ``discrete`` or ``exclude`` (``causalllm init`` writes ``excluded: why``,
    read as ``exclude``); blank means infer.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "v.yaml")
    >>> _ = open(p, "w").write("age: {description: Age in years, type: discrete}\\nid: {type: exclude}\\n")
    >>> read_types(p)
    {'age': 'discrete', 'id': 'exclude'}
    """
    return read_variables_file(path)[1]


def _declared(path: Path, name: str, value: Any) -> str | None:
    t = "" if value is None else str(value).strip().lower()
    if not t:
        return None
    if t.startswith("exclude"):
        return "exclude"
    if t not in DECLARED_TYPES:
        raise DataError(f"variables file {path}: type {value!r} for '{name}' is not one of "
                        f"{', '.join(DECLARED_TYPES)} (leave it blank to infer)")
    return t


def read_variables_file(path: str | Path) -> tuple[dict[str, str], dict[str, str]]:
    """A variables file's descriptions and declared types, read once (:func:`read_variables`, :func:`read_types`)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"variables file {path} does not exist; create one with 'causalllm init DATA'")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"variables file {path} is not valid UTF-8; re-save it as UTF-8") from None
    if not text.strip():
        raise DataError(f"variables file {path} is empty; fill it in (see 'causalllm init DATA')")
    desc: dict[str, str] = {}
    types: dict[str, str] = {}
    if suffix in (".yaml", ".yml", ".json"):
        try:
            obj = parse_mapping(text, suffix)
        except ValueError as e:
            raise DataError(f"variables file {path} is not valid {suffix[1:].upper()} ({e}); fix its syntax") from None
        if not isinstance(obj, dict):
            raise DataError(f"variables file {path} must be a mapping of name -> description")
        for k, v in obj.items():
            name = str(k).strip()
            if isinstance(v, dict):
                desc[name] = str(v.get("description") or "").strip()
                t = _declared(path, name, v.get("type"))
                if t:
                    types[name] = t
            else:
                desc[name] = "" if v is None else str(v).strip()
        return desc, types
    try:
        vdf = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise DataError(f"variables file {path} could not be parsed as CSV ({str(e).strip().splitlines()[-1]})") from None
    cols = [c.strip().lower() for c in vdf.columns]
    if "name" not in cols:
        raise DataError(f"variables file {path} needs a 'name' column (and 'description'); found {', '.join(vdf.columns)}")
    vdf.columns = cols
    names = [str(n).strip() for n in vdf["name"]]
    dups = sorted({n for n in names if n and names.count(n) > 1})
    if dups:
        raise DataError(f"variables file {path} lists {', '.join(dups)} more than once; keep one row per variable")
    blank = pd.Series([""] * len(vdf))
    for n, d, t in zip(names, vdf["description"] if "description" in cols else blank,
                       vdf["type"] if "type" in cols else blank):
        if n:
            desc[n] = str(d).strip()
            declared = _declared(path, n, t)
            if declared:
                types[n] = declared
    return desc, types


def _is_numeric_like(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").notna()


def infer_types(df: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """Infer each column's type; return ``(types, excluded)``.

    ``continuous``: numeric with more than :data:`MAX_DISCRETE_LEVELS` distinct values or
    non-integral values. ``discrete``: strings, booleans and small-cardinality integers.
    Excluded (with a reason): all-missing, constant, ID-like (unique per row) columns.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [0.1, 0.5, 0.9, 1.3], "g": ["a", "b", "a", "b"], "c": [1, 1, 1, 1]})
    >>> infer_types(df)
    ({'x': 'continuous', 'g': 'discrete'}, {'c': 'constant'})
    """
    types: dict[str, str] = {}
    excluded: dict[str, str] = {}
    for col in df.columns:
        kind, why = decide_type(ColumnFacts.of(df[col]), len(df))
        if kind is None:
            excluded[col] = str(why)
        else:
            types[col] = kind
    return types, excluded


def apply_declared(types: dict[str, str], excluded: dict[str, str], declared: Mapping[str, str]
                   ) -> tuple[dict[str, str], dict[str, str]]:
    """The variables file's ``type`` column over the inferred types. A declared type wins, except
    over a column with nothing to test (constant or all missing); ``exclude`` leaves a column out."""
    types, excluded = dict(types), dict(excluded)
    for col, t in declared.items():
        if t == "exclude":
            types.pop(col, None)
            excluded[col] = "excluded in the variables file"
        elif col in types or (col in excluded and excluded[col].startswith("ID-like")):
            excluded.pop(col, None)
            types[col] = t
    return types, excluded


def check_levels(levels: Mapping[str, int], n_rows: int, source: str, values: Mapping[str, Any] | None = None) -> None:
    """Warn about discrete columns with many categories; refuse those with fewer than 5 rows per category,
    for which a contingency test means nothing."""
    for col, k in levels.items():
        if k > max(MAX_DISCRETE_LEVELS, n_rows / 5):
            hint = ""
            if values is not None and _looks_formatted(pd.Series(values[col]).astype(object)):
                hint = " (its values look like formatted numbers: give it type continuous in the variables file)"
            raise DataError(f"column '{col}' in {source} has {k} categories for {n_rows} rows, too many for a CI test"
                            f"{hint}; leave it out with --columns, or declare its type in the variables file")
        if k > WARN_LEVELS:
            log.warning("column '%s' has %d categories: the discrete tests need many rows per category", col, k)


def _check_stray_text(df: pd.DataFrame, path: str) -> None:
    """A mostly-numeric text column means a typo in the data: name it and show the value."""
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        nn = s.dropna().astype(str).str.strip()
        nn = nn[nn != ""]
        if len(nn) < 2:
            continue
        ok = _is_numeric_like(nn)
        if ok.mean() >= 0.9 and not ok.all():
            bad = nn[~ok]
            row = int(bad.index[0]) + 2  # header is line 1
            raise DataError(
                f"column '{col}' in {path} is numeric but has non-numeric value {bad.iloc[0]!r} (line {row}); "
                "fix or blank that value (blanks are treated as missing)")


def check_described(descriptions: Mapping[str, str], header: Sequence[str], columns: Sequence[str] | None) -> None:
    """Every described variable and every ``--columns`` name must be a column of the data."""
    unknown_desc = [v for v in descriptions if v not in header]
    if unknown_desc:
        raise DataError(
            f"described variable(s) not in the data: {', '.join(unknown_desc)}; fix the names in the variables file "
            f"(data columns: {', '.join(map(str, header[:12]))}{', ...' if len(header) > 12 else ''})")
    if columns:
        unknown = [c for c in columns if c not in header]
        if unknown:
            raise DataError(f"--columns names unknown column(s): {', '.join(unknown)}; "
                            f"available: {', '.join(map(str, header))}")


#: A number written for people: thousands separators, a percent sign or a currency symbol.
_FORMATTED = re.compile(r"^\s*[-+(]?[$€£¥]?\s*(\d{1,3}([,. '\u00a0]\d{3})+|\d+)([.,]\d+)?\s*%?\)?\s*$")
#: A discrete column with more categories than this gets a warning; with more than one per 5 rows, an error.
WARN_LEVELS = 50


def clean(df: pd.DataFrame, source: str, declared: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Stray text refused; blank cells missing; text columns that are all numbers made numeric;
    infinite values refused; columns declared continuous parsed, formatting and all."""
    declared = declared or {}
    _check_stray_text(df, source)
    df = df.replace(r"^\s*$", np.nan, regex=True)
    for col in df.columns:
        s = df[col]
        if not pd.api.types.is_numeric_dtype(s) and s.notna().any():
            if _is_numeric_like(s.dropna()).all():
                df[col] = pd.to_numeric(s)
            elif declared.get(col) == "continuous":
                df[col] = _parse_formatted(s, col, source)
            elif _looks_formatted(s):
                log.warning("column '%s' holds formatted numbers (e.g. %r) and is read as text; give it type "
                            "continuous in the variables file (or export plain numbers)", col, str(s.dropna().iloc[0]))
        if pd.api.types.is_float_dtype(df[col]):
            inf = np.flatnonzero(np.isinf(df[col].to_numpy()))
            if len(inf):
                raise DataError(f"column '{col}' in {source} has an infinite value ({df[col].iloc[inf[0]]}, line "
                                f"{int(inf[0]) + 2}); replace it with a number or blank it (blanks are missing)")
    return df


def _looks_formatted(s: pd.Series) -> bool:
    """Most values are numbers with thousands separators, percent signs or currency symbols."""
    nn = s.dropna().astype(str)
    if nn.empty:
        return False
    hits = nn.str.match(_FORMATTED)
    return bool(hits.mean() >= 0.9 and nn[hits].str.contains(r"[,%$€£¥ '\u00a0]|\d\.\d{3}\.", regex=True).any())


def _parse_formatted(s: pd.Series, col: str, source: str) -> pd.Series:
    """A column declared continuous: numbers with thousands separators, %, currency, or a one-line error."""
    text = s.astype("string").str.strip()
    neg = text.str.startswith("(") & text.str.endswith(")")
    plain = text.str.replace(r"[$€£¥%()\s'\u00a0]", "", regex=True)
    # 1.234,5 (European) when the last separator is a comma followed by 1-2 or 4+ digits, or dots group thousands
    euro = plain.str.contains(r"\.\d{3}(?:,|$)", regex=True) | plain.str.contains(r",\d{1,2}$|,\d{4,}$", regex=True)
    plain = plain.where(~euro, plain.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    plain = plain.where(euro, plain.str.replace(",", "", regex=False))
    out = pd.to_numeric(plain, errors="coerce")
    bad = out.isna() & s.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"column '{col}' in {source} is declared continuous but {s.iloc[i]!r} (line {i + 2}) is not a "
                        "number; fix that value or declare the column discrete")
    return out.where(~neg, -out).astype(float)


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


def _prepare(
    df: pd.DataFrame,
    descriptions: dict[str, str],
    *,
    name: str,
    context: str | None,
    columns: Sequence[str] | None,
    missing: str,
    inputs: dict[str, str],
    source: str = "data",
    declared: Mapping[str, str] | None = None,
) -> Dataset:
    if missing not in MISSING:
        raise ConfigError(f"--missing must be 'drop' or 'error', not {missing!r}")
    declared = dict(declared or {})
    check_described(declared, list(df.columns), columns)
    check_described(descriptions, list(df.columns), columns)
    if columns:
        df = df[list(columns)]
    df = clean(df, source, declared)
    types, excluded = apply_declared(*infer_types(df), declared)
    for col, why in excluded.items():
        log.warning("excluding column '%s': %s", col, why)
    usable = [c for c in df.columns if c in types]
    if len(usable) < 2:
        why = "; ".join(f"{c}: {r}" for c, r in excluded.items())
        raise DataError(f"{source} has {len(usable)} usable column(s) ({', '.join(usable) or 'none'})"
                        f"{' - excluded ' + why if why else ''}; causal discovery needs at least two non-constant, "
                        "non-ID columns")
    frame = df[usable]
    n_missing = frame.isna().sum()
    n_dropped = 0
    if n_missing.any():
        if missing == "error":
            which = ", ".join(f"{c} ({int(k)})" for c, k in n_missing.items() if k)
            raise DataError(f"missing values in {which}; fill them in or use --missing drop")
        before = len(frame)
        frame = frame.dropna()
        n_dropped = before - len(frame)
        log.warning("dropped %d of %d rows with missing values", n_dropped, before)
        if len(frame) < 3:
            raise DataError(f"only {len(frame)} complete rows remain after dropping missing values; fill in missing values")
        # a column may have become constant after dropping rows
        types2, excl2 = infer_types(frame)
        for col, why in excl2.items():
            log.warning("excluding column '%s' after dropping rows: %s", col, why)
            excluded[col] = why
        frame = frame[[c for c in frame.columns if c in types2]]
        types = {c: types[c] for c in frame.columns}
        if frame.shape[1] < 2:
            raise DataError("fewer than two usable columns remain after dropping missing rows; fill in missing values")
    frame = frame.reset_index(drop=True)
    check_levels({c: int(frame[c].nunique()) for c in frame.columns if types[c] == "discrete"}, len(frame), source,
                 {c: frame[c] for c in frame.columns})
    undescribed = [c for c in frame.columns if not descriptions.get(c)]
    if descriptions and undescribed:
        log.warning("no description for %d column(s): %s (their names are used)", len(undescribed), ", ".join(undescribed))
    desc = {c: (descriptions.get(c) or c) for c in frame.columns}
    info = {"reader": f"pandas {pd.__version__}", "streamed": False, "rows_read": len(df), "rows_dropped": n_dropped}
    return Dataset(frame=frame, types={c: types[c] for c in frame.columns}, descriptions=desc, name=name,
                   context=context, excluded=excluded, n_dropped=n_dropped, inputs=inputs,
                   undescribed=undescribed, load_info=info)


def load_dataset(
    data: str | Path,
    variables: str | Path | None = None,
    *,
    columns: Sequence[str] | None = None,
    missing: str = "drop",
    context: str | None = None,
    dialect: Dialect | None = None,
) -> Dataset:
    """Load a data file (or a bundled dataset name) and its variable descriptions.

    Parameters
    ----------
    data : str or Path
        A ``.csv``, ``.tsv`` or ``.parquet`` file, or a bundled dataset name (``sachs``).
    variables : str or Path, optional
        ``name,description`` CSV or YAML/JSON mapping. Bundled datasets bring their own. A
        ``type`` column (as ``causalllm init`` writes) overrides the inferred types.
    columns : sequence of str, optional
        Use only these columns.
    missing : {"drop", "error"}
        Drop incomplete rows (and report how many), or refuse them.
    context : str, optional
        One sentence about the dataset for prompts (bundled datasets bring their own).
    dialect : Dialect, optional
        Separator, decimal mark, encoding and extra missing markers; detected when not given.

    Examples
    --------
    >>> ds = load_dataset("asia")
    >>> ds.kind, ds.frame.shape
    ('discrete', (10000, 8))
    """
    from . import bundled

    path = Path(data)
    truth = None
    name = path.stem
    if not path.exists() and bundled.is_bundled(str(data)):
        info = bundled.get(str(data))
        path = info.data_path
        name = info.name
        truth = info.truth_path
        if variables is None:
            variables = info.variables_path
        if context is None:
            context = info.context
    df = read_table(path, dialect)
    inputs = {str(path): file_sha256(path)}
    descriptions: dict[str, str] = {}
    declared: dict[str, str] = {}
    if variables is not None:
        descriptions, declared = read_variables_file(variables)
        inputs[str(variables)] = file_sha256(variables)
    ds = _prepare(df, descriptions, name=name, context=context, columns=columns, missing=missing,
                  inputs=inputs, source=str(path), declared=declared)
    ds.truth_path = truth
    return ds


def variables_template(df: pd.DataFrame) -> pd.DataFrame:
    """A ``name,type,description`` template with empty descriptions for ``causalllm init``.

    Examples
    --------
    >>> import pandas as pd
    >>> variables_template(pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})).to_dict("list")
    {'name': ['a', 'b'], 'type': ['continuous', 'discrete'], 'description': ['', '']}
    """
    types, excluded = infer_types(df)
    rows = []
    for col in df.columns:
        t = types.get(col, f"excluded: {excluded.get(col, '')}")
        rows.append({"name": col, "type": t, "description": ""})
    return pd.DataFrame(rows, columns=["name", "type", "description"])



def write_variables_template(data: str | Path, output: str | Path | None = None, *, force: bool = False) -> Path:
    """Write a ``name,type,description`` template for ``data`` (``causalllm init``); return its path.

    A bundled dataset's template goes to the working folder, never into the installed package.
    """
    from . import bundled

    is_bundled = not Path(data).exists() and bundled.is_bundled(str(data))
    src = bundled.get(str(data)).data_path if is_bundled else Path(data)
    df = read_table(src)
    default = Path(f"{data}.variables.csv") if is_bundled else src.with_name(src.stem + ".variables.csv")
    out = Path(output) if output else default
    if out.exists() and not force:
        raise ConfigError(f"{out} already exists; use --force to overwrite it or --output to choose another file")
    try:
        variables_template(df).to_csv(out, index=False)
    except OSError as e:
        raise ConfigError(f"cannot write {out} ({e.strerror}); choose another --output") from None
    return out
