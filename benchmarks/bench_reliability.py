"""The G²/χ² reliability rule: PC with the rule (the default: 10 rows per stratum of the conditioning set) against
PC running every test (causal-learn's way, ``--min-rows-per-stratum 0``), on bnlearn networks sampled with pgmpy.

Per network, rows and seed: SHD, adjacency and orientation F1 against the truth, the tests run, the tests the
rule left out, and the seconds — each run in its own process with a time limit (a run past it is "did not
finish": without the rule Hailfinder and Barley search for many minutes). Prints a table (medians over
seeds) and writes ``benchmarks/results/reliability.json``.

    python benchmarks/bench_reliability.py [--networks asia,alarm,...] [--rows 1000,10000] [--seeds 2]
        [--limit 120]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

NETWORKS = ("asia", "cancer", "earthquake", "survey", "sachs", "child", "insurance", "alarm", "water", "mildew",
            "hepar2", "win95pts", "hailfinder", "barley")


def one(name: str, n: int, seed: int, rule: float) -> dict:
    """One PC run (in this process): the scores, counts and seconds."""
    from causalllm.bench.networks import network_sample, network_truth
    from causalllm.data.dataset import Dataset
    from causalllm.discovery.pc import PCDiscovery
    from causalllm.graph.metrics import compare

    T = network_truth(name)
    ds = Dataset.from_frame(network_sample(name, n, seed, sorted(T.nodes)), name=name)
    t0 = time.perf_counter()
    pc = PCDiscovery(min_rows_per_stratum=rule).fit(ds)
    seconds = time.perf_counter() - t0
    m = compare(pc.graph_, T)
    return {"shd": m["shd"], "adjacency_f1": m["adjacency_f1"], "orientation_f1": m["orientation_f1"],
            "tests": pc.n_tests_, "not_run": pc.n_unreliable_, "seconds": round(seconds, 2)}


def run(name: str, n: int, seed: int, rule: float, limit: float) -> dict | None:
    """:func:`one` in a child process; None past ``limit`` seconds."""
    try:
        out = subprocess.run([sys.executable, __file__, "--one", f"{name},{n},{seed},{rule}"], capture_output=True,
                             text=True, timeout=limit, check=True)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--networks", default=",".join(NETWORKS))
    ap.add_argument("--rows", default="1000,10000")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--limit", type=float, default=120.0)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        name, n, seed, rule = a.one.split(",")
        print(json.dumps(one(name, int(n), int(seed), float(rule))))
        return
    results = []
    print(f"{'network':<11}{'rows':>7}  {'rule':<5}{'SHD':>6}{'adjF1':>7}{'oriF1':>7}{'tests':>10}{'not run':>11}"
          f"{'s':>7}")
    for name in a.networks.split(","):
        for n in map(int, a.rows.split(",")):
            for rule in (10.0, 0.0):
                runs = [run(name, n, seed, rule, a.limit) for seed in range(a.seeds)]
                done = [r for r in runs if r is not None]
                row = {"network": name, "rows": n, "min_rows_per_stratum": rule, "seeds": a.seeds,
                       "finished": len(done), "limit_s": a.limit,
                       **{k: median(r[k] for r in done) for k in (done[0] if done else {})}}
                results.append(row)
                label = "on" if rule else "off"
                if not done:
                    print(f"{name:<11}{n:>7}  {label:<5}  did not finish in {a.limit:g} s")
                    continue
                print(f"{name:<11}{n:>7}  {label:<5}{row['shd']:>6g}{row['adjacency_f1']:>7.3f}"
                      f"{row['orientation_f1']:>7.3f}{row['tests']:>10g}{row['not_run']:>11g}{row['seconds']:>7.1f}"
                      + ("" if len(done) == a.seeds else f"  ({a.seeds - len(done)} seed(s) did not finish)"))
    out = Path(__file__).parent / "results" / "reliability.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
