"""The one orchestrator: where the steps of a run are wired together, in the order the data flows.

::

    run(cfg) ─┬─ load(cfg)                          data.load
              ├─ fit_pc(ds, cfg)                    discovery.pc.PCDiscovery
              ├─ expert.open_llm + LLMPriors.fit    (or a reviewed priors.csv)
              ├─ combine(...)  ─ merge.merge        pure: graph + decisions
              │                ─ discovery.crosscheck  FCI for confounders, falsification
              │                ─ merge.build_rows   the edges.csv rows and the final graph
              └─ output.save(result, cfg.out)       files, render, report

:func:`discover` and :func:`ask` return the result in memory; :func:`plan` is the dry run;
:func:`run` is what the CLI calls (it also writes the files); :func:`combine` is the second
half, which ``evaluate`` reuses with answers it already has. Every setting comes from one
:class:`~causalllm.config.RunConfig`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import RunConfig, backend, default_cache_path, environment, show_requests
from .contract import BEHAVIOURS, UNUSABLE_WARN_SHARE
from .data.dataset import Dataset
from .data.knowledge import Knowledge, read_knowledge
from .data.load import load as load_data
from .data.table import Dialect
from .discovery.crosscheck import falsify_graph, fci_confounders
from .discovery.pc import PCDiscovery
from .discovery.stability import bootstrap
from .errors import ConfigError, DataError
from .expert.answers import Answers, PairAnswer, answer_health, llm_graph, priors_rows
from .expert.asker import LLMPriors, probe_memorisation
from .expert.cache import AnswerCache
from .expert.client import ChatModel, OpenAIChatModel, open_llm
from .expert.prompts import Prompts, load_prompts
from .expert.screen import screen
from .graph.metrics import compare, differences
from .graph.read import read_truth
from .merge.policies import DATA_ONLY, POLICIES, merge
from .merge.rows import build_rows
from .output.folder import save
from .output.manifest import build_manifest
from .output.result import DiscoveryResult
from .output.transaction import OutputFolder, planned_outputs

__all__ = ["RunOutcome", "ask", "combine", "discover", "fit_pc", "load", "make_asker", "open_expert", "plan", "run"]

log = logging.getLogger("causalllm")


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


# ------------------------------------------------------------------ the steps

def load(cfg: RunConfig) -> Dataset:
    """The dataset ``cfg.data`` names (:func:`causalllm.data.load.load` with the run's data settings)."""
    return load_data(cfg.data, cfg.variables, columns=cfg.columns, context=cfg.context, missing=cfg.missing,
                     stream=cfg.stream, dask=cfg.dask, progress=_progress(cfg),
                     dialect=Dialect(sep=cfg.sep, decimal=cfg.decimal, encoding=cfg.encoding, na_values=cfg.na_values))


def _progress(cfg: RunConfig) -> bool:
    return not cfg.quiet and sys.stderr.isatty()


def fit_pc(ds: Dataset, cfg: RunConfig, knowledge: Knowledge | None = None) -> PCDiscovery:
    """PC with the configured test, alpha, depth bound and the analyst's knowledge; warns when the bound was hit."""
    k = knowledge or Knowledge()
    pc = PCDiscovery(alpha=cfg.alpha, test=cfg.test, engine=cfg.engine, show_progress=_progress(cfg),
                     max_depth=cfg.max_depth, min_rows_per_stratum=cfg.min_rows_per_stratum,
                     determinism=cfg.determinism, required=k.required, forbidden=k.forbidden_edges()).fit(ds)
    if pc.depth_limited_:
        log.warning("PC stopped at conditioning sets of %d variable(s) (--max-depth): pairs that only larger sets "
                    "separate are still adjacent in the graph", cfg.max_depth)
    if getattr(pc, "n_unreliable_", 0):
        log.warning("%d discrete test(s) were not run: their conditioning sets have fewer than %g rows per stratum, too "
                    "few for evidence either way, so they separate no pair (--min-rows-per-stratum 0 runs them)",
                    pc.n_unreliable_, cfg.min_rows_per_stratum)
    return pc


def make_asker(chat: ChatModel, info: Mapping[str, Any], cfg: RunConfig, prompts: Prompts | None = None, *,
               pairs: list[tuple[str, str]] | None = None) -> LLMPriors:
    """An :class:`~causalllm.expert.asker.LLMPriors` configured by ``cfg.llm`` (cache, prompts, budget);
    ``pairs`` asks exactly these pairs instead of the strategy's."""
    L = cfg.llm
    store = None if L.no_cache else AnswerCache(L.cache or default_cache_path())
    return LLMPriors(chat, strategy=L.strategy, samples=L.samples, both_orders=not L.single_order,
                     confounders=L.confounders, concurrency=L.concurrency, max_calls=L.max_calls, cache=store,
                     prompts=prompts, share_stats=L.share_stats, seed=cfg.seed, show_progress=_progress(cfg),
                     simulated=info.get("profile") if info.get("backend") == "simulated" else None, pairs=pairs)


@contextlib.contextmanager
def open_expert(cfg: RunConfig, *, truth: Any = None, prompts: Prompts | None = None
                ) -> Iterator[tuple[ChatModel | None, dict]]:
    """The run's LLM for as long as it is needed (:func:`causalllm.expert.client.open_llm` on the
    environment): ``(chat model or None, what the manifest records of it)``."""
    llm_cfg = cfg.llm if cfg.backend_requested == cfg.llm.backend else cfg.replace(llm="none").llm
    with open_llm(llm_cfg, environ=environment(), truth=truth, seed=cfg.seed, prompts=prompts, quiet=cfg.quiet,
                  echo=show_requests()) as opened:
        yield opened


def combine(ds: Dataset, pc: PCDiscovery, answers: Answers | None, cfg: RunConfig | None = None, *,
            timings: dict[str, float] | None = None, knowledge: Knowledge | None = None) -> DiscoveryResult:
    """The second half of a run: merge (``cfg.merge``), cross-check (``cfg.fci``, ``cfg.falsify``), build the
    rows; the manifest is left to the caller.

    Without answers the merged graph is the data side's: PC's, re-checked by the collider
    analysis, every edge ``data`` or ``revised``.
    """
    cfg = cfg or RunConfig(data=ds)
    policy, seed, fci, falsify = cfg.merge, cfg.seed, cfg.fci, cfg.falsify
    timings = timings if timings is not None else {}
    has_llm = answers is not None
    pairs = answers.pairs if answers is not None else {}
    confounders = answers.confounders if answers is not None else {}
    t0 = time.perf_counter()
    log.info("re-checking the data's colliders and merging...")
    outcome = merge(pc, pairs, policy if has_llm else DATA_ONLY, prior_threshold=cfg.prior_threshold,
                    knowledge=knowledge)
    rows, F = build_rows(ds, pairs, confounders, pc=pc, outcome=outcome, has_llm=has_llm)
    timings["data_side"] = outcome.info.data_side_s
    timings["merge"] = time.perf_counter() - t0 - outcome.info.data_side_s
    result = DiscoveryResult(graph=F, pc_graph=pc.graph_, rows=rows, manifest=dict(answers.manifest) if answers else {},
                             answers=answers.records if answers else [],
                             merge_info=outcome.info if has_llm or knowledge is not None else None,
                             data_graph=outcome.data_graph)
    if knowledge is not None and outcome.info.knowledge is not None:
        # what the analyst's file set, and every way the graph could not honour it, named
        result.manifest["knowledge"] = {
            **outcome.info.knowledge, "analyst_edges": sum(1 for r in rows if r["status"] == "analyst"),
            "not_honoured": [f"{v['source']} -> {v['target']}: {v['problem']}" for v in outcome.info.violations],
            "removed_by_knowledge": [f"{a} - {b}" for a, b in getattr(outcome.refit or pc, "vetoed_", [])],
            # the file as read (decisions with who and why): the report's review starts from it
            "content": knowledge.to_mapping()}
    if has_llm:
        result.manifest["merge"] = {"policy": outcome.info.policy, "calibration": outcome.info.calibration,
                                    **({"guided": outcome.info.guided} if outcome.info.guided else {}),
                                    **({"hybrid": outcome.info.hybrid} if outcome.info.hybrid else {})}
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
              info: Mapping[str, Any], knowledge: Knowledge | None) -> DiscoveryResult:
    if cfg.probe_memorisation and (asker is None or cfg.priors is not None):
        raise ConfigError("--probe-memorisation re-asks the LLM; it needs --llm openai or simulated (not --priors "
                          "or --llm none)")
    if cfg.bootstrap and ds.frame is None:  # checked before any work, not after the LLM was paid
        raise ConfigError("--bootstrap re-fits PC on subsamples of the rows, but this table was streamed into its "
                          "statistics; use --stream never to load the rows")
    if cfg.bootstrap and ds.n_rows // 2 <= len(ds.columns):
        raise DataError(f"--bootstrap re-fits PC on half of the {ds.n_rows} rows, too few for {len(ds.columns)} "
                        "columns; add rows or leave out --bootstrap")
    if POLICIES[cfg.merge].asks_every_pair and asker is not None and asker.strategy != "all":
        log.warning("--merge %s with --strategy %s: the LLM is asked only about some pairs, so its guess cannot "
                    "bring back an edge PC removed (--strategy all, its default, asks every pair)", cfg.merge,
                    asker.strategy)
    t0 = time.perf_counter()
    log.info("running PC (%s test, alpha %g)...", cfg.test, cfg.alpha)
    pc = fit_pc(ds, cfg, knowledge)
    timings["pc"] = time.perf_counter() - t0
    answers: Answers | None = None
    if cfg.priors is not None:
        answers = Answers.from_priors(cfg.priors, ds)
    elif asker is not None:
        t0 = time.perf_counter()
        asker.fit(ds, pc)
        timings["llm"] = time.perf_counter() - t0
        answers = asker.answers()
    result = combine(ds, pc, answers, cfg, timings=timings, knowledge=knowledge)
    _extra_checks(cfg, ds, pc, asker if answers is not None and cfg.priors is None else None, result, timings)
    truth = ds.truth_path or cfg.llm.truth
    if truth is not None:
        result.truth_scores = truth_scores(result, read_truth(truth, nodes=ds.columns))
        result.manifest["truth_scores"] = {k: {m: v for m, v in s.items() if m != "wrong"} | {"n_wrong": len(s["wrong"])}
                                           for k, s in result.truth_scores.items()}
    if result.manifest.get("llm_summary"):
        log.info(result.manifest["llm_summary"])
    result.manifest = build_manifest(ds, _discover_options(cfg, pc), timings, llm=dict(info), engine=pc.engine_info(),
                                     **result.manifest)
    if asker is not None and answers is not None:
        result.manifest["llm_health"] = _health(answers.pairs, asker.stats_.get("stopped") or asker.stats_.get("last_error"),
                                                asker.stats_.get("behaviour"))
    return result


