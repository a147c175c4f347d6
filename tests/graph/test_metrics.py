"""`compare`: hand-computed SHD and adjacency/orientation metrics, and every input format."""

from __future__ import annotations

import json

import pytest
from conftest import write

from causalllm.graph import add_edge, make_graph
from causalllm.graph.metrics import compare, shd


def truth():
    T = make_graph("abcde")
    for u, v in [("a", "b"), ("b", "c"), ("c", "d"), ("a", "e")]:
        add_edge(T, u, v)
    return T


def pred():
    P = make_graph("abcde")
    add_edge(P, "a", "b")          # correct
    add_edge(P, "c", "b")          # reversed
    add_edge(P, "c", "d", "---")   # undirected, adjacency right
    add_edge(P, "b", "e")          # extra
    return P                        # a-e missing


def test_hand_computed():
    m = compare(pred(), truth())
    # pairs differing: b-c (reversed), c-d (undirected vs directed), b-e (extra), a-e (missing)
    assert m["shd"] == 4
    assert m["normalized_shd"] == 1.0
    # adjacency: predicted {ab, bc, cd, be}, true {ab, bc, cd, ae}: TP 3
    assert m["adjacency_precision"] == pytest.approx(3 / 4)
    assert m["adjacency_recall"] == pytest.approx(3 / 4)
    # arrowheads: predicted {a->b, c->b, b->e} (c-d has none), true {a->b, b->c, c->d, a->e}: TP 1
    assert m["orientation_precision"] == pytest.approx(1 / 3)
    assert m["orientation_recall"] == pytest.approx(1 / 4)
    assert m["orientation_f1"] == pytest.approx(2 * (1 / 3) * (1 / 4) / (1 / 3 + 1 / 4))
    # directed edges: only a->b scores; every one of the 4 predicted edges is a claim (c-d included)
    assert (m["dir_precision"], m["dir_recall"]) == (pytest.approx(1 / 4), pytest.approx(1 / 4))
    assert m["dir_f1"] == pytest.approx(1 / 4)
    assert (m["n_true_edges"], m["n_pred_edges"]) == (4, 4)


def test_dirf1_stricter_than_arrowheads_on_undirected_edges():
    """An undirected edge leaves arrowhead precision untouched but costs directed precision."""
    T = make_graph("abc"); add_edge(T, "a", "b"); add_edge(T, "b", "c")
    P = make_graph("abc"); add_edge(P, "a", "b"); add_edge(P, "b", "c", "---")
    m = compare(P, T)
    assert m["orientation_precision"] == 1.0
    assert m["dir_precision"] == 0.5
    add_edge(P, "b", "c", "<->")  # bidirected: one right arrowhead, but not a right directed edge
    m = compare(P, T)
    assert m["orientation_recall"] == 1.0
    assert m["dir_recall"] == 0.5


def test_identical_and_empty():
    assert compare(truth(), truth())["shd"] == 0
    assert compare(truth(), truth())["orientation_f1"] == 1.0
    empty = make_graph("abcde")
    m = compare(empty, truth())
    assert m["shd"] == 4
    assert m["adjacency_f1"] == 0.0
    assert m["orientation_precision"] == 0.0


def test_bidirected_counts_two_arrowheads():
    P = make_graph("ab"); add_edge(P, "a", "b", "<->")
    T = make_graph("ab"); add_edge(T, "a", "b")
    m = compare(P, T)
    assert m["orientation_precision"] == 0.5
    assert m["orientation_recall"] == 1.0
    assert shd(P, T) == 1


def _save_all_formats(G, folder):
    import networkx as nx

    from causalllm.output.folder import write_csv
    from causalllm.output.render import to_dot
    from causalllm.output.result import graph_for_export

    rows = [{"source": u, "target": v, "in_graph": True, "directed": d["mark"] == "-->", "pc": d["mark"],
             "mark": d["mark"], "status": "data"} for u, v, d in G.edges(data=True)]
    write_csv(folder / "edges.csv", rows, ["source", "target", "in_graph", "directed", "status", "pc"])
    (folder / "graph.dot").write_text(to_dot(G))
    nx.write_graphml(graph_for_export(G), folder / "graph.graphml")
    (folder / "graph.json").write_text(json.dumps(nx.node_link_data(graph_for_export(G), edges="edges")))


