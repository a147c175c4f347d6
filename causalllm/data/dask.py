"""Beyond one machine: a table's statistics computed on a Dask cluster, where its partitions live.

Each partition is folded into a :class:`~causalllm.data.partial.Partial` on its worker; only the
partials travel back (continuous columns: a p × p matrix each; discrete columns: their codes)
and are merged in partition order, so the result equals the streaming pass on the same rows.
:func:`load_dask` runs a cluster's life cycle for ``discover --dask``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .clean import check_described, clean
from .dataset import MISSING_MARKERS, Dataset
from .partial import Partial, Plan, finish, plan_from_sample
from .stream import SAMPLE_ROWS, describe

__all__ = ["dask_dataset", "load_dask"]


# ------------------------------------------------------------------ Dask
def _fold_partition(pdf: pd.DataFrame, plan: Plan, index: int, keep_values: bool) -> Partial:
    """One Dask partition's statistics (runs on a worker; row numbers count from the partition's start, and
    the client shifts them once every partition's length is known — no separate pass to count rows)."""
    try:
        return _fold(pdf, plan, keep_values)
    except DataError as e:
        raise DataError(f"{e} (in Dask partition {index}: the row number counts from that partition's first row)"
                        ) from None


def _fold(pdf: pd.DataFrame, plan: Plan, keep_values: bool) -> Partial:
    start = 0
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


def _first_rows(ddf: Any) -> pd.DataFrame:
    """The type guess's rows: from the first partition (every row verifies the guess in the pass; a wrong
    guess costs one more pass) — reading every partition up front for it would read the data twice."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "insufficient elements for head": a small partition
        sample = ddf.head(SAMPLE_ROWS, npartitions=1, compute=True)
        if len(sample) == 0:
            sample = ddf.head(SAMPLE_ROWS, npartitions=-1, compute=True)
    if len(sample) == 0:
        raise DataError("the Dask dataframe has no rows; check the files it reads")
    return sample


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
    sample = _first_rows(ddf)
    declared = dict(declared or {})
    sample = clean(sample.reset_index(drop=True), name, declared)
    descriptions = dict(descriptions or {})
    check_described(descriptions, header, columns)
    plan = plan_from_sample(sample, None, declared)
    parts = ddf.to_delayed()
    passes = 0
    while True:
        passes += 1
        keep_values = bool(plan.discrete and plan.continuous)
        fold = dask.delayed(_fold_partition)
        partials = dask.compute(*[fold(p, plan, i, keep_values) for i, p in enumerate(parts)])
        total = Partial()
        for part in partials:
            total = total.merge(part.shift(total.n_read))
        result = finish(total, plan, missing=missing, source=name)
        if isinstance(result, Dataset):
            break
        plan = result
    result.name = name
    result.load_info.update(reader=f"dask {dask.__version__}", passes=passes, partitions=len(parts),
                            seconds=round(time.perf_counter() - t0, 3))
    describe(result, descriptions)
    return result


def _expand(pattern: str) -> list[str]:
    """The files ``pattern`` matches, listed through fsspec (Dask's filesystem layer) where it runs: on a
    worker, so ``s3://``, ``gs://`` and paths only the workers see are found as the workers see them."""
    import fsspec

    fs, _, paths = fsspec.core.get_fs_token_paths(pattern)
    remote = "://" in pattern
    return sorted(fs.unstrip_protocol(p) if remote else p for p in paths if fs.isfile(p))


def _sha256(url: str) -> str:
    """A file's SHA-256, computed where its bytes are (a worker; fsspec for remote files)."""
    import hashlib

    import fsspec

    h = hashlib.sha256()
    with fsspec.open(url, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_one(url: str, parquet: bool, sep: str, nrows: int | None = None) -> pd.DataFrame:
    """One file read on a worker (for files the client cannot see)."""
    import fsspec

    with fsspec.open(url, "rb") as f:
        if parquet:
            df = pd.read_parquet(f)
            return df.head(nrows) if nrows is not None else df
        return pd.read_csv(f, sep=sep, dtype=str, keep_default_na=False, na_values=list(MISSING_MARKERS), nrows=nrows)


def _frame(client: Any, urls: list[str], parquet: bool, sep: str, client_sees: bool | None = None) -> Any:
    """The Dask dataframe over ``urls``: Dask's readers (split into blocks) where the client sees the files or
    they are remote URLs; else one partition per file, each read on a worker."""
    import dask.dataframe as dd

    if client_sees is None:
        client_sees = all("://" in u or Path(u).exists() for u in urls)
    if client_sees:
        if parquet:
            return dd.read_parquet(urls)
        # text first, as the small path reads it: the type rule decides, not Dask's per-file guess
        return dd.read_csv(urls, sep=sep, dtype=str, keep_default_na=False, na_values=list(MISSING_MARKERS))
    meta = client.submit(_read_one, urls[0], parquet, sep, 0).result()
    return dd.from_map(_read_one, urls, parquet=parquet, sep=sep, meta=meta, enforce_metadata=False)


def load_dask(address: str, pattern: str, variables: Any, columns: Sequence[str] | None, *, missing: str = "drop",
              context: str | None = None) -> Dataset:
    """The statistics of the files ``pattern`` matches, computed on the Dask cluster at ``address``
    (``local``: a 2-worker cluster on this machine, started and stopped here).

    The pattern is listed, read and hashed where the workers are (through fsspec: ``s3://``, ``gs://``, or a
    path only the workers see); the types are guessed from the first partition and the rows counted in the
    statistics pass, so the data is read once (twice only when the first partition misled the guess)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("--dask needs Dask: pip install 'causalllm[dask]'") from None
    from .load import table_kind, variables_of

    desc, declared = variables_of(variables)
    cluster = LocalCluster(n_workers=2, processes=True, host="127.0.0.1") if address == "local" else None
    try:
        with Client(cluster if cluster is not None else address, timeout=30) as client:
            urls = client.submit(_expand, pattern, pure=False).result()
            if not urls:
                raise DataError(f"no file matches {pattern}; give a path or a glob such as 'data/*.parquet'")
            parquet = table_kind(urls, pattern) == "parquet"
            sep = "\t" if urls[0].lower().endswith((".tsv", ".tab")) else ","
            digests = client.map(_sha256, urls, pure=False)  # beside the pass, where the bytes are
            ds = dask_dataset(_frame(client, urls, parquet, sep), desc, columns=columns, missing=missing,
                              declared=declared, name=Path(urls[0].split("://")[-1]).parent.name or "data")
            ds.inputs = dict(zip(urls, client.gather(digests)))
            ds.load_info["dask"] = client.scheduler.address if client.scheduler else address
    except OSError as e:
        raise ConfigError(f"cannot reach the Dask scheduler at {address} ({e}); check the address "
                          "(tcp://host:8786) or use --dask local") from None
    finally:
        if cluster is not None:
            cluster.close()
    ds.context = context
    return ds
