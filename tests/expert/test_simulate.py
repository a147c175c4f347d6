"""The simulated expert: profiles, faults, and the simulate-expert command over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fakes import TRUTH

from causalllm.errors import ConfigError
from causalllm.expert.client import OpenAIChatModel
from causalllm.expert.endpoint import EndpointConfig
from causalllm.expert.prompts import Prompts
from causalllm.expert.simulate import SimulatedExpert, parse_profile


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
    assert parse_profile("gpt4") == ("gpt4", 0.0)
    assert parse_profile("flip=0.25") == ("flip", 0.25)
    for bad in ("gpt5", "flip=2", "flip=x"):
        with pytest.raises(ConfigError, match="unknown expert profile"):
            parse_profile(bad)
    perfect = SimulatedExpert(TRUTH, profile="perfect")
    assert [perfect.direction(a, b)["answer"] for a, b in [("smoking", "tar"), ("tar", "smoking"), ("smoking", "cancer")]] \
        == ["A->B", "B->A", "none"]
    flipped = SimulatedExpert(TRUTH, profile="flip=1.0")
    assert flipped.direction("smoking", "tar")["answer"] != "A->B"
    unknown = SimulatedExpert(TRUTH, profile="gpt4").direction("x", "tar")  # not in the truth: a guess
    assert "answered as if anonymised" in unknown["rationale"]
    assert parse_profile("topical") == ("topical", 0.5)
    assert parse_profile("confident-wrong=0.3") == ("confident-wrong", 0.3)


def _rates(sim, T):
    """Direction accuracy on true edges, split by whether a pair touches an unknown variable."""
    known, unknown = [], []
    for u, v in T.edges:
        ans = sim.direction(u, v)["answer"]
        (unknown if {u, v} & sim.unknown else known).append(ans == "A->B")
    return known, unknown


def test_realistic_profiles_cluster_their_errors():
    from causalllm.graph import read_graph

    T = read_graph("datasets/alarm/truth.csv")
    topical = SimulatedExpert(T, profile="topical=0.5", seed=3)
    assert len(topical.unknown) == round(0.5 * T.number_of_nodes())
    # unknown variables come as topics: most of them have an unknown neighbour
    U = T.to_undirected()
    clustered = sum(1 for n in topical.unknown if set(U[n]) & topical.unknown)
    assert clustered >= 0.8 * len(topical.unknown)
    known, unknown = _rates(topical, T)
    assert sum(known) / len(known) > 0.9
    assert sum(unknown) / len(unknown) < 0.5
    # anonymised: chance direction, frequent "none", whatever the truth
    anon = SimulatedExpert(T, profile="anonymised", seed=3)
    answers = [anon.direction(u, v)["answer"] for u, v in T.edges]
    assert 0.2 < answers.count("none") / len(answers) < 0.6
    assert answers.count("A->B") < 0.5 * len(answers)
    # confident-wrong: the misconceived edges are reversed in both orders, with high confidence
    cw = SimulatedExpert(T, profile="confident-wrong=0.3", seed=3)
    wrong = [(u, v) for u, v in T.edges if cw.misconceived(u, v)]
    assert 0.15 * T.number_of_edges() < len(wrong) < 0.45 * T.number_of_edges()
    for u, v in wrong:
        a, b = cw.direction(u, v), cw.direction(v, u)
        assert (a["answer"], b["answer"]) == ("B->A", "A->B")
        assert min(a["confidence"], b["confidence"]) >= 0.9
    right = [cw.direction(u, v)["answer"] == "A->B" for u, v in T.edges if not cw.misconceived(u, v)]
    assert sum(right) / len(right) > 0.9


def test_unreadable_question_is_answered_unsure():
    reply = json.loads(SimulatedExpert(TRUTH).reply({"messages": [{"role": "user", "content": "hi"}]}))
    assert reply["answer"] == "unsure"
    assert "does not match" in reply["rationale"]


def test_identity_ignores_the_port():
    with SimulatedExpert(TRUTH, seed=2) as a, SimulatedExpert(TRUTH, seed=2) as b:
        assert a.url != b.url
        assert a.identity == b.identity


def test_order_bias_combines_with_every_profile():
    from causalllm.graph import read_graph

    T = read_graph("datasets/asia/truth.csv")
    for profile in ("topical", "anonymised", "confident-wrong=0.5", "gpt4"):
        sim = SimulatedExpert(T, profile=profile, seed=1, order_bias=1.0)
        assert {sim.direction(v, u)["answer"] for u, v in T.edges} == {"A->B"}, profile
