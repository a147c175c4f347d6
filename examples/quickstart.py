"""Quick start: one call runs the whole loop on a bundled dataset and writes every output.

PC on the Sachs protein data, a *simulated* expert over the real OpenAI wire protocol (offline),
the evidence-weighted merge, the picture and the report. Run: ``python examples/quickstart.py``.
"""

from __future__ import annotations

import sys
import tempfile

import causalllm
from causalllm.config import LLMConfig, RunConfig

out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="causalllm-")
cfg = RunConfig(data="sachs", out=out, quiet=True, llm=LLMConfig(backend="simulated", profile="gpt4", no_cache=True))
result = causalllm.discover(cfg)          # nothing written yet: the result lives in memory
print(result.status_counts())             # e.g. {'oriented_by_llm': 6, 'reversed': 2}
for row in result.rows[:3]:               # the edges.csv rows, typed
    print(row["source"], row["status"], row["target"], "-", row["decision"])
written = result.save(out)                # every file: graph.dot/svg, edges.csv, report.html, manifest.json ...
print("report:", written["report"])
