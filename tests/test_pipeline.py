"""The orchestrator end to end: discover, ask, dry run, priors files, privacy, interrupted runs."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import write
from fakes import SECRET, TRUTH

from causalllm.config import LLMConfig, RunConfig
from causalllm.data import load_dataset
from causalllm.errors import ConfigError
from causalllm.expert.answers import read_priors
from causalllm.expert.simulate import SimulatedExpert
from causalllm.pipeline import ask, discover, plan, run


@pytest.fixture
def sim():
    with SimulatedExpert(TRUTH, profile="perfect") as s:
        yield s


@pytest.mark.slow
def test_interrupted_run_resumes_with_zero_repeats(tmp_path):
    """Kill a real CLI run halfway (SIGINT), then re-run: only the missing questions are asked."""
    cache = tmp_path / "c.sqlite"
    out = tmp_path / "o"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}, "CAUSALLLM_CACHE_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "causalllm", "discover", "alarm", "--llm", "simulated", "--latency", "0.1",
           "--concurrency", "2", "--cache", str(cache), "--out", str(out), "--quiet", "--format", "dot",
           "--confounders", "none"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    n = 0
    while time.time() < deadline:
        time.sleep(0.2)
        if cache.exists():
            try:
                n = sqlite3.connect(cache, timeout=5).execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            except sqlite3.OperationalError:
                continue
            if n >= 10:
                break
    proc.send_signal(2)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert "interrupted" in err
    done = sqlite3.connect(cache).execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    assert 10 <= done < 88
    # the expert's latency is not part of a cache key: resume without it
    resume = [c for c in cmd if c not in ("--latency", "0.1")]
    proc2 = subprocess.run(resume, env=env, capture_output=True, text=True, timeout=300)
    assert proc2.returncode == 0, proc2.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["llm_stats"]["cache_hits"] == done
    assert m["llm_stats"]["calls"] == m["llm_stats"]["questions"] - done


def test_no_data_values_in_requests_and_key_never_written(tmp_path, run, monkeypatch):
    with SimulatedExpert(TRUTH, profile="gpt4") as s:
        ds_path = write(tmp_path / "d.csv", "smoking,tar,cancer,genes\n" + "\n".join(
            f"{1.1 + i * 0.731:.3f},{2.2 + (i * 7 % 5) * 0.913:.3f},{(i * 3 % 7) * 0.577:.3f},{(i % 4) * 1.37 + 0.5:.3f}"
            for i in range(60)))
        v = write(tmp_path / "v.csv", "name,description\nsmoking,Cigarettes per day\ntar,Tar\ncancer,Cancer\ngenes,Genes\n")
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        monkeypatch.setenv("CAUSALLLM_SHOW_REQUESTS", "1")
        res = run("discover", ds_path, "--variables", v, "--base-url", s.url, "--out", tmp_path / "out",
                  "--strategy", "all", "--share-stats", "--cache", tmp_path / "cache.sqlite", "--quiet")
        bodies = json.dumps(s.requests)
    assert "[REDACTED]" in res.stderr
    assert SECRET not in res.stderr + res.stdout
    values = pd.read_csv(ds_path).to_numpy().ravel()
    leaked = [f"{x:.3f}" for x in values if f"{x:.3f}" in bodies]
    assert not leaked, leaked
    assert "correlation" in bodies  # --share-stats sends summaries only
    for f in [*list((tmp_path / "out").iterdir()), tmp_path / "cache.sqlite"]:
        assert SECRET.encode() not in f.read_bytes(), f
        assert b"SECRET" not in f.read_bytes(), f


def test_dry_run_prints_plan_without_calls(run, sim, tmp_path):
    res = run("discover", "asia", "--base-url", sim.url, "--dry-run", "--price-per-1k", "0.01", "--out", tmp_path / "o")
    assert "questions" in res.stdout
    assert "estimated_prompt_tokens" in res.stdout
    assert "estimated_cost" in res.stdout
    assert len(sim.requests) == 0
    assert not (tmp_path / "o").exists()


def test_default_backend_none_says_how_to_add_llm(run, tmp_path):
    res = run("discover", "cancer", "--out", tmp_path, "--format", "dot")
    assert "no LLM configured" in res.stderr
    assert "--llm simulated" in res.stderr


def test_ask_writes_llm_graph_and_priors_roundtrip(run, tmp_path):
    res = run("ask", "asia", "--llm", "simulated", "--profile", "perfect", "--out", tmp_path / "a", "--quiet")
    assert "SIMULATED" in res.stdout
    pri = pd.read_csv(tmp_path / "a" / "priors.csv")
    assert len(pri) == 28
    assert set(pri.columns) >= {"source", "target", "answer", "confidence", "rationale"}
    assert (pri["origin"].str.contains("SIMULATED")).all()
    e = pd.read_csv(tmp_path / "a" / "edges.csv")
    assert len(e[e.in_graph]) == 8  # the perfect expert's graph is the truth
    # votes read from the row's source, like the answer (a leading quote: a spreadsheet would run "-->:2")
    assert (e[e.in_graph].llm_votes == "'-->:2").all()
    lines = (tmp_path / "a" / "llm_answers.jsonl").read_text().splitlines()
    assert len(lines) == 56
    assert all("cache_key" in json.loads(x) for x in lines)
    # an analyst edits one answer and uses the file instead of asking again
    pri.loc[(pri.source == "tub") & (pri.target == "either"), "answer"] = "<--"
    pri.to_csv(tmp_path / "edited.csv", index=False)
    pairs, _ = read_priors(tmp_path / "edited.csv", load_dataset("asia"))
    assert pairs[frozenset(("tub", "either"))].directed() == ("either", "tub")
    res = run("discover", "asia", "--priors", tmp_path / "edited.csv", "--out", tmp_path / "d", "--quiet")
    m = json.loads((tmp_path / "d" / "manifest.json").read_text())
    assert m["priors_file"]["sha256"]
    assert not (tmp_path / "d" / "llm_answers.jsonl").exists()


def test_bad_priors_file(run, tmp_path):
    p = write(tmp_path / "p.csv", "source,target,answer\nasia,tub,maybe\n")
    res = run("discover", "asia", "--priors", p, "--out", tmp_path / "o", ok=False)
    assert res.exit_code == 1
    assert "answer 'maybe' must be" in res.stderr


def test_library_entry_points():
    r = discover(data="cancer", llm="simulated", profile="perfect", no_cache=True)
    assert r.manifest["llm"]["backend"] == "simulated"
    assert r.merge_info is not None
    assert r.rows
    assert "agree" in r.status_counts()
    assert r.answers
    assert r.llm_graph is not None
    a = ask(RunConfig(data="cancer", llm=LLMConfig(backend="simulated", strategy="all", no_cache=True)))
    assert {row["status"] for row in a.rows} == {"llm"}
    assert a.manifest["options"]["merge"] == "none (ask)"
    p = plan(data="cancer", llm="simulated", strategy="all")
    # every pair in both orders, and a confounder question per PC edge: exactly what the run asks
    done = discover(data="cancer", llm="simulated", strategy="all", no_cache=True)
    assert p["pairs"] == 10
    assert p["questions"] == 20 + done.pc_graph.number_of_edges() == len(done.answers)
    with pytest.raises(ConfigError, match="ask needs an LLM"):
        ask(data="cancer", llm="none")
    with pytest.raises(ConfigError, match="--out"):
        run(RunConfig(data="cancer"))



def test_the_manifest_times_every_stage_and_stderr_says_which_runs(tmp_path):
    import json

    from click.testing import CliRunner

    from causalllm.cli import cli

    res = CliRunner().invoke(cli, ["discover", "asia", "--llm", "simulated", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    timings = json.loads((tmp_path / "o" / "manifest.json").read_text())["timings_s"]
    assert {"load", "pc", "llm", "data_side", "merge", "fci", "falsify", "render", "report"} <= set(timings)
    assert all(v >= 0 for v in timings.values())
    for line in ("loading asia...", "running PC", "re-checking the data's colliders and merging...",
                 "drawing the graph...", "writing the report..."):
        assert line in res.output
    quiet = CliRunner().invoke(cli, ["discover", "asia", "--llm", "none", "--quiet", "--out", str(tmp_path / "q")])
    assert "running PC" not in quiet.output
