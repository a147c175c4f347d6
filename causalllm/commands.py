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

__all__ = ["init_variables", "list_datasets", "discover", "compare_files", "split_columns"]

log = logging.getLogger("causalllm")


def split_columns(columns: str | None) -> list[str] | None:
    """``"a,b, c"`` → ``["a", "b", "c"]``."""
    if not columns:
        return None
    return [c.strip() for c in columns.split(",") if c.strip()]


def init_variables(data: str, output: str | None = None, *, force: bool = False) -> Path:
    """Write a ``name,type,description`` template for ``data``; return its path."""
    src = bundled.get(data).data_path if (not Path(data).exists() and bundled.is_bundled(data)) else Path(data)
    df = read_table(src)
    out = Path(output) if output else src.with_name(src.stem + ".variables.csv")
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


def discover(
    *,
    data: str,
    variables: str | None,
    out: str,
    alpha: float = 0.05,
    test: str = "auto",
    columns: str | None = None,
    missing: str = "drop",
    context: str | None = None,
    fmt: str = "svg",
    layout: str = "dot",
    rankdir: str = "LR",
    seed: int = 0,
    quiet: bool = False,
    llm: str = "none",
    **_: Any,
) -> dict[str, Path]:
    """``causalllm discover``: run the pipeline and save every output; return what was written."""
    from .pipeline import discover as run
    from .results import ensure_out_dir

    ensure_out_dir(out)  # fail before any work if the folder is unusable
    result = run(data, variables, alpha=alpha, test=test, columns=split_columns(columns), missing=missing,
                 context=context, seed=seed, show_progress=not quiet and sys.stderr.isatty(),
                 options={"format": fmt, "layout": layout, "rankdir": rankdir, "llm": llm})
    return result.save(out, fmt=fmt, layout=layout, rankdir=rankdir)


def _bundled_truth(path: str) -> str | Path:
    """A bundled dataset name stands for its truth graph."""
    return bundled.get(path).truth_path if not Path(path).exists() and bundled.is_bundled(path) else path


def compare_files(pred: str, truth: str) -> dict[str, Any]:
    """``causalllm compare``: metrics of PRED against TRUTH (files or folders)."""
    T = read_graph(_bundled_truth(truth))
    P = read_graph(pred, nodes=list(T.nodes))
    return compare(P, T)
