"""One library function per CLI command: option values in, files and results out.

The CLI (:mod:`causalllm.cli`) only parses options and calls these; they are usable from
Python with the same keyword arguments.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from . import datasets as bundled
from .data import read_table, variables_template
from .errors import ConfigError
from .graph import read_graph
from .metrics import compare

__all__ = ["init_variables", "list_datasets", "discover", "ask", "simulate_expert", "render_result", "compare_files",
           "evaluate", "split_columns"]

log = logging.getLogger("causalllm")


def split_columns(columns: str | None) -> list[str] | None:
    """``"a,b, c"`` → ``["a", "b", "c"]``."""
    if not columns:
        return None
    return [c.strip() for c in columns.split(",") if c.strip()]


def init_variables(data: str, output: str | None = None, *, force: bool = False) -> Path:
    """Write a ``name,type,description`` template for ``data``; return its path."""
    is_bundled = not Path(data).exists() and bundled.is_bundled(data)
    src = bundled.get(data).data_path if is_bundled else Path(data)
    df = read_table(src)
    # a bundled dataset's template goes to the working folder, never into the installed package
    default = Path(f"{data}.variables.csv") if is_bundled else src.with_name(src.stem + ".variables.csv")
    out = Path(output) if output else default
    if out.exists() and not force:
        raise ConfigError(f"{out} already exists; use --force to overwrite it or --output to choose another file")
    try:
        variables_template(df).to_csv(out, index=False)
    except OSError as e:
        raise ConfigError(f"cannot write {out} ({e.strerror}); choose another --output") from None
    return out


def list_datasets() -> list[dict[str, Any]]:
    """Name, kind, shape and title of each bundled dataset."""
    rows = []
    for name in bundled.names():
        info = bundled.get(name)
        if info.kind == "pairs":
            shape = "108 pairs"
        else:
            with open(info.data_path, encoding="utf-8") as f:
                ncol = len(f.readline().split(","))
                nrow = sum(1 for _ in f)
            shape = f"{nrow} x {ncol}"
        rows.append({"name": name, "kind": info.kind, "shape": shape, "title": info.title,
                     "folder": str(info.folder)})
    return rows


def _make_asker(model: Any, info: dict, *, strategy: str, samples: int, single_order: bool, confounders: str,
                concurrency: int, max_calls: int | None, cache: str | None, no_cache: bool, prompts: str | None,
                share_stats: bool, seed: int, quiet: bool, context: str | None) -> Any:
    from .cache import AnswerCache, default_cache_path
    from .priors import LLMPriors
    from .prompts import load_prompts

    store = None if no_cache else AnswerCache(cache or default_cache_path())
    return LLMPriors(model, strategy=strategy, samples=samples, both_orders=not single_order,
                     confounders=confounders, concurrency=concurrency, max_calls=max_calls, cache=store,
                     prompts=load_prompts(prompts, context), share_stats=share_stats, seed=seed,
                     show_progress=not quiet and sys.stderr.isatty(),
                     simulated=info.get("profile") if info.get("backend") == "simulated" else None)


def _llm_context(opts: dict, ds: Any) -> Any:
    from .backends import open_llm

    truth = opts.get("truth") or (str(ds.truth_path) if ds.truth_path else None)
    return open_llm(opts.get("llm"), model=opts.get("model"), base_url=opts.get("base_url"),
                    api_key_env=opts.get("api_key_env"), truth=truth, profile=opts.get("profile", "gpt4"),
                    order_bias=opts.get("order_bias", 0.0), latency=opts.get("latency", 0.0),
                    fail_rate=opts.get("fail_rate", 0.0), seed=opts.get("seed", 0),
                    timeout=opts.get("timeout", 60.0), quiet=opts.get("quiet", False))


_ASK_KEYS = ("strategy", "samples", "single_order", "confounders", "concurrency", "max_calls", "cache", "no_cache",
             "prompts", "share_stats", "seed", "quiet", "context")


def _ask_options(opts: dict) -> dict[str, Any]:
    return {k: opts.get(k) for k in _ASK_KEYS}


def _recorded_options(opts: dict) -> dict:
    """Options for the manifest (paths and flags only; never a key)."""
    skip = {"data", "variables", "out", "quiet"}
    return {k: v for k, v in opts.items() if k not in skip}


def discover(**opts: Any) -> dict[str, Any]:
    """``causalllm discover``: load, PC, ask the LLM, merge, save; return what was written.

    With ``dry_run=True`` nothing is asked: returns the plan (pairs, calls, estimated tokens).
    """
    from .data import load_dataset
    from .pc import PCDiscovery
    from .pipeline import discover as run
    from .results import ensure_out_dir

    if not opts.get("dry_run"):
        ensure_out_dir(opts["out"])  # fail before any work if the folder is unusable
    ds = load_dataset(opts["data"], opts.get("variables"), columns=split_columns(opts.get("columns")),
                      missing=opts.get("missing", "drop"), context=opts.get("context"))
    if opts.get("priors"):
        opts["llm"] = "none"
    with _llm_context(opts, ds) as (model, info):
        asker = _make_asker(model, info, **_ask_options(opts)) if model is not None else None
        if opts.get("dry_run"):
            if asker is None:
                raise ConfigError("--dry-run needs an LLM (--llm openai or simulated)")
            pc = PCDiscovery(alpha=opts["alpha"], test=opts["test"]).fit(ds) if asker.strategy != "all" else None
            return {"dry_run": asker.dry_run(ds, pc, opts.get("price_per_1k"))}
        result = run(ds, llm=asker, priors=opts.get("priors"), merge=opts.get("merge", "auto"), alpha=opts["alpha"],
                     test=opts["test"], seed=opts.get("seed", 0), prior_threshold=opts.get("prior_threshold", 0.7),
                     show_progress=not opts.get("quiet") and sys.stderr.isatty(),
                     options=_recorded_options(opts), llm_info=info)
    written = result.save(opts["out"], fmt=opts.get("fmt", "svg"), layout=opts.get("layout", "dot"),
                          rankdir=opts.get("rankdir", "LR"))
    return {"written": written, "counts": result.status_counts(), "simulated": info.get("backend") == "simulated"}


def ask(**opts: Any) -> dict[str, Any]:
    """``causalllm ask``: the LLM side alone (its graph, priors.csv, answers); return what was written."""
    from .data import load_dataset
    from .pc import PCDiscovery
    from .pipeline import ask as run
    from .results import ensure_out_dir

    if not opts.get("dry_run"):
        ensure_out_dir(opts["out"])
    ds = load_dataset(opts["data"], opts.get("variables"), columns=split_columns(opts.get("columns")),
                      missing=opts.get("missing", "drop"), context=opts.get("context"))
    if opts.get("llm") == "none":
        raise ConfigError("causalllm ask needs an LLM: --llm openai (with a key or --base-url) or --llm simulated")
    with _llm_context(opts, ds) as (model, info):
        if model is None:
            raise ConfigError("causalllm ask needs an LLM: set OPENAI_API_KEY, use --base-url for a local server, "
                              "or --llm simulated --truth EDGES")
        asker = _make_asker(model, info, **_ask_options(opts))
        if opts.get("dry_run"):
            pc = PCDiscovery(alpha=opts["alpha"], test=opts["test"]).fit(ds) if asker.strategy != "all" else None
            return {"dry_run": asker.dry_run(ds, pc, opts.get("price_per_1k"))}
        result = run(ds, llm=asker, alpha=opts["alpha"], test=opts["test"], seed=opts.get("seed", 0),
                     show_progress=not opts.get("quiet") and sys.stderr.isatty(),
                     options=_recorded_options(opts), llm_info=info)
    written = result.save(opts["out"], fmt=opts.get("fmt", "svg"), layout=opts.get("layout", "dot"),
                          rankdir=opts.get("rankdir", "LR"))
    return {"written": written, "counts": result.status_counts(), "simulated": info.get("backend") == "simulated"}


def simulate_expert(*, truth: str, variables: str | None = None, profile: str = "gpt4", order_bias: float = 0.0,
                    latency: float = 0.0, fail_rate: float = 0.0, seed: int = 0, port: int = 0) -> Any:
    """``causalllm simulate-expert``: a started :class:`~causalllm.simulate.SimulatedExpert` (caller stops it)."""
    from .simulate import SimulatedExpert

    src = bundled.get(truth).truth_path if not Path(truth).exists() and bundled.is_bundled(truth) else truth
    sim = SimulatedExpert(read_graph(src), profile=profile, seed=seed, order_bias=order_bias, latency=latency,
                          fail_rate=fail_rate, port=port)
    if variables:
        from .data import read_variables

        unknown = [v for v in read_variables(variables) if v not in sim.truth.nodes]
        if unknown:
            log.warning("variables not in the truth graph (the expert answers 'unsure' for them): %s", ", ".join(unknown))
    try:
        return sim.start()
    except OSError as e:
        raise ConfigError(f"cannot listen on 127.0.0.1:{port} ({e.strerror}); choose another --port") from None


def render_result(path: str, *, fmt: str = "svg", only_disagreements: bool = False, out: str | None = None,
                  layout: str = "dot", rankdir: str = "LR") -> Path:
    """``causalllm render``: re-draw a saved result without recomputing; return the file written."""
    import csv

    from .render import render, to_dot
    from .results import DISAGREEMENTS, load_result_graph

    G, manifest = load_result_graph(path)
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    confounders = []
    if (folder / "confounders.csv").exists():
        with open(folder / "confounders.csv", encoding="utf-8") as f:
            confounders = list(csv.DictReader(f))
    llm = manifest.get("llm", {}) or {}
    title = f"{manifest.get('dataset', '')}" + (" (SIMULATED expert)" if llm.get("backend") == "simulated" else "")
    src = to_dot(G, title=title, only=DISAGREEMENTS if only_disagreements else None, layout=layout, rankdir=rankdir,
                 confounders=confounders)
    stem = "graph.disagreements" if only_disagreements else "graph"
    target = Path(out) if out else folder / f"{stem}.{fmt}"
    try:
        target.write_bytes(render(src, fmt, layout))
    except OSError as e:
        raise ConfigError(f"cannot write {target} ({e.strerror}); use --out") from None
    return target


def evaluate(*, datasets: tuple[str, ...], pairs: str | None = None, samples: str | None = None, seeds: int = 3,
             llm: str = "simulated", profile: str = "gpt4,random", merge: str = "auto,orient,prior,report",
             out: str | None = None, alpha: float = 0.05, test: str = "auto", concurrency: int = 8,
             cache: str | None = None, no_cache: bool = False, model: str | None = None, base_url: str | None = None,
             api_key_env: str | None = None, latency: float = 0.0, seed: int = 0, quiet: bool = False,
             from_network: bool = False, **_: Any) -> dict[str, Any]:
    """``causalllm evaluate``: the benchmark grid (or the Tübingen pairs); returns results and what was written."""
    from . import evaluate as ev
    from .cache import AnswerCache, default_cache_path

    store = None if no_cache else AnswerCache(cache or default_cache_path())
    llm_options = {k: v for k, v in {"model": model, "base_url": base_url, "api_key_env": api_key_env,
                                     "latency": latency}.items() if v}
    if pairs:
        if datasets:
            raise ConfigError("give either DATASET names or --pairs tuebingen, not both")
        res = ev.evaluate_pairs(pairs, llm=llm, profile=parse_first_profile(profile), seed=seed,
                                concurrency=concurrency, cache=store, llm_options=llm_options)
        written = ev.save(res, out, plot=False) if out else {}
        return {"pairs": res, "written": written}
    if not datasets:
        raise ConfigError("name at least one dataset (e.g. causalllm evaluate asia child) or use --pairs tuebingen")
    sizes: list[int | None] = [None]
    if samples:
        try:
            sizes = [int(x) for x in samples.split(",") if x.strip()]
        except ValueError:
            raise ConfigError(f"--samples takes row counts like 1000,10000, not {samples!r}") from None
        if any(n < 10 for n in sizes if n is not None):
            raise ConfigError("--samples values must be at least 10 rows")
    res = ev.evaluate(list(datasets), samples=sizes, seeds=seeds, llm=llm, profiles=ev.parse_profiles(profile),
                      merges=[m.strip() for m in merge.split(",") if m.strip()], alpha=alpha, test=test,
                      concurrency=concurrency, cache=store, llm_options=llm_options, progress=not quiet,
                      from_network=from_network)
    written = ev.save(res, out) if out else {}
    return {"table": ev.markdown_table(res["summary"]), "written": written}


def parse_first_profile(profile: str) -> str:
    """The Tübingen benchmark uses one expert profile."""
    from .evaluate import parse_profiles

    return parse_profiles(profile)[0]


def _bundled_truth(path: str) -> str | Path:
    """A bundled dataset name stands for its truth graph."""
    return bundled.get(path).truth_path if not Path(path).exists() and bundled.is_bundled(path) else path


def compare_files(pred: str, truth: str) -> dict[str, Any]:
    """``causalllm compare``: metrics of PRED against TRUTH (files or folders)."""
    T = read_graph(_bundled_truth(truth))
    P = read_graph(pred, nodes=list(T.nodes))
    return compare(P, T)
