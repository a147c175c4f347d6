"""Merge policies on small hand-built cases: cycles, reversed compelled edges, LLM-only edges, priors."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from causalllm.graph import add_edge, directed_part, make_graph, pair_key
from causalllm.merge import _break_cycles, build_rows, calibrate, classify_triples, merge, robust_orientations
from causalllm.data import Dataset
from causalllm.pc import PCDiscovery
from causalllm.priors import PairAnswer


def linear_data(edges, n=4000, seed=0, nodes=None):
    G = nx.DiGraph(edges)
    if nodes:
        G.add_nodes_from(nodes)
    rng = np.random.default_rng(seed)
    X = {}
    for v in nx.topological_sort(G):
        X[v] = rng.normal(size=n) + sum(rng.uniform(0.5, 0.9) * X[u] for u in G.predecessors(v))
    return pd.DataFrame({v: X[v] for v in sorted(G.nodes)})


def fit(edges, **kw):
    df = linear_data(edges, **kw)
    return Dataset.from_frame(df), PCDiscovery(alpha=0.01).fit(df)


def ans(a, b, answer="-->", conf=0.9, consistent=True):
    s, t = sorted((a, b))
    if (s, t) != (a, b) and answer in ("-->", "<--"):
        answer = "<--" if answer == "-->" else "-->"
    return pair_key(a, b), PairAnswer(s, t, answer, conf, consistent, "r")


CALIB = [("p1", "q1"), ("r1", "q1"), ("q1", "s1"), ("p2", "q2"), ("r2", "q2"), ("p3", "q3"), ("r3", "q3")]


def test_robust_orientations_and_calibration():
    ds, pc = fit(CALIB)
    triples = classify_triples(pc)
    assert any(t.kind == "collider" and t.z == "q1" for t in triples)
    R = robust_orientations(pc, triples)
    # the colliders' edges only: q1 -> s1 follows by Meek's rules, which robust orientations leave out
    assert {(u, v) for u, v, m in R.edges(data="mark") if m == "-->"} == set(CALIB) - {("q1", "s1")}
    good = dict(ans(u, v) for u, v in CALIB)
    cal = calibrate(good, R)
    assert (cal["agree"], cal["disagree"]) == (6, 0) and cal["trust"] > 0.6
    bad = dict(ans(v, u) for u, v in CALIB)
    assert calibrate(bad, R)["trust"] == 0.0


def test_auto_skips_cycle_and_forbidden_collider_and_records_why():
    edges = CALIB + [("x", "y"), ("y", "z"), ("x", "z"), ("a", "b"), ("b", "c")]
    ds, pc = fit(edges)
    assert pc.graph_.edges["x", "y"]["mark"] == "---" and pc.graph_.edges["a", "b"]["mark"] == "---"
    pairs = dict(ans(u, v) for u, v in CALIB)
    pairs.update([ans("z", "x", conf=0.95), ans("x", "y", conf=0.9), ans("y", "z", conf=0.8),  # a cycle
                  ans("a", "b", conf=0.9), ans("c", "b", conf=0.8)])  # a collider at b, which separates a and c
    out = merge(pc, pairs, "auto")
    G = out.graph
    assert nx.is_directed_acyclic_graph(directed_part(G))
    skipped = {(s["source"], s["target"]): s["reason"] for s in out.info["skipped"]}
    assert "cycle" in skipped[("y", "z")]
    assert "v-structure" in skipped[("c", "b")] and "separating" in skipped[("c", "b")]
    assert G.edges["z", "x"]["mark"] == "-->" and G.edges["x", "y"]["mark"] == "-->"
    assert G.has_edge("a", "b") and G.edges["a", "b"]["mark"] == "-->"
    assert G.edges["b", "c"]["mark"] == "-->"  # Meek's rule 1 from a -> b, not the LLM's c -> b
    rows, F = build_rows(ds, pc, pairs, out, {}, True)
    r = {(x["source"], x["target"]): x for x in rows}
    assert r[("x", "y")]["status"] == "oriented_by_llm" and "expected accuracy" in r[("x", "y")]["decision"]
    assert r[("b", "c")]["status"] == "reversed" and r[("b", "c")]["kept"] == "neither"


def test_orient_policy_keeps_data_and_orients_undirected_with_meek():
    ds, pc = fit([("a", "b"), ("b", "c"), ("c", "d")])
    pairs = dict([ans("a", "b")])
    out = merge(pc, pairs, "orient")
    assert {(u, v) for u, v, m in out.graph.edges(data="mark") if m == "-->"} == {("a", "b"), ("b", "c"), ("c", "d")}
    rows, _ = build_rows(ds, pc, pairs, out, {}, True)
    by = {(x["source"], x["target"]): x for x in rows}
    assert by[("a", "b")]["status"] == "oriented_by_llm" and by[("b", "c")]["kept"] == "meek"


def test_orient_policy_cycle_is_skipped():
    ds, pc = fit([("x", "y"), ("y", "z"), ("x", "z")], seed=1)
    assert {m for _, _, m in pc.graph_.edges(data="mark")} == {"---"} and pc.graph_.number_of_edges() == 3
    pairs = dict([ans("z", "x", conf=0.95), ans("x", "y", conf=0.9), ans("y", "z", conf=0.8)])
    out = merge(pc, pairs, "orient")
    assert nx.is_directed_acyclic_graph(directed_part(out.graph))
    assert [s for s in out.info["skipped"] if (s["source"], s["target"]) == ("y", "z")]


def test_reversed_compelled_edge_data_kept_with_reason():
    ds, pc = fit([("a", "c"), ("b", "c")])
    assert pc.graph_.edges["a", "c"]["mark"] == "-->"  # compelled by the collider
    pairs = dict([ans("c", "a", conf=0.99), ans("b", "c")])
    why = {"auto": "beats the expert", "orient": "orient policy keeps", "report": "report policy never changes"}
    for policy in ("auto", "orient", "report"):
        out = merge(pc, pairs, policy)
        rows, F = build_rows(ds, pc, pairs, out, {}, True)
        r = next(x for x in rows if {x["source"], x["target"]} == {"a", "c"})
        assert r["status"] == "reversed" and r["kept"] == "data" and (r["source"], r["target"]) == ("a", "c")
        assert F.edges["a", "c"]["status"] == "reversed"
        assert why[policy] in r["decision"], (policy, r["decision"])


def test_llm_only_edge_shows_separating_set():
    ds, pc = fit([("a", "b"), ("b", "c")])
    pairs = dict([ans("a", "b"), ans("b", "c"), ans("a", "c", conf=0.8)])
    out = merge(pc, pairs, "auto")
    rows, F = build_rows(ds, pc, pairs, out, {}, True)
    r = next(x for x in rows if {x["source"], x["target"]} == {"a", "c"})
    assert r["status"] == "llm_only" and r["in_graph"] is False and r["pc"] == "none"
    assert r["sepset"] == "b" and r["p_value"] > 0.01 and "independent given {b}" in r["decision"]
    assert not F.has_edge("a", "c") and not F.has_edge("c", "a")


def test_data_only_and_unresolved():
    ds, pc = fit([("a", "b"), ("b", "c")])
    pairs = dict([ans("a", "b", "none"), ans("b", "c", "-->", consistent=False)])
    out = merge(pc, pairs, "auto")
    rows, _ = build_rows(ds, pc, pairs, out, {}, True)
    st = {frozenset((x["source"], x["target"])): x["status"] for x in rows}
    assert st[frozenset("ab")] == "data_only" and st[frozenset("bc")] == "unresolved"


def test_prior_policy_honours_and_lists_violations():
    ds, pc = fit([("a", "b"), ("b", "c"), ("p", "q")], nodes=["r"])
    pairs = dict([ans("a", "b"), ans("b", "c"), ans("p", "r", conf=0.95)])  # p and r are independent
    out = merge(pc, pairs, "prior", prior_threshold=0.7, dataset=ds)
    G = out.graph
    assert G.edges["a", "b"]["mark"] == "-->" and G.edges["b", "c"]["mark"] == "-->"
    assert out.info["required"] == 3
    v = out.info["violations"]
    assert len(v) == 1 and (v[0]["source"], v[0]["target"]) == ("p", "r") and "removed" in v[0]["problem"]


def test_break_cycles_deterministic():
    G = make_graph("abc")
    for u, v in [("a", "b"), ("b", "c"), ("c", "a")]:
        add_edge(G, u, v)
    done = _break_cycles(G, {pair_key("a", "b"): 2.0, pair_key("b", "c"): 0.5, pair_key("c", "a"): 1.0})
    assert done[0]["source"] == "b" and G.edges["b", "c"]["mark"] == "---"
    assert nx.is_directed_acyclic_graph(directed_part(G))


def test_unknown_policy():
    from causalllm.errors import ConfigError

    ds, pc = fit([("a", "b")])
    with pytest.raises(ConfigError, match="unknown --merge policy"):
        merge(pc, {}, "magic")


def test_fci_verdicts_for_suggested_latent_confounders():
    from causalllm.checks import fci_confounders

    rng = np.random.default_rng(5)
    n = 6000
    L = rng.normal(size=n)
    c, d = rng.normal(size=n), rng.normal(size=n)
    a = 0.9 * L + 0.8 * c + rng.normal(size=n)
    b = 0.9 * L + 0.8 * d + rng.normal(size=n)
    e = 0.9 * c + rng.normal(size=n)  # c and e unconfounded and independent of b
    df = pd.DataFrame({"a": a, "b": b, "c": c, "d": d, "e": e})
    ds = Dataset.from_frame(df)
    pc = PCDiscovery(alpha=0.01).fit(ds)
    latent = {"name": "hidden factor", "measured": False, "rationale": ""}
    rows = fci_confounders(ds, pc, {pair_key("a", "b"): [latent], pair_key("b", "e"): [latent],
                                    pair_key("a", "c"): [dict(latent), {"name": "d", "measured": True}]})
    v = {(r["source"], r["target"], r["confounder"]): r["fci_verdict"] for r in rows}
    assert v[("a", "b", "hidden factor")] == "data supports"      # FCI: a <-> b
    assert v[("b", "e", "hidden factor")] == "data contradicts"   # FCI separates b and e
    assert v[("a", "c", "hidden factor")] == "data silent"        # FCI: c o-> a
    assert v[("a", "c", "d")] == "measured column"


def test_falsification_true_graph_beats_permutations_wrong_graph_does_not():
    from causalllm.checks import falsify_graph

    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "e"), ("e", "f"), ("f", "d")]
    ds, pc = fit(edges, n=3000, seed=2)
    good = falsify_graph(nx.DiGraph(edges), pc, n_permutations=19, seed=0)
    assert good["informative"] and good["p_value"] <= 0.05 and good["share_violated"] < 0.2
    wrong = nx.DiGraph([("d", "a"), ("c", "a"), ("f", "b"), ("e", "b"), ("d", "e"), ("c", "f")])
    bad = falsify_graph(wrong, pc, n_permutations=19, seed=0)
    assert not bad["informative"] and bad["share_violated"] > good["share_violated"]
    assert bad["violations"] and {"node", "independent_of", "given", "p_value"} <= set(bad["violations"][0])
