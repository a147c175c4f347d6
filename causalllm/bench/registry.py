"""The benchmark's choices, declared once (no scientific import: the CLI reads it at start-up)."""

from __future__ import annotations

__all__ = ["BASELINES", "EVALUATE_BACKENDS", "METRICS", "PAIR_BENCHMARKS"]

#: The scores every table shows, as :func:`causalllm.graph.compare` names them.
METRICS = ("shd", "normalized_shd", "adjacency_f1", "orientation_f1", "dir_f1")
#: Experts ``evaluate`` can score.
EVALUATE_BACKENDS = ("simulated", "openai")
#: Pairwise benchmarks of ``evaluate --pairs``.
PAIR_BENCHMARKS = ("tuebingen",)
#: The methods scored besides the merge policies, in table order: PC's own CPDAG, the data side alone (PC's
#: fit re-read by the collider re-check: what ``--llm none`` draws, the baseline an LLM's gain is measured
#: against), the LLM alone.
BASELINES = ("pc", "data", "llm")
