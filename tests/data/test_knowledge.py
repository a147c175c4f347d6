"""The analyst's background knowledge: read, applied in PC and the merge, outranking the LLM, verified."""

from __future__ import annotations

import json

import pytest
from checks import check_rows, expert
from click.testing import CliRunner
from fakes import ans

from causalllm import read_graph
from causalllm.cli import cli
from causalllm.data import load_dataset
from causalllm.data.bundled import get
from causalllm.data.knowledge import Knowledge, read_knowledge
from causalllm.discovery.pc import PCDiscovery
from causalllm.errors import DataError
from causalllm.graph import mark_between
from causalllm.graph.metrics import compare
from causalllm.merge import merge
from causalllm.merge.policies import POLICIES
from causalllm.merge.rows import build_rows

ASIA = get("asia").data_path.parent / "knowledge.yaml"


def test_read_yaml_and_csv(tmp_path):
    k = read_knowledge(ASIA)
    assert k.tiers[0] == ("asia", "smoke")
    assert ("dysp", "smoke") in k.forbidden_edges()
    (tmp_path / "k.csv").write_text("kind,source,target\ntier,a,0\ntier,b,1\nrequired,a,b\nforbidden,c,a\n")
    k2 = read_knowledge(tmp_path / "k.csv")
    assert k2.tiers == (("a",), ("b",))
    assert k2.required == (("a", "b"),)
    assert set(k2.forbidden_edges()) == {("c", "a"), ("b", "a")}
    (tmp_path / "bad.yaml").write_text("tier: [[a]]\n")
    with pytest.raises(DataError, match="must be a mapping with tiers"):
        read_knowledge(tmp_path / "bad.yaml")
    with pytest.raises(DataError, match="names zzz, not columns"):
        Knowledge(required=(("a", "zzz"),), source="k").check(["a", "b"])
    with pytest.raises(DataError, match="both requires and forbids b -> a"):
        Knowledge(tiers=(("a",), ("b",)), required=(("b", "a"),), source="k").check(["a", "b"])


def test_tiers_are_enforced_and_outrank_an_adversarial_llm():
    ds = load_dataset("asia")
    truth = read_graph(ds.truth_path)
    k = read_knowledge(ASIA)
    forbid = set(k.forbidden_edges())
    plain = PCDiscovery().fit(ds)
    pc = PCDiscovery(required=k.required, forbidden=k.forbidden_edges()).fit(ds)
    wrong = expert(plain, truth, 0.0, 0.0)  # an expert that reverses every true edge
    for policy in POLICIES:
        out = merge(pc, wrong, policy, knowledge=k)
        drawn = [(u, v) for u, v, m in out.graph.edges(data="mark") if m == "-->"]
        broken = [v for v in out.info.violations if "knowledge file" in v["problem"]]
        assert not set(drawn) & forbid, (policy, broken)
        assert not broken, (policy, broken)
        rows, _ = build_rows(ds, wrong, {}, pc=pc, outcome=out)
        check_rows(rows, out.graph, out.data_graph, pc, wrong, policy, k)  # the labels stay true
        assert any(r["status"] == "analyst" for r in rows), policy
    # knowledge alone (no LLM) orients what the data could not
    assert compare(merge(pc, {}, "report", knowledge=k).graph, truth)["orientation_f1"] > \
        compare(merge(plain, {}, "report").graph, truth)["orientation_f1"]


def test_an_llm_orientation_the_knowledge_forbids_is_skipped_and_said():
    from fakes import CALIB, fit

    ds, pc = fit([*CALIB, ("a", "b")])  # the calibration edges earn the expert trust
    assert pc.graph_.edges["a", "b"]["mark"] == "---"
    k = Knowledge(forbidden=(("a", "b"),), source="k.yaml")
    pairs = dict([*(ans(u, v) for u, v in CALIB), ans("a", "b", conf=0.95)])
    for policy in ("auto", "orient"):
        out = merge(pc, pairs, policy, knowledge=k)
        assert mark_between(out.graph, "a", "b") == "<--"  # the only direction the file allows
        rows, _ = build_rows(ds, pairs, {}, pc=pc, outcome=out)
        row = next(r for r in rows if {r["source"], r["target"]} == {"a", "b"})
        assert (row["status"], row["kept"]) == ("analyst", "knowledge"), policy
        assert "knowledge file" in row["decision"]
        if policy == "auto":  # the LLM's opposite arrow was planned, and refused
            assert any("forbidden by the knowledge file" in s["reason"] for s in out.info.skipped)


def test_a_required_edge_the_data_removes_is_listed(tmp_path):
    ds = load_dataset("asia")
    k = Knowledge(required=(("asia", "xray"),), source="k.yaml")  # independent given tub/either in the data
    pc = PCDiscovery(required=k.required).fit(ds)
    out = merge(pc, dict([ans("smoke", "lung")]), "auto", knowledge=k)
    if mark_between(out.graph, "asia", "xray") != "-->":
        assert any(v["source"] == "asia" and v["target"] == "xray" for v in out.info.violations)


