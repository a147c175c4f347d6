"""The simulated expert: profiles, faults, and the simulate-expert command over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fakes import TRUTH

from causalllm.config import EndpointConfig
from causalllm.errors import ConfigError
from causalllm.llm import OpenAIChatModel
from causalllm.prompts import Prompts
from causalllm.simulate import SimulatedExpert, parse_profile


@pytest.mark.slow
def test_simulate_expert_command_serves(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "causalllm", "simulate-expert", "--truth", "asia", "--port", "0",
                             "--profile", "perfect"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split(" at ")[1].split(";")[0]
        cfg = EndpointConfig(base_url=url, model="any", api_key="x")
        c = OpenAIChatModel(cfg).complete(Prompts().direction("smoke", "", "lung", ""), "direction", {})
        assert json.loads(c.text)["answer"] == "A->B"  # asia's truth: smoke -> lung
    finally:
        proc.terminate()
        proc.wait(10)
    assert "SIMULATION" in line


def test_profiles():
    assert parse_profile("gpt4") == ("gpt4", 0.0) and parse_profile("flip=0.25") == ("flip", 0.25)
    for bad in ("gpt5", "flip=2", "flip=x"):
        with pytest.raises(ConfigError, match="unknown expert profile"):
            parse_profile(bad)
    perfect = SimulatedExpert(TRUTH, profile="perfect")
    assert [perfect.direction(a, b)["answer"] for a, b in [("smoking", "tar"), ("tar", "smoking"), ("smoking", "cancer")]] \
        == ["A->B", "B->A", "none"]
    flipped = SimulatedExpert(TRUTH, profile="flip=1.0")
    assert flipped.direction("smoking", "tar")["answer"] != "A->B"
    assert SimulatedExpert(TRUTH, profile="gpt4").direction("x", "tar")["answer"] == "unsure"  # not in the truth


def test_unreadable_question_is_answered_unsure():
    reply = json.loads(SimulatedExpert(TRUTH).reply({"messages": [{"role": "user", "content": "hi"}]}))
    assert reply["answer"] == "unsure" and "does not match" in reply["rationale"]


def test_identity_ignores_the_port():
    with SimulatedExpert(TRUTH, seed=2) as a, SimulatedExpert(TRUTH, seed=2) as b:
        assert a.url != b.url and a.identity == b.identity
