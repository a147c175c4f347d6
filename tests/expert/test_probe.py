"""--probe-memorisation: answered pairs re-asked with disguised names; the changed answers counted and shown."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from conftest import run_subprocess
from fakes import FakeChatModel

from causalllm.data import load_dataset
from causalllm.errors import ConfigError
from causalllm.expert.asker import LLMPriors, probe_memorisation

ASIA = nx.DiGraph([("asia", "tub"), ("smoke", "lung"), ("smoke", "bronc"), ("tub", "either"), ("lung", "either"),
                   ("either", "xray"), ("either", "dysp"), ("bronc", "dysp")])


def test_disguise_hides_names_descriptions_and_context():
    ds = load_dataset("asia")
    model = FakeChatModel(truth=ASIA, profile="perfect")
    asker = LLMPriors(model, strategy="all", confounders="none").fit(ds)
    before = len(model.calls)
    out = probe_memorisation(asker, ds, 10, seed=0)
    probe_calls = model.calls[before:]
    assert len(probe_calls) == 2 * out["pairs"] == 20
    text = json.dumps([c["messages"] for c in probe_calls]).lower()
    for name in ds.columns:  # no variable name, description word or context reaches the model
        assert f'"{name}"' not in text
        assert f" {name} " not in text
    assert "x1" in text
    assert "a discrete (categorical) variable" in text
    assert ds.descriptions["smoke"].lower() not in text
    # a perfect expert that only knew the names falls to guessing: most answers change
    assert out["changed"] >= 4
    assert out["share_changed"] == out["changed"] / out["pairs"]
    for item in out["items"]:
        assert item["changed"] == (item["answer"] != item["disguised_answer"])


def test_an_expert_that_reasons_from_the_prompt_changes_nothing():
    """A model whose answer does not depend on the names gives the same answers disguised."""
    ds = load_dataset("asia")
    def reply(messages, n):  # the names play no part (the same reply to every question is screened out)
        return json.dumps({"answer": "none", "confidence": 0.6 + n % 5 / 20, "rationale": "no mechanism described"})

    asker = LLMPriors(FakeChatModel(reply), strategy="all", confounders="none").fit(ds)
    out = probe_memorisation(asker, ds, 5, seed=3)
    assert out["pairs"] == 5
    assert out["changed"] == 0
    with pytest.raises(ConfigError, match="at least 1"):
        probe_memorisation(asker, ds, 0)


def test_probe_in_report_manifest_and_errors(run, tmp_path):
    run("discover", "asia", "--llm", "simulated", "--profile", "perfect", "--probe-memorisation", "4", "--no-fci",
        "--no-falsify", "--out", tmp_path, "--quiet")
    m = json.loads((tmp_path / "manifest.json").read_text())
    probe = m["memorisation_probe"]
    assert probe["pairs"] == 4
    assert len(probe["items"]) == 4
    assert m["options"]["probe_memorisation"] == 4
    html = (tmp_path / "report.html").read_text()
    assert "id='probe'" in html
    assert f"<b>{probe['changed']}</b> answer(s)" in html
    bad = run_subprocess("discover", "asia", "--llm", "none", "--probe-memorisation", "3", "--out", str(tmp_path / "x"))
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines()[-1].startswith("Error: --probe-memorisation")
    assert "Traceback" not in bad.stderr


def test_ask_probes_too(run, tmp_path):
    run("ask", "asia", "--llm", "simulated", "--probe-memorisation", "3", "--out", tmp_path, "--quiet")
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["memorisation_probe"]["pairs"] == 3
    assert "probe" in m["timings_s"]
    assert "id='probe'" in (tmp_path / "report.html").read_text()
