"""Merge policies on small hand-built cases: cycles, reversed compelled edges, priors, and a fake expert."""

from __future__ import annotations

import networkx as nx
import pytest
from fakes import CALIB, FakeChatModel, ans, fit

from causalllm.discovery.colliders import classify_triples, robust_orientations
from causalllm.errors import ConfigError
from causalllm.expert.answers import PairAnswer
from causalllm.expert.asker import LLMPriors
from causalllm.graph import add_edge, directed_part, make_graph, pair_key
from causalllm.merge import merge
from causalllm.merge.calibrate import calibrate
from causalllm.merge.model import Decision
from causalllm.merge.orient import break_cycles
from causalllm.merge.rows import build_rows


def test_auto_skips_cycle_and_forbidden_collider_and_records_why():
    edges = [*CALIB, ("x", "y"), ("y", "z"), ("x", "z"), ("a", "b"), ("b", "c")]
    ds, pc = fit(edges)
    assert pc.graph_.edges["x", "y"]["mark"] == "---"
    assert pc.graph_.edges["a", "b"]["mark"] == "---"
    pairs = dict(ans(u, v) for u, v in CALIB)
    pairs.update([ans("z", "x", conf=0.95), ans("x", "y", conf=0.9), ans("y", "z", conf=0.8),  # a cycle
                  ans("a", "b", conf=0.9), ans("c", "b", conf=0.8)])  # a collider at b, which separates a and c
    out = merge(pc, pairs, "auto")
    G = out.graph
    assert nx.is_directed_acyclic_graph(directed_part(G))
    skipped = {(s["source"], s["target"]): s["reason"] for s in out.info.skipped}
    assert "cycle" in skipped[("y", "z")]
    assert "v-structure" in skipped[("c", "b")]
    assert "separating" in skipped[("c", "b")]
    assert G.edges["z", "x"]["mark"] == "-->"
    assert G.edges["x", "y"]["mark"] == "-->"
    assert G.has_edge("a", "b")
    assert G.edges["a", "b"]["mark"] == "-->"
    assert G.edges["b", "c"]["mark"] == "-->"  # Meek's rule 1 from a -> b, not the LLM's c -> b
    rows, _F = build_rows(ds, pairs, {}, pc=pc, outcome=out)
    r = {(x["source"], x["target"]): x for x in rows}
    assert r[("x", "y")]["status"] == "oriented_by_llm"
    assert "expected accuracy" in r[("x", "y")]["decision"]
    # the data side left b - c undirected; the LLM said c -> b; Meek's rule 1 drew b -> c
    assert r[("b", "c")]["status"] == "implied"
    assert r[("b", "c")]["kept"] == "meek"


def test_orient_policy_keeps_data_and_orients_undirected_with_meek():
    ds, pc = fit([("a", "b"), ("b", "c"), ("c", "d")])
    pairs = dict([ans("a", "b")])
    out = merge(pc, pairs, "orient")
    assert {(u, v) for u, v, m in out.graph.edges(data="mark") if m == "-->"} == {("a", "b"), ("b", "c"), ("c", "d")}
    rows, _ = build_rows(ds, pairs, {}, pc=pc, outcome=out)
    by = {(x["source"], x["target"]): x for x in rows}
    assert by[("a", "b")]["status"] == "oriented_by_llm"
    assert by[("b", "c")]["kept"] == "meek"


def test_orient_policy_cycle_is_skipped():
    _ds, pc = fit([("x", "y"), ("y", "z"), ("x", "z")], seed=1)
    assert {m for _, _, m in pc.graph_.edges(data="mark")} == {"---"}
    assert pc.graph_.number_of_edges() == 3
    pairs = dict([ans("z", "x", conf=0.95), ans("x", "y", conf=0.9), ans("y", "z", conf=0.8)])
    out = merge(pc, pairs, "orient")
    assert nx.is_directed_acyclic_graph(directed_part(out.graph))
    assert [s for s in out.info.skipped if (s["source"], s["target"]) == ("y", "z")]


