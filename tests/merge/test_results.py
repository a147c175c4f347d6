"""The output contract: one typed edge row per pair, statuses from the one table, files on disk."""

from __future__ import annotations

from fakes import ans, fit

from causalllm.contract import EDGE_COLUMNS, LLM_COLUMNS, STABILITY_COLUMNS
from causalllm.merge import merge
from causalllm.merge.rows import EdgeRow, build_rows
from causalllm.merge.statuses import STATUSES


def test_llm_only_edge_shows_separating_set():
    ds, pc = fit([("a", "b"), ("b", "c")])
    pairs = dict([ans("a", "b"), ans("b", "c"), ans("a", "c", conf=0.8)])
    out = merge(pc, pairs, "auto")
    rows, F = build_rows(ds, pairs, {}, pc=pc, outcome=out)
    r = next(x for x in rows if {x["source"], x["target"]} == {"a", "c"})
    assert r["status"] == "llm_only"
    assert r["in_graph"] is False
    assert r["pc"] == "none"
    assert r["sepset"] == "b"
    assert r["p_value"] > 0.01
    assert "independent given {b}" in r["decision"]
    assert not F.has_edge("a", "c")
    assert not F.has_edge("c", "a")


def test_data_only_and_unresolved():
    ds, pc = fit([("a", "b"), ("b", "c")])
    pairs = dict([ans("a", "b", "none"), ans("b", "c", "-->", consistent=False)])
    out = merge(pc, pairs, "auto")
    rows, _ = build_rows(ds, pairs, {}, pc=pc, outcome=out)
    st = {frozenset((x["source"], x["target"])): x["status"] for x in rows}
    assert st[frozenset("ab")] == "data_only"
    assert st[frozenset("bc")] == "unresolved"


def test_rows_have_the_declared_columns_and_known_statuses():
    ds, pc = fit([("a", "b"), ("b", "c"), ("a", "d")])
    pairs = dict([ans("a", "b"), ans("c", "b", conf=0.8), ans("a", "d", "none"), ans("c", "d", conf=0.7)])
    rows, F = build_rows(ds, pairs, {}, pc=pc, outcome=merge(pc, pairs, "auto"))
    assert set(EdgeRow.__annotations__) == set(EDGE_COLUMNS + STABILITY_COLUMNS + LLM_COLUMNS)
    for r in rows:
        assert list(r) == EDGE_COLUMNS + LLM_COLUMNS
        assert r["status"] in STATUSES
        assert not STATUSES[r["status"]].name.startswith("_")
        # the final graph carries the row, arc for arc
        if r["in_graph"]:
            u, v = (r["source"], r["target"]) if F.has_edge(r["source"], r["target"]) else (r["target"], r["source"])
            assert F.edges[u, v]["status"] == r["status"]
            assert F.edges[u, v]["directed"] == r["directed"]


def test_data_only_rows_without_an_llm():
    ds, pc = fit([("a", "b"), ("b", "c")])
    rows, F = build_rows(ds, {}, {}, pc=pc, outcome=merge(pc, {}, "report"), has_llm=False)
    assert {r["status"] for r in rows} == {"data"}
    assert all(list(r) == EDGE_COLUMNS for r in rows)
    assert F.number_of_edges() == pc.graph_.number_of_edges()

