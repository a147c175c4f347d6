"""LLMPriors with a scripted in-process chat model (no HTTP): asking, combining, re-asks, budget, failures."""

from __future__ import annotations

import json

import pytest
from fakes import TRUTH, FakeChatModel, small_ds

from causalllm.errors import ConfigError, LLMError, TransientLLMError
from causalllm.expert.asker import LLMPriors
from causalllm.expert.cache import AnswerCache

NONE = '{"answer": "none", "confidence": 0.5, "rationale": "x"}'


def test_a_model_that_answers_by_position_is_unusable_and_said():
    """Every answer "the first-named causes the second", in both orders: each reply is well formed, together
    they carry no knowledge. They become invalid (named), so they change nothing in the graph."""
    pr = LLMPriors(FakeChatModel(profile="perfect", order_bias=1.0), strategy="all", confounders="none").fit(small_ds())
    assert {p.answer for p in pr.pairs_.values()} == {"invalid"}
    assert all("follow the question order" in p.rationale for p in pr.pairs_.values())
    assert pr.stats_["behaviour"] == {"position": len(pr.pairs_)}
    # some order bias (an honest model that sometimes follows the order) is not flagged: its pairs are split votes
    mild = LLMPriors(FakeChatModel(profile="perfect", order_bias=0.3, seed=1), strategy="all",
                     confounders="none").fit(small_ds())
    assert "position" not in mild.stats_["behaviour"]
    split = [p for p in mild.pairs_.values() if p.order_consistent is False]
    assert split
    assert all(p.answer == "unsure" for p in split)


def test_malformed_json_gets_one_reask_then_invalid(tmp_path):
    model = FakeChatModel(lambda messages, n: "I think smoking causes tar, obviously.")
    pr = LLMPriors(model, strategy="all", confounders="none", both_orders=False,
                   cache=AnswerCache(tmp_path / "c.sqlite")).fit(small_ds())
    assert len(model.calls) == 12  # 6 questions, each asked once and re-asked once
    reasks = [c for c in model.calls if len(c["messages"]) == 4]
    assert len(reasks) == 6
    assert all(c["messages"][2]["role"] == "assistant" and "could not be used" in c["messages"][3]["content"]
               for c in reasks)
    rec = pr.answers_[0]
    assert rec["status"] == "invalid"
    assert rec["raw"].startswith("I think")
    assert "re-ask" in rec["error"]
    assert all(p.answer == "invalid" for p in pr.pairs_.values())


def test_reask_recovers_and_refusal_is_invalid():
    def script(messages, n):
        first = messages[1]["content"]
        if "Variable A: smoking" in first and "Variable B: tar" in first:
            if len(messages) == 2:
                return "```json\n{\"answer\": \"A->B\", \"confidence\": 2}\n```"  # out of range
            return '{"answer": "A->B", "confidence": 0.9, "rationale": "tar comes from smoke"}'
        return "I cannot answer questions about health."
    pr = LLMPriors(FakeChatModel(script), strategy="all", confounders="none", both_orders=False).fit(small_ds())
    assert pr.pairs_[frozenset(("smoking", "tar"))].answer == "-->"
    assert pr.stats_["reasks"] == 6
    assert pr.stats_["invalid"] == 5


def test_unknown_confounder_names_are_latent():
    def script(messages, n):
        if "common causes" in messages[1]["content"]:
            return json.dumps({"confounders": [
                {"name": "Genes", "rationale": "measured, different case"},
                {"name": "air pollution", "rationale": "not a column"},
                {"name": "smoking", "rationale": "one of the pair itself"}]})
        return NONE
    pr = LLMPriors(FakeChatModel(script), strategy="all", confounders="all", both_orders=False).fit(small_ds())
    items = pr.confounders_[frozenset(("smoking", "cancer"))]
    assert {"name": "genes", "measured": True, "rationale": "measured, different case"} in items
    assert any(i["name"] == "air pollution" and not i["measured"] for i in items)
    assert not any(i["name"] == "smoking" for i in items)


def test_budget_stops_cleanly_and_resume_makes_no_repeat_calls(tmp_path):
    cache = AnswerCache(tmp_path / "c.sqlite")
    model = FakeChatModel(profile="perfect")
    pr = LLMPriors(model, strategy="all", confounders="none", max_calls=5, concurrency=2, cache=cache).fit(small_ds())
    assert pr.stats_["calls"] == 5
    assert pr.stats_["budget_exhausted"]
    assert len(model.calls) == 5
    assert sum(r["status"] == "unanswered" for r in pr.answers_) == 7
    pr2 = LLMPriors(model, strategy="all", confounders="none", cache=cache).fit(small_ds())
    assert pr2.stats_["calls"] == 7
    assert pr2.stats_["cache_hits"] == 5
    assert len(model.calls) == 12
    assert len({json.dumps(c["messages"]) for c in model.calls}) == 12  # nothing asked twice


