"""Cleaning a frame and deciding its columns' types: blank cells, stray text, formatted numbers,
declared types, and categories too many for a contingency test."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from .dataset import MAX_DISCRETE_LEVELS, ColumnFacts, decide_type

__all__ = ["WARN_LEVELS", "apply_declared", "check_described", "check_levels", "clean", "infer_types",
           "warn_sentinels"]

log = logging.getLogger("causalllm")


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


_SENTINEL = re.compile(r"^-?9{2,}(\.0+)?$|^-9(\.0+)?$|^-?8{3,}(\.0+)?$")


def sentinels(s: pd.Series) -> list[tuple[float, int, float, float]]:
    """Missing-value codes used as numbers in a numeric column: a value written with nines (``-9``, ``99``,
    ``-999``, ``9999``; or eights, ``-888``) that repeats at the column's extreme, apart from the others.
    Returns ``(value, count, low, high)`` with the range of the other values.

    Examples
    --------
    >>> import pandas as pd
    >>> sentinels(pd.Series([1.2, 3.4, -999, 2.2, -999, 0.5]))
    [(-999.0, 2, 0.5, 3.4)]
    """
    x = pd.to_numeric(s, errors="coerce").dropna()
    out: list[tuple[float, int, float, float]] = []
    if len(x) < 4:
        return out
    counts = x.value_counts()
    for v in (x.min(), x.max()):
        n = int(counts.get(v, 0))
        text = f"{v:g}" if float(v).is_integer() else ""
        if n < 2 or not _SENTINEL.match(text):
            continue
        rest = x[x != v]
        if rest.empty:
            continue
        lo, hi, span = float(rest.min()), float(rest.max()), float(rest.max() - rest.min()) or 1.0
        # apart from the others: beyond their range by more than their own spread
        if (v < lo and lo - v > span) or (v > hi and v - hi > span):
            out.append((float(v), n, lo, hi))
    return out


def warn_sentinels(df: pd.DataFrame, types: Mapping[str, str], source: str) -> None:
    """One warning per numeric column holding a likely missing-value code (:func:`sentinels`)."""
    for col in df.columns:
        if col not in types or not pd.api.types.is_numeric_dtype(df[col]):
            continue
        for v, n, lo, hi in sentinels(df[col]):
            log.warning("column '%s' in %s: %g appears %d times at its %s, far from its other values (%g to %g): a "
                        "missing-value code read as a number? If so, add --na-values %g", col, source, v, n,
                        "minimum" if v < lo else "maximum", lo, hi, v)


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


def _distinct(s: pd.Series) -> tuple[np.ndarray, pd.Series, pd.Series, np.ndarray]:
    """A text column read once: each row's index into its distinct values (-1: missing), those values as
    read and stripped, and how many rows hold each — the cleaning rules then run on the few distinct
    values, not on every cell."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    raw = pd.Series(np.asarray(uniq, dtype=object), dtype=object)
    return codes, raw, raw.astype(str).str.strip(), np.bincount(codes[codes >= 0], minlength=len(uniq))


def _is_text(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _check_stray_text(distinct: Mapping[str, tuple[np.ndarray, pd.Series, pd.Series, np.ndarray]], path: str) -> None:
    """A mostly-numeric text column means a typo in the data: name it and show the value."""
    for col, (codes, _, text, counts) in distinct.items():
        filled = (text != "").to_numpy()
        if counts[filled].sum() < 2:
            continue
        ok = _is_numeric_like(text).to_numpy()
        if counts[filled & ok].sum() >= 0.9 * counts[filled].sum() and not ok[filled].all():
            # the first row holding a non-numeric value, by position (a table read with its first column as the
            # index has no row numbers)
            where = int(np.flatnonzero(np.isin(codes, np.flatnonzero(filled & ~ok)))[0])
            raise DataError(
                f"column '{col}' in {path} is numeric but has non-numeric value {text.iloc[codes[where]]!r} (line "
                f"{where + 2}); fix or blank that value (blanks are treated as missing)")


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
    # each text column's distinct values, read once for both passes (every column's stray text first)
    distinct = {col: _distinct(df[col]) for col in df.columns if _is_text(df[col])}
    _check_stray_text(distinct, source)
    df = df.copy()
    for col in df.columns:
        if col in distinct:
            df[col] = _clean_text(df[col], col, source, declared.get(col), distinct[col])
        if pd.api.types.is_float_dtype(df[col]):
            inf = np.flatnonzero(np.isinf(df[col].to_numpy()))
            if len(inf):
                raise DataError(f"column '{col}' in {source} has an infinite value ({df[col].iloc[inf[0]]}, line "
                                f"{int(inf[0]) + 2}); replace it with a number or blank it (blanks are missing)")
    return df


def _clean_text(s: pd.Series, col: str, source: str, declared: str | None,
                distinct: tuple[np.ndarray, pd.Series, pd.Series, np.ndarray]) -> pd.Series:
    """A text column: blank cells missing; all numbers (once blanks are out) made numeric; declared continuous
    parsed, formatting and all; formatted numbers left as text are warned about. The rules read the column's
    distinct values (:func:`_distinct`)."""
    codes, raw, text, counts = distinct
    blank = (text == "").to_numpy()
    if blank.any():
        cells = np.isin(codes, np.flatnonzero(blank))
        s = s.mask(cells)
        codes = np.where(cells, -1, codes)
    filled = ~blank
    if not filled.any():
        return s
    numbers = pd.to_numeric(raw[filled], errors="coerce")
    if numbers.notna().all():
        values = np.full(len(raw), np.nan)
        values[filled] = numbers.to_numpy(dtype=float)
        out = pd.Series(values[np.maximum(codes, 0)], index=s.index)
        out[codes < 0] = np.nan
        # whole numbers without a missing cell stay integers, as pandas reads them
        if (codes >= 0).all() and pd.api.types.is_integer_dtype(numbers):
            return out.astype(np.int64)
        return out
    if declared == "continuous":
        return _parse_formatted(s, col, source)
    if _looks_formatted(text[filled], counts[filled]):
        log.warning("column '%s' holds formatted numbers (e.g. %r) and is read as text; give it type "
                    "continuous in the variables file (or export plain numbers)", col, str(s.dropna().iloc[0]))
    return s


def _looks_formatted(s: pd.Series, counts: np.ndarray | None = None) -> bool:
    """Most values (weighted by ``counts`` when ``s`` holds distinct values) are numbers with thousands
    separators, percent signs or currency symbols."""
    keep = s.notna().to_numpy()
    nn = s[keep].astype(str)
    weight = np.ones(len(nn)) if counts is None else np.asarray(counts, dtype=float)[keep]
    if nn.empty or not weight.sum():
        return False
    hits = nn.str.match(_FORMATTED).to_numpy(dtype=bool)
    return bool(weight[hits].sum() >= 0.9 * weight.sum()
                and nn[hits].str.contains(r"[,%$€£¥ '\u00a0]|\d\.\d{3}\.", regex=True).any())


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


