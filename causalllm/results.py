"""The result of a run, and writing it to (and reading it back from) an output folder.

A :class:`DiscoveryResult` holds the merged graph, PC's graph, one row per pair that any
source connects (the rows of ``edges.csv``), the LLM answers, confounders, the falsification
test and the run manifest. :meth:`DiscoveryResult.save` writes::

    graph.dot  graph.svg (or png/pdf)  graph.graphml  graph.json  edges.csv
    manifest.json  report.html  [llm_answers.jsonl  priors.csv  confounders.csv]

``edges.csv`` columns grow with the run: the data columns always come first
(:data:`EDGE_COLUMNS`), then the LLM and merge columns when an LLM was asked.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import networkx as nx

from .errors import ConfigError, RenderError
from .graph import add_edge, make_graph
from .render import render, to_dot
from .report import write_report

__all__ = ["EDGE_COLUMNS", "LLM_COLUMNS", "DiscoveryResult", "ensure_out_dir", "write_csv", "graph_for_export",
           "load_result_graph", "DISAGREEMENTS"]

log = logging.getLogger("causalllm")

#: Always present, in this order.
EDGE_COLUMNS = ["source", "target", "in_graph", "directed", "status", "pc", "p_value", "sepset"]
#: Present when an LLM (or a priors file) was used.
LLM_COLUMNS = ["llm", "llm_confidence", "order_consistent", "rationale", "llm_votes", "decision", "kept",
               "confounders"]
#: Statuses that mean data and LLM disagree (``render --only-disagreements``).
DISAGREEMENTS = ("reversed", "llm_only", "data_only", "unresolved")


def ensure_out_dir(path: str | Path) -> Path:
    """Create ``path`` if needed and check it is writable (one-line error otherwise)."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        probe = p / ".causalllm-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise ConfigError(f"cannot write to output folder {p} ({e.strerror or e}); choose another --out") from None
    return p


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return ";".join(map(str, v))
    return v