def test_reversed_compelled_edge_data_kept_with_reason():
    ds, pc = fit([("a", "c"), ("b", "c")])
    assert pc.graph_.edges["a", "c"]["mark"] == "-->"  # compelled by the collider
    pairs = dict([ans("c", "a", conf=0.99), ans("b", "c")])
    why = {"auto": "beats the expert", "orient": "orient policy keeps", "report": "report policy never changes"}
    for policy in ("auto", "orient", "report"):
        out = merge(pc, pairs, policy)
        rows, F = build_rows(ds, pairs, {}, pc=pc, outcome=out)
        r = next(x for x in rows if {x["source"], x["target"]} == {"a", "c"})
        assert r["status"] == "reversed"
        assert r["kept"] == "data"
        assert (r["source"], r["target"]) == ("a", "c")
        assert F.edges["a", "c"]["status"] == "reversed"
        assert why[policy] in r["decision"], (policy, r["decision"])


def test_prior_policy_honours_and_lists_violations():
    _ds, pc = fit([("a", "b"), ("b", "c"), ("p", "q")], nodes=["r"])
    pairs = dict([ans("a", "b"), ans("b", "c"), ans("p", "r", conf=0.95)])  # p and r are independent
    out = merge(pc, pairs, "prior", prior_threshold=0.7)
    G = out.graph
    assert G.edges["a", "b"]["mark"] == "-->"
    assert G.edges["b", "c"]["mark"] == "-->"
    assert out.info.required == 3
    v = out.info.violations
    assert len(v) == 1
    assert (v[0]["source"], v[0]["target"]) == ("p", "r")
    assert "removed" in v[0]["problem"]


def testbreak_cycles_deterministic():
    G = make_graph("abc")
    for u, v in [("a", "b"), ("b", "c"), ("c", "a")]:
        add_edge(G, u, v)
    done = break_cycles(G, {pair_key("a", "b"): 2.0, pair_key("b", "c"): 0.5, pair_key("c", "a"): 1.0})
    assert done[0]["source"] == "b"
    assert G.edges["b", "c"]["mark"] == "---"
    assert nx.is_directed_acyclic_graph(directed_part(G))


def test_unknown_policy():
    _ds, pc = fit([("a", "b")])
    with pytest.raises(ConfigError, match="unknown --merge policy"):
        merge(pc, {}, "magic")


def test_calibration_counts_agreement_with_robust_orientations():
    _ds, pc = fit(CALIB)
    R = robust_orientations(pc, classify_triples(pc))
    good = dict(ans(u, v) for u, v in CALIB)
    cal = calibrate(good, R)
    assert (cal["agree"], cal["disagree"]) == (6, 0)
    assert cal["trust"] > 0.6
    bad = dict(ans(v, u) for u, v in CALIB)
    # six disagreements: the expert is worse than a coin (the data's prior accuracy makes the blame the expert's)
    assert calibrate(bad, R)["trust"] < 0.2
    assert calibrate(bad, R)["trust_mean"] < 0.5


def test_few_calibration_edges_neither_silence_nor_empower():
    """The expert prior: 2 disagreements leave a good expert's expected accuracy above a coin (it may still
    orient what the data left undirected) but give nobody the lower bound to overturn data orientations."""
    R = make_graph("abcd")
    add_edge(R, "a", "b")
    add_edge(R, "c", "d")
    two_against = {pair_key("a", "b"): PairAnswer("a", "b", "<--", 0.9, True),
                   pair_key("c", "d"): PairAnswer("c", "d", "<--", 0.9, True)}
    cal = calibrate(two_against, R)
    assert cal["disagree"] == 2
    assert cal["trust_mean"] > 0.5
    assert cal["trust"] < 0.6
    nothing = calibrate({}, R)
    assert nothing["trust_mean"] == pytest.approx(0.75, abs=0.01)
    assert nothing["trust"] < 0.6
    # a long record of agreement does earn the right to overturn weak data orientations
    many = make_graph([f"n{i}" for i in range(24)])
    agree = {}
    for i in range(0, 24, 2):
        add_edge(many, f"n{i}", f"n{i + 1}")
        agree[pair_key(f"n{i}", f"n{i + 1}")] = PairAnswer(f"n{i}", f"n{i + 1}", "-->", 0.9, True)
    assert calibrate(agree, many)["trust"] > 0.6
    # with a flat prior and the data's accuracy pinned, the old behaviour: two disagreements silence the expert
    assert calibrate(two_against, R, prior=(0.5, 0.0))["trust_mean"] < 0.5


