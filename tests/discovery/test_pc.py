"""PC discovery: the one causal-learn → NetworkX conversion, evidence, and exactness vs a direct call."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from causallearn.graph.GeneralGraph import GeneralGraph
from causallearn.graph.GraphNode import GraphNode
from causallearn.search.ConstraintBased.PC import pc

from causalllm import PCDiscovery, causallearn_to_networkx, load_dataset
from causalllm.errors import ConfigError

# (mark at a, mark at b) in causal-learn's encoding -> expected (source, target, mark)
CASES = [
    ((-1, 1), ("a", "b", "-->")),
    ((1, -1), ("b", "a", "-->")),
    ((-1, -1), ("a", "b", "---")),
    ((1, 1), ("a", "b", "<->")),
    ((2, 1), ("a", "b", "o->")),
    ((1, 2), ("b", "a", "o->")),
    ((2, 2), ("a", "b", "o-o")),
    ((2, -1), ("a", "b", "o--")),
    ((-1, 2), ("b", "a", "o--")),
]


@pytest.mark.parametrize(("marks", "expected"), CASES, ids=[c[1][2] + ("" if c[1][0] == "a" else " rev") for c in CASES])
def test_conversion_every_edge_mark(marks, expected):
    g = GeneralGraph([GraphNode("a"), GraphNode("b"), GraphNode("c")])
    M = np.zeros((3, 3), dtype=int)
    M[0, 1], M[1, 0] = marks  # graph[i, j] is the mark at i
    g.graph = M
    G = causallearn_to_networkx(g)
    assert list(G.nodes) == ["a", "b", "c"]
    edges = list(G.edges(data=True))
    assert len(edges) == 1
    u, v, d = edges[0]
    assert (u, v, d["mark"]) == expected
    assert d["directed"] is (expected[2] == "-->")


def test_conversion_matches_causallearn_api():
    """Cross-check the matrix reading against causal-learn's own edge objects."""
    rng = np.random.default_rng(0)
    n = 2000
    a = rng.normal(size=n); c = rng.normal(size=n)
    b = a + c + rng.normal(size=n)  # collider a -> b <- c
    d = b + rng.normal(size=n)
    cg = pc(np.column_stack([a, b, c, d]), 0.01, "fisherz", True, show_progress=False, node_names=list("abcd"))
    G = causallearn_to_networkx(cg.G)
    assert {(u, v) for u, v, m in G.edges(data="mark") if m == "-->"} == {("a", "b"), ("c", "b"), ("b", "d")}
    for e in cg.G.get_graph_edges():
        s = str(e)  # e.g. "a --> b"
        u, mark, v = s.split()
        assert G.has_edge(u, v)
        assert G.edges[u, v]["mark"] == mark


def _direct(df: pd.DataFrame, test: str, alpha: float = 0.05):
    if test == "fisherz":
        X = df.to_numpy(dtype=float)
    else:
        X = np.column_stack([pd.Categorical(df[c].astype(str)).codes for c in df.columns]).astype(float)
    cg = pc(X, alpha, test, True, show_progress=False, node_names=list(df.columns))
    return causallearn_to_networkx(cg.G)


@pytest.mark.parametrize(("name", "test"), [("sachs", "fisherz"), ("alarm", "gsq"), ("alarm", "chisq")])
def test_exactly_causallearn(name, test, run, tmp_path):
    """`discover --llm none` equals a direct causal-learn call: skeleton and orientations."""
    from causalllm.data import bundled

    df = pd.read_csv(bundled.get(name).data_path)
    direct = _direct(df, test)
    run("discover", name, "--out", tmp_path, "--quiet", "--test", test, "--format", "dot")
    out = pd.read_csv(tmp_path / "edges.csv")
    ours = {(r.source, r.target, r.pc) for r in out.itertuples()}
    assert ours == set(direct.edges(data="mark"))
    assert len(ours) > 5


def test_evidence_for_removed_and_kept_edges():
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.normal(size=n); y = x + rng.normal(size=n); z = y + rng.normal(size=n)
    m = PCDiscovery(alpha=0.05).fit(pd.DataFrame({"x": x, "y": y, "z": z}))
    xz = m.evidence_[frozenset("xz")]
    assert not xz.adjacent
    assert xz.p_value > 0.05
    assert xz.cond_set == ("y",)
    assert m.sepsets_[frozenset("xz")] == ("y",)
    xy = m.evidence_[frozenset("xy")]
    assert xy.adjacent
    assert xy.p_value <= 0.05
    assert xy.n_tests >= 2
    assert m.graph_.edges["x", "y"]["p_value"] == xy.p_value
    assert m.n_tests_ == sum(e.n_tests for e in m.evidence_.values())
    assert {m for _, _, m in m.graph_.edges(data="mark")} == {"---"}  # a chain is not orientable


def test_auto_test_choice_and_mixed_data(caplog):
    rng = np.random.default_rng(2)
    g = rng.choice(["a", "b"], 300)
    df = pd.DataFrame({"x": rng.normal(size=300) + (g == "a"), "g": g})
    with caplog.at_level("WARNING", logger="causalllm"):
        m = PCDiscovery().fit(df)
    assert m.test_ == "cg"
    assert "quantile bins" not in caplog.text
    for test in ("cg", "dg", "gsq"):
        m = PCDiscovery(test=test).fit(df)
        assert m.test_ == test
        assert (m.graph_.has_edge("x", "g") or m.graph_.has_edge("g", "x"))
    with caplog.at_level("WARNING", logger="causalllm"):
        PCDiscovery(test="gsq").fit(df)
    assert "quantile bins" in caplog.text  # binning only when asked for, and said
    assert PCDiscovery().fit(load_dataset("sachs")).test_ == "fisherz"


def test_bad_alpha():
    with pytest.raises(ConfigError, match="alpha"):
        PCDiscovery(alpha=1.0).fit(load_dataset("cancer"))
