"""``--merge hybrid``: the score-based re-search past PC's skeleton — it restores true edges a test removed when
a trusted expert names them, an expert no better than a coin changes nothing but the score's own choice, and
every restored or pruned pair says why."""

from __future__ import annotations

import pytest
from checks import check_rows, expert

from causalllm.graph.metrics import compare
from causalllm.merge import merge
from causalllm.merge.rows import build_rows


@pytest.fixture(scope="module")
def insurance():
    pytest.importorskip("pgmpy")
    from causalllm.bench.networks import network_sample, network_truth
    from causalllm.data.dataset import Dataset
    from causalllm.discovery.pc import PCDiscovery

    T = network_truth("insurance")
    ds = Dataset.from_frame(network_sample("insurance", 10_000, 0, sorted(T.nodes)), name="insurance")
    return ds, T, PCDiscovery().fit(ds)


def test_a_trusted_expert_restores_true_edges_pc_removed(insurance):
    ds, T, pc = insurance
    pairs = expert(pc, T, 1.0, 0.0, every_pair=True)
    auto, hybrid = merge(pc, pairs, "auto"), merge(pc, pairs, "hybrid")
    assert hybrid.info.hybrid["restored"] > 0
    assert compare(hybrid.graph, T)["shd"] < compare(auto.graph, T)["shd"]
    rows, _ = build_rows(ds, pairs, {}, pc=pc, outcome=hybrid)
    restored = [r for r in rows if r["status"] == "restored"]
    assert restored
    for r in restored:  # each one a true pair, drawn, and its decision gives the score and the prior
        assert T.has_edge(r["source"], r["target"]) or T.has_edge(r["target"], r["source"])
        assert r["in_graph"]
        assert "score-based re-search puts it back: BIC +" in r["decision"]
        assert "the LLM's prior +" in r["decision"]
    check_rows(rows, hybrid.graph, hybrid.data_graph, pc, pairs, "hybrid")


def test_answers_that_say_nothing_about_presence_leave_pcs_skeleton(insurance):
    """An expert whose answers do not depend on the pair (a claim or a 'none' at the same rate everywhere)
    earns no presence weight: the search does not widen, and prunes only pairs PC kept by its determinism guard
    alone (the score decides those, whatever the LLM); elsewhere hybrid draws what auto draws."""
    import numpy as np

    from causalllm.expert.answers import PairAnswer
    from causalllm.graph import pair_key

    pc = insurance[2]
    rng = np.random.default_rng(0)
    nodes = list(pc.columns_)
    pairs = {}
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            answer = "none" if rng.random() < 0.4 else str(rng.choice(["-->", "<--"]))
            pairs[pair_key(a, b)] = PairAnswer(a, b, answer, 0.8, True)
    out = merge(pc, pairs, "hybrid")
    assert (out.info.hybrid["prior_claim"], out.info.hybrid["prior_none"]) == (0, 0)
    assert out.info.hybrid["candidates"] == out.info.hybrid["skeleton"]
    assert out.info.hybrid["restored"] == 0
    skeleton = {pair_key(u, v) for u, v in pc.graph_.edges}
    drawn = {pair_key(u, v) for u, v in out.graph.edges}
    assert drawn <= skeleton
    assert skeleton - drawn <= pc.determined_pairs_
    assert len(skeleton - drawn) == out.info.hybrid["pruned"] > 0  # Insurance has such pairs
    for key in skeleton - drawn:  # the decision says why, and the LLM is not blamed
        assert "only the determinism guard kept it" in out.decisions[key].why
        assert "the LLM says there is no direct relation" not in out.decisions[key].why
    # without guard-kept pairs the same answers leave PC's graph as auto draws it
    plain = pc.with_skeleton(sorted(pc.graph_.edges), {})
    plain.determined_pairs_ = frozenset()
    again = merge(plain, pairs, "hybrid")
    assert again.info.hybrid["pruned"] == 0
    assert sorted(again.graph.edges(data="mark")) == sorted(merge(plain, pairs, "auto").graph.edges(data="mark"))


def test_the_report_says_what_the_re_search_did(tmp_path, run):
    out = tmp_path / "o"
    run("discover", "alarm", "--llm", "simulated", "--profile", "perfect", "--merge", "hybrid", "--out", out,
        "--quiet", "--no-cache", "--format", "dot")
    import json

    h = json.loads((out / "manifest.json").read_text())["merge"]["hybrid"]
    html = (out / "report.html").read_text()
    assert "id='hybrid'" in html
    assert f"put back <b>{h['restored']}</b> pair(s)" in html
    assert f"removed <b>{h['pruned']}</b> PC kept" in html