def test_merge_is_pure_and_records_a_decision_per_pc_pair():
    """merge() asks nothing and leaves PC's graph alone; every PC pair gets a typed Decision."""
    _ds, pc = fit([*CALIB, ("a", "b"), ("b", "c")])
    before = sorted(pc.graph_.edges(data="mark"))
    out = merge(pc, dict(ans(u, v) for u, v in [*CALIB, ("a", "b"), ("b", "c")]), "auto")
    assert sorted(pc.graph_.edges(data="mark")) == before
    assert set(out.decisions) == {pair_key(u, v) for u, v in pc.graph_.edges}
    assert all(isinstance(d, Decision) and d.data_class in ("robust", "weak", "undirected")
               for d in out.decisions.values())
    assert out.info.policy == "auto"
    assert out.info.robust_orientations == 6


def test_perfect_fake_expert_orients_every_undirected_true_edge():
    """LLMPriors with the in-process fake model (no HTTP), then merge."""
    edges = [*CALIB, ("x", "y"), ("y", "z")]
    ds, pc = fit(edges)
    undirected = [(u, v) for u, v, m in pc.graph_.edges(data="mark") if m == "---"]
    assert undirected
    model = FakeChatModel(truth=nx.DiGraph(edges), profile="perfect")
    asker = LLMPriors(model, confounders="none").fit(ds, pc)
    assert len(model.calls) == 2 * pc.graph_.number_of_edges()
    G = merge(pc, asker.pairs_, "auto").graph
    for u, v in undirected:
        want = (u, v) if (u, v) in edges else (v, u)
        assert G.has_edge(*want), want
        assert G.edges[want]["mark"] == "-->", want



def test_an_edge_left_undirected_to_break_a_cycle_says_so_in_decision_and_report():
    from causalllm.merge.runs import data_side, finish
    from causalllm.output.report import report_html
    from causalllm.output.result import DiscoveryResult

    ds, pc = fit([("a", "b"), ("b", "c"), ("a", "c")], seed=1)
    assert pc.graph_.number_of_edges() == 3
    pairs = dict([ans("a", "b", conf=0.9), ans("b", "c", conf=0.9), ans("c", "a", conf=0.6)])
    side = data_side(pc, pairs, "auto", None)
    G = side.graph.copy()
    for u, v in (("a", "b"), ("b", "c"), ("c", "a")):  # a policy that left a directed cycle
        add_edge(G, u, v, "-->")
    out = finish(side, G, side.decisions, None)
    assert nx.is_directed_acyclic_graph(directed_part(out.graph))
    (broken,) = out.info.cycles_broken
    assert (broken["source"], broken["target"]) == ("c", "a")  # the least supported arrow
    rows, F = build_rows(ds, pairs, {}, pc=pc, outcome=out)
    row = next(r for r in rows if {r["source"], r["target"]} == {"a", "c"})
    assert not row["directed"]
    assert "made undirected to break a directed cycle (a -> b -> c)" in row["decision"]
    html = report_html(DiscoveryResult(graph=F, pc_graph=pc.graph_, rows=rows, manifest={}, merge_info=out.info),
                       "")
    assert "cycle broken: c -&gt; a made undirected to break a directed cycle" in html
