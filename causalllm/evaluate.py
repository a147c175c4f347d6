"""Measuring what the merge is worth on graphs with known truth.

:func:`evaluate` runs, per dataset, sample size and seed: PC alone, the LLM alone (every pair
asked, its own graph), and each merge policy with the same expert; it scores every graph
against the truth (:func:`causalllm.metrics.compare`) and aggregates mean ± sd over seeds.
With ``rows``, each seed draws that many rows without replacement (a dataset with fewer rows
is used whole), or, with ``from_network``, samples fresh rows from the true Bayesian network
(pgmpy, optional extra); the expert varies with the seed in every case.
The simulated expert's seed is the evaluation seed, so each seed is a different expert draw;
its answers do not depend on the data sample, so they are cached across sample sizes.

:func:`evaluate_pairs` scores pairwise direction accuracy on the Tübingen cause-effect pairs,
weighted by the dataset's weights (the benchmark on which GPT-4 reached 0.96–0.97, Kıcıman et
al. 2023): accuracy, share of "unsure" and "none" answers, and order consistency.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import math
import statistics
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from . import bundled
from .answers import llm_graph
from .config import DEFAULT_ALPHA, DEFAULT_CONCURRENCY, EVALUATE_BACKENDS, PAIR_BENCHMARKS, POLICIES, LLMConfig
from .data import Dataset, load_dataset
from .errors import ConfigError, DataError
from .graph import read_graph
from .llm import open_llm
from .metrics import compare
from .pc import PCDiscovery
from .pipeline import Answers, combine
from .priors import LLMPriors, probe_memorisation
from .results import ensure_out_dir

__all__ = ["benchmark", "evaluate", "evaluate_pairs", "summarize", "markdown_table", "plot_results", "parse_profiles",
           "save", "network_sample", "network_truth",
           "METRICS"]

log = logging.getLogger("causalllm")
METRICS = ("shd", "normalized_shd", "adjacency_f1", "orientation_f1", "dir_f1")


def parse_profiles(text: str) -> list[str]:
    """``"gpt4,flip=0.1,0.3,random"`` → ``["gpt4", "flip=0.1", "flip=0.3", "random"]``.

    Examples
    --------
    >>> parse_profiles("flip=0.1,0.3,0.5")
    ['flip=0.1', 'flip=0.3', 'flip=0.5']
    """
    out: list[str] = []
    for tok in (t.strip() for t in text.split(",") if t.strip()):
        if out and out[-1].startswith("flip=") and _is_number(tok):
            out.append(f"flip={tok}")
        else:
            out.append(tok)
    return out


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _resolve(spec: str, from_network: bool = False) -> tuple[Dataset, nx.DiGraph]:
    """A bundled name, a folder holding data.csv, variables.csv and truth.csv, or (with
    ``from_network``) any network pgmpy bundles — insurance, water, hepar2, win95pts... — whose
    truth is the network's own graph and whose variables are named only."""
    p = Path(spec)
    if from_network and not p.exists() and not bundled.is_bundled(spec):
        T = network_truth(spec)
        # no rows yet: each seed samples its own (_from_network)
        ds = Dataset(frame=None, types={n: "discrete" for n in T.nodes}, descriptions={n: "" for n in T.nodes},
                     name=spec)
        return ds, T
    if not p.exists() and bundled.is_bundled(spec):
        ds = load_dataset(spec)
        if ds.truth_path is None:
            raise DataError(f"bundled dataset {spec} has no truth graph")
        return ds, read_graph(ds.truth_path, nodes=ds.columns)
    if p.is_dir():
        need = [p / "data.csv", p / "truth.csv"]
        missing = [str(f) for f in need if not f.exists()]
        if missing:
            raise DataError(f"{p} lacks {', '.join(missing)}; a dataset folder needs data.csv, variables.csv, truth.csv")
        ds = load_dataset(p / "data.csv", p / "variables.csv" if (p / "variables.csv").exists() else None)
        ds.name = p.name
        ds.truth_path = p / "truth.csv"
        return ds, read_graph(p / "truth.csv", nodes=ds.columns)
    raise DataError(f"{spec!r} is neither a bundled dataset ({', '.join(bundled.names())}) nor a folder "
                    "with data.csv, variables.csv and truth.csv")


