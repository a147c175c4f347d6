"""Every CLI command has help text and appears in the README with an example."""

from __future__ import annotations

import re

import click
import pytest
from conftest import ROOT

from causalllm.cli import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help(name):
    cmd = cli.commands[name]
    assert cmd.help, f"{name} has no help text"
    assert len(cmd.help.strip()) > 20, f"{name} has no help text"
    for p in cmd.params:
        if isinstance(p, click.Option) and not p.hidden and p.name not in ("help", "version"):
            assert p.help, f"{name} option {p.opts} has no help"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_in_readme(name):
    assert re.search(rf"^#+ .*`causalllm {re.escape(name)}", README, re.M), f"no README section for {name}"
    assert re.search(rf"^\s*\$? ?causalllm {re.escape(name)}\b", README, re.M), f"no README example for {name}"


def test_readme_set_up_commands():
    assert "make demo" in README
    assert "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
