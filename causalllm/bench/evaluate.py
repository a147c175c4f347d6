"""Measuring what the merge is worth on graphs with known truth (``causalllm evaluate``).

:func:`evaluate` runs, per dataset, sample size and seed: PC alone, the LLM alone (every pair
asked, its own graph), and each merge policy of :data:`~causalllm.merge.policies.POLICIES` with
the same expert; it scores every graph against the truth (:func:`causalllm.graph.compare`) and
aggregates mean ± sd over seeds. Every step goes through :mod:`causalllm.pipeline` — the same
PC, asker, cache and merge a ``discover`` run uses — with one :class:`~causalllm.config.RunConfig`
per cell. With ``rows``, each seed draws that many rows without replacement (a dataset with
fewer rows is used whole), or, with ``from_network``, samples fresh rows from the true Bayesian
network (:mod:`causalllm.bench.networks`); the expert varies with the seed in every case. The
simulated expert's answers do not depend on the data sample, so they are cached across sample
sizes. :func:`causalllm.bench.pairs.evaluate_pairs` scores pairwise direction accuracy on the
Tübingen cause-effect pairs.
"""

from __future__ import annotations

import json
import logging
import math
import statistics
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from ..config import RunConfig
from ..data import bundled
from ..data.dataset import Dataset
from ..data.load import load_dataset
from ..errors import ConfigError, DataError
from ..expert.answers import llm_graph
from ..expert.asker import probe_memorisation
from ..graph import compare
from ..graph.read import read_truth
from ..merge.policies import DATA_ONLY, POLICIES, merge
from ..output.folder import ensure_out_dir
from ..pipeline import combine, fit_pc, make_asker, open_expert
from .networks import network_kind, network_sample, network_truth
from .registry import BASELINES, EVALUATE_BACKENDS, METRICS

__all__ = ["benchmark", "evaluate", "markdown_table",
           "parse_profiles", "plot_results", "save", "summarize"]

log = logging.getLogger("causalllm")


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
        kind = network_kind(spec)
        # no rows yet: each seed samples its own (_from_network)
        ds = Dataset(frame=None, types={n: kind for n in T.nodes}, descriptions={n: "" for n in T.nodes},
                     name=spec)
        return ds, T
    if not p.exists() and bundled.is_bundled(spec):
        ds = load_dataset(spec)
        if ds.truth_path is None:
            raise DataError(f"bundled dataset {spec} has no truth graph")
        return ds, _truth(ds.truth_path, ds.columns)
    if p.is_dir():
        need = [p / "data.csv", p / "truth.csv"]
        missing = [str(f) for f in need if not f.exists()]
        if missing:
            raise DataError(f"{p} lacks {', '.join(missing)}; a dataset folder needs data.csv, variables.csv, truth.csv")
        ds = load_dataset(p / "data.csv", p / "variables.csv" if (p / "variables.csv").exists() else None)
        ds.name = p.name
        ds.truth_path = p / "truth.csv"
        return ds, _truth(p / "truth.csv", ds.columns)
    raise DataError(f"{spec!r} is neither a bundled dataset ({', '.join(bundled.names())}) nor a folder "
                    "with data.csv, variables.csv and truth.csv")


def _truth(path: Path, columns: Sequence[str]) -> nx.DiGraph:
    """The true graph over ``columns`` (:func:`causalllm.graph.read.read_truth`); names that are not columns
    are said: their edges count as missed."""
    T = read_truth(path, nodes=columns)
    foreign = sorted(n for n in T.nodes if n not in set(columns) and T.degree(n))
    if foreign:
        log.warning("the true graph %s names %s, not columns of the data: their true edges count as missed", path,
                    ", ".join(foreign[:6]))
    return T


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


def _from_network(ds: Dataset, n: int, seed: int) -> Dataset:
    return ds.with_frame(network_sample(ds.name, n, seed, ds.columns))


def _llm_stats(asker: Any) -> dict:
    s = asker.stats_
    return {"llm_questions": s["questions"], "llm_calls": s["calls"], "cache_hits": s["cache_hits"],
            "tokens": s["prompt_tokens"] + s["completion_tokens"]}


def _cell_config(ds: Dataset, seed: int, base: RunConfig, **llm: Any) -> RunConfig:
    """The run configuration of one cell of the grid: the grid's settings, this sample and expert."""
    return base.replace(data=ds, seed=seed, quiet=True, fci=False, falsify=False, **llm)


