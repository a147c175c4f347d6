"""One RunConfig: the CLI and Python build the same run; unknown options fail; the documented lookup order."""

from __future__ import annotations

import dataclasses
import json

import click
import pytest
from conftest import run_subprocess

from causalllm.cli import cli
from causalllm.config import LLMConfig, RunConfig, choose_backend, default_cache_path, show_requests
from causalllm.errors import ConfigError
from causalllm.expert.endpoint import resolve_endpoint


def test_config_lookup_order():
    """Options first, then the environment, then defaults; the key never in repr or public()."""
    env = {"OPENAI_API_KEY": "k1", "MYKEY": "k2", "OPENAI_BASE_URL": "http://localhost:8000/v1", "CAUSALLLM_MODEL": "llama"}
    c = resolve_endpoint(environ=env)
    assert (c.api_key, c.base_url, c.model, c.key_source) == ("k1", "http://localhost:8000/v1", "llama", "$OPENAI_API_KEY")
    c = resolve_endpoint(api_key_env="MYKEY", model="x", base_url="http://h:1/v1", environ=env)
    assert (c.api_key, c.base_url, c.model) == ("k2", "http://h:1/v1", "x")
    assert "k2" not in repr(c)
    assert "k2" not in json.dumps(c.public())
    with pytest.raises(ConfigError, match="MISSING"):
        resolve_endpoint(api_key_env="MISSING", environ=env)
    with pytest.raises(ConfigError, match="no API key"):
        resolve_endpoint(environ={})
    with pytest.raises(ConfigError, match="not an http"):
        resolve_endpoint(base_url="localhost:11434", environ={})


def test_backend_and_cache_lookup():
    assert choose_backend(None, environ={}) == "none"
    assert choose_backend(None, environ={"OPENAI_BASE_URL": "http://h/v1"}) == "openai"
    assert choose_backend("simulated", environ={"OPENAI_API_KEY": "k"}) == "simulated"
    with pytest.raises(ConfigError, match="unknown --llm"):
        choose_backend("gpt", environ={})
    assert default_cache_path({"CAUSALLLM_CACHE_DIR": "/x"}).as_posix() == "/x/llm_cache.sqlite"
    assert show_requests({"CAUSALLLM_SHOW_REQUESTS": "1"})
    assert not show_requests({"CAUSALLLM_SHOW_REQUESTS": "0"})


def test_unknown_option_is_an_error_never_swallowed():
    with pytest.raises(ConfigError, match=r"unknown option.*alpah"):
        RunConfig.from_options(data="asia", alpah=0.1)
    with pytest.raises(ConfigError, match="unknown --merge 'magic'"):
        RunConfig(data="asia", merge="magic")
    with pytest.raises(ConfigError, match="alpha"):
        RunConfig(data="asia", alpha=1.5)
    with pytest.raises(ConfigError, match="--samples"):
        LLMConfig(samples=0)
    with pytest.raises(ConfigError, match="--priors replaces the LLM"):
        RunConfig(data="asia", priors="p.csv", llm=LLMConfig(backend="simulated"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        RunConfig(data="asia").alpha = 0.1  # type: ignore[misc]


def _cli_config(*args: str) -> RunConfig:
    """The RunConfig the CLI builds for ``discover ARGS`` (click parses, nothing runs)."""
    cmd = cli.commands["discover"]
    ctx = cmd.make_context("discover", list(args))
    return RunConfig.from_options(**ctx.params)


def test_cli_and_python_build_the_same_config():
    from_cli = _cli_config("asia", "--llm", "simulated", "--merge", "orient", "--alpha", "0.01", "--columns",
                           "asia,tub, smoke,lung,bronc,either,xray,dysp", "--samples", "2", "--out", "o")
    in_python = RunConfig(data="asia", alpha=0.01, merge="orient", out="o",
                          columns=("asia", "tub", "smoke", "lung", "bronc", "either", "xray", "dysp"),
                          llm=LLMConfig(backend="simulated", samples=2))
    assert from_cli == in_python
    assert _cli_config("asia", "--out", "o") == RunConfig(data="asia", out="o")


def test_every_click_choice_comes_from_a_registry():
    """No copied choice lists: each Choice the CLI offers is a stage's registry (its tuple, or its entries' names)."""
    import importlib

    registries = set()
    for stage in ("data", "discovery", "expert", "graph", "merge.policies", "output", "bench"):
        module = importlib.import_module(f"causalllm.{stage}" + ("" if "." in stage else ".registry"))
        for k, v in vars(module).items():
            if k.isupper() and isinstance(v, (tuple, dict)):
                registries.add(tuple(v))
    for name, cmd in cli.commands.items():
        for p in cmd.params:
            if isinstance(p.type, click.Choice):
                assert tuple(p.type.choices) in registries, (name, p.name, p.type.choices)


@pytest.mark.slow
def test_same_run_from_the_cli_and_from_python(tmp_path):
    """The CLI and a Python RunConfig write the same files (timestamps and timings aside)."""
    from causalllm.pipeline import run

    proc = run_subprocess("discover", "asia", "--llm", "simulated", "--profile", "gpt4", "--out", tmp_path / "cli",
                          "--format", "dot", "--quiet", "--no-cache", "--merge", "orient", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    run(RunConfig(data="asia", out=str(tmp_path / "py"), fmt="dot", quiet=True, merge="orient", seed=3,
                  llm=LLMConfig(backend="simulated", profile="gpt4", no_cache=True)))
    names = sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "py").iterdir())
    assert "priors.csv" in names
    for name in set(names) - {"manifest.json", "report.html", "llm_answers.jsonl"}:  # these hold timings
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "py" / name).read_bytes(), name
    cli_m, py_m = (json.loads((tmp_path / d / "manifest.json").read_text()) for d in ("cli", "py"))
    assert cli_m["options"] == py_m["options"]
    assert cli_m["llm"] == py_m["llm"]

