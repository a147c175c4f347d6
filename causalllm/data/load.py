"""Loading an analyst's data and variable descriptions: the first step of the one-way pipeline.

:func:`load` turns whatever names the data — a file path, a bundled dataset name, a DataFrame,
a Dataset, or (with ``dask``) a glob of files on a cluster — plus an optional variables file
into a :class:`~causalllm.data.dataset.Dataset`: small files are read whole
(:func:`load_dataset`), big ones in one streaming pass (:mod:`causalllm.data.stream`).

Every problem with the input raises :class:`~causalllm.errors.DataError` whose message
names the problem and the fix in one line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, DataError
from .clean import apply_declared, check_described, check_levels, clean, infer_types, warn_sentinels
from .dataset import Dataset, file_sha256
from .registry import MISSING
from .table import Dialect, read_table
from .variables import read_variables, read_variables_file

__all__ = ["load", "load_dataset", "prepare", "table_files", "table_kind", "variables_of"]

log = logging.getLogger("causalllm")


def prepare(
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
    """Clean ``df``, decide its types, handle missing values: the dataset every loader ends with."""
    if missing not in MISSING:
        raise ConfigError(f"--missing must be 'drop' or 'error', not {missing!r}")
    declared = dict(declared or {})
    check_described(declared, list(df.columns), columns)
    check_described(descriptions, list(df.columns), columns)
    if columns:
        df = df[list(columns)]
    df = clean(df, source, declared)
    types, excluded = apply_declared(*infer_types(df), declared)
    warn_sentinels(df, types, source)
    for col, why in excluded.items():
        log.warning("excluding column '%s': %s", col, why)
    usable = [c for c in df.columns if c in types]
    if len(usable) < 2:
        why = "; ".join(f"{c}: {r}" for c, r in excluded.items())
        raise DataError(f"{source} has {len(usable)} usable column(s) ({', '.join(usable) or 'none'})"
                        f"{' - excluded ' + why if why else ''}; causal discovery needs at least two non-constant, "
                        "non-ID columns")
    frame, types, n_dropped = _handle_missing(df[usable], types, excluded, missing)
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


def _handle_missing(frame: pd.DataFrame, types: dict[str, str], excluded: dict[str, str], missing: str
                    ) -> tuple[pd.DataFrame, dict[str, str], int]:
    """Rows with a missing value dropped (and counted) or refused; a column left constant by the drop is
    excluded (added to ``excluded``). Returns the frame, the types of its columns and the rows dropped."""
    n_missing = frame.isna().sum()
    if not n_missing.any():
        return frame, types, 0
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
    if frame.shape[1] < 2:
        raise DataError("fewer than two usable columns remain after dropping missing rows; fill in missing values")
    return frame, {c: types[c] for c in frame.columns}, n_dropped


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
    ds = prepare(df, descriptions, name=name, context=context, columns=columns, missing=missing,
                  inputs=inputs, source=str(path), declared=declared)
    ds.truth_path = truth
    return ds


def load(data: str | Path | pd.DataFrame | Dataset | None, variables: str | Path | Mapping[str, str] | None = None, *,
         columns: Sequence[str] | None = None, context: str | None = None, missing: str = "drop",
         stream: str = "auto", dask: str | None = None, dialect: Dialect | None = None,
         progress: bool = False) -> Dataset:
    """The dataset ``data`` names: a Dataset as is, a DataFrame, a file path or a bundled name.

    Big files (``stream="auto"``: see :func:`causalllm.data.stream.worth_streaming`) are read in
    one streaming pass; with ``dask`` (a scheduler address or ``local``) ``data`` may be a glob of
    files whose statistics the cluster computes.

    Examples
    --------
    >>> load("cancer").kind
    'discrete'
    """
    cols = list(columns) if columns else None
    if data is None:
        raise ConfigError("no data: give DATA (a CSV/TSV/Parquet file or a bundled dataset name)")
    if isinstance(data, Dataset):
        return data
    if isinstance(data, pd.DataFrame):
        frame = data[cols] if cols else data
        desc = variables if isinstance(variables, Mapping) else None
        if variables is not None and desc is None:
            desc = read_variables(variables)  # type: ignore[arg-type]
        return Dataset.from_frame(frame, desc, context=context, missing=missing)
    if dask:
        from .dask import load_dask

        return load_dask(dask, str(data), variables, cols, missing=missing, context=context)
    dialect = dialect or Dialect()
    files = table_files(str(data))
    if files is not None and len(files) > 1:
        return _load_files(files, variables, cols, missing=missing, context=context, dialect=dialect,
                           progress=progress, stream=stream)
    path = files[0] if files else Path(data)
    data = path if files else data
    if _streams(path, stream, dialect):
        return _load_streamed(path, variables, cols, missing=missing, context=context, dialect=dialect,
                              progress=progress)
    if isinstance(variables, Mapping):
        ds = load_dataset(data, None, columns=cols, missing=missing, context=context, dialect=dialect)
        for k, v in variables.items():
            if k in ds.descriptions and v:
                ds.descriptions[k] = v
        return ds
    return load_dataset(data, variables, columns=cols, missing=missing, context=context, dialect=dialect)


_TABLE_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv", ".tab")


def table_files(spec: str) -> list[Path] | None:
    """The files a folder or a glob pattern names (sorted), or None for anything else (a file, a bundled name).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> for n in ("b.csv", "a.csv", "notes.txt"):
    ...     _ = open(os.path.join(d, n), "w").write("x,y\\n1,2\\n")
    >>> [p.name for p in table_files(d)], [p.name for p in table_files(os.path.join(d, "*.csv"))]
    (['a.csv', 'b.csv'], ['a.csv', 'b.csv'])
    """
    import glob

    p = Path(spec)
    if p.is_dir():
        found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in _TABLE_SUFFIXES
                       and not f.name.startswith((".", "_")))  # Spark/Dask write _SUCCESS and _metadata files
        what = f"the folder {spec}"
    elif not p.exists() and glob.has_magic(spec):
        found = sorted(Path(f) for f in glob.glob(spec) if Path(f).is_file())
        what = f"the pattern {spec}"
    else:
        return None
    if not found:
        raise DataError(f"{what} holds no .csv, .tsv or .parquet file; check the path")
    table_kind([str(f) for f in found], what)
    return found


def table_kind(names: Sequence[str], what: str) -> str:
    """``parquet`` or ``text`` (CSV/TSV) for files read as one table; a mix, or another kind, is a one-line error.

    Examples
    --------
    >>> table_kind(["a.parquet", "b.PQ"], "the folder d")
    'parquet'
    """
    kinds = {"parquet" if n.lower().endswith((".parquet", ".pq")) else
             "text" if n.lower().endswith((".csv", ".tsv", ".tab")) else "other" for n in names}
    if len(kinds) > 1 or kinds == {"other"}:
        raise DataError(f"{what} mixes file kinds; read only Parquet files or only CSV/TSV files (e.g. "
                        "'folder/*.parquet')")
    return kinds.pop()


def _load_files(files: list[Path], variables: Any, columns: list[str] | None, *, missing: str, context: str | None,
                dialect: Dialect, progress: bool, stream: str) -> Dataset:
    """Several files as one table: streamed (their statistics in one pass over all of them), or with
    ``--stream never`` read whole and stacked."""
    desc, declared = variables_of(variables)
    name = files[0].parent.name or files[0].stem
    with ThreadPoolExecutor(1) as pool:
        digests = pool.submit(lambda: {str(f): file_sha256(f) for f in files})
        if stream == "never":
            frames = [read_table(f, dialect) for f in files]
            heads = {tuple(map(str, f.columns)) for f in frames}
            if len(heads) > 1:
                raise DataError(f"the files in {files[0].parent} do not share one header; files read as one table "
                                "need one")
            ds = prepare(pd.concat(frames, ignore_index=True), desc, name=name, context=context, columns=columns,
                         missing=missing, inputs={}, source=f"{files[0].parent}/ ({len(files)} files)",
                         declared=declared)
        else:
            from .stream import stream_dataset

            ds = stream_dataset(files[0], desc, columns=columns, missing=missing, progress=progress, dialect=dialect,
                                declared=declared, files=files)
        ds.inputs = digests.result()
    ds.name, ds.context = name, context
    ds.load_info["files"] = len(files)
    if variables is not None and not isinstance(variables, Mapping):
        ds.inputs[str(variables)] = file_sha256(variables)
    return ds


def _streams(path: Path, stream: str, dialect: Dialect) -> bool:
    from .stream import streamable, worth_streaming

    return stream == "always" or (stream == "auto" and path.is_file() and streamable(path, dialect)
                                  and worth_streaming(path))


def _load_streamed(path: Path, variables: Any, columns: list[str] | None, *, missing: str, context: str | None,
                   dialect: Dialect, progress: bool) -> Dataset:
    from .stream import stream_dataset

    desc, declared = variables_of(variables)
    # the manifest's hash of a big file reads it once more: beside the pass, not after it
    with ThreadPoolExecutor(1) as pool:
        digest = pool.submit(file_sha256, path)
        ds = stream_dataset(path, desc, columns=columns, missing=missing, progress=progress, dialect=dialect,
                            declared=declared)
        ds.inputs = {str(path): digest.result()}
    ds.name, ds.context = path.stem, context
    if variables is not None and not isinstance(variables, Mapping):
        ds.inputs[str(variables)] = file_sha256(variables)
    return ds


def variables_of(variables: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Descriptions and declared types from a variables file (a mapping brings descriptions only)."""
    if isinstance(variables, Mapping):
        return dict(variables), {}
    if variables is None:
        return {}, {}
    return read_variables_file(variables)