def _score_expert(ds: Dataset, truth: nx.DiGraph, pc: Any, cfg: RunConfig, expert: str, merges: Sequence[str],
                  base: dict, probe: int, pc_time: float) -> list[dict]:
    """The LLM alone and each merge policy with one expert, on one sample."""
    records = []
    with open_expert(cfg, truth=truth) as (chat, info):
        assert chat is not None
        t0 = time.perf_counter()
        alone = make_asker(chat, info, cfg.replace(strategy="all", confounders="none")).fit(ds)
        L, _ = llm_graph(alone.pairs_, ds.columns)
        rec = {**base, "expert": expert, "method": "llm", **compare(L, truth), **_llm_stats(alone),
               "wall_s": time.perf_counter() - t0}
        if probe:
            rec["probe_changed"] = probe_memorisation(alone, ds, probe, seed=cfg.seed)["share_changed"]
        records.append(rec)
        for policy in merges:
            t0 = time.perf_counter()
            # a policy that asks every pair is scored that way, as discover asks
            cell = cfg.replace(merge=policy, confounders="none",
                               strategy="all" if POLICIES[policy].asks_every_pair else "skeleton")
            asker = make_asker(chat, info, cell).fit(ds, pc)
            r = combine(ds, pc, asker.answers(), cell)
            records.append({**base, "expert": expert, "method": policy, **compare(r.graph, truth),
                            **_llm_stats(asker), "wall_s": pc_time + time.perf_counter() - t0,
                            "trust": r.merge_info.calibration.get("trust") if r.merge_info else None})
    return records


