"""The data side without an LLM: PC's own CPDAG against the conservative re-analysis ``--llm none`` draws.

On the bundled bnlearn networks resampled (pgmpy, ``causalllm[bn]``) at 500, 2 000 and 10 000 rows
with 3 seeds each, and on 12 random linear-Gaussian DAGs of 15-30 variables at 500 and 2 000 rows:
SHD and orientation precision, recall and F1 against the truth, and per graph whether the
re-analysis was better or worse than PC.

    python benchmarks/bench_dataside.py [--networks asia,cancer,...] [--seeds 3]
"""

from __future__ import annotations

import argparse
import logging
import warnings

import networkx as nx
import numpy as np
import pandas as pd

from causalllm import read_graph
from causalllm.bench.networks import network_sample
from causalllm.data import load_dataset
from causalllm.discovery.pc import PCDiscovery
from causalllm.graph import add_edge, make_graph
from causalllm.graph.metrics import compare
from causalllm.merge import merge


def score(rows: dict, label: tuple, pc: PCDiscovery, truth: nx.DiGraph) -> None:
    for name, G in (("pc", pc.graph_), ("data side", merge(pc, {}, "report").data_graph)):
        m = compare(G, truth)
        rows.setdefault((*label, name), []).append(
            (m["shd"], m["orientation_precision"], m["orientation_recall"], m["orientation_f1"]))


def gaussian(p: int, n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, nx.DiGraph]:
    T = make_graph([f"X{i}" for i in range(p)])
    for i in range(p):
        for j in range(i + 1, p):
            if rng.random() < 2.0 / (p - 1):
                add_edge(T, f"X{i}", f"X{j}")
    X: dict[str, np.ndarray] = {}
    for v in nx.topological_sort(T):
        X[v] = rng.normal(size=n) + sum(rng.uniform(0.3, 1.0) * rng.choice([-1, 1]) * X[u] for u in T.predecessors(v))
    return pd.DataFrame({v: X[v] for v in T.nodes}), T


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--networks", default="asia,cancer,earthquake,survey,child,alarm")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    rows: dict = {}
    for net in args.networks.split(","):
        ds0 = load_dataset(net)
        truth = read_graph(ds0.truth_path)
        for n in (500, 2000, 10000):
            for seed in range(args.seeds):
                ds = ds0.with_frame(network_sample(net, n, seed, ds0.columns))
                score(rows, (net, n), PCDiscovery().fit(ds), truth)
    for n in (500, 2000):
        for seed in range(12):
            rng = np.random.default_rng(seed)
            df, truth = gaussian(int(rng.integers(15, 31)), n, rng)
            score(rows, ("gaussian", n), PCDiscovery().fit(df), truth)
    print(f"{'graphs':<11} {'rows':>6} {'graph':<10} {'SHD':>6} {'ori P':>6} {'ori R':>6} {'ori F1':>7} better/worse")
    for (net, n, name), v in rows.items():
        a = np.array(v)
        f1_pc = np.array(rows[(net, n, "pc")])[:, 3]
        vs = f"{(a[:, 3] > f1_pc).sum()}/{(a[:, 3] < f1_pc).sum()}" if name != "pc" else ""
        print(f"{net:<11} {n:>6} {name:<10} {a[:, 0].mean():>6.1f} {a[:, 1].mean():>6.2f} {a[:, 2].mean():>6.2f} "
              f"{a[:, 3].mean():>7.2f} {vs}")


if __name__ == "__main__":
    main()
