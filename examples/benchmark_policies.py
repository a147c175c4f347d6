"""Measure the merge policies on a network with a known truth (``causalllm evaluate`` from Python).

A small grid: Asia, 2 000 rows, 2 seeds, a GPT-4-like and a random simulated expert, every
policy; mean ± sd of SHD and orientation F1. Run: ``python examples/benchmark_policies.py``.
"""

from __future__ import annotations

from causalllm.bench.evaluate import evaluate, markdown_table
from causalllm.config import RunConfig

res = evaluate(["asia"], rows=[2000], seeds=2, profiles=["gpt4", "random"], config=RunConfig.from_options(no_cache=True))
print(markdown_table(res["summary"]))
