"""Test doubles and shared data: a scripted chat model (no HTTP), small datasets, merge helpers.

The model is faked at two levels, as in simonw/llm: :class:`FakeChatModel` here answers
in-process for unit tests of priors, merge and the pipeline; the real client is tested against
local HTTP servers (the simulated expert and ``fakeserver.FakeServer``) in ``test_llm.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from causalllm.data import Dataset
from causalllm.discovery.pc import PCDiscovery
from causalllm.expert.answers import PairAnswer
from causalllm.expert.client import Completion, OpenAIChatModel
from causalllm.expert.endpoint import EndpointConfig
from causalllm.expert.simulate import SimulatedExpert
from causalllm.graph import pair_key

SECRET = "sk-test-SECRET-key-0123456789"
TRUTH = nx.DiGraph([("smoking", "tar"), ("tar", "cancer"), ("genes", "cancer")])


class FakeChatModel:
    """A chat model answering in-process, satisfying :class:`causalllm.expert.client.ChatModel`.

    ``script(messages, n)`` returns the reply text (or an exception to raise) for the ``n``-th
    call; without a script the simulated expert's answer logic replies from ``truth``.
    Every call is recorded in ``calls``.
    """

    def __init__(self, script: Callable[[list[dict], int], Any] | None = None, *, truth: nx.DiGraph | None = None,
                 identity: str = "fake", model: str = "fake-model", **expert: Any) -> None:
        self.identity = identity
        self.model = model
        self.script = script
        self.expert = SimulatedExpert(truth if truth is not None else TRUTH, **expert)
        self.calls: list[dict] = []
        self._lock = threading.Lock()

    def complete(self, messages: list[dict], schema_name: str, schema: dict, *,
                 temperature: float | None = 0.0, seed: int | None = None) -> Completion:
        with self._lock:
            self.calls.append({"messages": messages, "schema": schema_name, "temperature": temperature, "seed": seed})
            n = len(self.calls)
        out = self.script(messages, n) if self.script else self.expert.reply({"messages": messages, "seed": seed})
        if isinstance(out, BaseException):
            raise out
        return Completion(text=out, prompt_tokens=sum(len(m["content"]) for m in messages) // 4,
                          completion_tokens=len(out) // 4, json_mode="json_schema")


def model_for(url: str, identity: str = "test", key: str = SECRET, **kw: Any) -> OpenAIChatModel:
    """The real client against a local test server, with short timeouts."""
    return OpenAIChatModel(EndpointConfig(base_url=url, model="m", api_key=key, key_source="$TEST"),
                           identity=identity, **{"timeout": 5, "retries": 3, "backoff": 0.05, **kw})


def small_ds() -> Dataset:
    """Four described continuous columns (20 rows): enough to plan and ask, not to discover."""
    df = pd.DataFrame({"smoking": [0.11, 0.52, 0.93, 1.34, 1.75] * 4, "tar": [3.1, 1.2, 4.7, 2.2, 0.9] * 4,
                       "cancer": [0.3, 0.7, 0.2, 0.9, 0.4] * 4, "genes": [1.5, 2.5, 3.5, 0.5, 2.25] * 4})
    return Dataset.from_frame(df, {"smoking": "Cigarettes per day", "tar": "Tar in lungs",
                                   "cancer": "Lung cancer", "genes": "Genetic risk"})


def linear_data(edges: list[tuple[str, str]], n: int = 4000, seed: int = 0, nodes: list[str] | None = None
                ) -> pd.DataFrame:
    """Rows from a linear-Gaussian model over ``edges``."""
    G = nx.DiGraph(edges)
    if nodes:
        G.add_nodes_from(nodes)
    rng = np.random.default_rng(seed)
    X: dict[str, Any] = {}
    for v in nx.topological_sort(G):
        X[v] = rng.normal(size=n) + sum(rng.uniform(0.5, 0.9) * X[u] for u in G.predecessors(v))
    return pd.DataFrame({v: X[v] for v in sorted(G.nodes)})


def fit(edges: list[tuple[str, str]], **kw: Any) -> tuple[Dataset, PCDiscovery]:
    """A dataset from ``edges`` and PC fitted on it (alpha 0.01)."""
    df = linear_data(edges, **kw)
    return Dataset.from_frame(df), PCDiscovery(alpha=0.01).fit(df)


def ans(a: str, b: str, answer: str = "-->", conf: float = 0.9, consistent: bool | None = True
        ) -> tuple[frozenset, PairAnswer]:
    """The LLM says ``a answer b`` (``-->``: a causes b), stored in canonical (sorted) order."""
    s, t = sorted((a, b))
    if (s, t) != (a, b) and answer in ("-->", "<--"):
        answer = "<--" if answer == "-->" else "-->"
    return pair_key(a, b), PairAnswer(s, t, answer, conf, consistent, "r")


#: Three colliders and a chain: robust orientations for calibrating an expert.
CALIB = [("p1", "q1"), ("r1", "q1"), ("q1", "s1"), ("p2", "q2"), ("r2", "q2"), ("p3", "q3"), ("r3", "q3")]
