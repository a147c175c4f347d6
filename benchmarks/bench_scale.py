"""Big tables: causalllm's streaming pass against pandas and polars on 1M x 50 and 5M x 50 CSVs.

Generates the files in a temporary folder (after checking free disk), then runs, side by side and
interleaved, each job in its own process (wall time measured outside it, peak RSS inside it):

* ``causalllm``  ``causalllm discover FILE --llm none --format dot`` (the whole CLI: load, PC, outputs);
* ``pandas``     ``pandas.read_csv`` of the whole file, then ``DataFrame.corr()`` (or category codes);
* ``polars``     polars' streaming reader accumulating X'X batch by batch (the reader's floor);
* ``dask``       ``causalllm discover 'parts/*.parquet' --dask local`` (the file as 16 Parquet parts,
  a 2-worker LocalCluster started inside the job), for the largest size only.

Rows come from a random DAG (about 1.5 parents per node): linear-Gaussian, or a discrete Bayesian network
with 2-4 states per node. The ratio column is each job's median wall time over polars'; "load s" and "PC s" are the
manifest's timings of causalllm's loading pass and PC search. Peak RSS is the job's own process (for
``dask``, the client; the workers are separate processes). On discrete data the wall time is PC's
G² counting over every row (each test reads all n rows), not loading: run the discrete kind with
``--repeats 1`` if time is short.

    python benchmarks/bench_scale.py [--rows 1000000,5000000] [--kinds continuous,discrete] [--repeats 3]
        [--jobs polars,causalllm,pandas,dask]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

COLS = 50


def generate(path: Path, rows: int, kind: str, seed: int = 0) -> None:
    """A random DAG over 50 columns (about 1.5 parents each): linear-Gaussian rows, or rows of a discrete
    Bayesian network with 2-4 states per node and random conditional probability tables."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(seed)
    parents = [sorted(rng.choice(j, size=min(j, int(rng.integers(0, 3))), replace=False)) for j in range(COLS)]
    W = [rng.uniform(0.5, 1.0, len(ps)) * rng.choice([-1, 1], len(ps)) for ps in parents]
    states = rng.integers(2, 5, COLS)
    cpts = [np.cumsum(rng.dirichlet(np.ones(states[j]) * 0.7, size=int(np.prod(states[parents[j]]))), axis=1)
            for j in range(COLS)]
    typ = pa.float64() if kind == "continuous" else pa.int8()
    with pcsv.CSVWriter(str(path), pa.schema([(f"x{i}", typ) for i in range(COLS)])) as w:
        for start in range(0, rows, 250_000):
            m = min(250_000, rows - start)
            X = np.zeros((m, COLS))
            for j in range(COLS):
                if kind == "continuous":
                    X[:, j] = rng.normal(size=m) + X[:, parents[j]] @ W[j]
                    X[:, j] /= X[:, j].std()
                else:
                    config = np.zeros(m, dtype=np.int64)
                    for q in parents[j]:
                        config = config * states[q] + X[:, q].astype(np.int64)
                    X[:, j] = (rng.random(m)[:, None] > cpts[j][config]).sum(axis=1)
            w.write_table(pa.table({f"x{i}": X[:, i].astype(np.int8) if kind == "discrete" else X[:, i]
                                    for i in range(COLS)}))


def job(name: str, path: str, kind: str, work: str) -> None:
    """Runs in a child process: one job, then its peak RSS as JSON on the last line."""
    import resource

    if name == "causalllm":
        from causalllm.cli import cli

        cli(["discover", path, "--llm", "none", "--format", "dot", "--out", work, "--quiet"], standalone_mode=False)
    elif name == "dask":
        from causalllm.cli import cli

        cli(["discover", path, "--dask", "local", "--llm", "none", "--format", "dot", "--out", work, "--quiet"],
            standalone_mode=False)
    elif name == "pandas":
        import pandas as pd

        df = pd.read_csv(path)
        if kind == "continuous":
            df.corr()
        else:
            [pd.factorize(df[c]) for c in df.columns]
    elif name == "polars":
        import polars as pl

        names = pl.scan_csv(path).collect_schema().names()
        S = None
        for b in pl.scan_csv(path, schema={c: pl.Float64 for c in names}).collect_batches():
            X = b.to_numpy()
            X = X - X.mean(axis=0)
            S = X.T @ X if S is None else S + X.T @ X
    timings = {}
    if name in ("causalllm", "dask"):
        timings = json.loads((Path(work) / "manifest.json").read_text())["timings_s"]
    print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "load_s": timings.get("load"), "pc_s": timings.get("pc")}))


