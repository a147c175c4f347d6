"""PC-Guess (``--merge guided``) against PC-stable: time of a re-fit on the same statistics.

Random linear-Gaussian DAGs (about 2 parents per node), 5 000 rows; the guess is the true graph.
Both are timed interleaved, 3 repeats, median, in one process (a 2-core machine: ratios, not
absolute times, are the point).

    python benchmarks/bench_guided.py [--vars 50,100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from causalllm.discovery.pc import PCDiscovery


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vars", default="50,100")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    for p in (int(v) for v in args.vars.split(",")):
        n = 5000
        W = np.triu(rng.random((p, p)) < 2.0 / p, 1) * rng.uniform(0.5, 1.0, (p, p))
        X = np.zeros((n, p))
        for j in range(p):
            X[:, j] = X @ W[:, j] + rng.normal(size=n)
        df = pd.DataFrame(X, columns=[f"X{i}" for i in range(p)])
        pc = PCDiscovery().fit(df)
        guess = [(f"X{i}", f"X{j}") for i in range(p) for j in range(p) if W[i, j]]
        stable, guided = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            PCDiscovery().fit(df)
            stable.append(time.perf_counter() - t)
            t = time.perf_counter()
            pc.with_guess(guess)
            guided.append(time.perf_counter() - t)
        s, g = statistics.median(stable), statistics.median(guided)
        print(f"{p} variables: PC-stable fit {s:.3f} s, PC-Guess re-fit {g:.3f} s ({g / s:.1f}x)")


if __name__ == "__main__":
    main()
