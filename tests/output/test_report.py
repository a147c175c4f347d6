"""report.html in headless Chromium (SVG and table rendered, sorting and filtering work), and escaping."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ARTIFACTS

from causalllm.graph import read_graph
from causalllm.graph.metrics import shd

CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--virtual-time-budget=5000"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)  # type: ignore[return-value]
    pytest.skip("headless Chromium is not installed here and 'make test' could not install it "
                "(it runs 'apt-get install chromium' when apt-get is available as root); "
                "install Debian's chromium package to run the browser test")


def dump_dom(url: str, tmp_path: Path) -> str:
    proc = subprocess.run([chromium(), *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def table_rows(dom: str) -> list[list[str]]:
    body = re.search(r'<table id="pairs">.*?<tbody>(.*?)</tbody>', dom, re.S).group(1)
    return [re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S) for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.fixture(scope="module")
def child_result(tmp_path_factory):
    from click.testing import CliRunner

    from causalllm.cli import cli

    out = tmp_path_factory.mktemp("child")
    res = CliRunner().invoke(cli, ["discover", "child", "--llm", "simulated", "--out", str(out), "--quiet",
                                   "--no-cache"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    return out


def test_report_renders_sorts_and_filters(child_result, tmp_path):
    report = child_result / "report.html"
    html = report.read_text()
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    edges = pd.read_csv(child_result / "edges.csv")
    cols = list(edges.columns)
    dom = dump_dom(report.as_uri(), tmp_path)
    assert 'data-ready="1"' in dom
    svg = re.search(r'<div class="graph" id="graph">(.*?)</div>', dom, re.S).group(1)
    assert "<svg" in svg
    assert "<title>" in svg
    assert "Disease" in svg
    rows = table_rows(dom)
    assert len(rows) == len(edges)
    assert "SIMULATION" in dom
    # filter by status and sort by confidence, descending, as a link to the report would
    dom2 = dump_dom(report.as_uri() + "#status=agree&sort=llm_confidence:desc", tmp_path)
    rows2 = table_rows(dom2)
    st, conf = cols.index("status"), cols.index("llm_confidence")
    assert len(rows2) == (edges.status == "agree").sum() > 3
    assert all(r[st] == "agree" for r in rows2)
    values = [float(r[conf]) for r in rows2]
    assert values == sorted(values, reverse=True)
    assert values[0] > values[-1]
    dom3 = dump_dom(report.as_uri() + "#q=Disease&sort=target", tmp_path)
    rows3 = table_rows(dom3)
    assert rows3
    assert all("Disease" in " ".join(r) for r in rows3)
    targets = [r[cols.index("target")] for r in rows3]
    assert targets == sorted(targets, key=str.lower)  # the page sorts text with localeCompare
    # p-values in scientific notation (the smallest ones are exactly what PC is sure about)
    pv = [r[cols.index("p_value")] for r in rows if r[cols.index("p_value")]]
    odd = [v for v in pv if not re.fullmatch(r"&lt; 1e-300|\d\.\d\de[-+]\d+|0?\.\d+|1\.00", v)]
    assert pv, odd
    assert not odd, odd
    # every edge drawn differently from PC's own output is listed, with whose arrow it is
    changed = re.search(r'<table id="changed">.*?<tbody>(.*?)</tbody>', dom, re.S)
    n_changed = sum((("-->" if d else "---") if g else "none") != p
                    for g, d, p in zip(edges.in_graph, edges.directed, edges.pc))
    assert n_changed
    assert changed
    assert len(re.findall(r"<tr>", changed.group(1))) == n_changed
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    subprocess.run([chromium(), *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'p2'}", "--window-size=1400,2000",
                    f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=120)
    assert shot.exists()
    assert shot.read_bytes()[:4] == b"\x89PNG"
    assert shot.stat().st_size > 20000


NASTY = ['a"b -> c', "<script>alert(1)</script>", "back\\slash", "plain"]


def test_names_cannot_break_dot_svg_or_html(tmp_path, run):
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=2000)
    x1 = x0 + rng.normal(size=2000)
    x2 = x1 + rng.normal(size=2000)
    x3 = x2 + x0 * 0 + rng.normal(size=2000)
    pd.DataFrame(dict(zip(NASTY, [x0, x1, x2, x3]))).to_csv(tmp_path / "d.csv", index=False)
    with open(tmp_path / "truth.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["source", "target"])
        w.writerows([(NASTY[0], NASTY[1]), (NASTY[1], NASTY[2]), (NASTY[2], NASTY[3])])
    with open(tmp_path / "v.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "description"])
        w.writerows([(n, f'desc of {n} with <b>tags</b> & "quotes"') for n in NASTY])
    out = tmp_path / "out"
    run("discover", tmp_path / "d.csv", "--variables", tmp_path / "v.csv", "--llm", "simulated", "--truth",
        tmp_path / "truth.csv", "--profile", "perfect", "--out", out, "--quiet", "--no-cache")
    # DOT parses back to the same graph with the same names
    g_dot, g_csv = read_graph(out / "graph.dot"), read_graph(out / "edges.csv")
    assert set(g_dot.nodes) == set(NASTY)
    assert shd(g_dot, g_csv) == 0
    svg = (out / "graph.svg").read_text()
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    html = (out / "report.html").read_text()
    # the page's own two scripts (table, review) and JSON data blocks: no name opened a script of its own
    tags = re.findall(r"<script[^>]*>", html)
    assert tags.count("<script>") == 2
    assert html.count("<script") == len(tags)
    assert all(t == "<script>" or t.startswith('<script type="application/json" id=') for t in tags)
    dom = dump_dom((out / "report.html").as_uri(), tmp_path)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert not re.search(r"<script>alert", dom)
    # render re-draws it from the saved files
    res = run("render", out, "--only-disagreements", "--format", "svg")
    assert Path(res.stdout.strip()).exists()


def test_render_command_formats(child_result, run):
    res = run("render", child_result, "--format", "png", "--out", child_result / "again.png")
    assert (child_result / "again.png").read_bytes()[:4] == b"\x89PNG"
    res = run("render", child_result / "graph.json", "--only-disagreements", "--format", "dot")
    dot = Path(res.stdout.strip()).read_text()
    assert "reversed" in dot
    assert "agree: data and LLM" not in dot


def test_jupyter_repr(tmp_path):
    from causalllm import discover

    r = discover("cancer")
    assert r._repr_svg_().lstrip().startswith("<?xml") or "<svg" in r._repr_svg_()


def test_llm_only_claims_are_drawn_dashed_but_not_in_the_graph(run, tmp_path):
    run("discover", "asia", "--llm", "simulated", "--strategy", "all", "--out", tmp_path, "--quiet", "--no-cache",
        "--format", "dot")
    e = pd.read_csv(tmp_path / "edges.csv")
    llm_only = e[e.status == "llm_only"]
    assert len(llm_only) > 0
    assert not llm_only.in_graph.any()
    assert llm_only.sepset.notna().all()  # every LLM-only claim shows what separated the pair
    dot = (tmp_path / "graph.dot").read_text()
    from causalllm.merge.statuses import STATUSES

    color = STATUSES["llm_only"].color
    assert dot.count(f'color="{color}" penwidth=1.8 style=dashed') == len(llm_only) + 1  # + the legend's sample
    g = read_graph(tmp_path / "edges.csv")  # the graph itself holds only in_graph rows
    assert g.number_of_edges() == int(e.in_graph.sum())


def test_alarm_report_and_svg_in_chromium(tmp_path):
    """The 37-variable network: the report renders, its graph is readable at a glance (screenshot kept in
    tests/artifacts for a person to look at), and every variable is in the SVG."""
    from click.testing import CliRunner

    from causalllm.cli import cli

    out = tmp_path / "alarm"
    res = CliRunner().invoke(cli, ["discover", "alarm", "--llm", "simulated", "--out", str(out), "--quiet",
                                   "--no-cache", "--confounders-view", "pairs"], catch_exceptions=False)
    assert res.exit_code == 0
    dom = dump_dom((out / "report.html").as_uri(), tmp_path)
    assert 'data-ready="1"' in dom
    assert dom.count('class="node"') >= 37
    assert 'id="changed"' in dom
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = (("alarm-report.png", (out / "report.html").as_uri()), ("alarm-graph.png", (out / "graph.svg").as_uri()))
    for name, uri in pages:
        shot = ARTIFACTS / name
        subprocess.run([chromium(), *CHROME_FLAGS, f"--user-data-dir={tmp_path / name}", "--window-size=1600,1400",
                        f"--screenshot={shot}", uri], capture_output=True, timeout=120)
        assert shot.exists()
        assert shot.stat().st_size > 20000


def test_stability_probe_and_guided_sections_render_in_chromium(tmp_path):
    """--bootstrap, --probe-memorisation and --merge guided: their sections and columns in the browser's DOM."""
    from click.testing import CliRunner

    from causalllm.cli import cli

    out = tmp_path / "asia"
    res = CliRunner().invoke(cli, ["discover", "asia", "--llm", "simulated", "--merge", "guided", "--bootstrap", "3",
                                   "--probe-memorisation", "4", "--no-fci", "--no-falsify", "--out", str(out),
                                   "--quiet", "--no-cache"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    dom = dump_dom((out / "report.html").as_uri(), tmp_path)
    assert 'data-ready="1"' in dom
    assert 'id="stability"' in dom
    assert 'id="probe"' in dom
    assert 'id="probe-pairs"' in dom
    assert 'id="guided"' in dom
    # the pairs table the page script builds shows the bootstrap columns beside the LLM's answer
    head = dom[dom.index('id="pairs"'):]
    assert head.index("boot_adjacent") < head.index(">llm<")


def test_the_report_names_the_columns_left_out(run, tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal(size=300)
    frame = pd.DataFrame({"a": a, "b": a + rng.normal(size=300), "c": rng.normal(size=300), "k": 1})
    frame.to_csv(tmp_path / "d.csv", index=False)
    run("discover", tmp_path / "d.csv", "--llm", "none", "--out", tmp_path / "out", "--quiet")
    html = (tmp_path / "out" / "report.html").read_text()
    assert "id='excluded'" in html
    assert "<b>k</b> (constant)" in html


def test_a_result_in_a_notebook_is_one_screen_and_draws_itself(tmp_path):
    import causalllm

    r = causalllm.discover("alarm", llm="simulated")
    text = repr(r)
    assert len(text.splitlines()) <= 15
    assert "statuses: " in text
    assert "LLM answers: " in text
    assert "not written yet" in text
    assert len(text) < 2000  # never the rows: one print(r) no longer floods the cell
    html = r._repr_html_()
    assert "<table>" in html
    assert "<svg" in html
    for status, n in r.status_counts().items():
        assert f"<td>{status}</td><td>{n}</td>" in html
    r.save(tmp_path / "out")
    assert f"written to {tmp_path / 'out'}" in repr(r)
    assert "report.html" in repr(r)


def test_the_report_scores_each_graph_against_a_known_truth(tmp_path):
    import json

    from click.testing import CliRunner

    from causalllm.cli import cli
    from causalllm.graph import compare, read_graph

    out = tmp_path / "asia"
    assert CliRunner().invoke(cli, ["discover", "asia", "--llm", "simulated", "--out", str(out), "--format",
                                    "dot"]).exit_code == 0
    m = json.loads((out / "manifest.json").read_text())
    scores = m["truth_scores"]
    assert set(scores) == {"data side", "LLM alone", "merged"}
    merged = compare(read_graph(out), read_graph("datasets/asia/truth.csv"))
    assert scores["merged"]["shd"] == merged["shd"]
    html = (out / "report.html").read_text()
    assert "<table id='truth-scores'>" in html
    assert f"<td>merged</td><td>{merged['shd']}</td>" in html
    assert scores["data side"]["n_wrong"] == scores["data side"]["shd"]  # each wrong pair named
    # no truth, no section
    plain = tmp_path / "plain"
    CliRunner().invoke(cli, ["discover", "datasets/sachs/data.csv", "--llm", "none", "--out", str(plain),
                             "--format", "dot"])
    assert "truth-scores" not in (plain / "report.html").read_text()
    assert "truth_scores" not in json.loads((plain / "manifest.json").read_text())


def test_the_calibration_is_one_plain_sentence_true_to_the_graph(tmp_path):
    import csv
    import re

    from click.testing import CliRunner

    from causalllm.cli import cli

    for profile in ("gpt4", "random"):
        out = tmp_path / profile
        assert CliRunner().invoke(cli, ["discover", "sachs", "--llm", "simulated", "--profile", profile, "--out",
                                        str(out), "--format", "dot"]).exit_code == 0
        html = (out / "report.html").read_text()
        said = re.search(r"<p id='calibration'>(.*?) <span", html).group(1)
        rows = list(csv.DictReader((out / "edges.csv").open()))
        overturned = sum(1 for r in rows if r["status"] == "reversed" and r["kept"] == "llm")
        oriented = sum(1 for r in rows if r["status"] == "oriented_by_llm")
        assert said.startswith("The LLM agreed with the data&#x27;s most reliable arrows in ") or \
            said.startswith("The data had no reliable arrow")
        assert f"overturned {overturned or 'none'} of the data" in said
        assert f"oriented {oriented or 'no'} edge" in said
