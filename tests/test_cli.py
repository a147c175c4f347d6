"""The CLI end to end on bundled and user data: outputs, manifest, init, datasets, formats."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
from conftest import run_subprocess, write

from causalllm.graph import read_graph
from causalllm.graph.metrics import shd


def test_discover_writes_every_output(run, tmp_path):
    res = run("discover", "sachs", "--out", tmp_path, "--quiet")
    for name in ("graph.dot", "graph.svg", "graph.graphml", "graph.json", "edges.csv", "manifest.json"):
        assert (tmp_path / name).exists(), name
        assert str(tmp_path / name) in res.stdout  # stdout says where outputs are
    edges = pd.read_csv(tmp_path / "edges.csv")
    assert list(edges.columns[:9]) == ["source", "target", "in_graph", "directed", "status", "pc", "data", "p_value",
                                      "sepset"]
    assert set(edges["pc"]) <= {"-->", "---"}
    assert (edges["directed"] == (edges["pc"] == "-->")).all()
    assert edges["p_value"].between(0, 0.05).all()  # kept edges: the tests never separated them
    svg = (tmp_path / "graph.svg").read_text()
    assert svg.lstrip().startswith("<?xml")
    assert "<svg" in svg
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["options"]["alpha"] == 0.05
    assert m["options"]["test"] == "fisherz"
    assert m["seed"] == 0
    assert all(len(h) == 64 for h in m["inputs"].values())
    assert len(m["inputs"]) == 2
    assert "causal-learn" in m["versions"]
    assert "pc" in m["timings_s"]
    # every export holds the same graph
    g_csv = read_graph(tmp_path / "edges.csv")
    for f in ("graph.json", "graph.graphml", "graph.dot"):
        g = read_graph(tmp_path / f)
        assert shd(g, g_csv) == 0, f
        assert g.number_of_edges() == g_csv.number_of_edges() > 0, f
    H = nx.read_graphml(tmp_path / "graph.graphml")
    assert all("status" in d and "p_value" in d for _, _, d in H.edges(data=True))


def test_user_csv_with_variables(run, tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=500); y = 2 * x + rng.normal(size=500); z = y + rng.normal(size=500)
    d = tmp_path / "d.csv"
    pd.DataFrame({"x": x, "y": y, "z": z, "row_id": range(500)}).to_csv(d, index=False)
    v = write(tmp_path / "v.yaml", "x: dose\ny: level\n")
    res = run("discover", d, "--variables", v, "--out", tmp_path / "o", "--quiet", "--format", "dot")
    assert "excluding column 'row_id'" in res.stderr
    assert "no description" in res.stderr
    e = pd.read_csv(tmp_path / "o" / "edges.csv")
    assert {frozenset(p) for p in zip(e.source, e.target)} == {frozenset("xy"), frozenset("yz")}


def test_format_png_and_pdf_fallback(run, tmp_path):
    run("discover", "cancer", "--out", tmp_path, "--quiet", "--format", "png")
    assert (tmp_path / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import shutil

    res = run("discover", "cancer", "--out", tmp_path / "p", "--quiet", "--format", "pdf")
    if shutil.which("dot"):
        assert (tmp_path / "p" / "graph.pdf").read_bytes()[:4] == b"%PDF"
    else:  # one line saying why, DOT still written, exit 0
        assert "could not write graph.pdf" in res.stderr
        assert "dot" in res.stderr
        assert (tmp_path / "p" / "graph.dot").exists()


def test_init_template(run, tmp_path):
    d = write(tmp_path / "survey.csv", "age,sex,score\nyoung,M,1.5\nold,F,2.5\nold,M,3.5\n")
    res = run("init", d)
    tpl = tmp_path / "survey.variables.csv"
    assert str(tpl) in res.stdout
    t = pd.read_csv(tpl, keep_default_na=False)
    assert list(t.columns) == ["name", "type", "description"]
    assert t["name"].tolist() == ["age", "sex", "score"]
    assert t["type"].tolist() == ["discrete", "discrete", "continuous"]
    again = run("init", d, ok=False)
    assert again.exit_code != 0
    assert "already exists" in again.stderr


def test_datasets_listing(run):
    res = run("datasets", "--json")
    names = {r["name"] for r in json.loads(res.stdout)}
    assert {"sachs", "asia", "alarm", "child", "tuebingen"} <= names
    plain = run("datasets").stdout
    assert "sachs" in plain
    assert "853 x 11" in plain


def test_python_dash_m_and_version():
    proc = run_subprocess("--version")
    assert proc.returncode == 0
    assert "version" in proc.stdout


def test_progress_and_results_streams(tmp_path):
    proc = run_subprocess("discover", "asia", "--out", tmp_path, "--format", "dot")
    assert proc.returncode == 0
    assert "edges.csv" in proc.stdout
    assert "Warning" not in proc.stdout


def test_init_for_a_bundled_name_writes_to_the_working_folder(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("init", "asia")
    assert (tmp_path / "asia.variables.csv").exists()


def test_a_real_process_in_the_tests_never_touches_the_users_cache(tmp_path):
    """Subprocess runs keep the test's own cache folder (they once stripped it with the other CAUSALLLM_
    variables and wrote the user's cache, while the user's own runs used it)."""
    import os

    proc = run_subprocess("discover", "cancer", "--llm", "simulated", "--out", tmp_path / "o", "--format", "dot",
                          "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "user-cache" / "llm_cache.sqlite").exists()
    assert os.environ["CAUSALLLM_CACHE_DIR"] == str(tmp_path / "user-cache")
