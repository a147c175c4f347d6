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
from .dataset import MISSING_MARKERS, Dataset, file_sha256
from .partial import Partial, Plan, finish, plan_from_sample
from .stream import SAMPLE_ROWS, describe

__all__ = ["dask_dataset", "load_dask"]


# ------------------------------------------------------------------ Dask
def _fold_partition(pdf: pd.DataFrame, plan: Plan, start: int, keep_values: bool) -> Partial:
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
    plan = plan_from_sample(sample, None, declared)
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
        result = finish(total, plan, missing=missing, source=name)
        if isinstance(result, Dataset):
            break
        plan = result
    result.name = name
    result.load_info.update(reader=f"dask {dask.__version__}", passes=passes, partitions=len(parts),
                            seconds=round(time.perf_counter() - t0, 3))
    describe(result, descriptions)
    return result


def load_dask(address: str, pattern: str, variables: Any, columns: Sequence[str] | None, *, missing: str = "drop",
              context: str | None = None) -> Dataset:
    """The statistics of the files ``pattern`` matches, computed on the Dask cluster at ``address``
    (``local``: a 2-worker cluster on this machine, started and stopped here)."""
    try:
        import dask.dataframe as dd
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("--dask needs Dask: pip install 'causalllm[dask]'") from None
    import glob

    from .load import variables_of

    files = sorted(glob.glob(pattern))
    if not files:
        raise DataError(f"no file matches {pattern}; give a path or a glob such as 'data/*.parquet'")
    parquet = all(Path(f).suffix.lower() in (".parquet", ".pq") for f in files)
    if not parquet and not all(Path(f).suffix.lower() in (".csv", ".tsv", ".tab") for f in files):
        raise DataError(f"{pattern} mixes file kinds; give only Parquet files or only CSV/TSV files")
    desc, declared = variables_of(variables)
    cluster = LocalCluster(n_workers=2, processes=True, host="127.0.0.1") if address == "local" else None
    try:
        with Client(cluster if cluster is not None else address, timeout=30) as client:
            if parquet:
                ddf = dd.read_parquet(files)
            else:
                sep = "\t" if Path(files[0]).suffix.lower() in (".tsv", ".tab") else ","
                # text first, as the small path reads it: the type rule decides, not Dask's per-file guess
                ddf = dd.read_csv(files, sep=sep, dtype=str, keep_default_na=False, na_values=list(MISSING_MARKERS))
            ds = dask_dataset(ddf, desc, columns=columns, missing=missing, declared=declared,
                              name=Path(files[0]).parent.name or "data")
            ds.load_info["dask"] = client.scheduler.address if client.scheduler else address
    except OSError as e:
        raise ConfigError(f"cannot reach the Dask scheduler at {address} ({e}); check the address "
                          "(tcp://host:8786) or use --dask local") from None
    finally:
        if cluster is not None:
            cluster.close()
    ds.context = context
    ds.inputs = {f: file_sha256(f) for f in files}
    return ds
