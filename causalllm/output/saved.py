"""Reading a saved result back: ``causalllm render`` re-draws a results folder without recomputing."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import networkx as nx

from ..contract import truthy
from ..errors import ConfigError
from ..graph import make_graph, read_graph, write_exports
from ..merge.statuses import DISAGREEMENTS
from ..secrets import scrub
from .folder import check_complete, write_file
from .registry import FORMATS
from .render import render, to_dot

__all__ = ["load_result_graph", "render_saved"]


def load_result_graph(path: str | Path) -> tuple[nx.DiGraph, dict]:
    """Read a saved result (folder or ``graph.json``/``.graphml``) with all attributes, and its manifest."""
    p = Path(path)
    manifest: dict = {}
    if p.is_dir():
        manifest = check_complete(p)
        p = p / "graph.json"
    if not p.exists():
        raise ConfigError(f"{p} does not exist; give a results folder written by 'causalllm discover' or a graph file")
    if p.suffix == ".json":
        data = json.loads(p.read_text(encoding="utf-8"))
        H = nx.node_link_graph(data, edges="edges" if "edges" in data else "links")
    elif p.suffix == ".graphml":
        H = nx.read_graphml(p)
    else:
        return read_graph(p), manifest
    G = make_graph(H.nodes)
    for n, d in H.nodes(data=True):
        G.nodes[n].update(d)
    G.add_edges_from(H.edges(data=True))
    return G, manifest


def render_saved(path: str | Path, *, fmt: str = "svg", only_disagreements: bool = False, out: str | Path | None = None,
                 layout: str = "dot", rankdir: str = "LR", exports: Sequence[str] = (),
                 png_width: int | None = None, confounders_view: str = "latent", png_dpi: float | None = None
                 ) -> Path:
    """Re-draw a saved result (``causalllm render``) without recomputing; return the file written.

    ``exports`` also writes the saved graph in those interchange formats beside it."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    G, manifest = load_result_graph(path)
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    confounders = []
    if (folder / "confounders.csv").exists():
        with open(folder / "confounders.csv", encoding="utf-8") as f:
            confounders = list(csv.DictReader(f))
    llm = manifest.get("llm", {}) or {}
    title = f"{manifest.get('dataset', '')}" + (" (SIMULATED expert)" if llm.get("backend") == "simulated" else "")
    src = to_dot(G, title=title, only=DISAGREEMENTS if only_disagreements else None, layout=layout, rankdir=rankdir,
                 confounders=confounders, confounders_view=confounders_view)
    if exports:
        latent = [(c["confounder"], c["source"], c["target"]) for c in confounders if not truthy(c["measured"])]
        write_exports(G, folder / "graph", exports, latent, write=write_file)
    stem = "graph.disagreements" if only_disagreements else "graph"
    target = Path(out) if out else folder / f"{stem}.{fmt}"
    return write_file(target, render(scrub(src), fmt, layout, width=png_width, dpi=png_dpi))