def test_samples_self_consistency():
    model = FakeChatModel(profile="perfect")
    pr = LLMPriors(model, strategy="all", confounders="none", samples=3).fit(small_ds())
    p = pr.pairs_[frozenset(("smoking", "tar"))]
    assert sum(p.votes.values()) == 6
    assert len(model.calls) == 36
    assert {c["temperature"] for c in model.calls} == {0.7}
    assert {c["seed"] for c in model.calls} == {0, 1, 2}


def test_a_transient_failure_leaves_that_question_unanswered():
    def script(messages, n):
        if "Variable A: smoking" in messages[1]["content"]:
            return TransientLLMError("HTTP 503: overloaded")
        return NONE
    pr = LLMPriors(FakeChatModel(script), strategy="all", confounders="none", both_orders=False).fit(small_ds())
    failed = [r for r in pr.answers_ if r["status"] == "unanswered"]
    assert len(failed) == 3
    assert all("503" in r["error"] for r in failed)
    assert pr.stats_["failed"] == 3
    assert pr.pairs_[frozenset(("smoking", "tar"))].answer == "unanswered"


def test_every_call_failing_stops_asking_but_keeps_the_run():
    """A dead endpoint: after GIVE_UP_AFTER failures with no answer the asker stops; nothing is raised, so the
    run writes its outputs and fails loudly (llm_health, exit 1)."""
    from causalllm.expert.asker import GIVE_UP_AFTER

    model = FakeChatModel(lambda messages, n: TransientLLMError("timed out after 1 s"))
    p = LLMPriors(model, strategy="all", confounders="none", concurrency=1).fit(small_ds())
    assert len(model.calls) == GIVE_UP_AFTER
    assert "timed out" in p.stats_["stopped"]
    assert {a.answer for a in p.pairs_.values()} == {"unanswered"}


def test_one_question_that_keeps_failing_is_unanswered_not_fatal():
    def script(messages, n):
        if "tar" in messages[-1]["content"] and "cancer" in messages[-1]["content"]:
            return TransientLLMError("cannot reach http://127.0.0.1:1/v1 (connection reset)")
        return '{"answer": "A->B", "confidence": 0.8, "rationale": "r"}'

    p = LLMPriors(FakeChatModel(script), strategy="all", confounders="none", concurrency=1).fit(small_ds())
    answers = {tuple(sorted(k)): a.answer for k, a in p.pairs_.items()}
    assert answers[("cancer", "tar")] == "unanswered"
    assert p.stats_["stopped"] is None
    assert sum(a == "unanswered" for a in answers.values()) == 1


def test_a_fatal_error_stops_asking():
    model = FakeChatModel(lambda messages, n: LLMError("the endpoint rejected the API key"))
    p = LLMPriors(model, strategy="all", confounders="none", concurrency=1).fit(small_ds())
    assert len(model.calls) == 1
    assert "rejected the API key" in p.stats_["stopped"]


def test_a_bug_is_not_hidden_as_an_unanswered_question():
    """Only the documented LLM errors become 'unanswered'; anything else is a bug and surfaces."""
    model = FakeChatModel(lambda messages, n: KeyError("a bug in our own code"))
    with pytest.raises(KeyError):
        LLMPriors(model, strategy="all", confounders="none").fit(small_ds())


def test_plan_and_dry_run_make_no_call(tmp_path):
    model = FakeChatModel(profile="perfect")
    d = LLMPriors(model, strategy="all", confounders="all").dry_run(small_ds(), price_per_1k=0.01)
    assert (d["pairs"], d["questions"], d["calls"]) == (6, 18, 18)
    assert d["estimated_cost"] > 0
    assert not model.calls


def test_options_are_checked():
    with pytest.raises(ConfigError, match="strategy"):
        LLMPriors(FakeChatModel(), strategy="most").fit(small_ds())
    with pytest.raises(ConfigError, match="needs PC's graph"):
        LLMPriors(FakeChatModel(), strategy="skeleton").fit(small_ds())


def test_simulated_answers_are_labelled():
    pr = LLMPriors(FakeChatModel(truth=TRUTH), strategy="all", confounders="none", simulated="gpt4").fit(small_ds())
    assert all(p.origin == "SIMULATED expert (gpt4)" for p in pr.pairs_.values())
    assert all(r["simulated"] == "gpt4" for r in pr.answers_)
