"""Shared test helpers: run the CLI in-process and as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from causalllm.cli import cli

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture
def run():
    """Invoke the CLI in-process; returns click's Result (stdout and stderr separate)."""
    runner = CliRunner()

    def _run(*args: str, ok: bool = True, env: dict | None = None):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False, env=env)
        if ok:
            assert result.exit_code == 0, f"exit {result.exit_code}\nstdout:{result.stdout}\nstderr:{result.stderr}"
        return result

    return _run


def run_subprocess(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m causalllm ARGS`` in a real process (for exit codes and tracebacks); it sees no key or endpoint,
    and its answer cache is the test's own (``_no_llm_env``), never the user's."""
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("OPENAI_", "CAUSALLLM_")) or k == "CAUSALLLM_CACHE_DIR"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "causalllm", *map(str, args)], capture_output=True, text=True,
                          env=full_env, timeout=timeout)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_llm_env(monkeypatch, tmp_path):
    """Tests never see a real key or endpoint, and never touch the user's cache."""
    for k in list(os.environ):
        if k.startswith("OPENAI_") or k.startswith("CAUSALLLM_") or k.startswith("AZURE_OPENAI"):
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("CAUSALLLM_CACHE_DIR", str(tmp_path / "user-cache"))
