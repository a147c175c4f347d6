"""Your own table: a DataFrame, descriptions in plain words, your background knowledge, no LLM.

Data only (``llm="none"``): PC with the right CI test for the column types, read by the
conservative collider analysis, with the analyst's tiers honoured.
Run: ``python examples/own_table.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import causalllm

rng = np.random.default_rng(0)
n = 2000
age = rng.normal(50, 10, n)
smoking = 0.05 * age + rng.normal(0, 1, n)
tar = 2 * smoking + rng.normal(0, 1, n)
cancer = 0.8 * tar + 0.03 * age + rng.normal(0, 1, n)
df = pd.DataFrame({"age": age, "smoking": smoking, "tar": tar, "cancer": cancer})
descriptions = {"age": "Age in years", "smoking": "Cigarettes per day", "tar": "Tar deposits in the lungs",
                "cancer": "Lung cancer severity score"}

# what the analyst knows: age comes first, then smoking, then tar, then cancer (a later tier never causes an earlier one)
knowledge = Path(tempfile.mkdtemp()) / "knowledge.yaml"
knowledge.write_text("tiers:\n  - [age]\n  - [smoking]\n  - [tar]\n  - [cancer]\n")
result = causalllm.discover(df, variables=descriptions, llm="none", knowledge=str(knowledge))
for u, v, d in result.graph.edges(data=True):
    print(f"{u} {d['mark']} {v}  ({d['status']}, p = {d['p_value']:.2g})")
