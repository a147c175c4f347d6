"""The real LLM client over HTTP: retries, Retry-After, timeouts, JSON-schema fallback, errors, concurrency.

Every test talks to a server on 127.0.0.1 (the simulated expert or a scripted ``FakeServer``).
"""

from __future__ import annotations

import time

import pytest
from conftest import run_subprocess, write
from fakes import SECRET, TRUTH, model_for, small_ds
from fakeserver import FakeServer, completion

from causalllm.cache import AnswerCache
from causalllm.config import LLMConfig
from causalllm.errors import ConfigError, LLMError, TransientLLMError
from causalllm.llm import OpenAIChatModel, open_llm
from causalllm.priors import LLMPriors
from causalllm.simulate import SimulatedExpert


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


@pytest.mark.slow
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


def test_a_failed_call_raises_transient_error_inside_the_tree():
    srv = FakeServer(lambda body, n: (500, {}, {"error": {"message": "boom"}}))
    try:
        with pytest.raises(TransientLLMError, match="HTTP 500") as info:
            model_for(srv.url, retries=1).complete([{"role": "user", "content": "x"}], "direction", {})
    finally:
        srv.close()
    assert isinstance(info.value, LLMError)


def test_open_llm_backends():
    with open_llm(LLMConfig(backend="none")) as (model, info):
        assert model is None and info == {"backend": "none"}
    with open_llm(LLMConfig(backend="openai", base_url="http://127.0.0.1:9/v1", model="m")) as (model, info):
        assert isinstance(model, OpenAIChatModel) and info["base_url"] == "http://127.0.0.1:9/v1"
        assert info["key_source"] == "dummy (local endpoint)"
    with open_llm(LLMConfig(backend="simulated", profile="perfect"), truth=TRUTH) as (model, info):
        assert info["backend"] == "simulated" and model.identity.startswith("simulated:perfect")
        reply = model.complete([{"role": "system", "content": "s"},
                                {"role": "user", "content": _question("smoking", "tar")}], "direction", {})
        assert '"A->B"' in reply.text
    with pytest.raises(ConfigError, match="needs --truth"):
        with open_llm(LLMConfig(backend="simulated")):
            pass


def _question(a: str, b: str) -> str:
    from causalllm.prompts import Prompts

    return Prompts().direction(a, a, b, b)[1]["content"]

