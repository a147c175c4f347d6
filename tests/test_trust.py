"""Every label is true to the drawn graph, and an LLM that contributes nothing changes nothing.

The invariants below are the contract of ``edges.csv`` stated in words (README, *Statuses*),
checked on every edge, for every policy, on every bundled dataset with a known truth, under
experts from perfect to adversarial to useless. The data side they refer to is computed the
way ``--llm none`` computes it, independently of the merge under test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from fakes import ans

from causalllm import read_graph
from causalllm.data import load_dataset
from causalllm.discovery.pc import PCDiscovery
from causalllm.graph import mark_between, pair_key
from causalllm.merge import merge
from causalllm.merge.calibrate import usable_direction
from causalllm.merge.policies import POLICIES
from causalllm.pipeline import combine

DATASETS = ["asia", "cancer", "earthquake", "survey", "sachs", "child", "alarm"]
EXPERTS = {"perfect": (1.0, 0.0), "gpt4-like": (0.8, 0.1), "coin": (0.5, 0.2), "adversarial": (0.0, 0.0),
           "useless": (None, None)}


def _direction(G, a, b):
    m = mark_between(G, a, b)
    return (a, b) if m == "-->" else (b, a) if m == "<--" else None


def expert(pc, truth, accuracy, none_rate, seed=0):
    """Answers for every pair PC connects and a few it does not: right with ``accuracy``, else reversed;
    ``none_rate`` of them 'no relation'; a useless expert answers nothing usable."""
    rng = np.random.default_rng(seed)
    nodes = list(pc.graph_.nodes)
    keys = {pair_key(u, v) for u, v in pc.graph_.edges}
    keys |= {pair_key(*rng.choice(nodes, 2, replace=False)) for _ in range(len(nodes))}
    pairs = {}
    for key in sorted(keys, key=sorted):
        a, b = sorted(key)
        if accuracy is None:
            pairs.update([ans(a, b, str(rng.choice(["invalid", "unanswered", "unsure"])), 0.0, None)])
            continue
        true = (a, b) if truth.has_edge(a, b) else (b, a) if truth.has_edge(b, a) else None
        if rng.random() < none_rate:
            pairs.update([ans(a, b, "none", float(rng.uniform(0.5, 1)))])
            continue
        right = true or tuple(rng.permutation([a, b]))
        u, v = right if rng.random() < accuracy else right[::-1]
        pairs.update([ans(u, v, "-->", float(rng.uniform(0.5, 1)), bool(rng.random() < 0.9))])
    return pairs


def check_rows(rows, G, D, pc, pairs, policy):
    for r in rows:
        a, b = r["source"], r["target"]
        key = pair_key(a, b)
        f_dir, d_dir, pc_m = _direction(G, a, b), _direction(D, a, b), mark_between(pc.graph_, a, b)
        llm = usable_direction(pairs.get(key))
        where = (policy, a, b, r["status"], r.get("kept"), r.get("decision"))
        # the row draws what the graph has
        assert r["in_graph"] == (mark_between(G, a, b) is not None), where
        assert r["directed"] == (f_dir == (a, b)), where
        s = r["status"]
        if s == "agree":
            assert f_dir == llm == d_dir is not None, where
        elif s == "oriented_by_llm":
            assert f_dir == llm is not None, where
            assert d_dir is None, where
        elif s == "reversed":
            assert llm is not None, where
            assert d_dir is not None, where
            assert llm != d_dir, where
        elif s == "data":
            assert mark_between(G, a, b) == mark_between(D, a, b) == pc_m, where
        elif s == "revised":
            assert mark_between(G, a, b) == mark_between(D, a, b) != pc_m, where
        elif s == "implied":
            assert f_dir is not None, where
            assert f_dir != d_dir, where
            assert f_dir != llm, where
            assert r["kept"] in ("meek", "rerun"), where
        elif s == "unresolved":
            assert f_dir is None, where
        elif s == "llm_only":
            assert pc_m is None, where
            assert pairs[key].directed() is not None, where
        elif s == "guided":  # PC-stable removed it, PC-Guess kept it: in the graph, on the data's word
            assert pc_m is None, where
            assert mark_between(G, a, b) is not None, where
            assert mark_between(D, a, b) is not None, where
        elif s == "separated":  # PC-stable kept it, PC-Guess separated it: not drawn
            assert pc_m is not None, where
            assert mark_between(G, a, b) is None, where
            assert mark_between(D, a, b) is None, where
        # whose orientation it is, read off the drawn arrow
        kept = r.get("kept")
        if kept == "llm":
            assert f_dir == llm, where
            assert f_dir != d_dir, where
        elif kept == "data":
            assert f_dir == d_dir is not None, where
            assert f_dir != llm, where
        elif kept == "both":
            assert f_dir == d_dir == llm is not None, where
        elif kept in ("meek", "rerun"):
            assert f_dir is not None
            assert f_dir not in (d_dir, llm)
            assert (kept == "rerun") == (policy.endswith("prior"))
        elif kept == "":
            assert f_dir is None, where
        # a skipped orientation is never the drawn one unless the decision says what drew it
        m = re.search(r"orientation (\S+) -> (\S+) skipped", r.get("decision", ""))
        if m and f_dir == (m.group(1), m.group(2)):
            assert "the graph shows" in r["decision"], where


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
            # guided's data side is PC-Guess's fit, read the same way (the same as D when nothing guided it)
            base = merge(out.refit, {}, "report").data_graph if out.refit is not None else D
            assert sorted(out.data_graph.edges(data="mark")) == sorted(base.edges(data="mark")), policy
            from causalllm.merge.rows import build_rows

            rows, _ = build_rows(ds, pairs, {}, pc=pc, outcome=out)
            check_rows(rows, out.graph, base, pc, pairs, f"{label}/{policy}")
            if label == "useless":  # an LLM that contributes nothing changes nothing
                assert sorted(out.graph.edges(data="mark")) == sorted(D.edges(data="mark")), policy


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

    srv = FakeServer(script)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    out = tmp_path / "out"
    try:
        res = CliRunner().invoke(cli, ["discover", "cancer", "--llm", "openai", "--base-url", srv.url, "--model", "m",
                                       "--out", str(out), "--format", "dot", "--no-cache", "--confounders", "none"])
    finally:
        srv.close()
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
