"""Every label is true to the drawn graph, and an LLM that contributes nothing changes nothing.

The invariants below are the contract of ``edges.csv`` stated in words (README, *Statuses*),
checked on every edge, for every policy, on every bundled dataset with a known truth, under
experts from perfect to adversarial to useless. The data side they refer to is computed the
way ``--llm none`` computes it, independently of the merge under test.
"""

from __future__ import annotations

import pytest
from checks import check_rows, expert

from causalllm import read_graph
from causalllm.data import load_dataset
from causalllm.discovery.pc import PCDiscovery
from causalllm.merge import merge
from causalllm.merge.policies import POLICIES
from causalllm.pipeline import combine

DATASETS = ["asia", "cancer", "earthquake", "survey", "sachs", "child", "alarm"]
EXPERTS = {"perfect": (1.0, 0.0), "gpt4-like": (0.8, 0.1), "coin": (0.5, 0.2), "adversarial": (0.0, 0.0),
           "useless": (None, None)}


@pytest.mark.parametrize("name", DATASETS)
def test_labels_are_true_to_the_graph(name):
    ds = load_dataset(name)
    truth = read_graph(ds.truth_path)
    pc = PCDiscovery().fit(ds)
    data_only = combine(ds, pc, None)  # what --llm none draws
    D = merge(pc, {}, "report").data_graph
    assert {(u, v, m) for u, v, m in data_only.graph.edges(data="mark")} == \
        {(u, v, m) for u, v, m in D.edges(data="mark")}
    assert {r["status"] for r in data_only.rows} <= {"data", "revised"}
    for r in data_only.rows:
        assert (r["pc"] == r["data"]) == (r["status"] == "data")
    for label, (acc, none_rate) in EXPERTS.items():
        pairs = expert(pc, truth, acc, none_rate)
        for policy in POLICIES:
            out = merge(pc, pairs, policy)
            # guided's data side is PC-Guess's fit, hybrid's the score-based re-search's skeleton, read the same
            # way (the same as D when nothing guided it)
            base = merge(out.refit, {}, "report").data_graph if out.refit is not None else D
            assert sorted(out.data_graph.edges(data="mark")) == sorted(base.edges(data="mark")), policy
            from causalllm.merge.rows import build_rows

            rows, _ = build_rows(ds, pairs, {}, pc=pc, outcome=out)
            check_rows(rows, out.graph, base, pc, pairs, f"{label}/{policy}")
            if label == "useless":  # an LLM that contributes nothing changes nothing: the policy's own data side
                assert sorted(out.graph.edges(data="mark")) == sorted(base.edges(data="mark")), policy


# ------------------------------------------------------------------ an LLM that fails is loud
@pytest.mark.slow
@pytest.mark.parametrize(("reply", "usable"), [("prose", False), ("half", True)])
def test_an_llm_that_answers_nothing_usable_is_loud(tmp_path, reply, usable, monkeypatch):
    import json

    from click.testing import CliRunner
    from fakeserver import FakeServer, completion

    from causalllm.cli import cli

    def script(body, n):  # prose the client cannot read; with "half", questions about Smoker get a real answer
        prompt = body["messages"][-1]["content"]
        good = reply == "half" and "Smoker" in prompt
        text = json.dumps({"answer": "A->B", "confidence": 0.8, "rationale": "r"}) if good else "Sure! <html>no</html>"
        return 200, {}, completion(text)

    with FakeServer(script) as srv:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
        out = tmp_path / "out"
        res = CliRunner().invoke(cli, ["discover", "cancer", "--llm", "openai", "--base-url", srv.url, "--model", "m",
                                       "--out", str(out), "--format", "dot", "--no-cache", "--confounders", "none"])
    health = json.loads((out / "manifest.json").read_text())["llm_health"]
    report = (out / "report.html").read_text()
    assert (out / "edges.csv").exists()  # everything complete is written first
    assert "unusable" in res.output  # the warning on stderr (the runner mixes it in)
    if not usable:
        assert res.exit_code == 1
        assert "Error: the LLM gave no usable answer" in res.output
        assert health["usable"] == 0
        assert "Nothing in this graph comes from the LLM" in report
    else:
        assert res.exit_code == 0
        assert 0 < health["usable"] < health["asked"]
        assert "llm-failure-banner" in report
