"""`causalllm evaluate`: small fast grids, the perfect expert, Tübingen pairs, the CLI outputs."""

from __future__ import annotations

import json

import pytest

from causalllm.bench.evaluate import evaluate, markdown_table, parse_profiles
from causalllm.bench.pairs import evaluate_pairs
from causalllm.config import LLMConfig, RunConfig
from causalllm.data import load_dataset
from causalllm.discovery.pc import PCDiscovery
from causalllm.expert.asker import LLMPriors
from causalllm.expert.client import open_llm
from causalllm.graph import read_graph
from causalllm.merge import merge


def test_grid_small(tmp_path):
    res = evaluate(["cancer"], rows=[3000], seeds=2, profiles=["perfect", "random"], merges=["auto", "report"],
                   config=RunConfig.from_options(cache=str(tmp_path / "c.sqlite")))
    s = {(r["expert"], r["method"]): r for r in res["summary"]}
    assert set(s) == {("-", "pc"), ("-", "data"), ("perfect", "llm"), ("perfect", "auto"), ("perfect", "report"),
                      ("random", "llm"), ("random", "auto"), ("random", "report")}
    assert s[("perfect", "llm")]["shd"] == 0
    assert s[("perfect", "llm")]["orientation_f1"] == 1.0
    assert s[("random", "llm")]["orientation_f1"] < 0.8
    for r in res["summary"]:
        assert r["runs"] == 2
        assert r["rows"] == 3000
        assert 0 <= r["adjacency_f1"] <= 1
    assert s[("perfect", "report")]["shd"] == s[("-", "data")]["shd"]  # report never changes the data side's graph
    # every expert's row carries its gain over the data side alone, which the table shows
    assert s[("perfect", "auto")]["gain_orientation_f1"] == pytest.approx(
        s[("perfect", "auto")]["orientation_f1"] - s[("-", "data")]["orientation_f1"])
    assert s[("perfect", "report")]["gain_orientation_f1"] == pytest.approx(0.0)
    table = markdown_table(res["summary"])
    assert table.count("\n") == len(res["summary"]) + 1
    assert "± " in table


def test_perfect_expert_recovers_orientations_pc_leaves_undirected():
    ds = load_dataset("asia")
    truth = read_graph(ds.truth_path)
    pc = PCDiscovery().fit(ds)
    undirected = [(u, v) for u, v, m in pc.graph_.edges(data="mark")
                  if m == "---" and (truth.has_edge(u, v) or truth.has_edge(v, u))]
    assert undirected, "asia's PC graph should leave some true edges undirected"
    with open_llm(LLMConfig(backend="simulated", profile="perfect"), environ={}, truth=str(ds.truth_path)) as (model, _):
        asker = LLMPriors(model, confounders="none").fit(ds, pc)
    for policy in ("orient", "auto"):
        G = merge(pc, asker.pairs_, policy).graph
        for u, v in undirected:
            want = (u, v) if truth.has_edge(u, v) else (v, u)
            assert G.has_edge(*want), (policy, want)
            assert G.edges[want]["mark"] == "-->", (policy, want)


def test_flip_sweep_profiles_parse():
    assert parse_profiles("gpt4,flip=0.1,0.3,0.5,random") == ["gpt4", "flip=0.1", "flip=0.3", "flip=0.5", "random"]


def test_tuebingen_pairs(tmp_path):
    cfg = RunConfig.from_options(cache=str(tmp_path / "c.sqlite"))
    perfect = evaluate_pairs(profile="perfect", config=cfg)
    assert perfect["accuracy"] == 1.0
    assert perfect["order_consistency"] == 1.0
    assert perfect["pairs"] >= 95
    assert abs(perfect["total_weight"] - 37.5) < 1.0  # weights of the univariate pairs
    rnd = evaluate_pairs(profile="random", config=cfg)
    assert rnd["accuracy"] < 0.6
    assert rnd["order_consistency"] < 0.6


def test_cli_evaluate_outputs(run, tmp_path):
    res = run("evaluate", "earthquake", "--seeds", "1", "--profile", "gpt4", "--merge", "auto,orient",
              "--rows", "2000", "--out", tmp_path, "--cache", tmp_path / "c.sqlite", "--quiet")
    assert "| earthquake | 2000 | gpt4 | auto |" in res.stdout
    data = json.loads((tmp_path / "results.json").read_text())
    assert {r["method"] for r in data["records"]} == {"pc", "data", "llm", "auto", "orient"}
    assert (tmp_path / "results.png").read_bytes()[:4] == b"\x89PNG"
    res = run("evaluate", "--pairs", "tuebingen", "--profile", "perfect", "--cache", tmp_path / "c.sqlite")
    assert "accuracy             1.0" in res.stdout
    assert "SIMULATED" in res.stdout


def test_cli_evaluate_bad_input(run):
    res = run("evaluate", "nosuchdataset", ok=False)
    assert res.exit_code == 1
    assert "neither a bundled dataset" in res.stderr
    res = run("evaluate", "asia", "--merge", "magic", ok=False)
    assert res.exit_code == 1
    assert "unknown --merge magic" in res.stderr


def test_from_network_samples_fresh_rows(tmp_path):
    from causalllm.bench.networks import network_sample

    a = network_sample("asia", 500, 0, ["asia", "tub", "smoke"])
    b = network_sample("asia", 500, 1, ["asia", "tub", "smoke"])
    assert list(a.columns) == ["asia", "tub", "smoke"]
    assert len(a) == 500
    assert set(a["smoke"]) <= {"yes", "no"}
    assert not a.equals(b)
    assert a.equals(network_sample("asia", 500, 0, ["asia", "tub", "smoke"]))  # seeded
    res = evaluate(["asia"], rows=[3000], seeds=2, profiles=["perfect"], merges=["auto"], from_network=True,
                   config=RunConfig.from_options(cache=str(tmp_path / "c.sqlite")))
    pcs = [r for r in res["records"] if r["method"] == "pc"]
    assert [r["rows"] for r in pcs] == [3000, 3000]
    assert res["options"]["from_network"]


def test_gaussian_networks_and_folders_in_one_command(tmp_path):
    """--from-network also samples pgmpy's linear-Gaussian networks (bundled as JSON), and a dataset folder
    given beside a network keeps its own rows."""
    ds = load_dataset("cancer")
    folder = tmp_path / "mine"
    folder.mkdir()
    ds.frame.to_csv(folder / "data.csv", index=False)
    (folder / "truth.csv").write_text(ds.truth_path.read_text())
    res = evaluate(["ecoli70", str(folder)], profiles=["perfect"], merges=["auto"], seeds=1, rows=[2000],
                   from_network=True)
    s = {(r["dataset"], r["expert"], r["method"]): r for r in res["summary"]}
    assert s[("ecoli70", "-", "pc")]["rows"] == 2000
    assert s[("ecoli70", "-", "pc")]["adjacency_f1"] > 0.6  # Fisher-z on continuous samples: a real skeleton
    assert s[("mine", "-", "pc")]["rows"] == 2000
    assert s[("ecoli70", "perfect", "auto")]["gain_orientation_f1"] > 0
