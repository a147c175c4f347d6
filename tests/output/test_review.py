"""The report's review, driven in a real browser (Debian's chromium through Playwright): decisions taken on
disagreements persist across a reload, download as a knowledge file and a priors file, and a run with that
knowledge file draws the decided edges as decided, labelled ``analyst``; the next report shows them."""

from __future__ import annotations

import csv
import itertools
import re
from pathlib import Path

import pytest
from test_report import NASTY, chromium

from causalllm.data.knowledge import read_knowledge
from causalllm.output.review import review_items


def edges(folder: Path) -> dict[frozenset, dict]:
    with open(folder / "edges.csv", newline="") as f:
        return {frozenset((r["source"], r["target"])): r for r in csv.DictReader(f)}


@pytest.fixture
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="'make test' installs playwright (test extra)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def open_review(page, report: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.resolve().as_uri())
    page.wait_for_selector("#review[data-ready='1']")
    assert not errors, errors


def row(page, a: str, b: str):
    """The review row of the pair a–b (a row names it in the drawn direction)."""
    pair = "|".join(re.escape(f"{u} \u2013 {v}") for u, v in ((a, b), (b, a)))
    return page.locator("#review tbody tr").filter(has_text=re.compile(f"^({pair})"))


def download(page, button: str, to: Path) -> Path:
    with page.expect_download() as d:
        page.click(button)
    d.value.save_as(to)
    return to


def test_review_offers_each_sides_reading_and_keeps_earlier_decisions():
    rows = [{"source": "a", "target": "b", "status": "oriented_by_llm", "in_graph": True, "directed": True,
             "data": "---", "llm": "-->"},
            {"source": "c", "target": "d", "status": "llm_only", "in_graph": False, "directed": False,
             "data": "none", "llm": "-->"},
            {"source": "e", "target": "f", "status": "agree", "in_graph": True, "directed": True, "data": "-->",
             "llm": "-->"}]
    earlier = [{"source": "d", "target": "c", "decision": "forbid", "following": "data", "by": "ana", "why": "no"},
               {"source": "x", "target": "y", "decision": "require", "following": "llm", "by": "ana"}]
    items = {(i["source"], i["target"]): i for i in review_items(rows, earlier)}
    assert set(items) == {("a", "b"), ("c", "d"), ("x", "y")}  # agree needs no decision; x-y was decided
    assert [c["value"] for c in items["a", "b"]["choices"]] == ["llm", "a>b", "b>a", "forbid"]  # data undirected
    cd = items["c", "d"]
    assert [(c["value"], c["decision"]) for c in cd["choices"][:2]] == [("data", "forbid"), ("llm", "require")]
    assert (cd["prior"], cd["prior_by"]) == ("data", "ana")
    assert items["x", "y"]["prior"] == "x>y"  # no LLM reading left for it: the plain effect


