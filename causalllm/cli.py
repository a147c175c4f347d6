"""The ``causalllm`` command line. Each command parses options and calls one library function.

Choices and defaults come from :mod:`causalllm.config`; option groups shared by commands are
decorators. Library errors (:class:`~causalllm.errors.CausalLLMError`) become a one-line
``Error: ...`` and a non-zero exit here, and only here.
"""

from __future__ import annotations

import functools
import json
import logging
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import config as C
from .errors import CausalLLMError

__all__ = ["cli", "main"]


_CONTROL = dict.fromkeys(i for i in range(32) if i not in (9, 10))
_CONTROL.update({127: None, 0x9B: None})


def _printable(text: str) -> str:
    """Text for the terminal: escape codes from column names or an LLM's words shown, never obeyed."""
    return text.translate({k: f"\\x{k:02x}" for k in _CONTROL})


class _StderrHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        prefix = "Warning: " if record.levelno >= logging.WARNING else ""
        click.echo(_printable(prefix + record.getMessage()), err=True)


def _setup_logging(quiet: bool) -> None:
    log = logging.getLogger("causalllm")
    log.handlers[:] = [_StderrHandler()]
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False


class _Group(click.Group):
    """Turns library errors into ``click.ClickException`` (one line, exit 1, no traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CausalLLMError as e:
            raise click.ClickException(_printable(" ".join(str(e).split()))) from None
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C while we leave: no traceback
            click.echo("Error: interrupted; LLM answers received so far are kept in the cache, "
                       "re-run the same command to resume", err=True)
            sys.exit(130)


class _CommaList(click.ParamType):
    """``a,b,c`` → a tuple, each item converted by ``item``."""

    name = "list"

    def __init__(self, item: Callable[[str], Any] = str, what: str = "values") -> None:
        self.item = item
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        try:
            return tuple(self.item(v.strip()) for v in str(value).split(",") if v.strip())
        except ValueError:
            self.fail(f"takes {self.what}, not {value!r}", param, ctx)


@click.group(cls=_Group)
@click.version_option(package_name="causalllm")
def cli() -> None:
    """causalllm: causal discovery from data (PC) and an LLM's knowledge, merged honestly.

    Start with 'causalllm init DATA' to write a variables template, then
    'causalllm discover DATA --variables FILE --out DIR'.
    """


# ---------------------------------------------------------------- shared options

def _apply(f: Callable, options: list[Callable]) -> Callable:
    for o in reversed(options):
        f = o(f)
    return f


def data_options(f: Callable) -> Callable:
    """DATA argument and the options that load it."""
    return _apply(f, [
        click.argument("data"),
        click.option("--variables", "-v", type=click.Path(dir_okay=False), default=None,
                     help="Variables file: CSV name,description or YAML/JSON mapping."),
        click.option("--context", default=None, help="One sentence about the dataset, used in prompts."),
        click.option("--columns", type=_CommaList(), default=None, metavar="A,B,C", help="Use only these columns."),
        click.option("--missing", type=click.Choice(C.MISSING), default="drop", show_default=True,
                     help="Drop rows with missing values (reported) or refuse them."),
        click.option("--sep", default=None, metavar="CHAR",
                     help="Field separator of a text file (',', ';', '\\t', '|', ' '); detected when not given."),
        click.option("--decimal", type=click.Choice(C.DECIMALS), default=None,
                     help="Decimal mark; a decimal comma is detected in files not separated by commas."),
        click.option("--encoding", default=None, help="Text encoding (default UTF-8, byte-order mark or not)."),
        click.option("--na-values", type=_CommaList(), default=None, metavar="A,B",
                     help="More cell values to read as missing (besides blank, NA, N/A, NaN, null)."),
        click.option("--stream", type=click.Choice(C.STREAMING), default="auto", show_default=True,
                     help="Read the file in one streaming pass into the statistics PC needs (auto: files of "
                          "256 MB or 5 million cells or more)."),
        click.option("--dask", default=None, metavar="ADDRESS",
                     help="Compute the statistics on a Dask cluster: its scheduler address (tcp://host:8786), or "
                          "'local' for a local one; DATA may then be a glob such as 'data/*.parquet'."),
    ])


def pc_options(f: Callable) -> Callable:
    """The data side: significance level and CI test."""
    return _apply(f, [
        click.option("--alpha", type=float, default=C.DEFAULT_ALPHA, show_default=True,
                     help="Significance level of the CI tests, in (0, 1)."),
        click.option("--test", type=click.Choice(C.TESTS), default="auto", show_default=True,
                     help="CI test; auto: Fisher-z (continuous), G^2 (discrete), conditional-Gaussian cg (mixed)."),
        click.option("--engine", type=click.Choice(C.ENGINES), default="native", show_default=True,
                     help="PC engine: native (batched, same output) or causal-learn (the reference)."),
    ])


def probe_option(f: Callable) -> Callable:
    """The memorisation probe, for the commands that ask an LLM."""
    return click.option("--probe-memorisation", type=click.IntRange(min=0), default=0, show_default=True,
                        metavar="K", help="Re-ask K answered pairs with disguised names and abstracted descriptions; "
                        "report how many answers change.")(f)


def bound_options(f: Callable) -> Callable:
    """Bounds on a run's data side: PC's depth, and the optional checks."""
    return _apply(f, [
        click.option("--max-depth", type=click.IntRange(min=0), default=None, metavar="N",
                     help="Largest conditioning set PC tries (bounds its time; a warning says when it was hit)."),
        click.option("--fci/--no-fci", default=True, show_default=True,
                     help="Check suggested confounders with FCI (--no-fci skips it)."),
        click.option("--falsify/--no-falsify", default=True, show_default=True,
                     help="Test the LLM's graph against the data (--no-falsify skips it)."),
    ])


def picture_options(f: Callable) -> Callable:
    """How the graph is drawn."""
    return _apply(f, [
        click.option("--format", "fmt", type=click.Choice(C.FORMATS), default="svg", show_default=True,
                     help="Picture format (graph.dot is always written)."),
        click.option("--layout", type=click.Choice(C.LAYOUTS), default="dot", show_default=True,
                     help="Graphviz layout engine."),
        click.option("--rankdir", type=click.Choice(C.RANKDIRS), default="LR", show_default=True,
                     help="Graph direction."),
        click.option("--width", "png_width", type=click.IntRange(min=100, max=20000), default=None, metavar="PX",
                     help="Width of a PNG in pixels (default: twice the drawing's size)."),
        click.option("--dpi", "png_dpi", type=click.FloatRange(min=10, max=2400), default=None,
                     help="Resolution of a PNG (default 192); --width wins when both are given."),
        click.option("--confounders-view", type=click.Choice(C.CONFOUNDER_VIEWS), default="latent", show_default=True,
                     help="Suggested confounders as dotted latent nodes, as one dotted line per pair, or hidden."),
    ])


def export_option(f: Callable) -> Callable:
    """Interchange files besides the picture."""
    return click.option("--export", "exports", type=_CommaList(), default=None, metavar="gml,dagitty,tetrad,amat",
                        help="Also write the graphs as GML (DoWhy), dagitty (latent confounders marked), Tetrad text "
                             "or an adjacency-matrix CSV: graph.*, pc.*, llm.*.")(f)


def output_options(f: Callable) -> Callable:
    """The output folder, the picture and interchange files."""
    f = export_option(picture_options(f))
    return click.option("--out", "-o", type=click.Path(file_okay=False), required=True, help="Output folder.")(f)


def endpoint_options(f: Callable) -> Callable:
    """Where a real endpoint is."""
    return _apply(f, [
        click.option("--model", default=None, help=f"Model name (default $CAUSALLLM_MODEL or {C.DEFAULT_MODEL})."),
        click.option("--base-url", default=None, help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1."),
        click.option("--api-key-env", default=None, metavar="NAME", help="Read the API key from this variable."),
    ])


def cache_options(f: Callable) -> Callable:
    """The answer cache and how many requests run at once."""
    return _apply(f, [
        click.option("--concurrency", type=int, default=C.DEFAULT_CONCURRENCY, show_default=True,
                     help="LLM requests in flight at most."),
        click.option("--cache", type=click.Path(dir_okay=False), default=None,
                     help="SQLite answer cache (default: user cache folder, or $CAUSALLLM_CACHE_DIR)."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the answer cache."),
    ])


def llm_options(f: Callable) -> Callable:
    """Which LLM, how to reach it, and how many calls to spend."""
    f = _apply(f, [
        click.option("--llm", type=click.Choice(C.BACKENDS), default=None,
                     help="LLM backend; default openai when a key or base URL is set, else none."),
    ])
    f = endpoint_options(f)
    f = _apply(f, [
        click.option("--truth", type=click.Path(dir_okay=False), default=None,
                     help="Simulated expert: true edges (source,target); bundled datasets bring theirs."),
        click.option("--profile", default=C.DEFAULT_PROFILE, show_default=True,
                     help="Simulated expert: perfect, gpt4, random or flip=P."),
        click.option("--order-bias", type=float, default=0.0,
                     help="Simulated expert: probability of answering 'first causes second'."),
        click.option("--latency", type=float, default=0.0, help="Simulated expert: seconds per answer."),
        click.option("--fail-rate", type=float, default=0.0, help="Simulated expert: injected fault rate."),
        click.option("--samples", type=int, default=1, show_default=True,
                     help="Answers per pair and order (self-consistency)."),
        click.option("--single-order", is_flag=True, help="Ask each pair in one order only (default: both orders)."),
        click.option("--confounders", type=click.Choice(C.CONFOUNDER_MODES), default="skeleton",
                     show_default=True, help="Pairs asked about common causes."),
        click.option("--max-calls", type=int, default=None, help="Hard budget of LLM calls; stops cleanly."),
    ])
    f = cache_options(f)
    return _apply(f, [
        click.option("--dry-run", is_flag=True, help="Print pairs, calls and estimated tokens, then exit."),
        click.option("--price-per-1k", type=float, default=None, help="Price per 1000 tokens, for --dry-run's estimate."),
        click.option("--share-stats", is_flag=True,
                     help="Add summary statistics (correlation, CI p-value) to prompts; never raw rows."),
        click.option("--prompts", type=click.Path(dir_okay=False), default=None,
                     help="YAML/JSON file overriding prompt templates (system, direction, confounders, reask)."),
        click.option("--timeout", type=float, default=C.DEFAULT_TIMEOUT, show_default=True,
                     help="Seconds per LLM request."),
    ])


def run_options(f: Callable) -> Callable:
    """Seed and verbosity."""
    return _apply(f, [
        click.option("--seed", type=int, default=0, show_default=True, help="Seed for every random choice."),
        click.option("--quiet", "-q", is_flag=True, help="No progress output on stderr."),
    ])


def _with_logging(f: Callable) -> Callable:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _setup_logging(kwargs.get("quiet", False))
        return f(*args, **kwargs)

    return wrapper


def _print_outcome(outcome: Any) -> None:
    if outcome.plan is not None:
        d = dict(outcome.plan)
        for p in d.pop("pair_list"):
            click.echo(f"pair  {p}")
        for k, v in d.items():
            click.echo(f"{k:<28} {v}")
        return
    if outcome.simulated:
        click.echo("note         LLM answers come from a SIMULATED expert (known truth), not a real LLM")
    click.echo("statuses     " + ", ".join(f"{k} {v}" for k, v in outcome.result.status_counts().items()))
    for name, path in outcome.written.items():
        click.echo(f"{name:<12} {path}")
    if outcome.llm_failed:
        h = outcome.result.manifest["llm_health"]
        why = f" because {h['stopped']}" if h.get("stopped") else ""
        raise click.ClickException(
            f"the LLM gave no usable answer ({h['invalid']} invalid, {h['unanswered']} unanswered of {h['asked']})"
            f"{why}; the outputs above hold the data's graph only: check --base-url, --model and llm_answers.jsonl")


# ---------------------------------------------------------------- commands

@cli.command()
@click.argument("data")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Where to write the template (default: DATA's name + .variables.csv).")
@click.option("--force", is_flag=True, help="Overwrite an existing template.")
@_with_logging
def init(data: str, output: str | None, force: bool) -> None:
    """Write a variables template (name, inferred type, empty description) for DATA.

    Example: causalllm init survey.csv
    """
    from .data import write_variables_template

    path = write_variables_template(data, output, force=force)
    click.echo(f"wrote {path}: fill in the description column, then run "
               f"'causalllm discover {data} --variables {path} --out results'")


@cli.command(name="datasets")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def datasets_cmd(as_json: bool) -> None:
    """List the bundled datasets (usable by name in place of DATA).

    Example: causalllm datasets
    """
    from .bundled import listing

    rows = listing()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['name']:<12} {r['kind']:<11} {r['shape']:<22} {r['title']}")


@cli.command()
@data_options
@pc_options
@bound_options
@output_options
@llm_options
@click.option("--strategy", type=click.Choice(C.STRATEGIES), default=None,
              help="Pairs asked: PC-adjacent, all, or PC-undirected only.  [default: skeleton; all for --merge guided]")
@click.option("--merge", type=click.Choice(C.POLICIES), default="auto", show_default=True,
              help="How data and LLM are merged (guided: the LLM's guess orders PC's tests, PC-Guess).")
@click.option("--prior-threshold", type=float, default=C.DEFAULT_PRIOR_THRESHOLD, show_default=True,
              help="prior policy: minimum confidence for background knowledge.")
@click.option("--priors", type=click.Path(dir_okay=False), default=None,
              help="Use a reviewed priors.csv instead of asking an LLM.")
@click.option("--bootstrap", type=click.IntRange(min=0), default=0, show_default=True, metavar="B",
              help="Edge stability: re-fit PC on B half-size subsamples; frequencies per edge in edges.csv and the "
                   "report.")
@probe_option
@click.option("--knowledge", type=click.Path(dir_okay=False), default=None,
              help="Your background knowledge (YAML/JSON or CSV): tiers, required and forbidden edges; enforced in "
                   "PC, FCI and the merge, outranking the LLM.")
@run_options
@_with_logging
def discover(**opts: Any) -> None:
    """Run PC on DATA, ask the LLM, merge both; write graph, edges, report and manifest to --out.

    Example: causalllm discover sachs --llm simulated --out results/sachs
    """
    from .pipeline import run

    _print_outcome(run(C.RunConfig.from_options(**opts)))


@cli.command()
@data_options
@pc_options
@bound_options
@output_options
@llm_options
@click.option("--strategy", type=click.Choice(C.STRATEGIES), default="all", show_default=True,
              help="Pairs asked (all: no data needed beyond names; others run PC first).")
@probe_option
@run_options
@_with_logging
def ask(**opts: Any) -> None:
    """Ask the LLM alone: its own graph, priors.csv (review and edit it) and every answer.

    Example: causalllm ask asia --llm simulated --out results/asia-llm
    """
    from .pipeline import run

    _print_outcome(run(C.RunConfig.from_options(**opts), "ask"))


@cli.command(name="simulate-expert")
@click.option("--truth", required=True, help="True edges (source,target file) or a bundled dataset name.")
@click.option("--variables", type=click.Path(dir_okay=False), default=None, help="Variables file (names are checked).")
@click.option("--prompts", type=click.Path(dir_okay=False), default=None,
              help="The --prompts file the clients use, so reworded questions are understood.")
@click.option("--profile", default=C.DEFAULT_PROFILE, show_default=True, help="perfect, gpt4, random or flip=P.")
@click.option("--order-bias", type=float, default=0.0, show_default=True,
              help="Probability of answering 'first causes second'.")
@click.option("--latency", type=float, default=0.0, show_default=True, help="Seconds per answer.")
@click.option("--fail-rate", type=float, default=0.0, show_default=True,
              help="Injected faults per request (429, 500, timeout, malformed JSON).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the simulated answers.")
@click.option("--port", type=int, default=0, show_default=True, help="Port on 127.0.0.1 (0: any free port).")
@_with_logging
def simulate_expert(prompts: str | None, **opts: Any) -> None:
    """Serve a simulated expert on 127.0.0.1 over the OpenAI chat-completions protocol (Ctrl-C stops).

    Example: causalllm simulate-expert --truth asia --profile gpt4 --port 8765
    """
    from .prompts import load_prompts
    from .simulate import start_expert

    sim = start_expert(prompts=load_prompts(prompts), **opts)
    click.echo(f"simulated expert (profile {sim.profile}, a SIMULATION) at {sim.url}; "
               f"use: causalllm discover DATA --base-url {sim.url} --out DIR")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


@cli.command()
@click.argument("path", type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(C.FORMATS), default="svg", show_default=True,
              help="Picture format.")
@click.option("--only-disagreements", is_flag=True,
              help="Draw only the edges where data and LLM disagree (reversed, data_only, llm_only, unresolved).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None, help="Output file (default beside PATH).")
@click.option("--layout", type=click.Choice(C.LAYOUTS), default="dot", show_default=True,
              help="Graphviz layout engine.")
@click.option("--rankdir", type=click.Choice(C.RANKDIRS), default="LR", show_default=True, help="Graph direction.")
@click.option("--width", "png_width", type=click.IntRange(min=100, max=20000), default=None, metavar="PX",
              help="Width of a PNG in pixels (default: twice the drawing's size).")
@click.option("--dpi", "png_dpi", type=click.FloatRange(min=10, max=2400), default=None,
              help="Resolution of a PNG (default 192); --width wins when both are given.")
@click.option("--confounders-view", type=click.Choice(C.CONFOUNDER_VIEWS), default="latent", show_default=True,
              help="Suggested confounders as dotted latent nodes, as one dotted line per pair, or hidden.")
@export_option
def render(path: str, **opts: Any) -> None:
    """Re-render a saved result (folder or graph.json/graphml) without recomputing.

    Example: causalllm render results/sachs --only-disagreements --format png
    """
    from .results import render_saved

    click.echo(str(render_saved(path, **{**opts, "exports": opts["exports"] or ()})))


@cli.command()
@click.argument("pred", type=click.Path())
@click.argument("truth", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def compare(pred: str, truth: str, as_json: bool) -> None:
    """Compare a predicted graph with a true one: SHD, adjacency and orientation P/R/F1.

    PRED and TRUTH may be an edges.csv, a source,target list, .dot, .graphml, graph.json, .gml,
    .dagitty, .tetrad.txt or .amat.csv (a results folder reads its edges.csv). Example:
    causalllm compare results/sachs/edges.csv datasets/sachs/truth.csv
    """
    from .metrics import compare_files

    m = compare_files(pred, truth)
    if as_json:
        click.echo(json.dumps(m, indent=2))
        return
    click.echo(f"SHD                {m['shd']}  (normalized {m['normalized_shd']:.3f})")
    click.echo(f"adjacency   P/R/F1 {m['adjacency_precision']:.3f} / {m['adjacency_recall']:.3f} / {m['adjacency_f1']:.3f}")
    click.echo(f"orientation P/R/F1 {m['orientation_precision']:.3f} / {m['orientation_recall']:.3f} / "
               f"{m['orientation_f1']:.3f}")
    click.echo(f"directed    P/R/F1 {m['dir_precision']:.3f} / {m['dir_recall']:.3f} / {m['dir_f1']:.3f}  (dirF1)")
    click.echo(f"edges              predicted {m['n_pred_edges']}, true {m['n_true_edges']}")


def _profiles(text: str) -> list[str]:
    from .evaluate import parse_profiles

    return parse_profiles(text)


@cli.command()
@click.argument("datasets", nargs=-1)
@click.option("--pairs", type=click.Choice(C.PAIR_BENCHMARKS), default=None,
              help="Score pairwise direction accuracy on the Tuebingen pairs instead.")
@click.option("--rows", type=_CommaList(int, "row counts like 1000,10000"), default=None, metavar="N,N",
              help="Row counts to draw per seed (default: all rows).")
@click.option("--seeds", type=int, default=3, show_default=True, help="Seeds (row resamples and expert draws).")
@click.option("--from-network", is_flag=True,
              help="Sample fresh rows from the true Bayesian network per seed (needs pgmpy: causalllm[bn]); any "
                   "network pgmpy bundles (insurance, water, hepar2, win95pts...).")
@click.option("--probe-memorisation", "probe", type=click.IntRange(min=0), default=0, show_default=True, metavar="K",
              help="Per seed and expert, re-ask K pairs with disguised names; the LLM rows give the share changed.")
@click.option("--llm", type=click.Choice(C.EVALUATE_BACKENDS), default="simulated", show_default=True,
              help="The expert: the simulated one (profiles) or a real endpoint.")
@click.option("--profile", "profiles", default="gpt4,random", show_default=True,
              help="Simulated expert profiles, comma-separated (flip=0.1,0.3,0.5 sweeps).")
@click.option("--merge", "merges", type=_CommaList(), default=",".join(C.POLICIES), show_default=True,
              help="Merge policies to score.")
@click.option("--out", "-o", type=click.Path(file_okay=False), default=None,
              help="Folder for results.json and results.png.")
@pc_options
@cache_options
@endpoint_options
@click.option("--latency", type=float, default=0.0, help="Simulated expert: seconds per answer.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --pairs.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output on stderr.")
@_with_logging
def evaluate(datasets: tuple[str, ...], rows: tuple[int, ...] | None, profiles: str, cache: str | None,
             no_cache: bool, model: str | None, base_url: str | None, api_key_env: str | None, latency: float,
             quiet: bool, **opts: Any) -> None:
    """Benchmark PC alone, the LLM alone and each merge policy on datasets with a known truth.

    Example: causalllm evaluate asia child --seeds 3 --profile gpt4,flip=0.3,random --out bench
    """
    from .cache import AnswerCache
    from .evaluate import benchmark

    store = None if no_cache else AnswerCache(cache or C.default_cache_path())
    llm_config = C.LLMConfig(model=model, base_url=base_url, api_key_env=api_key_env, latency=latency)
    res = benchmark(datasets, rows=list(rows) if rows else [None], profiles=_profiles(profiles), cache=store,
                    llm_config=llm_config, progress=not quiet, **opts)
    if "pairs" in res:
        p = res["pairs"]
        click.echo(f"Tuebingen pairs ({p['pairs']} univariate pairs, weighted), expert {p['expert']}"
                   f"{' (SIMULATED)' if p['simulated'] else ''}")
        for k in ("accuracy", "share_unsure", "share_none", "order_consistency", "unweighted_accuracy", "calls",
                  "cache_hits", "wall_s"):
            click.echo(f"{k:<20} {p[k]}")
    else:
        click.echo(res["table"])
    for name, path in res["written"].items():
        click.echo(f"{name:<6} {path}", err=True)


@cli.group()
def cache() -> None:
    """Look after the LLM answer cache: info, prune, export, import.

    Example: causalllm cache info
    """


def _cache_path(f: Callable) -> Callable:
    return click.option("--cache", "path", type=click.Path(dir_okay=False), default=None,
                        help="The cache file (default: user cache folder, or $CAUSALLLM_CACHE_DIR).")(f)


def _open_cache(path: str | None, must_exist: bool = True) -> Any:
    from .cache import AnswerCache

    p = Path(path or C.default_cache_path())
    if must_exist and not p.exists():
        raise click.ClickException(f"no answer cache at {p}; give --cache PATH")
    return AnswerCache(p)


@cache.command(name="info")
@_cache_path
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def cache_info(path: str | None, as_json: bool) -> None:
    """Size, number of answers, and answers by model, prompt version and status."""
    info = _open_cache(path).info()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"{info['path']}: {info['answers']} answers, {info['bytes'] / 1e6:.1f} MB")
    for what in ("by_model", "by_prompt_version", "by_status"):
        click.echo(f"{what.replace('_', ' '):<18} " + ", ".join(f"{k or '-'} {n}" for k, n in info[what].items()))


@cache.command(name="prune")
@_cache_path
@click.option("--older-than", type=click.FloatRange(min=0), default=None, metavar="DAYS", help="Answers older than this.")
@click.option("--model", default=None, help="Answers of this model.")
@click.option("--prompt-version", default=None, help="Answers to this prompt version.")
@click.option("--unusable", is_flag=True, help="Invalid and failed replies (kept for audit, never replayed).")
def cache_prune(path: str | None, older_than: float | None, model: str | None, prompt_version: str | None,
                unusable: bool) -> None:
    """Delete the answers matching every condition given (at least one is needed)."""
    if older_than is None and model is None and prompt_version is None and not unusable:
        raise click.ClickException("say what to prune: --older-than DAYS, --model, --prompt-version or --unusable")
    n = _open_cache(path).prune(older_than_days=older_than, model=model, prompt_version=prompt_version,
                                unusable=unusable)
    click.echo(f"removed {n} answers")


@cache.command(name="export")
@_cache_path
@click.argument("output", type=click.File("w", encoding="utf-8"))
def cache_export(path: str | None, output: Any) -> None:
    """Write every answer to OUTPUT (JSONL; - for stdout) to share paid answers with a team."""
    n = _open_cache(path).export(output)
    click.echo(f"exported {n} answers", err=True)


@cache.command(name="import")
@_cache_path
@click.argument("input_file", metavar="INPUT", type=click.File("r", encoding="utf-8"))
def cache_import(path: str | None, input_file: Any) -> None:
    """Add the answers of an export; of two answers to one question the newer is kept."""
    added, skipped = _open_cache(path, must_exist=False).import_lines(input_file, source=input_file.name)
    click.echo(f"imported {added} answers ({skipped} already there, as new or newer)")


def main() -> None:
    """Entry point for ``python -m causalllm``."""
    cli(prog_name="causalllm")