def write_csv(path: Path, rows: Iterable[dict], columns: list[str]) -> None:
    """Write rows (dicts) with the given columns; lists become ``;``-joined, None empty."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in columns])
    os.replace(tmp, path)


def graph_for_export(G: nx.DiGraph) -> nx.DiGraph:
    """Copy of ``G`` whose attribute values GraphML accepts (no None, lists joined)."""
    H = nx.DiGraph()
    for n, d in G.nodes(data=True):
        H.add_node(n, **{k: _scalar(v) for k, v in d.items() if v is not None})
    for u, v, d in G.edges(data=True):
        H.add_edge(u, v, **{k: _scalar(x) for k, x in d.items() if x is not None})
    return H


def _scalar(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return ";".join(map(str, v))
    if isinstance(v, dict):
        return json.dumps(v)
    return v


@dataclass
class DiscoveryResult:
    """Everything a run produced.

    Attributes
    ----------
    graph : networkx.DiGraph
        The merged graph (one arc per pair, ``status`` on every arc; latent confounders as
        nodes with ``latent=True``).
    pc_graph : networkx.DiGraph
        PC's CPDAG.
    rows : list of dict
        One row per pair any source connects (the ``edges.csv`` rows).
    answers : list of dict
        Every question asked of the LLM (``llm_answers.jsonl``).
    confounders : list of dict
        Suggested confounders with the FCI verdict.
    falsification : dict or None
        The LLM graph's local-Markov test against the data.
    manifest : dict
        Inputs, options, versions, seed, timings, model and prompt version.
    """

    graph: nx.DiGraph
    pc_graph: nx.DiGraph
    rows: list[dict]
    manifest: dict
    answers: list[dict] = field(default_factory=list)
    priors_rows: list[dict] = field(default_factory=list)
    confounders: list[dict] = field(default_factory=list)
    falsification: dict | None = None
    merge_info: dict = field(default_factory=dict)
    llm_graph: nx.DiGraph | None = None

    @property
    def has_llm(self) -> bool:
        return bool(self.answers) or bool(self.priors_rows)

    @property
    def columns(self) -> list[str]:
        return EDGE_COLUMNS + (LLM_COLUMNS if self.has_llm else [])

    def status_counts(self) -> dict[str, int]:
        """Number of pairs per status."""
        out: dict[str, int] = {}
        for r in self.rows:
            out[r["status"]] = out.get(r["status"], 0) + 1
        return dict(sorted(out.items()))

    def display_graph(self) -> nx.DiGraph:
        """The merged graph plus the LLM-only claims (not in the graph, drawn dashed to show the disagreement)."""
        D = self.graph.copy()
        for r in self.rows:
            if r["status"] == "llm_only" and not r["in_graph"] and not (D.has_edge(r["source"], r["target"])
                                                                          or D.has_edge(r["target"], r["source"])):
                attrs = {k: v for k, v in r.items() if k not in ("source", "target", "directed", "in_graph")}
                add_edge(D, r["source"], r["target"], "-->", **attrs)
        return D

    def to_dot(self, *, only: Iterable[str] | None = None, layout: str = "dot", rankdir: str = "LR") -> str:
        """DOT source of the merged graph (and the LLM-only claims) with legend and tooltips."""
        return to_dot(self.display_graph(), title=self.title, only=only, layout=layout, rankdir=rankdir,
                      confounders=self.confounders)

    @property
    def title(self) -> str:
        """Graph title: dataset and LLM, with the simulation said plainly."""
        llm = self.manifest.get("llm", {}) or {}
        who = {"none": "data only (PC)", "simulated": f"PC + SIMULATED expert ({llm.get('profile')})"}.get(
            llm.get("backend", "none"), f"PC + {llm.get('model', 'LLM')}")
        return f"{self.manifest.get('dataset', '')}: {who}, merge {self.manifest.get('options', {}).get('merge', '')}"

    def _repr_svg_(self) -> str:
        try:
            return render(self.to_dot(), "svg").decode("utf-8")
        except RenderError:
            return ""

    def save(self, out_dir: str | Path, *, fmt: str = "svg", layout: str = "dot", rankdir: str = "LR",
             ) -> dict[str, Path]:
        """Write every output file into ``out_dir``; return name → path of what was written."""
        out = ensure_out_dir(out_dir)
        written: dict[str, Path] = {}
        dot_src = self.to_dot(layout=layout, rankdir=rankdir)
        (out / "graph.dot").write_text(dot_src, encoding="utf-8")
        written["dot"] = out / "graph.dot"
        svg_text = ""
        if fmt != "dot":
            try:
                (out / f"graph.{fmt}").write_bytes(render(dot_src, fmt, layout))
                written[fmt] = out / f"graph.{fmt}"
            except RenderError as e:
                log.warning("could not write graph.%s: %s (graph.dot is written)", fmt, e)
        try:
            svg_text = (out / "graph.svg").read_text(encoding="utf-8") if fmt == "svg" and "svg" in written \
                else render(dot_src, "svg", layout).decode("utf-8")
        except RenderError:
            svg_text = ""
        H = graph_for_export(self.graph)
        nx.write_graphml(H, out / "graph.graphml")
        written["graphml"] = out / "graph.graphml"
        data = nx.node_link_data(H, edges="edges")
        (out / "graph.json").write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
        written["json"] = out / "graph.json"
        write_csv(out / "edges.csv", self.rows, self.columns)
        written["edges"] = out / "edges.csv"
        if self.answers:
            with open(out / "llm_answers.jsonl", "w", encoding="utf-8") as f:
                for a in self.answers:
                    f.write(json.dumps(a, default=str) + "\n")
            written["answers"] = out / "llm_answers.jsonl"
        if self.priors_rows:
            from .priors import PRIORS_COLUMNS

            write_csv(out / "priors.csv", self.priors_rows, PRIORS_COLUMNS)
            written["priors"] = out / "priors.csv"
        if self.confounders:
            cols = ["source", "target", "confounder", "measured", "fci_verdict", "fci_mark"]
            write_csv(out / "confounders.csv", self.confounders, cols)
            written["confounders"] = out / "confounders.csv"
        (out / "manifest.json").write_text(json.dumps(self.manifest, indent=2, default=str), encoding="utf-8")
        written["manifest"] = out / "manifest.json"
        written["report"] = write_report(self, out / "report.html", svg_text)
        return written


def load_result_graph(path: str | Path) -> tuple[nx.DiGraph, dict]:
    """Read a saved result (folder or ``graph.json``/``.graphml``) with all attributes, and its manifest."""
    p = Path(path)
    manifest: dict = {}
    if p.is_dir():
        if (p / "manifest.json").exists():
            manifest = json.loads((p / "manifest.json").read_text(encoding="utf-8"))
        p = p / "graph.json"
    if not p.exists():
        raise ConfigError(f"{p} does not exist; give a results folder written by 'causalllm discover' or a graph file")
    if p.suffix == ".json":
        data = json.loads(p.read_text(encoding="utf-8"))
        H = nx.node_link_graph(data, edges="edges" if "edges" in data else "links")
    elif p.suffix == ".graphml":
        H = nx.read_graphml(p)
    else:
        from .graph import read_graph

        return read_graph(p), manifest
    G = make_graph(H.nodes)
    for n, d in H.nodes(data=True):
        G.nodes[n].update(d)
    G.add_edges_from(H.edges(data=True))
    return G, manifest
