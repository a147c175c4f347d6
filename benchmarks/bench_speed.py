"""Speed: causalllm's ``PCDiscovery`` (evidence included) vs a direct causal-learn ``pc`` call, and the LLM stage.

Linear-Gaussian data from random DAGs (expected degree 3) with 20, 50 and 100 variables x 10 000
rows; the same data, the same machine, the same run, alternating the two calls. The engine alone
against causal-learn, andrey-core and discrete networks: ``benchmarks/bench_engine.py``. Then the LLM stage
on a 20-variable graph with a simulated expert at 0.2 s per answer.

    python benchmarks/bench_speed.py [--sizes 20,50,100] [--rows 10000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from causallearn.search.ConstraintBased.PC import pc

from causalllm import PCDiscovery
from causalllm.config import LLMConfig
from causalllm.data import Dataset
from causalllm.expert.asker import LLMPriors
from causalllm.expert.cache import AnswerCache
from causalllm.expert.client import open_llm


def random_dag(n: int, degree: float, rng: np.random.Generator) -> nx.DiGraph:
    p = degree / (n - 1)
    G = nx.DiGraph()
    G.add_nodes_from(f"X{i}" for i in range(n))
    for i in range(n):
        for j in range(i + 1, n):
            if rng.random() < p:
                G.add_edge(f"X{i}", f"X{j}")
    return G


def sample(G: nx.DiGraph, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    X: dict[str, np.ndarray] = {}
    for v in nx.topological_sort(G):
        X[v] = rng.normal(size=rows) + sum(rng.uniform(0.5, 1.0) * rng.choice([-1, 1]) * X[u] for u in G.predecessors(v))
        X[v] = (X[v] - X[v].mean()) / X[v].std()
    return pd.DataFrame({v: X[v] for v in G.nodes})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="20,50,100")
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--latency", type=float, default=0.2)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'vars':>5} {'edges':>6} {'direct pc s':>12} {'causalllm s':>12} {'ratio':>6}")
    for n in (int(x) for x in args.sizes.split(",")):
        G = random_dag(n, 3.0, rng)
        df = sample(G, args.rows, rng)
        ds = Dataset.from_frame(df)
        direct, ours = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            pc(df.to_numpy(), 0.05, "fisherz", True, show_progress=False, node_names=list(df.columns))
            direct.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            PCDiscovery(alpha=0.05).fit(ds)
            ours.append(time.perf_counter() - t0)
        d, o = min(direct), min(ours)
        print(f"{n:>5} {G.number_of_edges():>6} {d:>12.3f} {o:>12.3f} {o / d:>6.3f}")
    # the LLM stage: wall time vs calls x latency / concurrency
    G = random_dag(20, 3.0, rng)
    df = sample(G, 2000, rng)
    ds = Dataset.from_frame(df)
    with tempfile.TemporaryDirectory() as tmp:
        truth = Path(tmp) / "truth.csv"
        pd.DataFrame(list(G.edges), columns=["source", "target"]).to_csv(truth, index=False)
        for conc in (4, 8, 16):
            cfg = LLMConfig(backend="simulated", profile="gpt4", latency=args.latency)
            with open_llm(cfg, environ={}, truth=str(truth)) as (model, _):
                t0 = time.perf_counter()
                a = LLMPriors(model, strategy="all", confounders="none", concurrency=conc,
                              cache=AnswerCache(Path(tmp) / f"c{conc}.sqlite")).fit(ds)
                wall = time.perf_counter() - t0
            ideal = a.stats_["calls"] * args.latency / conc
            print(f"LLM stage, concurrency {conc:>2}: {a.stats_['calls']} calls, wall {wall:.2f} s, "
                  f"calls x latency / concurrency {ideal:.2f} s, ratio {wall / ideal:.2f}")


if __name__ == "__main__":
    main()
