"""The ``causalllm`` command line. Each command parses options and calls one library function.

The options are generated from the settings declared in :mod:`causalllm.config` (:func:`options`
takes the groups a command uses); library errors
(:class:`~causalllm.errors.CausalLLMError`) become a one-line ``Error: ...`` and a non-zero exit
here, and only here.
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
from .secrets import scrub

__all__ = ["cli", "main", "options"]


#: Characters a terminal would obey rather than show: C0 and C1 controls (tab and newline aside), DEL, and the
#: bidirectional controls that reorder a line (U+202E right-to-left override and its kin).
_CONTROL = {*(i for i in range(32) if i not in (9, 10)), 127, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F,
            *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
_ESCAPES = {k: (f"\\x{k:02x}" if k < 0x100 else f"\\u{k:04x}") for k in _CONTROL}


def _printable(text: str) -> str:
    r"""Text for the terminal, the one boundary every line passes: every secret scrubbed, escape codes and
    bidirectional controls from column names or an LLM's words shown, never obeyed.

    Examples
    --------
    >>> _printable("a\x1b[31mb\u202ec")
    'a\\x1b[31mb\\u202ec'
    """
    return scrub(text).translate(_ESCAPES)


def echo(text: str, *, err: bool = False) -> None:
    """A line on stdout (or stderr) through :func:`_printable`."""
    click.echo(_printable(text), err=err)


class _StderrHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        prefix = "Warning: " if record.levelno >= logging.WARNING else ""
        echo(prefix + record.getMessage(), err=True)


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
            echo("Error: interrupted; LLM answers received so far are kept in the cache, "
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


# ---------------------------------------------------------------- options, from the declared settings

def _param_type(opt: C.Option, kind: str) -> Any:
    if opt.listed:
        return _CommaList(opt.item, f"{opt.item.__name__} values" if opt.item is not str else "values")
    if opt.choices is not None:
        return click.Choice(list(opt.choices))
    if opt.path is not None:
        return click.Path(dir_okay=opt.path != "file", file_okay=opt.path != "dir")
    number = {"int": int, "float": float}.get(kind)
    if number is int and (opt.low is not None or opt.high is not None):
        return click.IntRange(min=opt.low, max=opt.high)  # type: ignore[arg-type]
    if number is float and (opt.low is not None or opt.high is not None):
        return click.FloatRange(min=opt.low, max=opt.high)
    return number


def _kind(annotation: Any) -> str:
    text = str(annotation)
    return "bool" if text.startswith("bool") else "int" if text.startswith("int") else \
        "float" if text.startswith("float") else "str"


def _decorator(name: str, default: Any, annotation: Any, opt: C.Option, override: dict[str, Any]) -> Callable:
    """The click parameter of one setting (``override`` changes its default or help for one command)."""
    if opt.argument:
        return click.argument(name)
    flag = opt.flag or "--" + name.replace("_", "-")
    decls = [flag, *([opt.short] if opt.short else []), name]
    kind = _kind(annotation)
    kw: dict[str, Any] = {"help": opt.help, "default": default}
    if kind == "bool" and default is True:
        decls[0] = f"{flag}/--no-{flag[2:]}"
        kw["show_default"] = True
    elif kind == "bool":
        kw["is_flag"] = True
    else:
        kw.update(type=_param_type(opt, kind), metavar=opt.metavar, required=opt.required,
                  show_default=opt.show_default and default not in (None, ()) and not opt.required)
        if opt.required:
            kw.pop("default")
    kw.update(override)
    return click.option(*decls, **kw)


def options(*selectors: str, **overrides: dict[str, Any]) -> Callable[[Callable], Callable]:
    """A decorator adding the options of the settings ``selectors`` name — option groups (``data``,
    ``pc``, ...) or single settings — in declaration order; ``overrides`` maps a setting to its
    changed click keywords (default, help) for this command."""
    params = []
    for _, f in C.settings():
        opt: C.Option = f.metadata["option"]
        if opt.group in selectors or f.name in selectors:
            params.append(_decorator(f.name, C.default_of(f), f.type, opt, overrides.get(f.name, {})))

    def apply(func: Callable) -> Callable:
        for p in reversed(params):
            func = p(func)
        return func

    return apply


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
            echo(f"pair  {p}")
        for k, v in d.items():
            echo(f"{k:<28} {v}")
        return
    if outcome.simulated:
        echo("note         LLM answers come from a SIMULATED expert (known truth), not a real LLM")
    echo("statuses     " + ", ".join(f"{k} {v}" for k, v in outcome.result.status_counts().items()))
    for name, path in outcome.written.items():
        echo(f"{name:<12} {path}")
    if outcome.llm_failed:
        h = outcome.result.manifest["llm_health"]
        why = f" because {h['stopped']}" if h.get("stopped") else ""
        raise click.ClickException(_printable(
            f"the LLM gave no usable answer ({h['invalid']} invalid, {h['unanswered']} unanswered of {h['asked']})"
            f"{why}; the outputs above hold the data's graph only: check --base-url, --model and llm_answers.jsonl"))


#: The option groups of a run (discover and ask share them).
RUN_GROUPS = ("data", "pc", "bound", "output", "picture", "export", "llm", "endpoint", "cache", "plan", "run")


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
    from .data.variables import write_variables_template

    path = write_variables_template(data, output, force=force)
    echo(f"wrote {path}: fill in the description column, then run "
               f"'causalllm discover {data} --variables {path} --out results'")


@cli.command(name="datasets")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def datasets_cmd(as_json: bool) -> None:
    """List the bundled datasets (usable by name in place of DATA).

    Example: causalllm datasets
    """
    from .data.bundled import listing

    rows = listing()
    if as_json:
        echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        echo(f"{r['name']:<12} {r['kind']:<11} {r['shape']:<22} {r['title']}")


@cli.command()
@options(*RUN_GROUPS, "strategy", "merge", "discover", "probe",
         strategy={"default": None, "show_default": False,
                   "help": "Pairs asked: PC-adjacent, all, or PC-undirected only.  [default: skeleton; all for a "
                           "policy that asks every pair (--merge guided)]"})
@_with_logging
def discover(**opts: Any) -> None:
    """Run PC on DATA, ask the LLM, merge both; write graph, edges, report and manifest to --out.

    Example: causalllm discover sachs --llm simulated --out results/sachs
    """
    from .pipeline import run

    _print_outcome(run(C.RunConfig.from_options(**opts)))


@cli.command()
@options(*RUN_GROUPS, "strategy", "probe",
         strategy={"default": "all", "help": "Pairs asked (all: no data needed beyond names; others run PC first)."})
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
@options("profile", "order_bias", "latency", "fail_rate", order_bias={"show_default": True},
         latency={"show_default": True},
         fail_rate={"show_default": True, "help": "Injected faults per request (429, 500, timeout, malformed JSON)."})
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the simulated answers.")
@click.option("--port", type=int, default=0, show_default=True, help="Port on 127.0.0.1 (0: any free port).")
@_with_logging
def simulate_expert(prompts: str | None, **opts: Any) -> None:
    """Serve a simulated expert on 127.0.0.1 over the OpenAI chat-completions protocol (Ctrl-C stops).

    Example: causalllm simulate-expert --truth asia --profile gpt4 --port 8765
    """
    from .expert.prompts import load_prompts
    from .expert.simulate import start_expert

    sim = start_expert(prompts=load_prompts(prompts), **opts)
    echo(f"simulated expert (profile {sim.profile}, a SIMULATION) at {sim.url}; "
               f"use: causalllm discover DATA --base-url {sim.url} --out DIR")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


@cli.command()
@click.argument("path", type=click.Path(exists=True))
@click.option("--only-disagreements", is_flag=True,
              help="Draw only the edges where data and LLM disagree (reversed, data_only, llm_only, unresolved).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None, help="Output file (default beside PATH).")
@options("picture", "export", fmt={"help": "Picture format."})
def render(path: str, **opts: Any) -> None:
    """Re-render a saved result (folder or graph.json/graphml) without recomputing.

    Example: causalllm render results/sachs --only-disagreements --format png
    """
    from .output.saved import render_saved

    echo(str(render_saved(path, **{**opts, "exports": opts["exports"] or ()})))


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
    from .bench.compare import compare_files

    m = compare_files(pred, truth)
    if as_json:
        echo(json.dumps(m, indent=2))
        return
    echo(f"SHD                {m['shd']}  (normalized {m['normalized_shd']:.3f})")
    echo(f"adjacency   P/R/F1 {m['adjacency_precision']:.3f} / {m['adjacency_recall']:.3f} / {m['adjacency_f1']:.3f}")
    echo(f"orientation P/R/F1 {m['orientation_precision']:.3f} / {m['orientation_recall']:.3f} / "
               f"{m['orientation_f1']:.3f}")
    echo(f"directed    P/R/F1 {m['dir_precision']:.3f} / {m['dir_recall']:.3f} / {m['dir_f1']:.3f}  (dirF1)")
    echo(f"edges              predicted {m['n_pred_edges']}, true {m['n_true_edges']}")
    if m["feedback_pairs"]:
        echo(f"feedback pairs     {m['feedback_pairs']} (listed both ways in the truth: either direction scored right)")


def _evaluate_options(f: Callable) -> Callable:
    from .bench.registry import EVALUATE_BACKENDS, PAIR_BENCHMARKS
    from .merge.policies import POLICIES

    f = options("pc", "cache", "endpoint", "latency")(f)
    for o in reversed([
        click.argument("datasets", nargs=-1),
        click.option("--pairs", type=click.Choice(PAIR_BENCHMARKS), default=None,
                     help="Score pairwise direction accuracy on the Tuebingen pairs instead."),
        click.option("--rows", type=_CommaList(int, "row counts like 1000,10000"), default=None, metavar="N,N",
                     help="Row counts to draw per seed (default: all rows)."),
        click.option("--seeds", type=int, default=3, show_default=True, help="Seeds (row resamples and expert draws)."),
        click.option("--from-network", is_flag=True,
                     help="Sample fresh rows from the true Bayesian network per seed (needs pgmpy: causalllm[bn]); "
                          "any network pgmpy bundles (insurance, water, hepar2, win95pts...)."),
        click.option("--probe-memorisation", "probe", type=click.IntRange(min=0), default=0, show_default=True,
                     metavar="K", help="Per seed and expert, re-ask K pairs with disguised names; the LLM rows give "
                                       "the share changed."),
        click.option("--llm", type=click.Choice(EVALUATE_BACKENDS), default=EVALUATE_BACKENDS[0], show_default=True,
                     help="The expert: the simulated one (profiles) or a real endpoint."),
        click.option("--profile", "profiles", default="gpt4,random", show_default=True,
                     help="Simulated expert profiles, comma-separated (flip=0.1,0.3,0.5 sweeps)."),
        click.option("--merge", "merges", type=_CommaList(), default=",".join(POLICIES), show_default=True,
                     help="Merge policies to score."),
        click.option("--out", "-o", type=click.Path(file_okay=False), default=None,
                     help="Folder for results.json and results.png."),
    ]):
        f = o(f)
    return _apply_tail(f)


def _apply_tail(f: Callable) -> Callable:
    f = click.option("--seed", type=int, default=0, show_default=True, help="Seed for --pairs.")(f)
    return click.option("--quiet", "-q", is_flag=True, help="No progress output on stderr.")(f)


@cli.command()
@_evaluate_options
@_with_logging
def evaluate(**opts: Any) -> None:
    """Benchmark PC alone, the LLM alone and each merge policy on datasets with a known truth.

    Example: causalllm evaluate asia child --seeds 3 --profile gpt4,flip=0.3,random --out bench
    """
    from .bench.evaluate import benchmark

    res = benchmark(**opts)
    if "pairs" in res:
        p = res["pairs"]
        echo(f"Tuebingen pairs ({p['pairs']} univariate pairs, weighted), expert {p['expert']}"
                   f"{' (SIMULATED)' if p['simulated'] else ''}")
        for k in ("accuracy", "share_unsure", "share_none", "order_consistency", "unweighted_accuracy", "calls",
                  "cache_hits", "wall_s"):
            echo(f"{k:<20} {p[k]}")
    else:
        echo(res["table"])
    for name, path in res["written"].items():
        echo(f"{name:<6} {path}", err=True)


@cli.group()
def cache() -> None:
    """Look after the LLM answer cache: info, prune, export, import.

    Example: causalllm cache info
    """


def _cache_path(f: Callable) -> Callable:
    return click.option("--cache", "path", type=click.Path(dir_okay=False), default=None,
                        help="The cache file (default: user cache folder, or $CAUSALLLM_CACHE_DIR).")(f)


def _open_cache(path: str | None, must_exist: bool = True) -> Any:
    from .expert.cache import AnswerCache

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
        echo(json.dumps(info, indent=2))
        return
    echo(f"{info['path']}: {info['answers']} answers, {info['bytes'] / 1e6:.1f} MB")
    for what in ("by_model", "by_prompt_version", "by_status"):
        echo(f"{what.replace('_', ' '):<18} " + ", ".join(f"{k or '-'} {n}" for k, n in info[what].items()))


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
    echo(f"removed {n} answers")


@cache.command(name="export")
@_cache_path
@click.argument("output", type=click.File("w", encoding="utf-8"))
def cache_export(path: str | None, output: Any) -> None:
    """Write every answer to OUTPUT (JSONL; - for stdout) to share paid answers with a team."""
    n = _open_cache(path).export(output)
    echo(f"exported {n} answers", err=True)


@cache.command(name="import")
@_cache_path
@click.argument("input_file", metavar="INPUT", type=click.File("r", encoding="utf-8"))
def cache_import(path: str | None, input_file: Any) -> None:
    """Add the answers of an export; of two answers to one question the newer is kept."""
    added, skipped = _open_cache(path, must_exist=False).import_lines(input_file, source=input_file.name)
    echo(f"imported {added} answers ({skipped} already there, as new or newer)")


def main() -> None:
    """Entry point for ``python -m causalllm``."""
    cli(prog_name="causalllm")