def run(name: str, path: Path, kind: str, tmp: Path) -> tuple[float, dict]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--job", name, str(path), kind, str(tmp / f"out-{name}")],
                         capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{name} failed on {path.name}:\n{out.stderr[-2000:]}")
    return wall, json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--job":
        job(*sys.argv[2:6])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="1000000,5000000")
    ap.add_argument("--kinds", default="continuous,discrete")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where to write the files (default: a temporary folder)")
    ap.add_argument("--jobs", default="polars,causalllm,pandas,dask", help="which jobs to run (polars always runs)")
    args = ap.parse_args()
    wanted = {"polars", *args.jobs.split(",")}
    sizes = [int(x) for x in args.rows.split(",")]
    kinds = args.kinds.split(",")
    base = Path(args.dir or tempfile.mkdtemp(prefix="bench_scale_"))
    base.mkdir(parents=True, exist_ok=True)
    need = sum(r * COLS * (20 if k == "continuous" else 2.2) for r in sizes for k in kinds) * 1.5  # CSV + Parquet
    free = shutil.disk_usage(base).free
    print(f"files in {base}: need about {need / 1e9:.1f} GB, {free / 1e9:.1f} GB free")
    if free < need:
        raise SystemExit(f"not enough free disk in {base}: pass --dir on a bigger disk or fewer --rows")
    print(f"{'kind':<11} {'rows':>9} {'job':<10} {'median s':>9} {'ratio':>6} {'peak RSS MB':>12} "
          f"{'load s':>7} {'PC s':>7}")
    try:
        for kind in kinds:
            for rows in sizes:
                path = base / f"{kind}_{rows}.csv"
                generate(path, rows, kind)
                jobs: dict[str, Path] = {j: path for j in ("polars", "causalllm", "pandas") if j in wanted}
                if rows == max(sizes) and "dask" in wanted:
                    import polars as pl

                    parts = base / f"{kind}_{rows}_parts"
                    parts.mkdir(exist_ok=True)
                    lf = pl.scan_csv(path).with_row_index("_r")
                    for i in range(16):
                        lf.filter(pl.col("_r") % 16 == i).drop("_r").sink_parquet(parts / f"p{i:02}.parquet")
                    jobs["dask"] = parts / "*.parquet"
                times: dict[str, list[float]] = {j: [] for j in jobs}
                stages: dict[str, list[dict]] = {j: [] for j in jobs}
                for _ in range(args.repeats):
                    for name, p in jobs.items():
                        wall, got = run(name, p, kind, base)
                        times[name].append(wall)
                        stages[name].append(got)
                floor = statistics.median(times["polars"])
                for name in jobs:
                    med = statistics.median(times[name])
                    rss = max(g["rss_mb"] for g in stages[name])
                    load, pc = ([statistics.median(g[k] for g in stages[name]) if stages[name][0][k] is not None
                                 else None for k in ("load_s", "pc_s")])
                    cells = " ".join(f"{v:>7.1f}" if v is not None else f"{'':>7}" for v in (load, pc))
                    print(f"{kind:<11} {rows:>9,} {name:<10} {med:>9.1f} {med / floor:>6.2f} {rss:>12.0f} {cells}",
                          flush=True)
                path.unlink()
                if "dask" in jobs:
                    shutil.rmtree(base / f"{kind}_{rows}_parts")
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
