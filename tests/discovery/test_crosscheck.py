"""Cross-checks of the LLM's claims against the data: FCI for confounders, local-Markov falsification."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from fakes import fit

from causalllm.data import Dataset
from causalllm.discovery.crosscheck import falsify_graph, fci_confounders, lmc_implications
from causalllm.discovery.pc import PCDiscovery
from causalllm.graph import pair_key


def test_fci_verdicts_for_suggested_latent_confounders():
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
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "e"), ("e", "f"), ("f", "d")]
    _ds, pc = fit(edges, n=3000, seed=2)
    good = falsify_graph(nx.DiGraph(edges), pc, n_permutations=19, seed=0)
    assert good["informative"]
    assert good["p_value"] <= 0.05
    assert good["share_violated"] < 0.2
    wrong = nx.DiGraph([("d", "a"), ("c", "a"), ("f", "b"), ("e", "b"), ("d", "e"), ("c", "f")])
    bad = falsify_graph(wrong, pc, n_permutations=19, seed=0)
    assert not bad["informative"]
    assert bad["share_violated"] > good["share_violated"]
    assert bad["violations"]
    assert {"node", "independent_of", "given", "p_value"} <= set(bad["violations"][0])


def test_without_fci_latent_confounders_are_not_checked():
    ds, pc = fit([("a", "b")])
    rows = fci_confounders(ds, pc, {pair_key("a", "b"): [{"name": "z", "measured": False}]}, run_fci=False)
    assert [r["fci_verdict"] for r in rows] == ["not checked"]


def test_lmc_implications_of_a_collider():
    assert lmc_implications(nx.DiGraph([("a", "c"), ("b", "c")])) == [("a", "b", ()), ("b", "a", ())]

