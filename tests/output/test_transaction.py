"""The output folder is a transaction: the analyst's files are never touched, a full disk leaves the previous
complete run in place, a second run at once is refused, a name that cannot be written fails before any work."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest
from conftest import run_subprocess

from causalllm.errors import ConfigError
from causalllm.output.transaction import OutputFolder, planned_outputs


def _discover(out, *extra):
    return run_subprocess("discover", "sachs", "--llm", "none", "--out", out, "--quiet", *extra)


def test_the_analysts_own_files_are_never_touched(tmp_path):
    out = tmp_path / "project"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    (out / "edges.csv").write_text("my own edges")
    target = tmp_path / "elsewhere.txt"
    target.write_text("not yours")
    (out / ".edges.csv.partial").symlink_to(target)
    # a folder holding files causalllm did not write: refused, and with --force a clash is still refused
    proc = _discover(out)
    assert proc.returncode == 1
    assert "did not write" in proc.stderr
    proc = _discover(out, "--force")
    assert proc.returncode == 1
    assert "edges.csv" in proc.stderr
    (out / "edges.csv").unlink()
    proc = _discover(out, "--force")
    assert proc.returncode == 0, proc.stderr
    assert (out / "notes.txt").read_text() == "my notes"
    assert target.read_text() == "not yours"
    manifest = json.loads((out / "manifest.json").read_text())
    assert "notes.txt" not in manifest["files"]
    assert "edges.csv" in manifest["files"]
    # the next run replaces only what the last one wrote
    (out / "graph.svg").unlink()
    proc = _discover(out, "--format", "dot")
    assert proc.returncode == 0, proc.stderr
    assert (out / "notes.txt").read_text() == "my notes"
    assert not (out / "graph.svg").exists()


def test_a_name_that_cannot_be_written_fails_before_any_work(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "graph.gml").mkdir()  # a folder where an export would go
    with pytest.raises(ConfigError, match=r"graph\.gml"):
        OutputFolder.open(out, planned_outputs("svg", ["gml"]), force=True)


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "o"
    with OutputFolder.open(out, planned_outputs("svg", [])), pytest.raises(ConfigError, match="another causalllm run"):
        OutputFolder.open(out, planned_outputs("svg", []))
    with OutputFolder.open(out, planned_outputs("svg", [])):  # released
        pass


@pytest.mark.slow
def test_a_full_disk_during_the_save_keeps_the_previous_complete_run(tmp_path):
    out = tmp_path / "o"
    assert _discover(out).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
    limit = 6_000  # bytes: the data files fit (at most 5 KB here), the report does not

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CAUSALLLM_"))}
    proc = subprocess.run([sys.executable, "-m", "causalllm", "discover", "sachs", "--llm", "none", "--out", str(out),
                           "--quiet", "--no-fci"], capture_output=True, text=True, env=env, preexec_fn=small_files,
                          timeout=300)
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, proc.stderr
    assert "previous results" in errors[0]
    assert "Traceback" not in proc.stderr
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
    assert after == before
    assert not [p for p in out.iterdir() if p.name.startswith(".causalllm-staging-")]
