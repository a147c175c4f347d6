"""Bundled datasets: listing, metadata, and a name standing for its truth graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from causalllm.data import bundled
from causalllm.errors import DataError


def test_every_bundled_dataset_has_its_files():
    for name in bundled.names():
        info = bundled.get(name)
        assert (info.folder / "PROVENANCE.md").exists(), name
        if info.kind != "pairs":
            assert info.data_path.exists(), name
            assert info.variables_path.exists(), name
            assert info.truth_path.exists(), name


def test_listing_and_truth_lookup():
    rows = {r["name"]: r for r in bundled.listing()}
    assert rows["sachs"]["shape"].endswith("x 11")
    assert rows["tuebingen"]["shape"] == "108 pairs"
    assert bundled.truth_or_path("asia") == bundled.get("asia").truth_path
    assert bundled.truth_or_path("some/file.csv") == "some/file.csv"
    assert not bundled.is_bundled("../asia")


def test_unknown_name():
    with pytest.raises(DataError, match="no bundled dataset named 'nope'"):
        bundled.get("nope")


def test_a_file_named_like_a_dataset_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("asia").write_text("source,target\na,b\n")
    assert bundled.truth_or_path("asia") == "asia"
