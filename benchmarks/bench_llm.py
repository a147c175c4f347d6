"""LLM-stage benchmark: Alarm, simulated GPT-4-like expert with 0.2 s latency per answer.

Prints calls, cache hits, wall time and the ratio wall / (calls x latency / concurrency) for a
cold run (empty cache) and a warm re-run (everything cached: zero calls).

    python benchmarks/bench_llm.py [--latency 0.2] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from causalllm import PCDiscovery, load_dataset
from causalllm.config import LLMConfig
from causalllm.expert.asker import LLMPriors
from causalllm.expert.cache import AnswerCache
from causalllm.expert.client import open_llm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", default="alarm")
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--strategy", default="skeleton")
    args = ap.parse_args()
    ds = load_dataset(args.dataset)
    pc = PCDiscovery().fit(ds)
    with tempfile.TemporaryDirectory() as tmp:
        cache = AnswerCache(Path(tmp) / "cache.sqlite")
        cfg = LLMConfig(backend="simulated", profile="gpt4", latency=args.latency)
        with open_llm(cfg, environ={}, truth=str(ds.truth_path)) as (model, _):
            for label in ("cold", "warm"):
                t0 = time.perf_counter()
                asker = LLMPriors(model, strategy=args.strategy, concurrency=args.concurrency, cache=cache,
                                  simulated="gpt4").fit(ds, pc)
                wall = time.perf_counter() - t0
                s = asker.stats_
                ideal = s["calls"] * args.latency / args.concurrency
                ratio = f"{wall / ideal:.2f}" if ideal else "n/a (no calls)"
                print(f"{args.dataset} {label}: questions {s['questions']}, calls {s['calls']}, cache hits "
                      f"{s['cache_hits']}, wall {wall:.2f} s, calls x latency / concurrency {ideal:.2f} s, "
                      f"ratio {ratio}")


if __name__ == "__main__":
    main()