@pytest.mark.parametrize("fmt", ["edges.csv", "graph.dot", "graph.graphml", "graph.json"])
def test_compare_cli_every_format(fmt, tmp_path, run):
    _save_all_formats(pred(), tmp_path)
    t = write(tmp_path / "truth.csv", "source,target\na,b\nb,c\nc,d\na,e\n")
    res = run("compare", tmp_path / fmt, t, "--json")
    m = json.loads(res.stdout)
    assert set(m) >= {"shd", "adjacency_precision", "adjacency_recall", "adjacency_f1", "orientation_precision",
                      "orientation_recall", "orientation_f1", "n_true_edges", "n_pred_edges"}
    assert m["shd"] == 4
    assert m["orientation_precision"] == pytest.approx(1 / 3)


def test_compare_plain_text_and_bundled_truth(run, tmp_path):
    run("discover", "asia", "--out", tmp_path, "--quiet", "--format", "dot")
    res = run("compare", tmp_path, "asia")
    assert "SHD" in res.stdout
    assert "orientation P/R/F1" in res.stdout
    assert "dirF1" in res.stdout


def test_a_truth_with_feedback_scores_either_direction_and_says_so(run, tmp_path, caplog):
    t = write(tmp_path / "truth.csv", "source,target\na,b\nb,a\nb,c\nc,d\nd,b\nc,c\n")
    for p_text in ("source,target\na,b\nb,c\nc,d\nd,b\n", "source,target\nb,a\nb,c\nc,d\nd,b\n"):
        p = write(tmp_path / "pred.csv", p_text)
        res = run("compare", p, t, "--json")
        m = json.loads(res.stdout)
        assert m["shd"] == 0  # a -> b and b -> a are both right
        assert m["feedback_pairs"] == 1
        assert m["n_true_edges"] == 4  # the self-loop c -> c is not a true edge
        assert "(a and b): either direction is scored right" in caplog.text
        assert "c -> c, a self-loop: left out" in caplog.text
        assert "has directed cycles (" in caplog.text
    assert "feedback pairs     1 (listed both ways" in run("compare", p, t).stdout
    p = write(tmp_path / "pred.csv", "source,target\na,b\n")
    res = run("compare", p, write(tmp_path / "t2.csv", "source,target\na,b\nx,y\n"), "--json")
    assert "the true graph names x, y, not in" in caplog.text
    assert json.loads(res.stdout)["adjacency_recall"] == 0.5
    # a predicted graph holding both directions is still an error: it is not one graph of causal claims
    res = run("compare", write(tmp_path / "p2.csv", "source,target\na,b\nb,a\n"), t, ok=False)
    assert res.exit_code == 1
    assert "both a -> b and b -> a" in res.output or "both b -> a and a -> b" in res.output


def test_truth_with_feedback_drives_the_simulated_expert_and_evaluate(run, tmp_path, caplog):
    from causalllm.data import load_dataset

    ds = load_dataset("cancer")
    folder = tmp_path / "fb"
    folder.mkdir()
    ds.frame.to_csv(folder / "data.csv", index=False)
    truth = [(u, v) for u, v in __import__("causalllm").read_graph(ds.truth_path).edges]
    a, b = truth[0]
    write(folder / "truth.csv", "source,target\n" + "".join(f"{u},{v}\n" for u, v in [*truth, (b, a)]))
    res = run("discover", folder / "data.csv", "--llm", "simulated", "--truth", folder / "truth.csv",
              "--out", tmp_path / "o")
    assert "either direction is scored right" in res.stderr
    res = run("evaluate", folder, "--profile", "gpt4", "--seeds", "1", "--merge", "auto", "--out", tmp_path / "ev")
    assert "either direction is scored right" in res.stderr
