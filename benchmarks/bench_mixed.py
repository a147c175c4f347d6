"""Mixed data: the conditional-Gaussian and degenerate-Gaussian tests against 4-bin G².

Conditional-Gaussian networks with a known graph (``--model cg``, the default): a random DAG
(expected degree 2.5) whose nodes are discrete (2–4 categories; a share ``--discrete-share``,
default 0.5) or continuous; as in a CG network, discrete nodes have only discrete parents (a
random conditional probability table), and a continuous node is Gaussian with a mean linear in
its continuous parents plus a shift per category of each discrete parent. ``--model logit``
also lets discrete nodes have continuous parents (multinomial logit) — outside the CG class,
and outside the linear model the degenerate-Gaussian test assumes. For each size, row count and
seed, PC runs on the same rows with ``--test cg``, ``--test dg`` and ``--test gsq`` (continuous
columns in 4 quantile bins); every graph is scored against the truth.

    python benchmarks/bench_mixed.py [--vars 20,50] [--rows 2000,20000] [--seeds 5]

With andrey-core installed (``pip install -e '.[bench]'``), the script first checks both
mixed tests' p-values against andrey-core's ``CGTest`` and ``DGTest``, independent
implementations of the same published tests.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from causalllm.data import Dataset
from causalllm.discovery.pc import PCDiscovery
from causalllm.graph import add_edge, make_graph
from causalllm.graph.metrics import compare


def cg_network(p: int, n: int, seed: int, model: str = "cg", share: float = 0.5
               ) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Rows from a random mixed network (see the module docstring), and its edges."""
    rng = np.random.default_rng(seed)
    names = [f"V{i}" for i in range(p)]
    discrete = rng.random(p) < share
    cards = rng.integers(2, 5, size=p)
    edges = [(a, b) for a in range(p) for b in range(a + 1, p) if rng.random() < 2.5 / (p - 1)
             and not (model == "cg" and discrete[b] and not discrete[a])]
    parents: dict[int, list[int]] = {b: [] for b in range(p)}
    for a, b in edges:
        parents[b].append(a)
    values: dict[int, np.ndarray] = {}
    for j in range(p):
        if discrete[j]:
            logits = rng.normal(scale=0.3, size=(n, cards[j]))
            for k in parents[j]:
                if discrete[k]:
                    logits += rng.normal(scale=1.2, size=(cards[k], cards[j]))[values[k]]
                else:
                    z = (values[k] - values[k].mean()) / values[k].std()
                    logits += z[:, None] * rng.normal(scale=1.2, size=cards[j])
            probs = np.exp(logits - logits.max(1, keepdims=True))
            probs /= probs.sum(1, keepdims=True)
            values[j] = (rng.random(n)[:, None] > probs.cumsum(1)).sum(1).clip(0, cards[j] - 1)
        else:
            x = rng.normal(size=n)
            for k in parents[j]:
                if discrete[k]:
                    x += rng.normal(scale=1.0, size=cards[k])[values[k]]
                else:
                    z = (values[k] - values[k].mean()) / values[k].std()
                    x += rng.uniform(0.5, 1.0) * rng.choice([-1, 1]) * z
            values[j] = x
    frame = pd.DataFrame({names[j]: (np.array([f"c{v}" for v in values[j]]) if discrete[j] else values[j])
                          for j in range(p)})
    return frame, [(names[a], names[b]) for a, b in edges]


