"""The ``causalllm`` command line. Each command parses options and calls one library function.

Library errors (:class:`~causalllm.errors.CausalLLMError`) become a one-line ``Error: ...``
and a non-zero exit here, and only here.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable

import click

from . import commands
from .errors import CausalLLMError

__all__ = ["cli"]


class _StderrHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        prefix = "Warning: " if record.levelno >= logging.WARNING else ""
        click.echo(prefix + record.getMessage(), err=True)


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
            raise click.ClickException(" ".join(str(e).split())) from None
        except KeyboardInterrupt:
            click.echo("Error: interrupted; LLM answers received so far are kept in the cache, "
                       "re-run the same command to resume", err=True)
            sys.exit(130)


@click.group(cls=_Group)
@click.version_option(package_name="causalllm")
def cli() -> None:
    """causalllm: causal discovery from data (PC) and an LLM's knowledge, merged honestly.

    Start with 'causalllm init DATA' to write a variables template, then
    'causalllm discover DATA --variables FILE --out DIR'.
    """


# ---------------------------------------------------------------- shared options

def data_options(f: Callable) -> Callable:
    """DATA argument and the options that load it."""
    f = click.option("--missing", type=click.Choice(["drop", "error"]), default="drop", show_default=True,
                     help="Drop rows with missing values (reported) or refuse them.")(f)
    f = click.option("--columns", default=None, metavar="A,B,C", help="Use only these columns.")(f)
    f = click.option("--context", default=None, help="One sentence about the dataset, used in prompts.")(f)
    f = click.option("--variables", "-v", type=click.Path(dir_okay=False), default=None,
                     help="Variables file: CSV name,description or YAML/JSON mapping.")(f)
    f = click.argument("data")(f)
    return f


def pc_options(f: Callable) -> Callable:
    f = click.option("--test", type=click.Choice(["auto", "fisherz", "chisq", "gsq", "kci"]), default="auto",
                     show_default=True, help="CI test; auto: Fisher-z (continuous), G^2 (discrete/mixed).")(f)
    f = click.option("--alpha", type=float, default=0.05, show_default=True,
                     help="Significance level of the CI tests, in (0, 1).")(f)
    return f


def run_options(f: Callable) -> Callable:
    f = click.option("--quiet", "-q", is_flag=True, help="No progress output on stderr.")(f)
    f = click.option("--seed", type=int, default=0, show_default=True, help="Seed for every random choice.")(f)
    return f


def output_options(f: Callable) -> Callable:
    f = click.option("--rankdir", type=click.Choice(["LR", "TB", "RL", "BT"]), default="LR", show_default=True,
                     help="Graph direction.")(f)
    f = click.option("--layout", default="dot", show_default=True,
                     help="Graphviz layout engine (dot, neato, fdp, sfdp, circo).")(f)
    f = click.option("--format", "fmt", type=click.Choice(["svg", "png", "pdf", "dot"]), default="svg",
                     show_default=True, help="Picture format (graph.dot is always written).")(f)
    f = click.option("--out", "-o", type=click.Path(file_okay=False), required=True, help="Output folder.")(f)
    return f


def _with_logging(f: Callable) -> Callable:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _setup_logging(kwargs.get("quiet", False))
        return f(*args, **kwargs)

    return wrapper


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
    path = commands.init_variables(data, output, force=force)
    click.echo(f"wrote {path}: fill in the description column, then run "
               f"'causalllm discover {data} --variables {path} --out results'")


@cli.command(name="datasets")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def datasets_cmd(as_json: bool) -> None:
    """List the bundled datasets (usable by name in place of DATA).

    Example: causalllm datasets
    """
    rows = commands.list_datasets()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['name']:<12} {r['kind']:<11} {r['shape']:<22} {r['title']}")


@cli.command()
@data_options
@pc_options
@output_options
@run_options
@click.option("--llm", type=click.Choice(["none"]), default="none", show_default=True,
              help="LLM backend.")
@_with_logging
def discover(**opts: Any) -> None:
    """Run PC on DATA (plus the LLM and the merge), write graph, edges and manifest to --out.

    Example: causalllm discover sachs --out results/sachs
    """
    written = commands.discover(**opts)
    for name, path in written.items():
        click.echo(f"{name:<12} {path}")


@cli.command()
@click.argument("pred", type=click.Path())
@click.argument("truth", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def compare(pred: str, truth: str, as_json: bool) -> None:
    """Compare a predicted graph with a true one: SHD, adjacency and orientation P/R/F1.

    PRED and TRUTH may be an edges.csv, a source,target list, .dot, .graphml or graph.json
    (a results folder reads its edges.csv). Example:
    causalllm compare results/sachs/edges.csv datasets/sachs/truth.csv
    """
    m = commands.compare_files(pred, truth)
    if as_json:
        click.echo(json.dumps(m, indent=2))
        return
    click.echo(f"SHD                {m['shd']}  (normalized {m['normalized_shd']:.3f})")
    click.echo(f"adjacency   P/R/F1 {m['adjacency_precision']:.3f} / {m['adjacency_recall']:.3f} / {m['adjacency_f1']:.3f}")
    click.echo(f"orientation P/R/F1 {m['orientation_precision']:.3f} / {m['orientation_recall']:.3f} / "
               f"{m['orientation_f1']:.3f}")
    click.echo(f"edges              predicted {m['n_pred_edges']}, true {m['n_true_edges']}")


def main() -> None:
    """Entry point for ``python -m causalllm``."""
    cli(prog_name="causalllm")
