"""The streaming pass and the Dask reduction give what the in-memory loader gives, without the float frame."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from fakes import linear_data

from causalllm.cli import cli
from causalllm.data import load_dataset, stream
from causalllm.data.dask import dask_dataset
from causalllm.data.stream import stream_dataset
from causalllm.discovery.citests import DiscreteTest
from causalllm.discovery.pc import PCDiscovery, fci_graph
from causalllm.errors import CausalLLMError, ConfigError, DataError

EDGES = [("a", "b"), ("b", "c"), ("a", "d"), ("d", "c"), ("c", "e")]


@pytest.fixture(autouse=True)
def small_sample(monkeypatch):
    # a small type-guessing sample, so these small files exercise what a big file meets after its first rows
    monkeypatch.setattr(stream, "SAMPLE_ROWS", 200)


def _mixed(n: int = 3000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = linear_data(EDGES, n=n, seed=seed)
    df["k"] = (df["b"] > 0).astype(int) + rng.integers(0, 2, n)
    df["t"] = np.where(df["e"] + rng.normal(size=n) > 0.5, "high", "low")
    df["id"] = np.arange(n)
    df.loc[rng.random(n) < 0.03, "d"] = np.nan
    df.loc[7, "t"] = None
    df["late"] = 0  # constant through the sample, varying after it: the guess must be corrected
    df.loc[2000:, "late"] = rng.integers(0, 3, n - 2000)
    return df


def assert_same_dataset(a, b):
    assert a.types == b.types
    assert a.excluded == b.excluded
    assert a.n_dropped == b.n_dropped
    assert a.n_rows == b.n_rows
    assert a.columns == b.columns


def assert_same_pc(a: PCDiscovery, b: PCDiscovery):
    assert a.test_ == b.test_
    assert sorted(a.graph_.edges(data="mark")) == sorted(b.graph_.edges(data="mark"))
    assert a.sepsets_ == b.sepsets_
    assert a.p_values_.keys() == b.p_values_.keys()
    assert max(abs(a.p_values_[k] - b.p_values_[k]) for k in a.p_values_) < 1e-9


@pytest.mark.parametrize("kind", ["continuous", "discrete", "mixed"])
def test_streamed_file_gives_the_in_memory_result(tmp_path, kind):
    df = _mixed()
    if kind == "continuous":
        df = df[["a", "b", "c", "d", "e", "id"]]
    elif kind == "discrete":
        df = df[["k", "t", "late"]].assign(bd=(df["b"] > 0.3).astype(int), cq=pd.qcut(df["c"], 3, labels=False))
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    small, big = load_dataset(path), stream_dataset(path)
    assert_same_dataset(small, big)
    assert big.load_info["streamed"]
    assert big.load_info["rows_read"] == len(df)
    if kind == "continuous":
        assert big.frame is None
        assert big.stats is not None
        assert np.allclose(big.stats.corr(), np.corrcoef(small.frame.to_numpy(float).T), atol=1e-12)
    else:
        assert big.load_info["passes"] == 2  # 'late' looked constant in the sample
    assert_same_pc(PCDiscovery().fit(small), PCDiscovery().fit(big))


def test_discrete_codes_take_one_byte_per_cell(tmp_path):
    df = _mixed()[["k", "t", "late"]]
    df.to_csv(tmp_path / "d.csv", index=False)
    ds = stream_dataset(tmp_path / "d.csv")
    assert all(ds.frame[c].cat.codes.dtype == np.int8 for c in ds.columns)
    codes = np.column_stack([ds.frame[c].cat.codes.to_numpy() for c in ds.columns])
    assert DiscreteTest(codes)._cols.dtype == np.uint8
    assert list(ds.frame["t"].cat.categories) == ["high", "low"]  # sorted, as the small path's codes


def test_streamed_tables_work_with_knowledge_and_fci(tmp_path):
    path = tmp_path / "c.csv"
    linear_data(EDGES, n=3000).to_csv(path, index=False)
    small, big = PCDiscovery().fit(load_dataset(path)), PCDiscovery().fit(stream_dataset(path))
    assert big.data_ is None
    # causal-learn's algorithm (background knowledge) on the statistics, against it on the rows
    req = [("b", "c")]
    assert_same_pc(small.with_knowledge(req, [("e", "c")]), big.with_knowledge(req, [("e", "c")]))
    assert sorted(fci_graph(small).edges(data="mark")) == sorted(fci_graph(big).edges(data="mark"))


def test_a_test_that_needs_rows_says_so(tmp_path):
    path = tmp_path / "c.csv"
    linear_data(EDGES, n=500).to_csv(path, index=False)
    with pytest.raises(ConfigError, match=r"needs the data rows.*--stream never"):
        PCDiscovery(test="kci").fit(stream_dataset(path))


def test_stray_text_after_the_sample_is_reported_with_its_line(tmp_path):
    df = linear_data(EDGES, n=1000)
    lines = df.to_csv(index=False).splitlines()
    row = 800
    cells = lines[row].split(",")
    cells[2] = "n/a?"
    lines[row] = ",".join(cells)
    (tmp_path / "s.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"column 'c' .* non-numeric value 'n/a\?' \(line {row + 1}\)"):
        stream_dataset(tmp_path / "s.csv")


def test_numbers_after_an_empty_start_and_a_typo_among_them(tmp_path):
    df = linear_data(EDGES, n=1000)
    df["late"] = np.nan
    df.loc[500:, "late"] = df.loc[500:, "a"] * 2
    df.to_csv(tmp_path / "ok.csv", index=False)
    small, big = load_dataset(tmp_path / "ok.csv"), stream_dataset(tmp_path / "ok.csv")
    assert big.types["late"] == "continuous"
    assert big.n_dropped == small.n_dropped == 500
    df["late"] = df["late"].astype(object)
    df.loc[900, "late"] = "oops"
    df.to_csv(tmp_path / "typo.csv", index=False)
    with pytest.raises(DataError, match=r"column 'late' .* 'oops' \(line 902\)"):
        stream_dataset(tmp_path / "typo.csv")


def test_missing_error_and_bad_files(tmp_path):
    df = _mixed()[["a", "b", "d"]]
    df.to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(DataError, match=r"missing values in d \(\d+\); fill them in or use --missing drop"):
        stream_dataset(tmp_path / "m.csv", missing="error")
    (tmp_path / "r.csv").write_text("a,b\n" + "1,2\n" * 300 + "3,4,5\n")
    with pytest.raises(DataError, match="more fields than its header"):
        stream_dataset(tmp_path / "r.csv")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"only UTF-8 \.csv and \.tsv files, and \.parquet files"):
        stream_dataset(tmp_path / "x.json")


def test_cli_streams_and_records_it(tmp_path):
    path = tmp_path / "c.csv"
    linear_data(EDGES, n=2000).to_csv(path, index=False)
    runner = CliRunner()
    outs = {}
    for mode in ("always", "never"):
        out = tmp_path / mode
        res = runner.invoke(cli, ["discover", str(path), "--llm", "none", "--stream", mode, "--format", "dot",
                                  "--out", str(out), "--quiet"])
        assert res.exit_code == 0, res.output
        outs[mode] = out
    assert (outs["always"] / "edges.csv").read_text() == (outs["never"] / "edges.csv").read_text()
    loading = json.loads((outs["always"] / "manifest.json").read_text())["loading"]
    assert loading["streamed"] is True
    assert loading["rows_read"] == 2000
    assert loading["reader"].startswith("polars")
    assert json.loads((outs["never"] / "manifest.json").read_text())["loading"]["streamed"] is False


# ------------------------------------------------------------------ Dask
@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="the dask extra is part of the test extra")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as c:
        yield c


@pytest.mark.slow
def test_dask_cluster_gives_the_in_process_graph(tmp_path, cluster):
    import dask.dataframe as dd
    from distributed import Client

    df = _mixed(4000).drop(columns=["late"])
    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(4):
        df.iloc[i * 1000:(i + 1) * 1000].to_parquet(parts / f"p{i}.parquet")
    df.to_csv(tmp_path / "all.csv", index=False)
    with Client(cluster):
        on_cluster = dask_dataset(dd.read_parquet(str(parts / "*.parquet")))
    local = load_dataset(tmp_path / "all.csv")
    assert_same_dataset(local, on_cluster)
    assert on_cluster.load_info["partitions"] == 4
    assert_same_pc(PCDiscovery().fit(local), PCDiscovery().fit(on_cluster))
    # and through the CLI, pointed at the cluster's scheduler
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["discover", str(parts / "*.parquet"), "--dask", cluster.scheduler_address,
                                   "--llm", "none", "--format", "dot", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    ref = tmp_path / "ref"
    res = CliRunner().invoke(cli, ["discover", str(tmp_path / "all.csv"), "--llm", "none", "--format", "dot",
                                   "--out", str(ref), "--quiet"])
    assert (out / "edges.csv").read_text() == (ref / "edges.csv").read_text()
    loading = json.loads((out / "manifest.json").read_text())["loading"]
    assert loading["dask"] == cluster.scheduler_address
    assert loading["partitions"] == 4


@pytest.mark.slow
def test_dask_errors_are_one_line(tmp_path, cluster):
    res = CliRunner().invoke(cli, ["discover", str(tmp_path / "none*.parquet"), "--dask", cluster.scheduler_address,
                                   "--llm", "none", "--out", str(tmp_path / "o")])
    assert res.exit_code != 0
    assert "no file matches" in res.output
    df = linear_data(EDGES, n=400).astype(object)
    df.loc[350, "c"] = "oops"
    (tmp_path / "p").mkdir()
    df.iloc[:200].to_csv(tmp_path / "p" / "a.csv", index=False)
    df.iloc[200:].to_csv(tmp_path / "p" / "b.csv", index=False)
    res = CliRunner().invoke(cli, ["discover", str(tmp_path / "p" / "*.csv"), "--dask", cluster.scheduler_address,
                                   "--llm", "none", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1, res.output
    assert "non-numeric value 'oops'" in res.output, res.output
    assert isinstance(res.exception, SystemExit)
    assert not isinstance(res.exception, CausalLLMError)


def test_progress_on_stderr(tmp_path, capsys):
    path = tmp_path / "c.csv"
    linear_data(EDGES, n=500).to_csv(path, index=False)
    stream_dataset(path, progress=True)
    err = capsys.readouterr().err
    assert "reading c.csv" in err
    assert "500 rows" in err
    pd.read_csv(path).to_parquet(tmp_path / "c.parquet")
    stream_dataset(tmp_path / "c.parquet", progress=True)
    assert "500 rows" in capsys.readouterr().err
    stream_dataset(path, progress=False)
    assert capsys.readouterr().err == ""


def test_partials_merge_codes_past_one_byte():
    import dask.dataframe as dd

    from causalllm.data import Dataset

    n = 3000
    rng = np.random.default_rng(3)
    # 300 categories, the second half only in later partitions: merged codes outgrow one byte
    lab = np.where(np.arange(n) < 1500, rng.integers(0, 200, n), rng.integers(100, 300, n))
    df = pd.DataFrame({"g": [f"g{v:03}" for v in lab], "h": rng.integers(0, 3, n), "x": rng.normal(size=n)})
    ds = dask_dataset(dd.from_pandas(df, npartitions=3), name="t")
    ref = Dataset.from_frame(df)
    assert ds.types == ref.types
    assert ds.load_info["partitions"] == 3
    assert ds.frame["g"].cat.codes.dtype == np.int16
    assert len(ds.frame["g"].cat.categories) == 300
    assert (ds.frame["g"].astype(str).to_numpy() == df["g"].to_numpy()).all()
    assert_same_pc(PCDiscovery().fit(ref), PCDiscovery().fit(ds))


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_a_folder_or_glob_of_files_is_one_table_streamed_locally(tmp_path, kind):
    whole = linear_data([("a", "b"), ("b", "c"), ("c", "d")], n=3000)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, start in enumerate(range(0, 3000, 1000)):
        chunk = whole.iloc[start:start + 1000]
        if kind == "parquet":
            chunk.to_parquet(parts / f"part-{i}.parquet")
        else:
            chunk.to_csv(parts / f"part-{i}.csv", index=False)
    (parts / "_SUCCESS").write_text("")  # what Spark and Dask leave beside their parts
    ref = PCDiscovery().fit(load_dataset_frame(whole))
    for spec in (parts, parts / f"*.{kind}"):
        for stream_opt in ("auto", "never"):
            out = tmp_path / f"o-{stream_opt}"
            res = CliRunner().invoke(cli, ["discover", str(spec), "--llm", "none", "--out", str(out), "--force",
                                           "--stream", stream_opt])
            assert res.exit_code == 0, res.output
            m = json.loads((out / "manifest.json").read_text())
            assert m["n_rows"] == 3000
            assert len(m["inputs"]) == 3
            assert m["loading"]["streamed"] == (stream_opt == "auto")
            G = __import__("causalllm").read_graph(out)
            assert sorted(G.edges(data="mark")) == sorted(ref.graph_.edges(data="mark"))
    # files that are not one table, and patterns that match nothing, are one-line errors
    other = whole.rename(columns={"d": "e"}).iloc[:10]
    if kind == "parquet":
        other.to_parquet(parts / "part-9.parquet")
    else:
        other.to_csv(parts / "part-9.csv", index=False)
    res = CliRunner().invoke(cli, ["discover", str(parts), "--llm", "none", "--out", str(tmp_path / "bad")])
    assert res.exit_code == 1
    assert "part-9" in res.output
    assert "need one header" in res.output or "share one header" in res.output
    res = CliRunner().invoke(cli, ["discover", str(tmp_path / "nothing*.parquet"), "--llm", "none", "--out",
                                   str(tmp_path / "bad2")])
    assert res.exit_code == 1
    assert "does not exist" in res.output or "holds no .csv" in res.output


def load_dataset_frame(df):
    from causalllm.data import Dataset

    return Dataset.from_frame(df)


def test_a_numeric_sentinel_is_said_and_na_values_reads_it_as_missing(tmp_path):
    df = linear_data([("a", "b"), ("b", "c")], n=500)
    df.loc[:19, "b"] = -999
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    for stream_opt in ("never", "always"):
        res = CliRunner().invoke(cli, ["discover", str(path), "--llm", "none", "--out", str(tmp_path / stream_opt),
                                       "--stream", stream_opt])
        assert res.exit_code == 0, res.output
        assert "column 'b'" in res.output
        assert "-999 appears 20 times at its minimum" in res.output
        assert "add --na-values -999" in res.output
    res = CliRunner().invoke(cli, ["discover", str(path), "--llm", "none", "--out", str(tmp_path / "na"),
                                   "--na-values", "-999"])
    assert res.exit_code == 0
    assert "appears 20 times" not in res.output
    assert json.loads((tmp_path / "na" / "manifest.json").read_text())["n_dropped_rows"] == 20


def test_a_priors_file_from_the_full_variable_list_works_on_the_filtered_table(tmp_path):
    df = linear_data([("a", "b"), ("b", "c")], n=500)
    df["id"] = range(500)  # ID-like: left out
    df["const"] = 1  # constant: left out
    df.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "priors.csv").write_text("source,target,answer,confidence\na,b,-->,0.9\nid,a,-->,0.9\n"
                                         "b,c,-->,0.9\nconst,c,-->,0.8\n")
    res = CliRunner().invoke(cli, ["discover", str(tmp_path / "d.csv"), "--priors", str(tmp_path / "priors.csv"),
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "2 row(s) skipped, naming columns left out of the analysis" in said
    assert "id: ID-like" in said
    assert "line(s) 3" in said
    (tmp_path / "bad.csv").write_text("source,target,answer\na,zzz,-->\n")
    res = CliRunner().invoke(cli, ["discover", str(tmp_path / "d.csv"), "--priors", str(tmp_path / "bad.csv"),
                                   "--out", str(tmp_path / "o2")])
    assert res.exit_code == 1
    assert "'zzz' is not a data column" in res.output


@pytest.mark.slow
def test_dask_reads_paths_where_the_workers_are(tmp_path):
    """A path only the workers see (relative to their working folder, not the client's) and a URL through
    fsspec: listed, read and hashed on the workers, the types guessed from the first partition, one pass."""
    import hashlib
    import os

    distributed = pytest.importorskip("distributed", reason="the dask extra is part of the test extra")
    df = linear_data(EDGES, n=3000)
    side = tmp_path / "worker-side"
    (side / "parts").mkdir(parents=True)
    for i in range(3):
        df.iloc[i * 1000:(i + 1) * 1000].to_parquet(side / "parts" / f"p{i}.parquet")
    here = os.getcwd()
    os.chdir(side)  # the workers start here: "parts/*.parquet" is a path only they see
    try:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                           dashboard_address=None)
    finally:
        os.chdir(here)
    assert not (tmp_path / "parts").exists()
    ref = PCDiscovery().fit(load_dataset_frame(df))
    with cluster:
        for pattern in ("parts/*.parquet", f"file://{side}/parts/*.parquet"):
            out = tmp_path / f"o{len(pattern)}"
            res = CliRunner().invoke(cli, ["discover", pattern, "--dask", cluster.scheduler_address, "--llm", "none",
                                           "--format", "dot", "--out", str(out), "--quiet"])
            assert res.exit_code == 0, res.output
            m = json.loads((out / "manifest.json").read_text())
            assert m["n_rows"] == 3000
            assert m["loading"]["passes"] == 1
            digests = {hashlib.sha256((side / "parts" / f"p{i}.parquet").read_bytes()).hexdigest() for i in range(3)}
            assert set(m["inputs"].values()) == digests
            G = __import__("causalllm").read_graph(out)
            assert sorted(G.edges(data="mark")) == sorted(ref.graph_.edges(data="mark"))
    # files the client cannot see at all are read one partition per file on the workers: the same table
    from distributed import Client

    from causalllm.data.dask import _expand, _frame

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as c2, Client(c2) as client:
        urls = _expand(str(side / "parts" / "*.parquet"))
        on_workers = dask_dataset(_frame(client, urls, True, ",", client_sees=False))
        assert on_workers.load_info["partitions"] == 3
        assert_same_dataset(load_dataset_frame(df), on_workers)