def check_against_andrey() -> None:
    """The two mixed tests' p-values against andrey-core's independent implementations of the same tests."""
    try:
        from andrey.core.ci import CGTest, DGTest
    except ImportError:
        print("andrey-core not installed: p-values not cross-checked (pip install -e '.[bench]')")
        return
    frame, _ = cg_network(12, 3000, 99)
    ds = Dataset.from_frame(frame)
    for test, theirs_cls in (("cg", CGTest), ("dg", DGTest)):
        pc = PCDiscovery(test=test).fit(ds)
        theirs = theirs_cls(pc.data_, categorical=pc.discrete_)
        rng = np.random.default_rng(0)
        worst = 0.0
        for _ in range(300):
            x, y, *S = rng.choice(12, size=2 + int(rng.integers(0, 4)), replace=False).tolist()
            a = pc.ci_test(pc.columns_[x], pc.columns_[y], [pc.columns_[s] for s in S])
            b = float(theirs(x, y, S))
            if max(a, b) > 1e-12:
                worst = max(worst, abs(a - b) / max(a, b))
        print(f"--test {test} p-values vs andrey-core's {theirs_cls.__name__}, 300 random tests: max relative "
              f"difference {worst:.1e}")


def calibration(n: int = 2000, reps: int = 2000) -> None:
    """Share of p-values below 0.05 (and 0.01) for independent pairs: a valid test gives ~5% (~1%)."""
    from causalllm.discovery.citests import DegenerateGaussian
    from causalllm.discovery.pc import _embed

    rng = np.random.default_rng(0)
    for kind in ("cd", "dd", "cc"):
        ps = []
        for _ in range(reps):
            a = rng.normal(size=n) if kind[0] == "c" else rng.choice(3, size=n, p=[0.6, 0.3, 0.1]).astype(float)
            b = rng.normal(size=n) if kind[1] == "c" else rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1]).astype(float)
            E, blocks, _ = _embed(np.column_stack([a, b]), np.array([kind[0] == "d", kind[1] == "d"]), ["a", "b"])
            T = DegenerateGaussian(np.corrcoef(E.T), blocks, n)
            ps.append(T.pvalues(np.array([0]), np.array([1]), np.zeros((1, 0), np.int64))[0])
        arr = np.array(ps)
        print(f"calibration, independent {kind} pairs, {n} rows: p < 0.05 in {(arr < 0.05).mean():.1%}, "
              f"p < 0.01 in {(arr < 0.01).mean():.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vars", default="20,50")
    ap.add_argument("--rows", default="2000,20000")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--model", choices=("cg", "logit"), default="cg")
    ap.add_argument("--discrete-share", type=float, default=0.5)
    args = ap.parse_args()
    calibration()
    check_against_andrey()
    print(f"model {args.model}, discrete share {args.discrete_share}, {args.seeds} seeds, mean ± sd")
    print("| variables | rows | test | adjacency F1 | orientation F1 | SHD | PC s |")
    print("|---|---|---|---|---|---|---|")
    for p in (int(v) for v in args.vars.split(",")):
        for n in (int(v) for v in args.rows.split(",")):
            scores: dict[str, list[dict]] = {"cg": [], "dg": [], "gsq": []}
            for seed in range(args.seeds):
                frame, edges = cg_network(p, n, 1000 * p + seed, args.model, args.discrete_share)
                ds = Dataset.from_frame(frame)
                truth = make_graph(ds.columns)
                for a, b in edges:
                    add_edge(truth, a, b)
                for test in ("cg", "dg", "gsq"):
                    t0 = time.process_time()
                    m = compare(PCDiscovery(test=test).fit(ds).graph_, truth)
                    m["seconds"] = time.process_time() - t0
                    scores[test].append(m)
            for test, label in (("cg", "conditional Gaussian (--test cg)"), ("dg", "degenerate Gaussian (--test dg)"),
                                ("gsq", "G², 4 bins")):
                rs = scores[test]
                if not rs:
                    continue

                def pm(k: str, d: int = 2, rs: list[dict] = rs) -> str:
                    vals = [r[k] for r in rs]
                    return f"{statistics.fmean(vals):.{d}f} ± {statistics.stdev(vals) if len(vals) > 1 else 0:.{d}f}"
                print(f"| {p} | {n} | {label} | {pm('adjacency_f1')} | {pm('orientation_f1')} | {pm('shd', 1)} | "
                      f"{pm('seconds')} |", flush=True)


if __name__ == "__main__":
    main()
