"""The interchange formats, declared once: one :class:`ExportFormat` per ``--export`` choice (no
scientific import: the CLI reads it at start-up). The writers and readers are in
:mod:`causalllm.graph.formats`; :func:`causalllm.graph.read_graph` and the output folder read
this registry, so every format round-trips (tested)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["EXPORT_FORMATS", "ExportFormat", "export_format_of"]


@dataclass(frozen=True)
class ExportFormat:
    """One interchange format: its suffix, the tools it is for, and its writer and reader
    (functions of :mod:`causalllm.graph.formats`: ``writer(G, latent) -> text``, ``reader(text) -> G``)."""

    name: str
    suffix: str
    tools: str
    notes: str
    writer: str
    reader: str

    def write(self, G: nx.DiGraph, latent: Any = ()) -> str:
        """The file's text for ``G`` (``latent``: suggested latent confounders ``(name, a, b)``)."""
        return str(getattr(import_module("causalllm.graph.formats"), self.writer)(G, list(latent)))

    def read(self, text: str) -> nx.DiGraph:
        """The graph a file's text holds."""
        return getattr(import_module("causalllm.graph.formats"), self.reader)(text)


#: Every ``--export`` format, in the order the docs list them.
EXPORT_FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("gml", ".gml", "networkx, DoWhy (`CausalModel(graph=...)`)",
                 "an undirected edge is both arcs with `undirected 1`", "write_gml", "read_gml"),
    ExportFormat("dag", ".dag.gml", "DoWhy, networkx: effect estimation needs a DAG",
                 "one DAG of the graph's class: each undirected edge oriented (no new v-structure where possible), "
                 "marked `arbitrary 1` and listed in the graph's `comment`", "write_dag", "read_gml"),
    ExportFormat("dagitty", ".dagitty", "dagitty.net, R `dagitty`",
                 "`pdag` when an edge is undirected; suggested latent confounders are nodes marked `[latent]` with "
                 "arrows into the pair", "to_dagitty", "read_dagitty_graph"),
    ExportFormat("tetrad", ".tetrad.txt", "Tetrad (\"load graph from text\")",
                 "`Graph Nodes:` / numbered `Graph Edges:`, every mark including FCI's `<->`, `o->`, `o-o`",
                 "write_tetrad", "read_tetrad"),
    ExportFormat("amat", ".amat.csv", "R `bnlearn::amat<-`, `pcalg` (transposed)",
                 "a plain matrix R reads with `read.csv(path, row.names = 1)`: `A[i,j] = 1, A[j,i] = 0` is `i --> j`, "
                 "both 1 is `i --- j`",
                 "write_amat", "read_amat"),
)}


def export_format_of(path: Path) -> ExportFormat | None:
    """The interchange format a file's name says it holds (``graph.tetrad.txt`` → tetrad; ``.gml``), or None."""
    name = path.name.lower()
    return max((f for f in EXPORT_FORMATS.values() if name.endswith(f.suffix)), key=lambda f: len(f.suffix),
               default=None)