def _subsample(ds: Dataset, n: int | None, seed: int) -> Dataset:
    """``n`` rows drawn without replacement for this seed; all rows when ``n`` is None or not smaller.

    No bootstrap: duplicated rows inflate the power of every CI test, which makes PC's skeleton
    denser (and much slower) than on real data of that size.
    """
    rows = ds.rows("evaluate")
    if n is not None and n < len(rows):
        frame = rows.sample(n=n, replace=False, random_state=seed).reset_index(drop=True)
    else:
        frame = rows
    return ds.with_frame(frame)


_NETWORKS: dict[str, Any] = {}


def network_sample(name: str, n: int, seed: int, columns: Sequence[str]) -> pd.DataFrame:
    """``n`` fresh rows sampled from the bnlearn network ``name`` as bundled in pgmpy (offline).

    Needs the optional extra ``pip install 'causalllm[bn]'`` (pgmpy >= 1.1, < 1.3: later versions
    fetch their example networks from a model hub instead of the bundled files).
    """
    import warnings

    model = _network(name)
    missing = [c for c in columns if c not in model.nodes()]
    if missing:
        raise DataError(f"pgmpy's {name} network lacks column(s) {', '.join(missing)}")
    logger = logging.getLogger("pgmpy")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = model.simulate(n_samples=n, seed=seed, show_progress=False)
    finally:
        logger.setLevel(level)
    return df[list(columns)].astype(str)


def _network(name: str) -> Any:
    """pgmpy's bundled network ``name``, read once."""
    import gzip
    import warnings
    from importlib import resources

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgmpy.readwrite import BIFReader
    except ImportError:
        raise ConfigError("--from-network needs pgmpy: pip install 'causalllm[bn]'") from None
    if name not in _NETWORKS:
        path = resources.files("pgmpy") / "utils" / "example_models" / f"{name}.bif.gz"
        if not path.is_file():
            raise DataError(f"pgmpy bundles no network named {name!r}; --from-network works for the bnlearn "
                            "networks pgmpy ships (asia, cancer, earthquake, survey, child, alarm, insurance, water, "
                            "hepar2, win95pts, ...)")
        with gzip.open(str(path)) as f, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _NETWORKS[name] = BIFReader(string=f.read().decode()).get_model()
    return _NETWORKS[name]


def network_truth(name: str) -> nx.DiGraph:
    """The graph of pgmpy's bundled network ``name`` (every edge ``-->``)."""
    _network(name)
    T = nx.DiGraph()
    T.add_nodes_from(sorted(_NETWORKS[name].nodes()))
    T.add_edges_from(_NETWORKS[name].edges(), mark="-->")
    return T


def _from_network(ds: Dataset, n: int, seed: int) -> Dataset:
    return ds.with_frame(network_sample(ds.name, n, seed, ds.columns))


def _llm_stats(asker: Any) -> dict:
    s = asker.stats_
    return {"llm_questions": s["questions"], "llm_calls": s["calls"], "cache_hits": s["cache_hits"],
            "tokens": s["prompt_tokens"] + s["completion_tokens"]}


