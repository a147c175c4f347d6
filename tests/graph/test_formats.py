"""Interchange formats: each writer's output is read back to the same graph, GML by networkx, and the
dagitty and Tetrad readers read those tools' own published syntax."""

from __future__ import annotations

import networkx as nx
import pandas as pd
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


def _run_with_latent_confounders(tmp_path, view):
    """A run whose graph has undirected edges and suggested latent confounders (from a priors file)."""
    first = tmp_path / "first"
    res = CliRunner().invoke(cli, ["discover", "sachs", "--llm", "simulated", "--out", str(first), "--format", "dot",
                                   "--quiet"])
    assert res.exit_code == 0, res.output
    priors = pd.read_csv(first / "priors.csv", dtype=str, keep_default_na=False)
    priors.loc[priors.index[:3], "answer"] = "unsure"  # some of the data's undirected edges stay undirected
    priors.loc[priors.index[3:7], "confounders"] = "unmeasured stress"
    priors.loc[priors.index[7:9], "confounders"] = "PKA"
    priors.to_csv(tmp_path / "priors.csv", index=False)
    out = tmp_path / view
    res = CliRunner().invoke(cli, ["discover", "sachs", "--priors", str(tmp_path / "priors.csv"), "--out", str(out),
                                   "--format", "dot", "--confounders-view", view, "--merge", "orient",
                                   "--export", "gml,dagitty,tetrad,amat,dag"])
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.parametrize("view", ["latent", "pairs"])
def test_every_export_reads_back_to_its_folders_scores(tmp_path, view):
    from causalllm.bench.compare import compare_files

    out = _run_with_latent_confounders(tmp_path, view)
    dot = (out / "graph.dot").read_text()
    assert "causalllm_role=confounder" in dot  # the confounder lines are drawn ...
    assert '"unmeasured stress" [latent]' in (out / "graph.dagitty").read_text()
    truth = "sachs"
    ref = compare_files(out, truth)
    for name in ("graph.dot", "graph.graphml", "graph.json", "edges.csv", "graph.gml", "graph.dagitty",
                 "graph.tetrad.txt", "graph.amat.csv"):
        assert compare_files(out / name, truth) == ref, name  # ... and never read back as edges
    # the DAG export: the same adjacencies, every edge directed, acyclic, the oriented ones marked
    G, D = read_graph(out), nx.read_gml(out / "graph.dag.gml")
    assert {frozenset(e) for e in G.edges} == {frozenset(e) for e in D.edges}
    assert nx.is_directed_acyclic_graph(D)
    undirected = {frozenset((u, v)) for u, v, m in G.edges(data="mark") if m == "---"}
    assert undirected
    assert {frozenset((u, v)) for u, v, a in D.edges(data="arbitrary") if a} == undirected


def test_dag_extension_is_one_member_of_the_class():
    from causalllm.discovery.pc import PCDiscovery
    from causalllm.graph.formats import dag_extension

    def vstructs(D):
        return {(a, c, b) for c in D for a in D.predecessors(c) for b in D.predecessors(c)
                if a < b and not D.has_edge(a, b) and not D.has_edge(b, a)}

    for name in ("asia", "sachs", "child", "alarm"):
        from causalllm.data import load_dataset

        G = PCDiscovery().fit(load_dataset(name)).graph_
        if not nx.is_directed_acyclic_graph(nx.DiGraph([(u, v) for u, v, m in G.edges(data="mark") if m == "-->"])):
            continue
        D, oriented = dag_extension(G)
        assert nx.is_directed_acyclic_graph(D)
        assert {frozenset(e) for e in D.edges} == {frozenset(e) for e in G.edges}
        assert {(u, v) for u, v, m in G.edges(data="mark") if m == "-->"} <= set(D.edges)
        # the same v-structures as the libraries' consistent extensions of the same CPDAG
        from pgmpy.base import PDAG

        directed = [(u, v) for u, v, m in G.edges(data="mark") if m == "-->"]
        undirected = [(u, v) for u, v, m in G.edges(data="mark") if m == "---"]
        theirs = PDAG(directed_ebunch=directed, undirected_ebunch=undirected)
        theirs.add_nodes_from(G.nodes)
        assert vstructs(D) == vstructs(nx.DiGraph(theirs.to_dag().edges)), name
        assert set(oriented) <= {e for u, v in undirected for e in ((u, v), (v, u))}
    # no consistent extension (a 4-cycle of undirected edges with one arrow pattern): every adjacency kept
    H = make_graph("abcd")
    for u, v in ("ab", "bc", "cd", "da"):
        add_edge(H, u, v, "---")
    D, oriented = dag_extension(H)
    assert nx.is_directed_acyclic_graph(D)
    assert D.number_of_edges() == len(oriented) == 4


def test_exports_load_in_dowhy_and_r_read_csv(tmp_path):
    """DoWhy (an optional extra) identifies an effect on the DAG export; the amat reads as R's
    read.csv(path, row.names = 1) would (a header row whose first cell is empty, one row per name)."""
    out = _run_with_latent_confounders(tmp_path, "latent")
    gml = (out / "graph.gml").read_text()
    assert "undirected 1" in gml  # the GML says it is not a DAG ...
    with pytest.raises(Exception, match="acyclic"):  # ... and DoWhy refuses it
        _dowhy_identify(gml)
    for graph in ((out / "graph.dag.gml").read_text(), str(out / "graph.dag.gml")):  # as text and as a path
        estimand = _dowhy_identify(graph)
        assert "backdoor" in str(estimand).lower()
    A = pd.read_csv(out / "graph.amat.csv", index_col=0)
    assert list(A.index) == list(A.columns)
    assert set(A.to_numpy().ravel()) <= {0, 1}
    assert (out / "graph.amat.csv").read_text().splitlines()[0].startswith(",")


def _dowhy_identify(gml: str):
    import dowhy

    df = pd.read_csv("datasets/sachs/data.csv").head(200)
    model = dowhy.CausalModel(data=df, treatment="PKA", outcome="Akt", graph=gml)
    return model.identify_effect(proceed_when_unidentifiable=True)
