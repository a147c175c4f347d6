"""PC with background knowledge: the native engine against causal-learn's ``pc``, side by side.

Until the native engine took background knowledge, every ``--knowledge`` run (and the ``prior``
policy's re-run) went to causal-learn. Same data, same knowledge (tiers from a topological order
of the true graph, cut in three, plus two forbidden edges), same run; the calls are interleaved
and repeated and the median reported with the ratio and whether the graphs are identical.

    python benchmarks/bench_knowledge.py [--datasets alarm,child,sachs,asia] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import networkx as nx

from causalllm.data import load_dataset
from causalllm.data.knowledge import Knowledge
from causalllm.discovery.pc import PCDiscovery
from causalllm.graph import read_graph


def knowledge_for(name: str) -> Knowledge:
    ds = load_dataset(name)
    T = nx.DiGraph([(u, v) for u, v, m in read_graph(ds.truth_path).edges(data="mark") if m == "-->"])
    T.add_nodes_from(ds.columns)
    order = list(nx.topological_sort(T))
    k = len(order) // 3
    tiers = (tuple(order[:k]), tuple(order[k:2 * k]), tuple(order[2 * k:]))
    return Knowledge(tiers=tiers, forbidden=((order[-1], order[-2]), (order[1], order[0])))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="alarm,child,sachs,asia")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"{'dataset':10} {'native s':>9} {'causal-learn s':>15} {'ratio':>7}  identical")
    for name in args.datasets.split(","):
        ds = load_dataset(name)
        k = knowledge_for(name)
        kw = dict(required=k.required, forbidden=k.forbidden_edges(), determinism=False,
                  min_rows_per_stratum=0)
        times: dict[str, list[float]] = {"native": [], "causal-learn": []}
        fits = {}
        for _ in range(args.repeats):
            for engine in ("native", "causal-learn"):
                t0 = time.perf_counter()
                fits[engine] = PCDiscovery(engine=engine, **kw).fit(ds)
                times[engine].append(time.perf_counter() - t0)
        same = sorted(fits["native"].graph_.edges(data="mark")) == sorted(fits["causal-learn"].graph_.edges(data="mark"))
        a, b = statistics.median(times["native"]), statistics.median(times["causal-learn"])
        print(f"{name:10} {a:9.3f} {b:15.3f} {b / a:6.1f}x  {same}")


if __name__ == "__main__":
    main()