def evaluate(
    datasets: Sequence[str],
    *,
    rows: Sequence[int | None] = (None,),
    seeds: int = 3,
    llm: str = "simulated",
    profiles: Sequence[str] = ("gpt4", "random"),
    merges: Sequence[str] = tuple(POLICIES),
    config: RunConfig | None = None,
    progress: bool = False,
    from_network: bool = False,
    probe: int = 0,
) -> dict:
    """Run the benchmark grid; returns ``{"records": [...], "summary": [...], "options": {...}}``.

    ``config`` holds the data side's settings (alpha, test, engine) and the LLM's (endpoint,
    cache, concurrency, the simulated expert's latency) for every cell. ``rows`` are the row
    counts drawn per seed (None: every row). With ``from_network``, each seed samples fresh rows
    from the true Bayesian network instead of resampling the bundled rows; ``rows`` then defaults
    to 10 000. With ``probe`` K, the LLM-alone rows also carry ``probe_changed``: the share of K
    answered pairs whose answer changed when re-asked with disguised names.
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
    cfg = (config or RunConfig()).replace(llm=llm)
    expert_names = list(profiles) if llm == "simulated" else [cfg.llm.model or "openai"]
    records: list[dict] = []
    for spec in datasets:
        full, truth = _resolve(spec, from_network)
        for n in rows:
            for seed in range(seeds):
                # a folder is its own rows even beside networks: --from-network samples the networks only
                sampled = from_network and not Path(spec).exists()
                ds = _from_network(full, n or 10_000, seed) if sampled else _subsample(full, n, seed)
                cell = _cell_config(ds, seed, cfg)
                base = {"dataset": full.name, "rows": ds.n_rows, "seed": seed}
                pc, pc_time = _baselines(ds, truth, cell, base, records)
                for expert in expert_names:
                    expert_cfg = cell.replace(profile=expert) if llm == "simulated" else cell
                    records += _score_expert(ds, truth, pc, expert_cfg, expert, merges, base, probe, pc_time)
                if progress:
                    log.info("evaluated %s, %d rows, seed %d", full.name, ds.n_rows, seed)
    return {"records": records, "summary": summarize(records),
            "options": {"datasets": list(datasets), "rows": list(rows), "seeds": seeds, "llm": llm,
                        "from_network": from_network, "probe": probe,
                        "profiles": expert_names, "merges": list(merges), "alpha": cfg.alpha, "test": cfg.test,
                        "engine": cfg.engine}}


def _baselines(ds: Dataset, truth: nx.DiGraph, cell: RunConfig, base: dict, records: list[dict]) -> tuple[Any, float]:
    """PC's own CPDAG and the data side alone (what ``--llm none`` draws), scored into ``records``; returns
    the PC fit and its time."""
    t0 = time.perf_counter()
    pc = fit_pc(ds, cell)
    pc_time = time.perf_counter() - t0
    none = {"llm_questions": 0, "llm_calls": 0, "cache_hits": 0, "tokens": 0}
    records.append({**base, "expert": "-", "method": "pc", **compare(pc.graph_, truth), **none, "wall_s": pc_time})
    t0 = time.perf_counter()
    side = merge(pc, {}, DATA_ONLY).graph
    records.append({**base, "expert": "-", "method": "data", **compare(side, truth), **none,
                    "wall_s": pc_time + time.perf_counter() - t0})
    return pc, pc_time


def summarize(records: Iterable[dict]) -> list[dict]:
    """Mean and sd per (dataset, rows, expert, method); each expert's row also carries its gain over the data
    side alone (``gain_<metric>``: its mean minus the data side's, on the same datasets, rows and seeds)."""
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
    data = {(r["dataset"], r["rows"]): r for r in out if r["method"] == "data"}
    for r in out:
        ref = data.get((r["dataset"], r["rows"]))
        if ref is not None and r["method"] != "data":
            for k in ("orientation_f1", "dir_f1", "shd"):
                r["gain_" + k] = r[k] - ref[k]
    order = {m: i for i, m in enumerate((*BASELINES, *POLICIES))}
    out.sort(key=lambda r: (r["dataset"], r["rows"], r["expert"] != "-", r["expert"], order.get(r["method"], 99)))
    return out


def _pm(mean: float, sd: float, digits: int = 2) -> str:
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def markdown_table(summary: list[dict]) -> str:
    """The summary as a Markdown table."""
    head = ("| dataset | rows | expert | method | SHD | normalized SHD | adjacency F1 | orientation F1 | "
            "gain over the data side | dirF1 | LLM calls | tokens | cache hits | wall s |")
    probed = any("probe_changed" in r for r in summary)
    if probed:
        head += " answers changed when disguised |"
    lines = [head, "|" + "---|" * (15 if probed else 14)]
    for r in summary:
        gain = f"{r['gain_orientation_f1']:+.2f}" if "gain_orientation_f1" in r else "—"
        lines.append(
            f"| {r['dataset']} | {r['rows']} | {r['expert']} | {r['method']} | {_pm(r['shd'], r['shd_sd'], 1)} | "
            f"{_pm(r['normalized_shd'], r['normalized_shd_sd'])} | {_pm(r['adjacency_f1'], r['adjacency_f1_sd'])} | "
            f"{_pm(r['orientation_f1'], r['orientation_f1_sd'])} | {gain} | {_pm(r['dir_f1'], r['dir_f1_sd'])} | "
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
        side = next((r for r in rows if r["method"] == "data"), None)
        experts = sorted({r["expert"] for r in rows if r["expert"] != "-"})
        methods = [m for m in ("llm", *POLICIES) if any(r["method"] == m for r in rows)]
        width = 0.8 / max(1, len(experts))
        for i, e in enumerate(experts):
            vals = [next((r for r in rows if r["expert"] == e and r["method"] == m), None) for m in methods]
            xs = [j + i * width for j in range(len(methods))]
            ax.bar(xs, [v["orientation_f1"] if v else 0 for v in vals], width,
                   yerr=[v["orientation_f1_sd"] if v else 0 for v in vals], label=e, capsize=2)
        if pc:
            ax.axhline(pc["orientation_f1"], color="k", ls="--", lw=1, label="PC alone")
        if side:
            ax.axhline(side["orientation_f1"], color="#01665e", ls=":", lw=1.4, label="data side alone")
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


def benchmark(datasets: Sequence[str] = (), *, pairs: str | None = None, rows: Sequence[int] | None = None,
              seeds: int = 3, llm: str = "simulated", profiles: str | Sequence[str] = ("gpt4", "random"),
              merges: Sequence[str] = tuple(POLICIES), out: str | Path | None = None, seed: int = 0,
              quiet: bool = False, from_network: bool = False, probe: int = 0, **settings: Any) -> dict[str, Any]:
    """``causalllm evaluate``: the grid (:func:`evaluate`) or a pairs benchmark
    (:func:`causalllm.bench.pairs.evaluate_pairs`), saved to ``out``.

    ``settings`` are run settings (alpha, test, engine, concurrency, cache, no_cache, model,
    base_url, api_key_env, latency). Returns ``{"pairs": ...}`` or ``{"table": markdown}``, with
    ``"written"`` (name → path).
    """
    from .pairs import evaluate_pairs

    experts = parse_profiles(profiles) if isinstance(profiles, str) else list(profiles)
    config = RunConfig.from_options(seed=seed, quiet=quiet, **settings)
    if pairs:
        if datasets:
            raise ConfigError("give either DATASET names or --pairs tuebingen, not both")
        res = evaluate_pairs(pairs, llm=llm, profile=experts[0], config=config)
        return {"pairs": res, "written": save(res, out, plot=False) if out else {}}
    grid = evaluate(list(datasets), rows=list(rows) if rows else [None], seeds=seeds, llm=llm, profiles=experts,
                    merges=merges, config=config, progress=not quiet, from_network=from_network, probe=probe)
    return {"table": markdown_table(grid["summary"]), "written": save(grid, out) if out else {}}
