"""The docs stay true: every command has help, a README line and a docs section with an example; every
offline console example in the docs runs; every example script runs; the README stays short."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from conftest import ROOT

from causalllm.cli import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))}
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help(name):
    cmd = cli.commands[name]
    assert cmd.help
    assert len(cmd.help.strip()) > 20, f"{name} has no help text"
    for p in cmd.params:
        if isinstance(p, click.Option) and not p.hidden and p.name not in ("help", "version"):
            assert p.help, f"{name} option {p.opts} has no help"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_in_readme_and_docs(name):
    assert re.search(rf"`causalllm {re.escape(name)}`", README), f"no README line for {name}"
    docs = "\n".join(DOCS.values())
    assert re.search(rf"^#+ .*`causalllm {re.escape(name)}`", docs, re.M), f"no docs section for {name}"
    assert re.search(rf"^\s*\$? ?causalllm {re.escape(name)}\b", docs, re.M), f"no docs example for {name}"


def test_readme_is_short_and_states_the_set_up():
    assert len(README.splitlines()) <= 200
    assert "make demo" in README
    assert "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _console_commands() -> list[tuple[str, str]]:
    """``causalllm`` lines of the docs' ``console`` blocks (``sh`` blocks need a server or a key: not run)."""
    out = []
    for name, text in DOCS.items():
        for block in re.findall(r"```console\n(.*?)```", text, re.S):
            for line in block.splitlines():
                line = re.sub(r"\s+#.*$", "", line.removeprefix("$ ").strip())
                if line.startswith("causalllm "):
                    out.append((name, line))
    return out


def _prepare(tmp_path):
    """Files the examples name: a data file, its variables, a truth, and results folders to render and compare."""
    import shutil

    from causalllm.data import bundled

    for name, src in (("mydata.csv", "asia"), ("data.csv", "asia"), ("survey.csv", "survey")):
        shutil.copy(bundled.get(src).data_path, tmp_path / name)
    shutil.copy(bundled.get("asia").variables_path, tmp_path / "vars.csv")
    shutil.copy(bundled.get("asia").truth_path, tmp_path / "truth.csv")
    runner = CliRunner()
    for folder, data in (("results/asia", "asia"), ("results/sachs", "sachs")):  # the answer cache too
        runner.invoke(cli, ["discover", data, "--llm", "simulated", "--out", str(tmp_path / folder), "-q"])


@pytest.mark.slow
def test_every_offline_console_example_in_the_docs_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _prepare(tmp_path)
    runner = CliRunner()
    commands = _console_commands()
    assert len(commands) >= 10
    for page, line in commands:
        args = shlex.split(line)[1:]
        if "--port" in args:  # a server that runs until Ctrl-C: its options are checked instead
            args = [*args, "--help"]
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, (page, line, res.output[-2000:])


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "examples").glob("*.py")))
def test_every_example_script_runs(script, tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip()