def evaluate(
    datasets: Sequence[str],
    *,
    rows: Sequence[int | None] = (None,),
    seeds: int = 3,
    llm: str = "simulated",
    profiles: Sequence[str] = ("gpt4", "random"),
    merges: Sequence[str] = POLICIES,
    alpha: float = DEFAULT_ALPHA,
    test: str = "auto",
    engine: str = "native",
    concurrency: int = DEFAULT_CONCURRENCY,
    cache: Any = None,
    llm_config: LLMConfig | None = None,
    progress: bool = False,
    from_network: bool = False,
    probe: int = 0,
) -> dict:
    """Run the benchmark grid; returns ``{"records": [...], "summary": [...], "options": {...}}``.

    ``rows`` are the row counts drawn per seed (None: every row). With ``from_network``, each
    seed samples fresh rows from the true Bayesian network (pgmpy's bundled bnlearn files)
    instead of resampling the bundled rows; ``rows`` then defaults to 10 000. ``llm_config``
    says how to reach a real endpoint (``llm="openai"``) or the simulated expert's latency.
    With ``probe`` K, the LLM-alone rows also carry ``probe_changed``: the share of K answered
    pairs whose answer changed when re-asked with disguised names (:func:`causalllm.priors.probe_memorisation`).
    """
    bad = [m for m in merges if m not in POLICIES]
    if bad:
        raise ConfigError(f"unknown --merge {', '.join(bad)}; use {', '.join(POLICIES)}")
    if seeds < 1:
        raise ConfigError("--seeds must be at least 1")
    if llm not in EVALUATE_BACKENDS:
        raise ConfigError("evaluate needs an expert: --llm simulated (with --profile) or --llm openai")
    if not datasets:
        raise ConfigError("name at least one dataset (e.g. causalllm evaluate asia child) or use --pairs tuebingen")
    if any(n is not None and n < 10 for n in rows):
        raise ConfigError("--rows values must be at least 10 rows")
    base_cfg = llm_config or LLMConfig()
    expert_names = list(profiles) if llm == "simulated" else [base_cfg.model or "openai"]
    records: list[dict] = []
    for spec in datasets:
        full, truth = _resolve(spec, from_network)
        for n in rows:
            for seed in range(seeds):
                ds = _from_network(full, n or 10_000, seed) if from_network else _subsample(full, n, seed)
                t0 = time.perf_counter()
                pc = PCDiscovery(alpha=alpha, test=test, engine=engine).fit(ds)
                pc_time = time.perf_counter() - t0
                base = {"dataset": full.name, "rows": ds.n_rows, "seed": seed}
                records.append({**base, "expert": "-", "method": "pc", **compare(pc.graph_, truth),
                                "llm_questions": 0, "llm_calls": 0, "cache_hits": 0, "tokens": 0,
                                "wall_s": pc_time})
                for expert in expert_names:
                    cfg = dataclasses.replace(base_cfg, backend=llm,
                                              profile=expert if llm == "simulated" else base_cfg.profile)
                    with open_llm(cfg, truth=truth, seed=seed, quiet=True) as (chat, info):
                        assert chat is not None
                        sim = expert if llm == "simulated" else None
                        t0 = time.perf_counter()
                        alone = LLMPriors(chat, strategy="all", confounders="none", concurrency=concurrency,
                                          cache=cache, seed=seed, simulated=sim).fit(ds)
                        L, _ = llm_graph(alone.pairs_, ds.columns)
                        rec = {**base, "expert": expert, "method": "llm", **compare(L, truth), **_llm_stats(alone),
                               "wall_s": time.perf_counter() - t0}
                        if probe:
                            rec["probe_changed"] = probe_memorisation(alone, ds, probe, seed=seed)["share_changed"]
                        records.append(rec)
                        for policy in merges:
                            t0 = time.perf_counter()
                            # guided orders PC's tests by the LLM's view of every pair (as discover does)
                            asker = LLMPriors(chat, strategy="all" if policy == "guided" else "skeleton",
                                              confounders="none", concurrency=concurrency,
                                              cache=cache, seed=seed, simulated=sim)
                            asker.fit(ds, pc)
                            r = combine(ds, pc, Answers.from_asker(asker), policy=policy, seed=seed, fci=False,
                                        falsify=False)
                            rec = {**base, "expert": expert, "method": policy, **compare(r.graph, truth),
                                   **_llm_stats(asker), "wall_s": pc_time + time.perf_counter() - t0,
                                   "trust": r.merge_info.calibration.get("trust") if r.merge_info else None}
                            records.append(rec)
                if progress:
                    log.info("evaluated %s, %d rows, seed %d", full.name, ds.n_rows, seed)
    return {"records": records, "summary": summarize(records),
            "options": {"datasets": list(datasets), "rows": list(rows), "seeds": seeds, "llm": llm,
                        "from_network": from_network, "probe": probe,
                        "profiles": expert_names, "merges": list(merges), "alpha": alpha, "test": test,
                        "engine": engine}}


