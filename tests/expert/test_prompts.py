"""Prompts and their reply contract: overrides, strict parsing, and reading a question back."""

from __future__ import annotations

import json

import pytest
from conftest import write
from fakes import FakeChatModel, small_ds

from causalllm.errors import ConfigError
from causalllm.expert.asker import LLMPriors
from causalllm.expert.prompts import AskedQuestion, PairSummary, Prompts, load_prompts, parse_confounders, parse_direction


def test_prompt_override_is_sent_and_versioned(tmp_path):
    f = write(tmp_path / "prompts.yaml", "system: You are terse.\n"
              "direction: |\n  Variable A: {a}\n  Variable B: {b}\n  Answer as JSON {{\"answer\": ...}}\n")
    prompts = load_prompts(f)
    assert prompts.version.startswith("3+custom-")
    model = FakeChatModel(profile="perfect", prompts=prompts)
    pr = LLMPriors(model, strategy="all", confounders="none", prompts=prompts).fit(small_ds())
    assert model.calls[0]["messages"][0]["content"] == "You are terse."
    assert "Description" not in model.calls[0]["messages"][1]["content"]
    assert pr.stats_["prompt_version"] == prompts.version


def test_a_reworded_template_does_not_turn_the_simulated_expert_into_an_unsure_machine(tmp_path):
    """The expert reads questions with the templates in use, whatever their wording."""
    f = write(tmp_path / "p.yaml", "direction: |\n  Does «{a}» ({a_desc}) directly cause «{b}» ({b_desc})?{stats_line}\n"
              "  JSON with answer A->B, B->A, none or unsure.\n"
              "confounders: 'What drives both {a} and {b}? Candidates: {others}.'\n")
    prompts = load_prompts(f)
    model = FakeChatModel(profile="perfect", prompts=prompts)
    pr = LLMPriors(model, strategy="all", confounders="all", prompts=prompts).fit(small_ds())
    assert pr.pairs_[frozenset(("smoking", "tar"))].answer == "-->"
    assert pr.pairs_[frozenset(("smoking", "cancer"))].answer == "none"
    assert not [p for p in pr.pairs_.values() if p.answer == "unsure"]
    assert pr.confounders_[frozenset(("cancer", "tar"))] == [] or all(
        c["measured"] for c in pr.confounders_[frozenset(("cancer", "tar"))])


def test_parse_question_inverts_the_templates():
    p = Prompts(context="A study of smokers.")
    msgs = p.direction("lung cancer", "Diagnosis, yes/no", "tar", "Tar, mg", stats=PairSummary("pearson", 0.4))
    assert "Pearson correlation r = 0.40" in msgs[1]["content"]
    assert p.parse_question(msgs) == AskedQuestion("direction", "lung cancer", "tar")
    q = p.parse_question(p.confounders("a", "", "b", "", ["c", "d e", "f"]))
    assert q == AskedQuestion("confounders", "a", "b", ("c", "d e", "f"))
    assert p.parse_question([{"role": "user", "content": "hello"}]) is None
    # a re-ask appends messages; the question is still the first user message
    assert p.parse_question([*msgs, {"role": "assistant", "content": "?"}, p.reask("bad")]).a == "lung cancer"


def test_bad_override_files(tmp_path):
    with pytest.raises(ConfigError, match="unknown placeholder"):
        load_prompts(write(tmp_path / "bad.yaml", "direction: 'Is {x} a cause?'\n"))
    with pytest.raises(ConfigError, match="must name both variables"):
        load_prompts(write(tmp_path / "b2.yaml", "direction: 'Is {a} a cause of it?'\n"))
    with pytest.raises(ConfigError, match="unknown key"):
        load_prompts(write(tmp_path / "b3.yaml", "question: '{a} {b}'\n"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_prompts(tmp_path / "none.yaml")


def test_reply_contract():
    assert parse_direction('{"answer": "a -> b", "confidence": 1, "rationale": ""}')["answer"] == "A->B"
    assert parse_direction('```json\n{"answer": "none", "confidence": 0.2, "rationale": "r"}\n```')["answer"] == "none"
    # a grammar-constrained server (llama.cpp) does not enforce the schema's maximum: the bound, with a note
    clipped = parse_direction('{"answer": "A->B", "confidence": 1.5, "rationale": "smoke harms"}')
    assert (clipped["confidence"], clipped["rationale"]) == (1.0, "smoke harms [confidence 1.5 outside 0-1, read as 1]")
    assert parse_direction('{"answer": "none", "confidence": -0.2, "rationale": ""}')["confidence"] == 0.0
    for bad, why in (('{"answer": "A->B", "confidence": "2", "rationale": ""}', "confidence"),
                     ('{"answer": "A->B", "confidence": true, "rationale": ""}', "confidence"),
                     ('{"answer": "maybe", "confidence": 0.5, "rationale": ""}', "answer"),
                     ('{"answer": "none", "confidence": 0.5, "rationale": "", "extra": 1}', "extra"),
                     ("", "empty")):
        with pytest.raises(ValueError, match=why):
            parse_direction(bad)
    assert parse_confounders(json.dumps({"confounders": []})) == []
    with pytest.raises(ValueError, match="name"):
        parse_confounders('{"confounders": [{"name": ""}]}')