def test_decide_three_disagreements_in_the_browser(tmp_path, run, browser):
    first = tmp_path / "first"
    run("discover", "sachs", "--llm", "simulated", "--profile", "gpt4", "--out", first, "--quiet", "--no-cache")
    before = edges(first)
    flip = next(r for r in before.values() if r["status"] == "reversed")  # take the LLM's reading
    undirected_by_data = [r for r in before.values() if r["status"] == "oriented_by_llm"]
    against, own = undirected_by_data[0], undirected_by_data[1]  # require the opposite / the drawn direction
    page = browser.new_context(accept_downloads=True).new_page()
    open_review(page, first / "report.html")
    page.fill("#review-by", "tester")
    row(page, flip["source"], flip["target"]).locator("select").select_option("llm")
    row(page, against["source"], against["target"]).locator("select").select_option(
        f"{against['target']}>{against['source']}")
    row(page, own["source"], own["target"]).locator("select").select_option(f"{own['source']}>{own['target']}")
    row(page, own["source"], own["target"]).locator("input").fill("textbook: it is upstream")
    page.reload()
    page.wait_for_selector("#review[data-ready='1']")
    assert row(page, flip["source"], flip["target"]).locator("select").input_value() == "llm"
    assert row(page, own["source"], own["target"]).locator("input").input_value() == "textbook: it is upstream"
    assert page.input_value("#review-by") == "tester"
    assert page.inner_text("#review-count").startswith("3 of ")

    k = read_knowledge(download(page, "#download-knowledge", tmp_path / "decisions.yaml"))
    assert {(d.source, d.target, d.following, d.by) for d in k.decisions} == {
        (flip["target"], flip["source"], "llm", "tester"), (against["target"], against["source"], "analyst", "tester"),
        (own["source"], own["target"], "analyst", "tester")}
    assert {d.why for d in k.decisions} == {"", "textbook: it is upstream"}
    priors = download(page, "#download-priors", tmp_path / "priors.csv")
    with open(priors, newline="") as f:
        decided = [r for r in csv.DictReader(f) if r["origin"] == "analyst"]
    assert {(r["source"], r["target"], r["answer"]) for r in decided} == {
        (d.source, d.target, "-->") for d in k.decisions}

    second = tmp_path / "second"
    run("discover", "sachs", "--llm", "simulated", "--profile", "gpt4", "--knowledge", tmp_path / "decisions.yaml",
        "--out", second, "--quiet", "--no-cache")
    after = edges(second)
    for d in k.decisions:
        r = after[frozenset((d.source, d.target))]
        assert (r["source"], r["target"], r["directed"], r["status"]) == (d.source, d.target, "true", "analyst")
    # the next report starts from the decisions taken, and says so
    page2 = browser.new_context().new_page()
    open_review(page2, second / "report.html")
    assert "3 decision(s) already taken" in page2.inner_text("#review-earlier")
    r = row(page2, against["source"], against["target"])
    assert r.locator("select").input_value() == f"{against['target']}>{against['source']}"
    assert "decided earlier by tester" in r.inner_text()
    # the priors file is one --priors reads
    run("discover", "sachs", "--priors", priors, "--out", tmp_path / "third", "--quiet", "--no-cache")


def test_review_keeps_hostile_names_as_text_and_round_trips_them(tmp_path, run, browser):
    """Names built to break HTML, YAML and CSV: shown as text, written back exactly."""
    import numpy as np
    import pandas as pd

    names = [*NASTY, "=1+1", "key: #not a comment", "caf\u00e9 [x]"]
    rng = np.random.default_rng(1)
    x = [rng.normal(size=2000)]
    for _ in names[1:]:
        x.append(x[-1] + rng.normal(size=2000))
    pd.DataFrame(dict(zip(names, x))).to_csv(tmp_path / "d.csv", index=False)
    with open(tmp_path / "truth.csv", "w", newline="") as f:
        csv.writer(f).writerows([("source", "target"), *itertools.pairwise(names)])
    out = tmp_path / "out"
    run("discover", tmp_path / "d.csv", "--llm", "simulated", "--truth", tmp_path / "truth.csv", "--profile",
        "perfect", "--out", out, "--quiet", "--no-cache")
    page = browser.new_context(accept_downloads=True).new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_review(page, out / "report.html")
    selects = page.locator("#review select")
    assert selects.count() >= 2
    for i in range(selects.count()):
        selects.nth(i).select_option("forbid" if i % 2 else selects.nth(i).locator("option").nth(2).get_attribute("value"))
    page.fill("#review-by", 'Ann "=cmd" <b>')
    assert NASTY[1] in page.inner_text("#review")  # the <script> name, as text
    k = read_knowledge(download(page, "#download-knowledge", tmp_path / "k.yaml"))
    assert {n for d in k.decisions for n in (d.source, d.target)} <= set(names)
    assert len(k.decisions) == selects.count()
    assert {d.by for d in k.decisions} == {'Ann "=cmd" <b>'}
    assert not dialogs
    run("discover", tmp_path / "d.csv", "--llm", "simulated", "--truth", tmp_path / "truth.csv", "--profile",
        "perfect", "--knowledge", tmp_path / "k.yaml", "--out", tmp_path / "again", "--quiet", "--no-cache")