def summarize(records: Iterable[dict]) -> list[dict]:
    """Mean and sd per (dataset, rows, expert, method)."""
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["dataset"], r["rows"], r["expert"], r["method"]), []).append(r)
    out = []
    for (d, n, e, m), rs in groups.items():
        row: dict[str, Any] = {"dataset": d, "rows": n, "expert": e, "method": m, "runs": len(rs)}
        keys: tuple[str, ...] = (*METRICS, "llm_calls", "llm_questions", "cache_hits", "tokens", "wall_s")
        if all(r.get("probe_changed") is not None for r in rs):
            keys += ("probe_changed",)
        for k in keys:
            vals = [float(r[k]) for r in rs]
            row[k] = statistics.fmean(vals)
            row[k + "_sd"] = statistics.stdev(vals) if len(vals) > 1 else 0.0
        out.append(row)
    order = {"pc": 0, "llm": 1, "auto": 2, "guided": 3, "orient": 4, "prior": 5, "report": 6}
    out.sort(key=lambda r: (r["dataset"], r["rows"], r["expert"] != "-", r["expert"], order.get(r["method"], 9)))
    return out


def _pm(mean: float, sd: float, digits: int = 2) -> str:
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def markdown_table(summary: list[dict]) -> str:
    """The summary as a Markdown table."""
    head = ("| dataset | rows | expert | method | SHD | normalized SHD | adjacency F1 | orientation F1 | dirF1 | "
            "LLM calls | tokens | cache hits | wall s |")
    probed = any("probe_changed" in r for r in summary)
    if probed:
        head += " answers changed when disguised |"
    lines = [head, "|" + "---|" * (14 if probed else 13)]
    for r in summary:
        lines.append(
            f"| {r['dataset']} | {r['rows']} | {r['expert']} | {r['method']} | {_pm(r['shd'], r['shd_sd'], 1)} | "
            f"{_pm(r['normalized_shd'], r['normalized_shd_sd'])} | {_pm(r['adjacency_f1'], r['adjacency_f1_sd'])} | "
            f"{_pm(r['orientation_f1'], r['orientation_f1_sd'])} | {_pm(r['dir_f1'], r['dir_f1_sd'])} | "
            f"{r['llm_calls']:.0f} | {r['tokens']:.0f} | "
            f"{r['cache_hits']:.0f} | {r['wall_s']:.2f} |"
            + (f" {_pm(r['probe_changed'], r['probe_changed_sd'])} |" if "probe_changed" in r else
               (" |" if probed else "")))
    return "\n".join(lines)


