"""The LLM client over real HTTP: parsing, both orders, faults, retries, cache, budget, privacy."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import networkx as nx
import pandas as pd
import pytest

from causalllm.cache import AnswerCache
from causalllm.data import Dataset, load_dataset
from causalllm.errors import ConfigError, LLMError
from causalllm.llm import EndpointConfig, OpenAIChatModel, resolve_config
from causalllm.priors import LLMPriors, read_priors
from causalllm.simulate import SimulatedExpert

from conftest import run_subprocess, write
from fakeserver import FakeServer, completion

SECRET = "sk-test-SECRET-key-0123456789"
TRUTH = nx.DiGraph([("smoking", "tar"), ("tar", "cancer"), ("genes", "cancer")])


def small_ds() -> Dataset:
    df = pd.DataFrame({"smoking": [0.11, 0.52, 0.93, 1.34, 1.75] * 4, "tar": [3.1, 1.2, 4.7, 2.2, 0.9] * 4,
                       "cancer": [0.3, 0.7, 0.2, 0.9, 0.4] * 4, "genes": [1.5, 2.5, 3.5, 0.5, 2.25] * 4})
    return Dataset.from_frame(df, {"smoking": "Cigarettes per day", "tar": "Tar in lungs",
                                   "cancer": "Lung cancer", "genes": "Genetic risk"})


def model_for(url: str, identity: str = "test", key: str = SECRET, **kw) -> OpenAIChatModel:
    return OpenAIChatModel(EndpointConfig(base_url=url, model="m", api_key=key, key_source="$TEST"),
                           identity=identity, **{"timeout": 5, "retries": 3, "backoff": 0.05, **kw})


@pytest.fixture
def sim():
    with SimulatedExpert(TRUTH, profile="perfect") as s:
        yield s


def test_both_orders_asked_and_combined(sim, tmp_path):
    pr = LLMPriors(model_for(sim.url, sim.identity), strategy="all", confounders="none",
                   cache=AnswerCache(tmp_path / "c.sqlite")).fit(small_ds())
    assert pr.stats_["calls"] == 12 and len(sim.requests) == 12  # 6 pairs x 2 orders
    orders = {(b["messages"][1]["content"].split("Variable A: ")[1].split("\n")[0],
               b["messages"][1]["content"].split("Variable B: ")[1].split("\n")[0]) for b in sim.requests}
    assert ("smoking", "tar") in orders and ("tar", "smoking") in orders
    p = pr.pairs_[frozenset(("smoking", "tar"))]
    assert (p.answer, p.order_consistent, p.votes) == ("-->", True, {"-->": 2})
    assert pr.pairs_[frozenset(("tar", "cancer"))].directed() == ("tar", "cancer")
    assert pr.pairs_[frozenset(("smoking", "cancer"))].answer == "none"  # ancestor but no direct edge
    # every request used the JSON schema response format
    assert all(b["response_format"]["type"] == "json_schema" for b in sim.requests)


def test_order_bias_gives_inconsistency_and_lower_confidence(tmp_path):
    with SimulatedExpert(TRUTH, profile="perfect", order_bias=1.0) as s:
        pr = LLMPriors(model_for(s.url, s.identity), strategy="all", confounders="none").fit(small_ds())
    p = pr.pairs_[frozenset(("smoking", "tar"))]
    assert p.order_consistent is False and p.votes == {"-->": 1, "<--": 1}
    assert p.confidence <= 0.5  # share 1/2 times the reported confidence


def test_cache_reuse_zero_calls_and_port_independent(tmp_path):
    cache = AnswerCache(tmp_path / "c.sqlite")
    with SimulatedExpert(TRUTH, profile="gpt4", seed=3) as s1:
        a = LLMPriors(model_for(s1.url, s1.identity), strategy="all", cache=cache).fit(small_ds())
        url1 = s1.url
    with SimulatedExpert(TRUTH, profile="gpt4", seed=3) as s2:  # a new ephemeral port
        assert s2.url != url1
        b = LLMPriors(model_for(s2.url, s2.identity), strategy="all", cache=cache).fit(small_ds())
        assert len(s2.requests) == 0
    assert b.stats_["calls"] == 0 and b.stats_["cache_hits"] == a.stats_["questions"]
    assert {k: v.answer for k, v in a.pairs_.items()} == {k: v.answer for k, v in b.pairs_.items()}
    row = sqlite3.connect(tmp_path / "c.sqlite").execute(
        "SELECT request, raw_response, parsed, prompt_tokens, latency_s FROM answers LIMIT 1").fetchone()
    assert "Variable A" in row[0] and json.loads(row[2]) and row[3] > 0 and row[4] >= 0


def test_malformed_json_gets_one_reask_then_invalid(tmp_path):
    def script(body, n):
        return 200, {}, completion("I think smoking causes tar, obviously.")
    srv = FakeServer(script)
    try:
        pr = LLMPriors(model_for(srv.url), strategy="all", confounders="none", both_orders=False,
                       cache=AnswerCache(tmp_path / "c.sqlite")).fit(small_ds())
    finally:
        srv.close()
    assert len(srv.bodies) == 12  # 6 questions, each asked once and re-asked once
    reasks = [b for b in srv.bodies if len(b["messages"]) == 4]
    assert len(reasks) == 6
    assert all(b["messages"][2]["role"] == "assistant" and "could not be used" in b["messages"][3]["content"]
               for b in reasks)
    rec = pr.answers_[0]
    assert rec["status"] == "invalid" and rec["raw"].startswith("I think") and "re-ask" in rec["error"]
    assert all(p.answer == "invalid" for p in pr.pairs_.values())


def test_reask_recovers_and_refusal_is_invalid(tmp_path):
    def script(body, n):
        first = body["messages"][1]["content"]
        if "Variable A: smoking" in first and "Variable B: tar" in first:
            if len(body["messages"]) == 2:
                return 200, {}, completion("```json\n{\"answer\": \"A->B\", \"confidence\": 2}\n```")  # out of range
            return 200, {}, completion('{"answer": "A->B", "confidence": 0.9, "rationale": "tar comes from smoke"}')
        return 200, {}, completion("I cannot answer questions about health.")
    srv = FakeServer(script)
    try:
        pr = LLMPriors(model_for(srv.url), strategy="all", confounders="none", both_orders=False).fit(small_ds())
    finally:
        srv.close()
    assert pr.pairs_[frozenset(("smoking", "tar"))].answer == "-->"
    assert pr.stats_["reasks"] == 6 and pr.stats_["invalid"] == 5


def test_unknown_confounder_names_are_latent(tmp_path):
    def script(body, n):
        if "common causes" in body["messages"][1]["content"]:
            return 200, {}, completion(json.dumps({"confounders": [
                {"name": "Genes", "rationale": "measured, different case"},
                {"name": "air pollution", "rationale": "not a column"},
                {"name": "smoking", "rationale": "one of the pair itself"}]}))
        return 200, {}, completion('{"answer": "none", "confidence": 0.5, "rationale": "x"}')
    srv = FakeServer(script)
    ds = small_ds()
    try:
        pr = LLMPriors(model_for(srv.url), strategy="all", confounders="all", both_orders=False).fit(ds)
    finally:
        srv.close()
    items = pr.confounders_[frozenset(("smoking", "cancer"))]
    assert {"name": "genes", "measured": True, "rationale": "measured, different case"} in items
    assert any(i["name"] == "air pollution" and not i["measured"] for i in items)
    assert not any(i["name"] == "smoking" for i in items)


def test_429_retry_after_is_honoured():
    def script(body, n):
        if n == 1:
            return 429, {"Retry-After": "1"}, {"error": {"message": "slow down"}}
        return 200, {}, completion('{"answer": "none", "confidence": 0.5, "rationale": "x"}')
    srv = FakeServer(script)
    try:
        m = model_for(srv.url)
        m.complete([{"role": "user", "content": "Variable A: a\nVariable B: b"}], "direction", {})
    finally:
        srv.close()
    assert len(srv.times) == 2 and srv.times[1] - srv.times[0] >= 0.95


def test_timeouts_retry_then_unanswered():
    def script(body, n):
        time.sleep(1.5)
        return 200, {}, completion('{"answer": "none", "confidence": 0.5, "rationale": "x"}')
    srv = FakeServer(script)
    try:
        pr = LLMPriors(model_for(srv.url, timeout=0.3, retries=1), strategy="all", confounders="none",
                       both_orders=False, concurrency=6)
        with pytest.raises(LLMError, match="every LLM call failed.*timed out"):
            pr.fit(small_ds())
    finally:
        srv.close()
    assert len(srv.bodies) == 12  # 6 questions x (1 try + 1 retry)


def test_partial_failure_recorded_unanswered(tmp_path):
    with SimulatedExpert(TRUTH, profile="perfect", fail_rate=0.5, hang=2, retry_after=0.1, seed=1) as s:
        pr = LLMPriors(model_for(s.url, s.identity, timeout=0.5, retries=1), strategy="all", confounders="none",
                       cache=AnswerCache(tmp_path / "c.sqlite")).fit(small_ds())
        assert sum(s.faults.values()) > 0
    statuses = {r["status"] for r in pr.answers_}
    assert "ok" in statuses
    ok = [p for p in pr.pairs_.values() if p.answer not in ("unanswered", "invalid")]
    assert ok and all(p.answer == ("-->" if (p.source, p.target) in TRUTH.edges else
                                   "<--" if (p.target, p.source) in TRUTH.edges else "none") for p in ok)


def test_json_schema_rejection_detected_once_then_instructions():
    with SimulatedExpert(TRUTH, profile="perfect", reject_json_schema=True) as s:
        pr = LLMPriors(model_for(s.url, s.identity), strategy="all", confounders="none", concurrency=1).fit(small_ds())
        with_schema = [b for b in s.requests if "response_format" in b]
    assert len(with_schema) == 1  # detected on the first call, never sent again
    assert pr.pairs_[frozenset(("smoking", "tar"))].answer == "-->"


def test_concurrency_never_above_limit():
    with SimulatedExpert(TRUTH, profile="perfect", latency=0.15) as s:
        LLMPriors(model_for(s.url, s.identity), strategy="all", confounders="all", concurrency=3).fit(small_ds())
        assert s.max_in_flight == 3 and len(s.requests) == 18


def test_budget_stops_cleanly_and_resume_makes_no_repeat_calls(tmp_path):
    cache = AnswerCache(tmp_path / "c.sqlite")
    with SimulatedExpert(TRUTH, profile="perfect") as s:
        pr = LLMPriors(model_for(s.url, s.identity), strategy="all", confounders="none", max_calls=5,
                       concurrency=2, cache=cache).fit(small_ds())
        assert pr.stats_["calls"] == 5 and pr.stats_["budget_exhausted"] and len(s.requests) == 5
        assert sum(r["status"] == "unanswered" for r in pr.answers_) == 7
        pr2 = LLMPriors(model_for(s.url, s.identity), strategy="all", confounders="none", cache=cache).fit(small_ds())
        assert pr2.stats_["calls"] == 7 and pr2.stats_["cache_hits"] == 5 and len(s.requests) == 12
        keys = [json.dumps(b["messages"]) for b in s.requests]
        assert len(set(keys)) == 12  # nothing asked twice


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
    assert proc.returncode != 0 and "Traceback" not in err and "interrupted" in err
    done = sqlite3.connect(cache).execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    assert 10 <= done < 88
    proc2 = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc2.returncode == 0, proc2.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["llm_stats"]["cache_hits"] == done and m["llm_stats"]["calls"] == m["llm_stats"]["questions"] - done


def test_endpoint_errors_are_specific_one_liners(tmp_path):
    d = write(tmp_path / "d.csv", "a,b\n1.5,2.5\n2.5,3.5\n3.5,1.5\n4.5,0.5\n")
    v = write(tmp_path / "v.csv", "name,description\na,Alpha\nb,Beta\n")
    cases = [
        (401, {"error": {"message": "Incorrect API key provided"}}, "rejected the API key"),
        (404, {"error": {"message": "The model `nope` does not exist"}}, "model 'm' or the chat endpoint was not found"),
    ]
    for status, payload, message in cases:
        srv = FakeServer(lambda body, n, s=status, p=payload: (s, {}, p))
        try:
            proc = run_subprocess("ask", d, "--variables", v, "--out", tmp_path / "o", "--base-url", srv.url,
                                  "--model", "m", "--quiet", "--no-cache", env={"OPENAI_API_KEY": SECRET})
        finally:
            srv.close()
        assert proc.returncode != 0 and "Traceback" not in proc.stderr
        errs = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error")]
        assert len(errs) == 1 and message in errs[0], proc.stderr
        assert SECRET not in proc.stderr
    proc = run_subprocess("ask", d, "--variables", v, "--out", tmp_path / "o", "--base-url", "http://127.0.0.1:9/v1",
                          "--quiet", "--no-cache", "--timeout", "1")
    assert proc.returncode != 0 and "cannot reach http://127.0.0.1:9/v1" in proc.stderr.strip().splitlines()[-1]


def test_non_json_200_body():
    srv = FakeServer(lambda body, n: (200, {}, "<html>proxy login</html>"))
    try:
        pr = LLMPriors(model_for(srv.url, retries=1), strategy="all", confounders="none", both_orders=False)
        with pytest.raises(LLMError, match="not a chat completion"):
            pr.fit(small_ds())
    finally:
        srv.close()


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
    assert "[REDACTED]" in res.stderr and SECRET not in res.stderr + res.stdout
    values = pd.read_csv(ds_path).to_numpy().ravel()
    leaked = [f"{x:.3f}" for x in values if f"{x:.3f}" in bodies]
    assert not leaked, leaked
    assert "correlation" in bodies  # --share-stats sends summaries only
    for f in list((tmp_path / "out").iterdir()) + [tmp_path / "cache.sqlite"]:
        assert SECRET.encode() not in f.read_bytes(), f
        assert b"SECRET" not in f.read_bytes(), f


def test_dry_run_prints_plan_without_calls(run, sim, tmp_path):
    res = run("discover", "asia", "--base-url", sim.url, "--dry-run", "--price-per-1k", "0.01", "--out", tmp_path / "o")
    assert "questions" in res.stdout and "estimated_prompt_tokens" in res.stdout and "estimated_cost" in res.stdout
    assert len(sim.requests) == 0 and not (tmp_path / "o").exists()


def test_config_lookup_order():
    env = {"OPENAI_API_KEY": "k1", "MYKEY": "k2", "OPENAI_BASE_URL": "http://localhost:8000/v1", "CAUSALLLM_MODEL": "llama"}
    c = resolve_config(environ=env)
    assert (c.api_key, c.base_url, c.model, c.key_source) == ("k1", "http://localhost:8000/v1", "llama", "$OPENAI_API_KEY")
    c = resolve_config(api_key_env="MYKEY", model="x", base_url="http://h:1/v1", environ=env)
    assert (c.api_key, c.base_url, c.model) == ("k2", "http://h:1/v1", "x")
    assert "k2" not in repr(c) and "k2" not in json.dumps(c.public())
    with pytest.raises(ConfigError, match="MISSING"):
        resolve_config(api_key_env="MISSING", environ=env)
    with pytest.raises(ConfigError, match="no API key"):
        resolve_config(environ={})
    with pytest.raises(ConfigError, match="not an http"):
        resolve_config(base_url="localhost:11434", environ={})


def test_default_backend_none_says_how_to_add_llm(run, tmp_path):
    res = run("discover", "cancer", "--out", tmp_path, "--format", "dot")
    assert "no LLM configured" in res.stderr and "--llm simulated" in res.stderr


def test_ask_writes_llm_graph_and_priors_roundtrip(run, tmp_path):
    res = run("ask", "asia", "--llm", "simulated", "--profile", "perfect", "--out", tmp_path / "a", "--quiet")
    assert "SIMULATED" in res.stdout
    pri = pd.read_csv(tmp_path / "a" / "priors.csv")
    assert len(pri) == 28 and set(pri.columns) >= {"source", "target", "answer", "confidence", "rationale"}
    assert (pri["origin"].str.contains("SIMULATED")).all()
    e = pd.read_csv(tmp_path / "a" / "edges.csv")
    assert len(e[e.in_graph]) == 8  # the perfect expert's graph is the truth
    assert (e[e.in_graph].llm_votes == "-->:2").all()  # votes read from the row's source, like the answer
    lines = (tmp_path / "a" / "llm_answers.jsonl").read_text().splitlines()
    assert len(lines) == 56 and all("cache_key" in json.loads(x) for x in lines)  # 28 pairs x 2 orders
    # an analyst edits one answer and uses the file instead of asking again
    pri.loc[(pri.source == "tub") & (pri.target == "either"), "answer"] = "<--"
    pri.to_csv(tmp_path / "edited.csv", index=False)
    pairs, _ = read_priors(tmp_path / "edited.csv", load_dataset("asia"))
    assert pairs[frozenset(("tub", "either"))].directed() == ("either", "tub")
    res = run("discover", "asia", "--priors", tmp_path / "edited.csv", "--out", tmp_path / "d", "--quiet")
    m = json.loads((tmp_path / "d" / "manifest.json").read_text())
    assert m["priors_file"]["sha256"] and not (tmp_path / "d" / "llm_answers.jsonl").exists()


def test_bad_priors_file(run, tmp_path):
    p = write(tmp_path / "p.csv", "source,target,answer\nasia,tub,maybe\n")
    res = run("discover", "asia", "--priors", p, "--out", tmp_path / "o", ok=False)
    assert res.exit_code == 1 and "answer 'maybe' must be" in res.stderr


def test_simulate_expert_command_serves(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "causalllm", "simulate-expert", "--truth", "asia", "--port", "0",
                             "--profile", "perfect"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split(" at ")[1].split(";")[0]
        cfg = EndpointConfig(base_url=url, model="any", api_key="x")
        c = OpenAIChatModel(cfg).complete([{"role": "user", "content": "Variable A: smoke\nVariable B: lung"}],
                                          "direction", {})
        assert json.loads(c.text)["answer"] == "A->B"  # asia's truth: smoke -> lung
    finally:
        proc.terminate()
        proc.wait(10)
    assert "SIMULATION" in line


def test_cache_concurrent_writers(tmp_path):
    """Several processes writing one cache file at once: no corruption, every row present."""
    code = ("import sys; from causalllm.cache import AnswerCache; c = AnswerCache(sys.argv[1]); w = sys.argv[2]\n"
            "for i in range(200): c.put(f'{w}-{i}', endpoint='e', model='m', request={'i': i}, raw='{}', parsed={'i': i}, status='ok')\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "c.sqlite"), str(w)]) for w in range(4)]
    assert all(p.wait(60) == 0 for p in procs)
    con = sqlite3.connect(tmp_path / "c.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 800


def test_samples_self_consistency_and_prompt_override(sim, tmp_path):
    from causalllm.prompts import load_prompts

    pr = LLMPriors(model_for(sim.url, sim.identity), strategy="all", confounders="none", samples=3).fit(small_ds())
    p = pr.pairs_[frozenset(("smoking", "tar"))]
    assert sum(p.votes.values()) == 6 and len(sim.requests) == 36
    assert {b["temperature"] for b in sim.requests} == {0.7} and {b["seed"] for b in sim.requests} == {0, 1, 2}
    f = write(tmp_path / "prompts.yaml", "system: You are terse.\n"
              "direction: |\n  Variable A: {a}\n  Variable B: {b}\n  Answer as JSON {{\"answer\": ...}}\n")
    prompts = load_prompts(f)
    assert prompts.version.startswith("3+custom-")
    n0 = len(sim.requests)
    pr2 = LLMPriors(model_for(sim.url, sim.identity), strategy="all", confounders="none", prompts=prompts).fit(small_ds())
    new = sim.requests[n0:]
    assert new[0]["messages"][0]["content"] == "You are terse." and "Description" not in new[0]["messages"][1]["content"]
    assert pr2.stats_["prompt_version"] == prompts.version
    with pytest.raises(ConfigError, match="unknown placeholder"):
        load_prompts(write(tmp_path / "bad.yaml", "direction: 'Is {x} a cause?'\n"))


def test_answer_and_votes_read_from_either_end():
    from causalllm.priors import PairAnswer

    p = PairAnswer("a", "b", "<--", 0.8, True, "r", {"<--": 2, "none": 1})
    assert (p.answer_from("a"), p.votes_from("a")) == ("<--", "<--:2 none:1")
    assert (p.answer_from("b"), p.votes_from("b")) == ("-->", "-->:2 none:1")  # the row b -> a
