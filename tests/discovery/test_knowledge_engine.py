"""Background knowledge on the native engine: causal-learn's output where the algorithm is the same,
the one documented difference where it is not, every test (Fisher-z, G², χ², CG, DG), streamed tables;
and the property that no final arrow ever contradicts the knowledge, whatever the test, the policy
and the expert (a fixed seed, well over 200 generated cases)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from checks import check_rows, expert
from fakes import linear_data

from causalllm.data import Dataset, load_dataset
from causalllm.data.knowledge import Knowledge
from causalllm.discovery.pc import PCDiscovery
from causalllm.graph import read_graph
from causalllm.merge import merge
from causalllm.merge.policies import POLICIES
from causalllm.merge.rows import build_rows


def _random_knowledge(names: list[str], rng: np.random.Generator, *, both_ways: bool = True) -> Knowledge:
    """Tiers over a random part of the columns, a few required and forbidden edges, consistent with them."""
    order = list(rng.permutation(names))
    cut = sorted(rng.choice(range(1, len(order)), size=2, replace=False))
    tiers = tuple(tuple(t) for t in (order[:cut[0]], order[cut[0]:cut[1]]) if t)
    k = Knowledge(tiers=tiers)
    forbid = set(k.forbidden_edges())
    pairs = [tuple(rng.choice(names, 2, replace=False)) for _ in range(6)]
    required = tuple(dict.fromkeys((a, b) for a, b in pairs[:2] if (a, b) not in forbid and (b, a) not in pairs[:2]))
    forbidden = [(a, b) for a, b in pairs[2:] if (a, b) not in required and (b, a) not in required]
    if both_ways and forbidden:
        forbidden.append(forbidden[0][::-1])  # one pair forbidden both ways: never adjacent
    else:
        forbidden = [(a, b) for a, b in forbidden if (b, a) not in forbidden and (b, a) not in forbid]
    return Knowledge(tiers=tiers, required=required, forbidden=tuple(dict.fromkeys(forbidden)), source="k")


def _arrows_against(G: nx.DiGraph, k: Knowledge) -> list[tuple[str, str]]:
    against = set(k.forbidden_edges()) | {(b, a) for a, b in k.required}
    return [(u, v) for u, v, m in G.edges(data="mark") if m == "-->" and (u, v) in against]


@pytest.mark.parametrize("name", ["asia", "sachs", "child", "survey"])
def test_native_knowledge_equals_causal_learn(name):
    ds = load_dataset(name)
    for seed in range(3):
        k = _random_knowledge(ds.columns, np.random.default_rng(seed), both_ways=False)
        kw = dict(required=k.required, forbidden=k.forbidden_edges(), determinism=False,
                  min_rows_per_stratum=0)
        a, b = PCDiscovery(**kw).fit(ds), PCDiscovery(engine="causal-learn", **kw).fit(ds)
        assert (a.engine_, b.engine_) == ("native", "causal-learn")
        assert sorted(a.graph_.edges(data="mark")) == sorted(b.graph_.edges(data="mark")), (name, seed)
        assert a.sepsets_ == b.sepsets_
        assert a.n_tests_ == b.n_tests_


def test_a_pair_forbidden_both_ways_invents_no_collider():
    df = linear_data([("a", "b"), ("b", "c")], n=5000)
    forbid = [("a", "c"), ("c", "a")]
    native = PCDiscovery(forbidden=forbid).fit(df)
    reference = PCDiscovery(forbidden=forbid, engine="causal-learn").fit(df)
    # causal-learn removes a–c untested with an empty separating set: a false collider at b
    assert reference.graph_.edges["a", "b"]["mark"] == "-->"
    assert reference.graph_.edges["c", "b"]["mark"] == "-->"
    # the native engine tests it (b separates a and c) and keeps the chain's equivalence class
    assert native.sepsets_[frozenset("ac")] == ("b",)
    assert {m for _, _, m in native.graph_.edges(data="mark")} == {"---"}
    # when no test separates the pair, it is removed with no separating set, and makes no collider
    df2 = linear_data([("a", "b"), ("b", "c"), ("a", "c")], n=5000)
    vetoed = PCDiscovery(forbidden=forbid).fit(df2)
    assert vetoed.vetoed_ == [("a", "c")]
    assert frozenset("ac") not in vetoed.sepsets_
    assert not vetoed.graph_.has_edge("a", "c")
    assert not vetoed.graph_.has_edge("c", "a")
    assert {m for _, _, m in vetoed.graph_.edges(data="mark")} == {"---"}


def _mixed(n: int, seed: int) -> tuple[pd.DataFrame, nx.DiGraph]:
    """A small mixed table (Auto-MPG-like: continuous and discrete columns) from a known DAG."""
    edges = [("cyl", "disp"), ("disp", "weight"), ("cyl", "weight"), ("weight", "mpg"), ("disp", "hp"),
             ("hp", "mpg"), ("origin", "cyl")]
    df = linear_data(edges, n=n, seed=seed)
    for c in ("cyl", "origin"):
        df[c] = pd.qcut(df[c], 3, labels=False).astype(int).astype(str)
    return df, nx.DiGraph(edges)


@pytest.mark.parametrize("test", ["fisherz", "gsq", "chisq", "cg", "dg"])
def test_every_native_test_takes_knowledge(test):
    df, _ = _mixed(1500, 0)
    k = Knowledge(tiers=(("origin", "cyl"), ("disp", "weight", "hp"), ("mpg",)), source="k")
    pc = PCDiscovery(test=test, required=k.required, forbidden=k.forbidden_edges()).fit(Dataset.from_frame(df))
    assert pc.engine_ == "native"
    assert not _arrows_against(pc.graph_, k)


def _cases():
    """(dataset, truth, test) for the property test: bundled networks and random graphs, every native test."""
    out = []
    for name, test in (("asia", "gsq"), ("sachs", "fisherz"), ("cancer", "chisq")):
        ds = load_dataset(name)
        out.append((ds, nx.DiGraph([(u, v) for u, v, m in read_graph(ds.truth_path).edges(data="mark")]), test))
    rng = np.random.default_rng(7)
    for i, test in enumerate(["fisherz", "cg", "dg", "gsq", "fisherz", "cg"]):
        names = [f"v{j}" for j in range(7)]
        edges = [(names[a], names[b]) for a in range(7) for b in range(a + 1, 7) if rng.random() < 0.3]
        df = linear_data(edges, n=1200, seed=i, nodes=names)
        if test in ("cg", "dg", "gsq"):
            for c in names[:: 2 if test != "gsq" else 1]:
                df[c] = pd.qcut(df[c], 3, labels=False).astype(int).astype(str)
        out.append((Dataset.from_frame(df), nx.DiGraph(edges), test))
    return out


def test_no_final_arrow_ever_contradicts_the_knowledge():
    rng = np.random.default_rng(2026)
    checked = 0
    for ds, truth, test in _cases():
        truth.add_nodes_from(ds.columns)
        for _ in range(2):
            k = _random_knowledge(ds.columns, rng)
            pc = PCDiscovery(test=test, required=k.required, forbidden=k.forbidden_edges()).fit(ds)
            assert not _arrows_against(pc.graph_, k)
            for accuracy in (1.0, 0.6, 0.0, None):  # perfect, fair, adversarial, useless
                pairs = expert(pc, truth, accuracy, 0.1, seed=checked)
                for policy in POLICIES:
                    out = merge(pc, pairs, policy, knowledge=k)
                    where = (test, policy, accuracy, k)
                    assert not _arrows_against(out.graph, k), where
                    assert not _arrows_against(out.data_graph, k), where
                    assert not [v for v in out.info.violations if "forbidden" in v["problem"]], where
                    rows, _ = build_rows(ds, pairs, {}, pc=out.refit or pc, outcome=out)
                    check_rows(rows, out.graph, out.data_graph, out.refit or pc, pairs, policy, k)
                    checked += 1
    assert checked >= 200


def test_a_mixed_table_with_its_tier_file_through_the_cli(tmp_path):
    """The Auto-MPG case: mixed columns, the default test (conditional Gaussian), the tier file as it
    comes, an adversarial expert: the native engine takes the tiers and no drawn arrow contradicts them."""
    import json

    from click.testing import CliRunner

    from causalllm.cli import cli

    df, truth = _mixed(1500, 1)
    df.to_csv(tmp_path / "cars.csv", index=False)
    (tmp_path / "tiers.csv").write_text("name,tier\norigin,1\ncyl,1\ndisp,2\nweight,2\nhp,2\nmpg,3\n")
    reversed_truth = "source,target\n" + "".join(f"{v},{u}\n" for u, v in truth.edges)
    (tmp_path / "wrong.csv").write_text(reversed_truth)
    out = tmp_path / "o"
    res = CliRunner().invoke(cli, ["discover", str(tmp_path / "cars.csv"), "--knowledge", str(tmp_path / "tiers.csv"),
                                   "--llm", "simulated", "--profile", "perfect", "--truth", str(tmp_path / "wrong.csv"),
                                   "--out", str(out), "--format", "dot"])
    assert res.exit_code == 0, res.output
    m = json.loads((out / "manifest.json").read_text())
    assert (m["engine"]["name"], m["engine"]["test"]) == ("native", "cg")
    k = Knowledge(tiers=(("origin", "cyl"), ("disp", "weight", "hp"), ("mpg",)))
    G = read_graph(out / "edges.csv")
    assert not _arrows_against(G, k)
    assert m["knowledge"]["not_honoured"] == []
    assert m["knowledge"]["analyst_edges"] >= 1
    edges = pd.read_csv(out / "edges.csv")
    assert (edges["status"] == "analyst").sum() == m["knowledge"]["analyst_edges"]


@pytest.mark.parametrize("seed", range(30))
def test_native_meek_closure_equals_causal_learns(seed):
    """The merge's Meek closure runs without causal-learn (importing it cost 1.3 s of a 4 s run); on random
    PDAGs — some edges directed along an order, the rest undirected — with random knowledge, the graph
    equals causal-learn's ``meek`` through :func:`reference.meek_closure`."""
    from causalllm.discovery import reference
    from causalllm.discovery.meek import meek_closure
    from causalllm.graph import add_edge, make_graph

    rng = np.random.default_rng(seed)
    p = int(rng.integers(5, 12))
    names = [f"v{i}" for i in rng.permutation(p)]
    G = make_graph(names)
    for a in range(p):
        for b in range(a + 1, p):
            if rng.random() < 0.35:
                add_edge(G, names[a], names[b], "-->" if rng.random() < 0.4 else "---")
    pairs = [(names[a], names[b]) for a in range(p) for b in range(p) if a != b]
    pick = rng.permutation(len(pairs))
    forbidden = [pairs[k] for k in pick[:int(rng.integers(0, 6))]] if seed % 3 else []
    required = [pairs[k] for k in pick[6:6 + int(rng.integers(0, 3))] if pairs[k][::-1] not in forbidden] \
        if seed % 3 else []
    ours = meek_closure(G, required, forbidden)
    ref = reference.meek_closure(G, required, forbidden)
    assert sorted(ours.edges(data="mark")) == sorted(ref.edges(data="mark"))
