"""An expert judged by how it behaves across its replies: position, template copy, the same reply to
everything, zero confidence — unusable, counted, said, and without effect on the graph; and the LLM's
graph is falsified on its own consistent claims only."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner
from fakes import FakeChatModel, small_ds

from causalllm.cli import cli
from causalllm.contract import BEHAVIOURS
from causalllm.expert.asker import LLMPriors


def _names(messages):
    text = " ".join(m["content"] for m in messages)
    return re.search(r"Variable A: (.*)\n", text).group(1), re.search(r"Variable B: (.*)\n", text).group(1)


def _fit(script, **kw):
    return LLMPriors(FakeChatModel(script), strategy="all", confounders=kw.pop("confounders", "none"), **kw
                     ).fit(small_ds())


def test_a_reply_that_copies_the_template_is_unusable_and_so_is_its_confounder():
    def script(messages, n):
        if "confounders" in messages[-1]["content"].lower() and "Reply with JSON: {\"confounders\"" in \
                messages[-1]["content"]:
            return json.dumps({"confounders": [{"name": "short name", "rationale": "one sentence"},
                                               {"name": "air pollution", "rationale": "both"}]})
        a, b = _names(messages)
        cause = min(a, b)
        return json.dumps({"answer": "A->B" if cause == a else "B->A", "confidence": 0.5 + n % 7 / 20,
                           "rationale": "one or two sentences" if "tar" in (a, b) else f"{cause} acts first"})

    pr = _fit(script, confounders="all")
    for key, p in pr.pairs_.items():
        if "tar" in key:
            assert (p.answer, p.rationale) == ("invalid", BEHAVIOURS["template"]), key
        else:
            assert p.answer in ("-->", "<--"), key
    assert pr.stats_["behaviour"] == {"template": 3}
    assert all([c["name"] for c in items] == ["air pollution"] for items in pr.confounders_.values())


def test_the_same_reply_to_every_question_is_unusable():
    pr = _fit(lambda m, n: json.dumps({"answer": "none", "confidence": 0.7, "rationale": "They are unrelated."}),
              both_orders=False)
    assert {p.answer for p in pr.pairs_.values()} == {"invalid"}
    assert pr.stats_["behaviour"] == {"constant": 6}
    # the same answer with reasons that differ is an expert's view, not a behaviour
    pr = _fit(lambda m, n: json.dumps({"answer": "none", "confidence": 0.7,
                                       "rationale": f"{_names(m)[0]} and {_names(m)[1]} are unrelated."}),
              both_orders=False)
    assert {p.answer for p in pr.pairs_.values()} == {"none"}
    assert pr.stats_["behaviour"] == {}


def test_a_direction_claimed_with_zero_confidence_is_unusable():
    def script(messages, n):
        a, b = _names(messages)
        cause = min(a, b)
        conf = 0.0 if {a, b} == {"smoking", "tar"} else 0.8 - n % 5 / 20
        return json.dumps({"answer": "A->B" if cause == a else "B->A", "confidence": conf, "rationale": f"{cause}."})

    pr = _fit(script)
    assert pr.pairs_[frozenset(("smoking", "tar"))].answer == "invalid"
    assert pr.pairs_[frozenset(("smoking", "tar"))].rationale == BEHAVIOURS["zero_confidence"]
    assert pr.stats_["behaviour"] == {"zero_confidence": 1}
    assert sum(p.answer in ("-->", "<--") for p in pr.pairs_.values()) == 5


def test_a_position_biased_server_changes_nothing_and_is_named_everywhere(tmp_path):
    """Through the CLI and the real wire: every reply 'A->B' (SmolLM2-135M's behaviour on llama.cpp)."""
    from fakes import model_for  # noqa: F401 - the fake server speaks the OpenAI protocol
    from fakeserver import FakeServer, completion

    def script(body, n):
        if body["response_format"]["json_schema"]["name"] == "confounders":
            return 200, {}, completion(json.dumps({"confounders": [{"name": "short name", "rationale": "x"}]}))
        return 200, {}, completion(json.dumps({"answer": "A->B", "confidence": 0.9, "rationale": f"reason {n}"}))

    with FakeServer(script) as srv:
        out = tmp_path / "o"
        res = CliRunner().invoke(cli, ["discover", "asia", "--base-url", srv.url, "--model", "tiny", "--out",
                                       str(out), "--format", "dot"], env={"OPENAI_API_KEY": "sk-test-not-real"})
    said = " ".join(res.output.split())
    assert "the answers follow the question order" in said
    m = json.loads((out / "manifest.json").read_text())
    assert m["llm_health"]["usable"] == 0
    assert m["llm_health"]["behaviour"]["position"] == m["llm_health"]["asked"]
    assert "follow the question order" in (out / "report.html").read_text()
    ref = tmp_path / "ref"
    CliRunner().invoke(cli, ["discover", "asia", "--llm", "none", "--out", str(ref), "--format", "dot"])
    graph = sorted((r.split(",")[0], r.split(",")[1], r.split(",")[3]) for r in
                   (out / "edges.csv").read_text().splitlines()[1:] if r.split(",")[2] == "true")
    data = sorted((r.split(",")[0], r.split(",")[1], r.split(",")[3]) for r in
                  (ref / "edges.csv").read_text().splitlines()[1:] if r.split(",")[2] == "true")
    assert graph == data  # the data side's graph, exactly
    assert "short name" not in (out / "report.html").read_text()  # the copied placeholder is no confounder


def test_falsification_judges_the_llms_own_claims_and_says_when_they_are_too_few():
    from causalllm.data import load_dataset
    from causalllm.discovery.crosscheck import falsify_graph
    from causalllm.discovery.pc import PCDiscovery
    from causalllm.expert.answers import PairAnswer, llm_graph

    ds = load_dataset("asia")
    pc = PCDiscovery().fit(ds)
    pairs = {frozenset(("smoke", "lung")): PairAnswer("lung", "smoke", "<--", 0.9, True),
             frozenset(("tub", "either")): PairAnswer("either", "tub", "<--", 0.9, False)}  # inconsistent: no claim
    G, _ = llm_graph(pairs, ds.columns)
    assert sorted(G.edges) == [("smoke", "lung")]
    f = falsify_graph(G, pc)
    assert not f["informative"]
    assert "too few to tell" in f["verdict"]
    assert "the data supports its structure" not in f["verdict"]


def test_profiles_that_behave_like_real_models():
    """``cautious`` (a recorded GPT-4's error profile) and ``position-biased`` (a tiny model's), asked as a
    run asks: both orders of every pair of Alarm."""
    from itertools import combinations

    import networkx as nx

    from causalllm.expert.simulate import SimulatedExpert
    from causalllm.graph import read_graph

    T = nx.DiGraph([(u, v) for u, v, m in read_graph("datasets/alarm/truth.csv").edges(data="mark")])
    cautious = SimulatedExpert(T, profile="cautious", seed=0)
    edges = {"abstain": 0, "reversed": 0, "n": 0}
    others = {"claims": 0, "n": 0}
    for a, b in combinations(sorted(T.nodes), 2):
        one, two = cautious.direction(a, b)["answer"], cautious.direction(b, a)["answer"]
        flipped = {"A->B": "B->A", "B->A": "A->B"}.get(two, two)
        assert one == flipped  # both orders agree: an abstention is not an inconsistency
        if T.has_edge(a, b) or T.has_edge(b, a):
            edges["n"] += 1
            edges["abstain"] += one == "unsure"
            edges["reversed"] += one == ("B->A" if T.has_edge(a, b) else "A->B")
        else:
            others["n"] += 1
            others["claims"] += one in ("A->B", "B->A")
    assert 0.15 < edges["abstain"] / edges["n"] < 0.35
    assert edges["reversed"] <= 1
    assert 0.33 < others["claims"] / others["n"] < 0.47
    biased = SimulatedExpert(T, profile="position-biased", seed=0)
    assert {biased.direction(a, b)["answer"] for a, b in list(combinations(sorted(T.nodes), 2))[:50]} == {"A->B"}


def test_a_position_biased_expert_gains_nothing_over_the_data_side():
    from causalllm.bench.evaluate import evaluate

    res = evaluate(["asia"], profiles=["position-biased", "cautious"], merges=["auto"], seeds=1, rows=[3000])
    s = {(r["expert"], r["method"]): r for r in res["summary"]}
    assert s[("position-biased", "auto")]["gain_orientation_f1"] == 0.0
    assert s[("position-biased", "auto")]["shd"] == s[("-", "data")]["shd"]
    assert s[("cautious", "auto")]["gain_orientation_f1"] >= 0.0
