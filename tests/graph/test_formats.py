"""Interchange formats: each writer's output is read back to the same graph, GML by networkx, and the
dagitty and Tetrad readers read those tools' own published syntax."""

from __future__ import annotations

import networkx as nx
import pytest
from click.testing import CliRunner

from causalllm.cli import cli
from causalllm.graph import add_edge, make_graph, read_graph
from causalllm.graph.formats import read_amat, read_dagitty, read_gml, read_tetrad, to_amat, to_dagitty, to_gml, to_tetrad


def marks(G):
    return sorted((*sorted((u, v)), m if m == "---" or (u, v) == tuple(sorted((u, v))) else
                   {"-->": "<--"}.get(m, m)) for u, v, m in G.edges(data="mark"))


def sample(with_pag: bool = False):
    G = make_graph(["smoking", "tar", "cancer", "genes", "age group", "x-ray"])
    add_edge(G, "smoking", "tar")
    add_edge(G, "tar", "cancer")
    add_edge(G, "cancer", "genes", "---")
    add_edge(G, "age group", "smoking")
    add_edge(G, "x-ray", "cancer")
    if with_pag:
        add_edge(G, "genes", "age group", "o->")
        add_edge(G, "tar", "genes", "<->")
    return G


@pytest.mark.parametrize("fmt", ["gml", "dagitty", "amat", "tetrad"])
def test_round_trip(fmt):
    G = sample()
    if fmt == "tetrad":
        G = nx.relabel_nodes(G, {"age group": "age_group"})
    write, read = {"gml": (to_gml, read_gml), "dagitty": (to_dagitty, lambda t: read_dagitty(t)[0]),
                   "amat": (to_amat, read_amat), "tetrad": (to_tetrad, read_tetrad)}[fmt]
    back = read(write(G))
    assert list(back.nodes) == list(G.nodes)
    assert marks(back) == marks(G)


def test_tetrad_keeps_pag_marks_and_gml_is_networkx_gml():
    G = nx.relabel_nodes(sample(with_pag=True), {"age group": "age_group"})
    assert marks(read_tetrad(to_tetrad(G))) == marks(G)
    H = nx.parse_gml(to_gml(sample()))  # what DoWhy's GML loader calls
    assert H.has_edge("smoking", "tar")
    assert H.has_edge("cancer", "genes")
    assert H.has_edge("genes", "cancer")


def test_dagitty_reads_its_own_published_syntax():
    # the model code dagitty.net exports (Shrier & Platt's warm-up example, abridged): graph attributes,
    # quoted names with spaces, node attributes with positions, exposure/outcome and a latent node
    code = '''dag {
bb="-4.6,-3.6,4.2,3.8"
"Coach" [pos="-2.9,-2.8"]
"Fitness Level" [pos="0.3,-0.9"]
"Genetics" [latent,pos="1.9,-2.9"]
"Injury" [outcome,pos="1.5,2.5"]
"Warm-Up Exercises" [exposure,pos="-3.3,1.0"]
"Coach" -> "Fitness Level"
"Coach" -> "Warm-Up Exercises"
"Fitness Level" -> "Injury" <- "Warm-Up Exercises"
"Genetics" -> "Fitness Level"
}'''
    G, latent = read_dagitty(code)
    assert latent == ["Genetics"]
    assert set(G.nodes) == {"Coach", "Fitness Level", "Genetics", "Injury",
                                                       "Warm-Up Exercises"}
    assert G.edges["Warm-Up Exercises", "Injury"]["mark"] == "-->"
    assert G.number_of_edges() == 5
    # the R package's compact form: chains, <-, and a pdag's undirected edge
    G, _ = read_dagitty("pdag { x -> y -> z ; w <- z ; a -- b }")
    assert marks(G) == [("a", "b", "---"), ("w", "z", "<--"), ("x", "y", "-->"), ("y", "z", "-->")]


def test_tetrad_reads_its_own_published_syntax():
    # Tetrad's "save graph as text" layout, with the attribute sections it may add after the edges
    text = """Graph Nodes:
X1;X2;X3;X4

Graph Edges:
1. X1 --> X2
2. X2 --- X3
3. X3 <-> X4
4. X1 o-> X4

Graph Attributes:
Score: -1234.5
"""
    G = read_tetrad(text)
    assert marks(G) == [("X1", "X2", "-->"), ("X1", "X4", "o->"), ("X2", "X3", "---"), ("X3", "X4", "<->")]


def test_latent_confounders_are_dagitty_latent_nodes():
    G = sample()
    G2, latent = read_dagitty(to_dagitty(G, [("unmeasured stress", "smoking", "cancer")]))
    assert latent == ["unmeasured stress"]
    assert G2.has_edge("unmeasured stress", "smoking")
    assert G2.has_edge("unmeasured stress", "cancer")


def test_discover_and_render_export_and_compare_reads_them(tmp_path):
    out = tmp_path / "o"
    res = CliRunner().invoke(cli, ["discover", "asia", "--llm", "simulated", "--out", str(out), "--format", "dot",
                                   "--export", "gml,dagitty,tetrad,amat"])
    assert res.exit_code == 0, res.output
    ref = read_graph(out / "edges.csv")
    for suffix in (".gml", ".dagitty", ".tetrad.txt", ".amat.csv"):
        for stem in ("graph", "pc", "llm"):
            assert (out / f"{stem}{suffix}").exists(), (stem, suffix)
        assert marks(read_graph(out / f"graph{suffix}")) == marks(ref), suffix
        res = CliRunner().invoke(cli, ["compare", str(out / f"graph{suffix}"), str(out / "edges.csv")])
        assert res.exit_code == 0, (suffix, res.output)
        assert "SHD                0" in res.output, (suffix, res.output)
    (out / "graph.gml").unlink()
    res = CliRunner().invoke(cli, ["render", str(out), "--format", "dot", "--export", "gml"])
    assert res.exit_code == 0
    assert (out / "graph.gml").exists()
    res = CliRunner().invoke(cli, ["discover", "asia", "--llm", "none", "--out", str(out), "--export", "gmx"])
    assert res.exit_code == 1
    assert "gmx" in res.output