def test_cli_knowledge_with_an_llm_and_in_the_report(tmp_path):
    out = tmp_path / "o"
    res = CliRunner().invoke(cli, ["discover", "asia", "--llm", "simulated", "--profile", "random", "--knowledge",
                                   str(ASIA), "--out", str(out), "--format", "dot"])
    assert res.exit_code == 0, res.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["options"]["knowledge"] == str(ASIA)
    assert m["engine"]["name"] == "native"  # the native engine takes the knowledge itself
    G = read_graph(out / "edges.csv")
    forbid = set(read_knowledge(ASIA).forbidden_edges())
    assert not {(u, v) for u, v, mk in G.edges(data="mark") if mk == "-->"} & forbid
    (tmp_path / "k.yaml").write_text("required: [[asia, nothere]]\n")
    res = CliRunner().invoke(cli, ["discover", "asia", "--llm", "none", "--knowledge", str(tmp_path / "k.yaml"),
                                   "--out", str(tmp_path / "o2")])
    assert res.exit_code == 1
    assert "names nothere, not columns" in res.output


def test_the_usual_tier_file_and_tetrads_knowledge_text(tmp_path):
    (tmp_path / "tiers.csv").write_text("name,tier\nmpg,3\ncylinders,1\norigin,1\nweight,2\ndisplacement,2\n")
    k = read_knowledge(tmp_path / "tiers.csv")
    assert k.tiers == (("cylinders", "origin"), ("weight", "displacement"), ("mpg",))
    assert ("mpg", "weight") in k.forbidden_edges()
    assert ("weight", "displacement") not in k.forbidden_edges()
    (tmp_path / "k.txt").write_text("/knowledge\naddtemporal\n1 origin cylinders\n2* weight displacement\n3 mpg\n\n"
                                    "forbiddirect\nmpg origin\n\nrequiredirect\ncylinders displacement\n")
    t = read_knowledge(tmp_path / "k.txt")
    assert [set(x) for x in t.tiers] == [set(x) for x in k.tiers]
    assert t.required == (("cylinders", "displacement"),)
    assert {("weight", "displacement"), ("displacement", "weight"), ("mpg", "origin")} <= set(t.forbidden_edges())
    # the tier file drives the whole run (the native engine, on the default test for mixed data)
    ds = load_dataset("sachs")
    (tmp_path / "s.csv").write_text("name,tier\n" + "".join(f"{c},{i // 4}\n" for i, c in enumerate(ds.columns)))
    res = CliRunner().invoke(cli, ["discover", "sachs", "--llm", "none", "--knowledge", str(tmp_path / "s.csv"),
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert m["knowledge"]["tiers"] == 3
    assert m["knowledge"]["not_honoured"] == []


@pytest.mark.parametrize(("text", "suffix", "message"), [
    ("tiers: [[x, y], [y, z]]\n", ".yaml", "y is in tier 1 and tier 2"),
    ("name,tier\nx,1\ny,2\nx,3\n", ".csv", "x is in tier 1 (line 2) and tier 3 (line 4)"),
    ("required: [[x, y], [y, z], [z, x]]\n", ".yaml", "the required edges form a cycle x -> y -> z -> x"),
    ("required: [[x, y]]\nforbidden: [[x, y], [z, y]]\n", ".yaml", "both requires and forbids x -> y"),
    ("tiers: [[y], [x]]\nrequired: [[x, y], [z, x]]\n", ".yaml", "both requires and forbids x -> y"),
    ("required: [[x, x]]\n", ".yaml", "x -> x joins a variable to itself"),
    ("name,tier\nx,first\n", ".csv", "line 2: tier 'first' of x is not a whole number"),
    ("source,target\nx,y\n", ".csv", "needs columns name,tier"),
    ("addtemporal\nfirst x y\n", ".txt", "line 2: a tier row starts with its number"),
    ("/knowledge\nrequiredirect\nx y z\n", ".txt", "line 3: expected two variable names"),
    ("/knowledge\nforbiddengroup\n", ".txt", "line 2: 'forbiddengroup' sections are not supported"),
])
def test_malformed_knowledge_is_a_one_line_error_before_any_work(tmp_path, text, suffix, message):
    path = tmp_path / f"k{suffix}"
    path.write_text(text)
    res = CliRunner().invoke(cli, ["discover", "asia", "--llm", "none", "--knowledge", str(path),
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert message in res.output, res.output
    assert len(res.output.strip().splitlines()) == 1, res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_constraints_on_a_column_left_out_are_skipped_with_a_warning(caplog):
    k = Knowledge(tiers=(("id", "age"), ("cancer",)), required=(("id", "cancer"),), source="k.yaml")
    with caplog.at_level("WARNING", logger="causalllm"):
        kept = k.check(["age", "cancer"], {"id": "ID-like (unique per row)"})
    assert kept.tiers == (("age",), ("cancer",))
    assert kept.required == ()
    assert "constraints on id skipped (left out of the analysis: id: ID-like" in caplog.text
    with pytest.raises(DataError, match="names id, not columns of the data"):
        k.check(["age", "cancer"])