def plot_results(summary: list[dict], path: str | Path) -> Path:
    """Orientation F1 by method and expert, one panel per dataset (PC alone as a dashed line)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted({(r["dataset"], r["rows"]) for r in summary})
    fig, axes = plt.subplots(1, len(keys), figsize=(4.6 * len(keys), 3.8), squeeze=False)
    for ax, (d, n) in zip(axes[0], keys):
        rows = [r for r in summary if r["dataset"] == d and r["rows"] == n]
        pc = next((r for r in rows if r["method"] == "pc"), None)
        experts = sorted({r["expert"] for r in rows if r["expert"] != "-"})
        methods = [m for m in ("llm", "auto", "orient", "prior", "report") if any(r["method"] == m for r in rows)]
        width = 0.8 / max(1, len(experts))
        for i, e in enumerate(experts):
            vals = [next((r for r in rows if r["expert"] == e and r["method"] == m), None) for m in methods]
            xs = [j + i * width for j in range(len(methods))]
            ax.bar(xs, [v["orientation_f1"] if v else 0 for v in vals], width,
                   yerr=[v["orientation_f1_sd"] if v else 0 for v in vals], label=e, capsize=2)
        if pc:
            ax.axhline(pc["orientation_f1"], color="k", ls="--", lw=1, label="PC alone")
        ax.set_xticks([j + width * (len(experts) - 1) / 2 for j in range(len(methods))])
        ax.set_xticklabels(["LLM alone" if m == "llm" else m for m in methods])
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{d} ({n} rows)")
        ax.set_ylabel("orientation F1")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="upper right", ncol=len(labels))
    fig.suptitle("causalllm: orientation F1 by method and expert profile (simulated experts are not LLMs)",
                 fontsize=10, x=0.3)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    p = Path(path)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p


# ------------------------------------------------------------------ Tübingen pairs

def _tuebingen_pairs() -> list[dict]:
    folder = bundled.get("tuebingen").folder
    with open(folder / "pairs_meta.csv", encoding="utf-8") as f:
        meta = {r["pair_id"]: r for r in csv.DictReader(f)}
    with open(folder / "variables.csv", encoding="utf-8") as f:
        var: dict[str, dict[str, dict]] = {}
        for r in csv.DictReader(f):
            var.setdefault(r["pair_id"], {})[r["name"]] = r
    out = []
    for pid, m in meta.items():
        if m["multivariate"] == "True" or float(m["weight"]) <= 0:
            continue
        x, y = var[pid]["x"], var[pid]["y"]
        xn, yn = x["short_name"].strip() or "x", y["short_name"].strip() or "y"
        if xn == yn:  # e.g. pairs 89-90 name both sides alike; the descriptions tell them apart
            xn, yn = f"{xn} (variable 1)", f"{yn} (variable 2)"
        out.append({"pair_id": pid, "x": xn, "y": yn,
                    "x_desc": x["description"], "y_desc": y["description"], "direction": m["direction"],
                    "weight": float(m["weight"]), "dataset": m["dataset"]})
    return out


def evaluate_pairs(name: str = "tuebingen", *, llm: str = "simulated", profile: str = "gpt4", seed: int = 0,
                   concurrency: int = DEFAULT_CONCURRENCY, cache: Any = None,
                   llm_config: LLMConfig | None = None) -> dict:
    """Weighted pairwise direction accuracy on the Tübingen pairs (univariate pairs, weights > 0)."""
    if name not in PAIR_BENCHMARKS:
        raise ConfigError(f"unknown pairs benchmark {name!r}; available: tuebingen")
    pairs = _tuebingen_pairs()
    # the simulated expert needs one truth graph over the names used in prompts
    T = nx.DiGraph()
    for p in pairs:
        a, b = (p["x"], p["y"]) if p["direction"] == "x->y" else (p["y"], p["x"])
        if T.has_edge(b, a) or a == b:
            p["x"], p["y"] = f"{p['x']} ({p['pair_id']})", f"{p['y']} ({p['pair_id']})"
            a, b = (p["x"], p["y"]) if p["direction"] == "x->y" else (p["y"], p["x"])
        T.add_edge(a, b)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        truth_file = Path(tmp) / "truth.csv"
        pd.DataFrame(list(T.edges), columns=["source", "target"]).to_csv(truth_file, index=False)
        t0 = time.perf_counter()
        cfg = dataclasses.replace(llm_config or LLMConfig(), backend=llm, profile=profile)
        with open_llm(cfg, truth=str(truth_file), seed=seed, quiet=True) as (chat, info):
            sim = profile if llm == "simulated" else None

            def one(p: dict) -> tuple[dict, dict]:
                # each pair is its own two-variable dataset: names repeat across pairs with other meanings
                frame = pd.DataFrame(columns=[p["x"], p["y"]])
                ds = Dataset(frame=frame, types={p["x"]: "continuous", p["y"]: "continuous"},
                             descriptions={p["x"]: p["x_desc"], p["y"]: p["y_desc"]}, name=p["pair_id"])
                asker = LLMPriors(chat, pairs=[(p["x"], p["y"])], confounders="none", concurrency=2,
                                  cache=cache, seed=seed, simulated=sim).fit(ds)
                ans = next(iter(asker.pairs_.values()))
                want = "-->" if p["direction"] == "x->y" else "<--"
                return ({**p, "answer": ans.answer, "confidence": ans.confidence,
                         "order_consistent": ans.order_consistent, "correct": ans.answer == want}, asker.stats_)

            from concurrent.futures import ThreadPoolExecutor

            # both orders of a pair go out together, so concurrency / 2 pairs at a time
            with ThreadPoolExecutor(max_workers=max(1, concurrency // 2)) as pool:
                done = list(pool.map(one, pairs))
            results = [r for r, _ in done]
            stats = {"calls": sum(s["calls"] for _, s in done), "cache_hits": sum(s["cache_hits"] for _, s in done),
                     "tokens": sum(s["prompt_tokens"] + s["completion_tokens"] for _, s in done)}
    W = sum(r["weight"] for r in results)
    wmean = lambda f: sum(r["weight"] for r in results if f(r)) / W  # noqa: E731
    return {
        "benchmark": "tuebingen", "expert": profile if llm == "simulated" else (cfg.model or "openai"),
        "simulated": llm == "simulated", "pairs": len(results), "total_weight": round(W, 4),
        "accuracy": round(wmean(lambda r: r["correct"]), 4),
        "share_unsure": round(wmean(lambda r: r["answer"] == "unsure"), 4),
        "share_none": round(wmean(lambda r: r["answer"] == "none"), 4),
        "order_consistency": round(wmean(lambda r: r["order_consistent"] is True), 4),
        "unweighted_accuracy": round(sum(r["correct"] for r in results) / len(results), 4),
        **stats, "wall_s": round(time.perf_counter() - t0, 3), "results": results,
        "note": "univariate pairs with weight > 0 (multivariate pairs 52-55, 71, 105 left out)",
    }


def save(results: dict, out: str | Path, *, plot: bool = True) -> dict[str, Path]:
    """Write ``results.json`` (and ``results.png``) into ``out``."""
    d = ensure_out_dir(out)
    written = {"json": d / "results.json"}
    (d / "results.json").write_text(json.dumps(results, indent=1, default=_json_default), encoding="utf-8")
    if plot and results.get("summary"):
        written["plot"] = plot_results(results["summary"], d / "results.png")
    return written


def _json_default(o: Any) -> Any:
    if isinstance(o, float) and math.isnan(o):
        return None
    return str(o)


def benchmark(datasets: Sequence[str] = (), *, pairs: str | None = None, rows: Sequence[int | None] = (None,),
              seeds: int = 3, llm: str = "simulated", profiles: Sequence[str] = ("gpt4", "random"),
              merges: Sequence[str] = POLICIES, out: str | Path | None = None, alpha: float = DEFAULT_ALPHA,
              test: str = "auto", engine: str = "native", concurrency: int = DEFAULT_CONCURRENCY, cache: Any = None,
              llm_config: LLMConfig | None = None, seed: int = 0, progress: bool = False,
              from_network: bool = False, probe: int = 0) -> dict[str, Any]:
    """``causalllm evaluate``: the grid (:func:`evaluate`) or a pairs benchmark (:func:`evaluate_pairs`), saved to ``out``.

    Returns ``{"pairs": ...}`` or ``{"table": markdown}``, with ``"written"`` (name → path).
    """
    if pairs:
        if datasets:
            raise ConfigError("give either DATASET names or --pairs tuebingen, not both")
        res = evaluate_pairs(pairs, llm=llm, profile=profiles[0], seed=seed, concurrency=concurrency, cache=cache,
                             llm_config=llm_config)
        return {"pairs": res, "written": save(res, out, plot=False) if out else {}}
    grid = evaluate(list(datasets), rows=rows, seeds=seeds, llm=llm, profiles=profiles, merges=merges, alpha=alpha,
                    test=test, engine=engine, concurrency=concurrency, cache=cache, llm_config=llm_config, progress=progress,
                    from_network=from_network, probe=probe)
    return {"table": markdown_table(grid["summary"]), "written": save(grid, out) if out else {}}
