"""Data loading, type inference and every bad-input case: one-line error, non-zero exit, no traceback."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import run_subprocess, write

from causalllm.data import Dataset, load_dataset
from causalllm.data.clean import infer_types
from causalllm.data.variables import read_variables
from causalllm.errors import DataError

GOOD = "a,b,c\n1.5,2.1,x\n2.5,3.3,y\n3.1,1.2,x\n4.4,0.5,y\n5.0,2.2,x\n"


def test_types_and_exclusions():
    df = pd.DataFrame({
        "x": [0.1, 0.5, 0.9, 1.3, 2.2] * 5,
        "k": [1, 2, 3, 1, 2] * 5,
        "s": ["u", "v", "u", "v", "u"] * 5,
        "flag": [True, False] * 12 + [True],
        "const": [7] * 25,
        "id": list(range(25)),
        "empty": [None] * 25,
    })
    types, excluded = infer_types(df)
    assert types == {"x": "continuous", "k": "discrete", "s": "discrete", "flag": "discrete"}
    assert set(excluded) == {"const", "id", "empty"}
    assert "ID-like" in excluded["id"]
    assert excluded["empty"] == "all values missing"


def test_many_level_integers_are_continuous():
    types, _ = infer_types(pd.DataFrame({"n": [i % 40 for i in range(100)], "m": [i % 3 for i in range(100)]}))
    assert types == {"n": "continuous", "m": "discrete"}


def test_variables_formats(tmp_path):
    csv = write(tmp_path / "v.csv", "name,description,unit\na,first thing,kg\nb,second,\n")
    yml = write(tmp_path / "v.yaml", "a: first thing\nb: second\n")
    js = write(tmp_path / "v.json", '{"a": "first thing", "b": "second"}')
    assert read_variables(csv) == read_variables(yml) == read_variables(js) == {"a": "first thing", "b": "second"}


def test_missing_drop_and_error(tmp_path, caplog):
    p = write(tmp_path / "m.csv", "a,b\n1.5,2.5\n,3.5\n2.5,4.5\n3.5,1.0\n4.0,2.0\n")
    ds = load_dataset(p)
    assert ds.n_dropped == 1
    assert len(ds.frame) == 4
    with pytest.raises(DataError, match="missing values in a"):
        load_dataset(p, missing="error")


def test_undescribed_columns_warned_and_named(tmp_path, caplog):
    d = write(tmp_path / "d.csv", GOOD)
    v = write(tmp_path / "v.csv", "name,description\na,Alpha level\n")
    ds = load_dataset(d, v)
    assert ds.descriptions == {"a": "Alpha level", "b": "b", "c": "c"}
    assert ds.undescribed == ["b", "c"]


def test_columns_subset(tmp_path):
    ds = load_dataset(write(tmp_path / "d.csv", GOOD), columns=["a", "c"])
    assert ds.columns == ["a", "c"]
    assert ds.kind == "mixed"


def test_tsv_and_parquet(tmp_path):
    t = write(tmp_path / "d.tsv", GOOD.replace(",", "\t"))
    assert load_dataset(t).columns == ["a", "b", "c"]
    pq = tmp_path / "d.parquet"
    pd.read_csv(write(tmp_path / "x.csv", GOOD)).to_parquet(pq)
    assert load_dataset(pq).frame.shape == (5, 3)


def test_from_frame():
    ds = Dataset.from_frame(pd.DataFrame({"a": [1.0, 2.0, 3.5], "b": ["x", "y", "x"]}), {"a": "A"})
    assert ds.types == {"a": "continuous", "b": "discrete"}


BAD = [
    ("missing file", None, "does not exist"),
    ("empty file", b"", "is empty"),
    ("header only", "a,b,c\n", "no data rows"),
    ("duplicate columns", "a,b,a\n1,2,3\n4,5,6\n", "duplicate column names: a"),
    ("non-UTF-8", "a,b\n1,caf\xe9\n".encode("latin-1"), "not valid UTF-8"),
    ("ragged rows", "a,b,c\n1,2,3\n4,5\n6,7,8\n", "line 3 has 2 fields but the header has 3"),
    ("single usable column", "a,b\n1.5,1\n2.5,1\n3.5,1\n", "1 usable column"),
    ("stray text", "a,b\n1.5,2\n2.5,3\n3.5,oops\n4.5,5\n5.5,6\n6.5,7\n7.5,8\n8.5,9\n9.5,1\n10.5,2\n11.5,3\n",
     "column 'b' .* non-numeric value 'oops'"),
]


@pytest.mark.parametrize(("case", "content", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_one_line_error(tmp_path, run, case, content, message):
    """In-process (an exception would fail the test); the first case also as a real process."""
    path = tmp_path / "data.csv"
    if content is not None:
        write(path, content)
    if case == BAD[0][0]:
        proc = run_subprocess("discover", path, "--out", tmp_path / "out", "--quiet")
        code, stderr = proc.returncode, proc.stderr
        assert "Traceback" not in stderr
    else:
        res = run("discover", path, "--out", tmp_path / "out", "--quiet", ok=False)
        code, stderr = res.exit_code, res.stderr
    assert code == 1
    err = [line for line in stderr.strip().splitlines() if not line.startswith("Warning: ")]
    assert len(err) == 1, stderr
    assert err[0].startswith("Error: "), stderr
    assert re.search(message, err[0]), err[0]


def test_bad_options_one_line_error(tmp_path):
    d = write(tmp_path / "d.csv", GOOD)
    cases = [
        (["--columns", "a,zzz"], "unknown column(s): zzz"),
        (["--variables", write(tmp_path / "v.csv", "name,description\na,x\nghost,y\n")], "not in the data: ghost"),
        (["--alpha", "1.5"], "alpha must be strictly between 0 and 1"),
        (["--alpha", "0"], "alpha must be strictly between 0 and 1"),
    ]
    for extra, message in cases:
        proc = run_subprocess("discover", d, "--out", tmp_path / "o", "--quiet", *extra)
        assert proc.returncode != 0
        assert "Traceback" not in proc.stderr
        last = proc.stderr.strip().splitlines()
        assert len(last) == 1, proc.stderr
        assert message in last[0], proc.stderr


def test_unwritable_out(tmp_path):
    d = write(tmp_path / "d.csv", GOOD)
    blocker = write(tmp_path / "file", "x")
    proc = run_subprocess("discover", d, "--out", blocker / "sub", "--quiet")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("Error: cannot write to output folder"), proc.stderr


DEGENERATE = [
    ("collinear pair under fisherz", "a,b,c\n1.5,2,3\n2.5,x7,4\n3.5,4,5\n4.5,5,6\n", ["--test", "fisherz"],
     "'a' and 'c' are perfectly correlated"),
    ("a total next to its parts", "a,b,total,d\n" + "\n".join(
        f"{i * 0.37 % 5:.2f},{i * 0.71 % 3:.2f},{i * 0.37 % 5 + i * 0.71 % 3:.2f},{(i * 7 % 11) * 0.13:.2f}"
        for i in range(40)), [], "exactly collinear"),
    ("duplicate column under another name, mixed data", "x,g,h\n" + "\n".join(
        f"{i * 0.731 % 3:.3f},{'ab'[i % 2]},{'pq'[i % 2]}" for i in range(40)), ["--test", "dg"],
     "perfectly correlated"),
    ("fewer rows than columns, discrete", "a,b,c,d,e\nx,y,x,y,x\ny,x,x,y,y\nx,x,y,y,x\n", ["--test", "gsq"],
     "more rows than columns"),
    ("fewer rows than indicator columns, mixed", "a,b,c,d\n1,2,3,1.5\n2,1,3,2.5\n3,5,8,3.1\n4,4,8,4.7\n5,2,7,5.2\n"
     "6,1,7,6.3\n7,3,10,7.9\n", ["--test", "dg"], "expanded into indicators"),
]


@pytest.mark.parametrize(("case", "content", "args", "message"), DEGENERATE, ids=[d[0] for d in DEGENERATE])
def test_degenerate_data_one_line_error(tmp_path, run, case, content, args, message):
    path = write(tmp_path / "data.csv", content)
    res = run("discover", path, "--llm", "none", "--out", tmp_path / "out", "--quiet", *args, ok=False)
    assert res.exit_code == 1
    err = [line for line in res.stderr.strip().splitlines() if not line.startswith("Warning: ")]
    assert len(err) == 1, res.stderr
    assert err[0].startswith("Error: "), res.stderr
    assert re.search(message, err[0]), res.stderr


def test_constant_after_dropping_rows_is_dropped_with_a_warning(tmp_path, run):
    # c is 2 only on the rows whose a is missing: once they are dropped, c is constant
    rows = [f"{'' if i % 7 == 0 else f'{i * 0.37:.2f}'},{i * 0.91 % 4:.2f},{2 if i % 7 == 0 else 1}" for i in range(60)]
    path = write(tmp_path / "data.csv", "a,b,c\n" + "\n".join(rows))
    res = run("discover", path, "--llm", "none", "--out", tmp_path / "out", "--format", "dot")
    assert "excluding column 'c' after dropping rows: constant" in res.stderr
