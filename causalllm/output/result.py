"""The result of a run: the merged graph, PC's, one row per pair, the LLM's answers, the checks, the manifest.

A :class:`DiscoveryResult` is what :func:`causalllm.discover` returns and what the output
folder is written from (:func:`causalllm.output.folder.save`); in a notebook it draws itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import networkx as nx

from ..contract import EDGE_COLUMNS, LLM_COLUMNS, STABILITY_COLUMNS
from ..errors import RenderError
from ..graph import add_edge, pair_key
from ..merge.model import MergeInfo
from ..merge.rows import EdgeRow
from ..merge.statuses import STATUSES
from .render import render, to_dot

__all__ = ["DiscoveryResult", "graph_for_export"]


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
    rows : list of EdgeRow
        One row per pair any source connects (the ``edges.csv`` rows).
    answers : list of dict
        Every question asked of the LLM (``llm_answers.jsonl``).
    confounders : list of dict
        Suggested confounders with the FCI verdict.
    falsification : dict or None
        The LLM graph's local-Markov test against the data.
    merge_info : MergeInfo or None
        What the merge did (calibration, skipped orientations, violations, broken cycles).
    llm_graph : networkx.DiGraph or None
        The LLM's own graph (``llm_cycles_removed`` lists the edges dropped to make it acyclic).
    manifest : dict
        Inputs, options, versions, seed, timings, model and prompt version.
    """

    graph: nx.DiGraph
    pc_graph: nx.DiGraph
    rows: list[EdgeRow]
    manifest: dict
    answers: list[dict] = field(default_factory=list)
    priors_rows: list[dict] = field(default_factory=list)
    confounders: list[dict] = field(default_factory=list)
    falsification: dict | None = None
    merge_info: MergeInfo | None = None
    llm_graph: nx.DiGraph | None = None
    llm_cycles_removed: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # steps an interruption left undone
    stability: dict[frozenset, dict[str, float]] | None = None  # --bootstrap: see causalllm.discovery.stability.bootstrap
    probe: dict | None = None  # --probe-memorisation: see causalllm.priors.probe_memorisation
    written: dict[str, Path] = field(default_factory=dict)  # where save() wrote each output
    data_graph: nx.DiGraph | None = None  # the data side's own graph (what --llm none draws)
    #: against a known true graph: per graph ("data side", "LLM alone", "merged") its scores and the pairs it got wrong
    truth_scores: dict[str, dict] | None = None

    def __repr__(self) -> str:
        """One screen: what was run, the graph's size, the pairs per status, the LLM's health, where the files are."""
        health = self.manifest.get("llm_health") or {}
        lines = [f"<DiscoveryResult {self.title}>",
                 f"  {self.graph.number_of_nodes()} variables, {sum(1 for r in self.rows if r['in_graph'])} edges "
                 f"drawn ({sum(1 for r in self.rows if r['directed'])} directed)",
                 "  statuses: " + (", ".join(f"{s} {n}" for s, n in self.status_counts().items()) or "none")]
        if health.get("asked"):
            lines.append(f"  LLM answers: {health['usable']} of {health['asked']} usable"
                         + "".join(f"; {n} pairs: {b}" for b, n in (health.get("behaviour") or {}).items()))
        if self.missing:
            lines.append(f"  not done (interrupted): {', '.join(self.missing)}")
        if self.written:
            folder = Path(next(iter(self.written.values()))).parent
            lines.append(f"  written to {folder}: {', '.join(sorted(Path(p).name for p in self.written.values()))}"[:300])
        else:
            lines.append("  not written yet: result.save('out') writes the folder (report.html, edges.csv, ...)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A notebook's view: the counts per status as a table, then the picture."""
        rows = "".join(f"<tr><td>{escape(s)}</td><td>{n}</td><td>{escape(STATUSES[s].help if s in STATUSES else '')}"
                       "</td></tr>" for s, n in self.status_counts().items())
        return (f"<div><b>{escape(self.title)}</b><table><thead><tr><th>status</th><th>pairs</th><th>meaning</th>"
                f"</tr></thead><tbody>{rows}</tbody></table>{self._repr_svg_()}</div>")

    @property
    def has_llm(self) -> bool:
        return bool(self.answers) or bool(self.priors_rows)

    @property
    def columns(self) -> list[str]:
        return (EDGE_COLUMNS + (STABILITY_COLUMNS if self.stability is not None else [])
                + (LLM_COLUMNS if self.has_llm else []))

    def attach_stability(self, stability: dict[frozenset, dict[str, float]]) -> None:
        """Give every row its bootstrap frequencies (0 for a pair no re-fit found adjacent)."""
        self.stability = stability
        for r in self.rows:
            st = stability.get(pair_key(r["source"], r["target"]), {})
            r["boot_adjacent"] = st.get("adjacent", 0.0)
            r["boot_forward"] = st.get(f"{r['source']}->{r['target']}", 0.0)
            r["boot_reverse"] = st.get(f"{r['target']}->{r['source']}", 0.0)

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

    def to_dot(self, *, only: Iterable[str] | None = None, layout: str = "dot", rankdir: str = "LR",
               confounders_view: str = "latent") -> str:
        """DOT source of the merged graph (and the LLM-only claims) with legend and tooltips."""
        return to_dot(self.display_graph(), title=self.title, only=only, layout=layout, rankdir=rankdir,
                      confounders=self.confounders, confounders_view=confounders_view)

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
             exports: Sequence[str] = (), png_width: int | None = None, confounders_view: str = "latent",
             png_dpi: float | None = None) -> dict[str, Path]:
        """Write every output file into ``out_dir`` (:func:`causalllm.output.folder.save`); name → path written."""
        from .folder import save

        self.written = save(self, out_dir, fmt=fmt, layout=layout, rankdir=rankdir, exports=exports,
                            png_width=png_width, confounders_view=confounders_view, png_dpi=png_dpi)
        return self.written
