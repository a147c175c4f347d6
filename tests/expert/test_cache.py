"""The SQLite answer cache: reuse across runs and ports, what a row holds, concurrent writers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
from fakes import TRUTH, model_for, small_ds

from causalllm.errors import ConfigError
from causalllm.expert.asker import LLMPriors
from causalllm.expert.cache import AnswerCache, cache_key
from causalllm.expert.simulate import SimulatedExpert


def test_cache_reuse_zero_calls_and_port_independent(tmp_path):
    cache = AnswerCache(tmp_path / "c.sqlite")
    with SimulatedExpert(TRUTH, profile="gpt4", seed=3) as s1:
        a = LLMPriors(model_for(s1.url, s1.identity), strategy="all", cache=cache).fit(small_ds())
        url1 = s1.url
    with SimulatedExpert(TRUTH, profile="gpt4", seed=3) as s2:  # a new ephemeral port
        assert s2.url != url1
        b = LLMPriors(model_for(s2.url, s2.identity), strategy="all", cache=cache).fit(small_ds())
        assert len(s2.requests) == 0
    assert b.stats_["calls"] == 0
    assert b.stats_["cache_hits"] == a.stats_["questions"]
    assert {k: v.answer for k, v in a.pairs_.items()} == {k: v.answer for k, v in b.pairs_.items()}
    row = sqlite3.connect(tmp_path / "c.sqlite").execute(
        "SELECT key, raw_response, parsed, prompt_tokens, latency_s FROM answers LIMIT 1").fetchone()
    assert "Variable A" in json.dumps(cache.request(row[0]))
    assert json.loads(row[2])
    assert row[3] > 0
    assert row[4] >= 0


@pytest.mark.slow
def test_cache_concurrent_writers(tmp_path):
    """Several processes writing one cache file at once: no corruption, every row present."""
    code = ("import sys; from causalllm.expert.cache import AnswerCache; c = AnswerCache(sys.argv[1]); w = sys.argv[2]\n"
            "for i in range(200):\n"
            "    c.put(f'{w}-{i}', endpoint='e', model='m', request={'i': i}, raw='{}', parsed={'i': i}, status='ok')\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "c.sqlite"), str(w)]) for w in range(4)]
    assert all(p.wait(60) == 0 for p in procs)
    con = sqlite3.connect(tmp_path / "c.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 800


def test_key_depends_on_everything_that_determines_an_answer():
    base = cache_key("e", "m", [{"role": "user", "content": "q"}], {"temperature": 0})
    assert base == cache_key("e", "m", [{"role": "user", "content": "q"}], {"temperature": 0})
    assert len({base, cache_key("e2", "m", [{"role": "user", "content": "q"}], {"temperature": 0}),
                cache_key("e", "m", [{"role": "user", "content": "q2"}], {"temperature": 0}),
                cache_key("e", "m", [{"role": "user", "content": "q"}], {"temperature": 0.7})}) == 4


def test_unusable_cache_path_is_a_config_error(tmp_path):
    (tmp_path / "f").write_text("a file, not a folder")
    with pytest.raises(ConfigError, match="--no-cache"):
        AnswerCache(tmp_path / "f" / "c.sqlite")



def test_cache_commands_info_prune_export_import(tmp_path):
    from click.testing import CliRunner

    from causalllm.cli import cli

    src = tmp_path / "a.sqlite"
    c = AnswerCache(src)
    c.put("k1", endpoint="e", model="gpt-x", request={}, raw="{}", parsed={"a": 1}, status="ok", prompt_version="3")
    c.put("k2", endpoint="e", model="gpt-x", request={}, raw="prose", parsed=None, status="invalid", prompt_version="3")
    c.put("k3", endpoint="e", model="llama", request={}, raw="{}", parsed={"a": 2}, status="ok", prompt_version="2")
    run = CliRunner().invoke
    res = run(cli, ["cache", "info", "--cache", str(src), "--json"])
    info = __import__("json").loads(res.output)
    assert info["answers"] == 3
    assert info["by_model"] == {"gpt-x": 2, "llama": 1}
    assert info["by_status"] == {"ok": 2, "invalid": 1}
    assert info["by_prompt_version"] == {"3": 2, "2": 1}
    assert run(cli, ["cache", "prune", "--cache", str(src)]).exit_code == 1  # nothing said: nothing pruned
    res = run(cli, ["cache", "prune", "--cache", str(src), "--unusable"])
    assert "removed 1 answers" in res.output
    assert len(AnswerCache(src)) == 2
    out = tmp_path / "answers.jsonl"
    assert run(cli, ["cache", "export", "--cache", str(src), str(out)]).exit_code == 0
    dst = tmp_path / "b.sqlite"
    res = run(cli, ["cache", "import", "--cache", str(dst), str(out)])
    assert "imported 2 answers" in res.output
    assert AnswerCache(dst).get("k3")["parsed"] == {"a": 2}  # replayable as if asked here
    res = run(cli, ["cache", "import", "--cache", str(dst), str(out)])
    assert "imported 0 answers (2 already there" in res.output
    res = run(cli, ["cache", "prune", "--cache", str(dst), "--model", "llama", "--prompt-version", "2"])
    assert "removed 1 answers" in res.output
    (tmp_path / "bad.jsonl").write_text('{"key": "x"}\n')
    res = run(cli, ["cache", "import", "--cache", str(dst), str(tmp_path / "bad.jsonl")])
    assert res.exit_code == 1
    assert "line 1 is not an exported answer" in res.output
    res = run(cli, ["cache", "info", "--cache", str(tmp_path / "none.sqlite")])
    assert res.exit_code == 1
    assert "no answer cache" in res.output


def test_requests_are_stored_compactly_and_read_back_whole(tmp_path):
    import sqlite3

    c = AnswerCache(tmp_path / "c.sqlite")
    instructions = "You are an expert. Answer in JSON with answer, confidence and rationale. " * 10
    requests = {f"k{i}": {"messages": [{"role": "system", "content": instructions},
                                       {"role": "user", "content": f"Does variable_{i} cause outcome_{i}?"}],
                          "params": {"temperature": 0.0, "seed": i}} for i in range(200)}
    for k, req in requests.items():
        c.put(k, endpoint="e", model="m", request=req, raw="{}", parsed={}, status="ok", kind="direction",
              prompt_version="3")
    con = sqlite3.connect(tmp_path / "c.sqlite")
    stored = con.execute("SELECT SUM(LENGTH(request)) FROM answers").fetchone()[0]
    plain = sum(len(__import__("json").dumps(r)) for r in requests.values())
    assert stored < plain / 8, (stored, plain)  # the shared instructions are stored once
    assert all(c.request(k) == r for k, r in requests.items())
    # a row from an older cache (plain JSON text) still reads
    con.execute("UPDATE answers SET request=? WHERE key='k0'", ('{"messages": []}',))
    con.commit()
    assert AnswerCache(tmp_path / "c.sqlite").request("k0") == {"messages": []}


def test_a_file_damaged_under_a_running_cache_costs_one_warning(tmp_path):
    """The file goes bad while a run asks (seen when two benchmarks shared one cache: "database disk image is
    malformed" raised from packing a request): the next thread cannot open it — one warning, no exception."""
    import threading

    from causalllm.expert.cache import AnswerCache

    path = tmp_path / "c.sqlite"
    cache = AnswerCache(path)
    for f in tmp_path.glob("c.sqlite*"):
        f.unlink()
    path.mkdir()  # what was the file is now something SQLite cannot open
    errors: list[BaseException] = []

    def put(i: int) -> None:
        try:
            cache.put(f"k{i}", endpoint="e", model="m", request={"q": i}, raw="{}", parsed={"a": 1}, status="ok",
                      kind=f"kind{i}")
        except BaseException as e:  # noqa: BLE001 - the point: nothing may escape
            errors.append(e)

    import logging

    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("causalllm").addHandler(handler)
    try:
        for i in range(3):
            t = threading.Thread(target=put, args=(i,))
            t.start()
            t.join()
    finally:
        logging.getLogger("causalllm").removeHandler(handler)
    assert not errors
    assert sum("could not write" in m for m in seen) == 1
