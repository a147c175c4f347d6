"""--bootstrap: PC re-fitted on subsamples, its frequencies per edge in edges.csv, the report and the manifest."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from causalllm.data import load_dataset
from causalllm.discovery.pc import PCDiscovery
from causalllm.discovery.stability import bootstrap
from causalllm.errors import ConfigError, DataError
from causalllm.graph import pair_key


def test_bootstrap_frequencies_are_shares_of_refits():
    ds = load_dataset("asia")
    pc = PCDiscovery().fit(ds)
    st = bootstrap(pc, ds, 4, seed=1)
    assert st == bootstrap(pc, ds, 4, seed=1)  # reproducible from the seed
    for key, c in st.items():
        a, b = sorted(key, key=ds.columns.index)
        assert c["adjacent"] in (0.25, 0.5, 0.75, 1.0)
        assert c[f"{a}->{b}"] + c[f"{b}->{a}"] <= c["adjacent"]
    # the strong edges of asia survive every half-size subsample
    assert st[pair_key("tub", "either")]["adjacent"] == 1.0
    assert st[pair_key("lung", "either")]["adjacent"] == 1.0


def test_bootstrap_frequencies_track_dependence_strength():
    """A strong edge is found in every re-fit, a weak one in some, an absent one in (almost) none."""
    rng = np.random.default_rng(0)
    n = 400
    a = rng.normal(size=n)
    b = a + rng.normal(size=n)
    c = 0.12 * b + rng.normal(size=n)
    d = rng.normal(size=n)
    ds = load_dataset("asia").from_frame(pd.DataFrame({"a": a, "b": b, "c": c, "d": d}))
    st = bootstrap(PCDiscovery().fit(ds), ds, 10, seed=0)
    assert st[pair_key("a", "b")]["adjacent"] == 1.0
    assert 0.0 < st.get(pair_key("b", "c"), {"adjacent": 0.0})["adjacent"] < 1.0
    assert st.get(pair_key("a", "d"), {"adjacent": 0.0})["adjacent"] <= 0.2


def test_bootstrap_refuses_what_it_cannot_do():
    ds = load_dataset("asia")
    pc = PCDiscovery().fit(ds)
    with pytest.raises(ConfigError, match="at least 1"):
        bootstrap(pc, ds, 0)
    small = ds.with_frame(ds.frame.head(14))
    with pytest.raises(DataError, match="too few"):
        bootstrap(pc, small, 2)


def test_discover_bootstrap_in_edges_report_and_manifest(run, tmp_path):
    run("discover", "asia", "--llm", "simulated", "--bootstrap", "3", "--no-fci", "--no-falsify", "--out", tmp_path,
        "--quiet")
    edges = pd.read_csv(tmp_path / "edges.csv")
    cols = list(edges.columns)
    assert cols.index("boot_adjacent") < cols.index("llm")  # beside the LLM's answer
    drawn = edges[edges["in_graph"]]
    assert drawn["boot_adjacent"].between(0, 1).all()
    assert (drawn["boot_adjacent"] > 0).any()
    assert ((drawn["boot_forward"] + drawn["boot_reverse"]) <= drawn["boot_adjacent"] + 1e-9).all()
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["bootstrap"] == {"resamples": 3, "fraction": 0.5, "replace": False, "seed": 0}
    assert m["options"]["bootstrap"] == 3
    html = (tmp_path / "report.html").read_text()
    assert "id='stability'" in html
    assert "boot_adjacent" in html


def test_an_interrupted_run_skips_the_extra_checks_and_says_so():
    """Ctrl-C during the FCI check: the bootstrap is not started, and the manifest's missing steps name it."""
    from causalllm.config import RunConfig
    from causalllm.pipeline import _extra_checks, combine

    ds = load_dataset("asia")
    pc = PCDiscovery().fit(ds)
    result = combine(ds, pc, None)
    result.missing = ["the FCI check of the suggested confounders"]
    _extra_checks(RunConfig.from_options(data="asia", bootstrap=3), ds, pc, None, result, {})
    assert result.stability is None
    assert result.missing == ["the FCI check of the suggested confounders", "the bootstrap stability"]
