"""The steps one by one, scikit-learn style: load, PC, ask, merge, draw.

Each stage is its own object: a :class:`~causalllm.data.dataset.Dataset`, a fitted
:class:`~causalllm.discovery.pc.PCDiscovery`, the answers of an
:class:`~causalllm.expert.asker.LLMPriors`, and :func:`~causalllm.merge.merge`. The expert here
is the simulated one (offline); any OpenAI-compatible endpoint works the same way.
Run: ``python examples/step_by_step.py``.
"""

from __future__ import annotations

from causalllm.config import LLMConfig
from causalllm.data import load_dataset
from causalllm.discovery.pc import PCDiscovery
from causalllm.expert.asker import LLMPriors
from causalllm.expert.client import open_llm
from causalllm.graph import compare, read_graph
from causalllm.merge import merge
from causalllm.output.render import to_dot

ds = load_dataset("asia")                                  # 10 000 rows, 8 discrete columns, descriptions
pc = PCDiscovery(alpha=0.05).fit(ds)                       # G^2 on the native engine
print("PC:", pc.n_tests_, "tests,", pc.graph_.number_of_edges(), "edges")
truth = read_graph(ds.truth_path)
with open_llm(LLMConfig(backend="simulated", profile="gpt4"), environ={}, truth=truth) as (chat, _):
    answers = LLMPriors(chat, confounders="none").fit(ds, pc)   # each PC-adjacent pair, both orders
out = merge(pc, answers.pairs_, "auto")                    # the evidence-weighted merge
for name, G in (("PC", pc.graph_), ("merged", out.graph)):
    m = compare(G, truth)
    print(f"{name:<7} SHD {m['shd']}, orientation F1 {m['orientation_f1']:.2f}")
print(to_dot(out.graph)[:60], "...")                       # DOT source with a legend and tooltips
