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


def test_an_expert_no_better_than_a_coin_leaves_the_score_alone(insurance):
    _, T, pc = insurance
    alone = merge(pc, {}, "hybrid")
    assert alone.info.hybrid["prior_log_odds"] == 0
    assert alone.info.hybrid["candidates"] == alone.info.hybrid["skeleton"]
    for acc in (0.5, 0.0):  # a coin, and an expert reversing every edge
        out = merge(pc, expert(pc, T, acc, 0.2, every_pair=True), "hybrid")
        assert out.info.hybrid["prior_log_odds"] == 0
        assert sorted(out.data_graph.edges(data="mark")) == sorted(alone.data_graph.edges(data="mark"))