def truth_scores(result: DiscoveryResult, truth: Any) -> dict[str, dict]:
    """The data side's graph, the LLM's own and the merged one scored against ``truth`` side by side, each with
    the pairs it got wrong (:func:`causalllm.graph.metrics.differences`)."""
    graphs = {"data side": result.data_graph, "LLM alone": result.llm_graph if result.has_llm else None,
              "merged": result.graph}
    out: dict[str, dict] = {}
    for name, G in graphs.items():
        if G is None:
            continue
        m = compare(G, truth)
        out[name] = {k: m[k] for k in ("shd", "adjacency_f1", "orientation_f1", "dir_f1")} | {
            "wrong": differences(G, truth)}
    return out


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


def _health(pairs: Mapping[frozenset, PairAnswer], stopped: str | None = None,
            behaviour: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The answers' health for the manifest (with why asking stopped, if it did, and the pairs each behaviour
    made unusable — :mod:`causalllm.expert.behaviour`); loud on stderr when most are unusable."""
    h = answer_health(dict(pairs))
    h["stopped"] = stopped if not h["usable"] else None  # why nothing came back
    h["behaviour"] = dict(behaviour or {})
    if h["asked"] and h["unusable_share"] > UNUSABLE_WARN_SHARE:
        why = "; ".join(f"{BEHAVIOURS[b]} ({n} pairs)" for b, n in h["behaviour"].items())
        log.warning("%d of %d LLM answers are unusable (%d invalid, %d unanswered%s): %s; check --base-url, --model "
                    "and the replies in llm_answers.jsonl", h["asked"] - h["usable"], h["asked"], h["invalid"],
                    h["unanswered"], f"; {why}" if why else "", "the graph is the data's alone" if not h["usable"]
                    else "the LLM's part of the graph rests on the few that are")
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
                                                        or asker.stats_.get("last_error"), asker.stats_.get("behaviour")))
    return result


def _check_against_data(cfg: RunConfig, ds: Dataset, requested: str | None) -> None:
    """Options that only the data can validate, checked before PC or the LLM costs anything."""
    if requested == "simulated" and cfg.llm.truth:
        T = read_truth(cfg.llm.truth)
        unknown = sorted(set(map(str, T.nodes)) - set(ds.columns) - set(ds.excluded))
        if unknown:
            raise DataError(f"--truth {cfg.llm.truth} names {', '.join(unknown[:6])}{', ...' if len(unknown) > 6 else ''}"
                            f", not columns of the data ({', '.join(ds.columns[:6])}...); fix the names")
    if requested not in (None, "none") and cfg.llm.max_calls == 0:
        log.warning("--max-calls 0: no new question is sent; only answers already in the cache are used")


def _execute(cfg: RunConfig, command: str, knowledge: Knowledge | None = None) -> RunOutcome:
    """Load, open the LLM, then the dry run or the whole job; the result stays in memory. The knowledge
    file is read first (``knowledge``, when the caller read it already): a malformed one stops the run
    before any work."""
    if command not in ("discover", "ask"):
        raise ConfigError(f"unknown command {command!r}; use discover or ask")
    if knowledge is None and cfg.knowledge and command == "discover":
        knowledge = read_knowledge(cfg.knowledge)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    log.info("loading %s...", cfg.data if isinstance(cfg.data, (str, Path)) else "the data")
    ds = load(cfg)
    if knowledge is not None:
        knowledge = knowledge.check(ds.columns, ds.excluded)
    timings["load"] = time.perf_counter() - t0
    requested = cfg.backend_requested
    _check_against_data(cfg, ds, requested)
    if requested != "none" and backend(cfg.llm) != "none":
        screen(ds)  # an LLM will read the descriptions
    if command == "ask" and requested == "none":
        raise ConfigError("causalllm ask needs an LLM: --llm openai (with a key or --base-url) or --llm simulated")
    prompts = load_prompts(cfg.llm.prompts, ds.context)
    with open_expert(cfg, truth=ds.truth_path, prompts=prompts) as (chat, info):
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
            result = _discover(cfg, ds, timings, asker, info, knowledge)
    return RunOutcome(result=result, simulated=info.get("backend") == "simulated")


# ------------------------------------------------------------------ entry points

def run(cfg: RunConfig, command: str = "discover") -> RunOutcome:
    """Run ``causalllm discover`` (or ``ask``) as configured and write every output into ``cfg.out``.

    The output folder is opened before any work: locked against a second run and every name the run
    may write checked (:class:`~causalllm.output.transaction.OutputFolder`), so a folder that cannot
    take the outputs is an error before PC or the LLM cost anything. With ``cfg.dry_run`` nothing is
    asked and nothing written: the outcome holds the plan.
    """
    if cfg.dry_run:
        return _execute(cfg, command)
    if cfg.out is None:
        raise ConfigError("no output folder; give --out DIR")
    knowledge = read_knowledge(cfg.knowledge) if cfg.knowledge and command == "discover" else None
    with OutputFolder.open(cfg.out, planned_outputs(cfg.fmt, cfg.exports), force=cfg.force) as folder:
        outcome = _execute(cfg, command, knowledge)
        assert outcome.result is not None
        outcome.written = save(outcome.result, cfg.out, fmt=cfg.fmt, layout=cfg.layout, rankdir=cfg.rankdir,
                               exports=cfg.exports, png_width=cfg.png_width, confounders_view=cfg.confounders_view,
                               png_dpi=cfg.png_dpi, folder=folder)
        outcome.result.written = outcome.written
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
