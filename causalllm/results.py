"""The result of a run, and writing it to (and reading it back from) an output folder.

A :class:`DiscoveryResult` holds the merged graph, PC's graph, one row per pair that any
source connects (the rows of ``edges.csv``), the LLM answers, confounders, the falsification
test and the run manifest. :meth:`DiscoveryResult.save` writes::

    graph.dot  graph.svg (or png/pdf)  graph.graphml  graph.json  edges.csv
    manifest.json  report.html  [llm_answers.jsonl  priors.csv  confounders.csv]

``edges.csv`` columns grow with the run: the data columns always come first
(:data:`EDGE_COLUMNS`), then the LLM and merge columns when an LLM was asked. One row is an
:class:`EdgeRow`, and :func:`build_rows` is the one place rows (and the final graph carrying
the same attributes) are made; what each status means is :data:`causalllm.graph.STATUSES`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import networkx as nx

from .answers import PRIORS_COLUMNS, PairAnswer
from .config import FORMATS
from .data import Dataset
from .errors import ConfigError, RenderError
from .formats import SUFFIXES, write_exports
from .graph import DISAGREEMENTS, MANIFEST, MARKS, add_edge, make_graph, mark_between, pair_key, require_complete
from .merge import Decision, MergeInfo, MergeOutcome, usable_direction
from .pc import PCDiscovery
from .render import render, to_dot
from .report import write_report

__all__ = ["EDGE_COLUMNS", "STABILITY_COLUMNS", "LLM_COLUMNS", "CONFOUNDER_COLUMNS", "EdgeRow", "build_rows",
           "DiscoveryResult",
           "ensure_out_dir", "write_csv", "graph_for_export", "load_result_graph", "render_saved"]

log = logging.getLogger("causalllm")

#: Always present, in this order.
EDGE_COLUMNS = ["source", "target", "in_graph", "directed", "status", "pc", "data", "p_value", "sepset"]
#: With ``--bootstrap B``: the share of B subsample re-fits of PC where the pair was adjacent, and
#: where it was drawn source -> target and target -> source.
STABILITY_COLUMNS = ["boot_adjacent", "boot_forward", "boot_reverse"]
#: Present when an LLM (or a priors file) was used.
LLM_COLUMNS = ["llm", "llm_confidence", "order_consistent", "rationale", "llm_votes", "decision", "kept",
               "confounders"]
CONFOUNDER_COLUMNS = ["source", "target", "confounder", "measured", "fci_verdict", "fci_mark"]


class EdgeRow(TypedDict, total=False):
    """One row of ``edges.csv``: a pair any source connects, read from ``source`` to ``target``.

    The first nine keys are always there (:data:`EDGE_COLUMNS`); the rest when an LLM or a
    priors file was used (:data:`LLM_COLUMNS`).
    """

    source: str
    target: str
    in_graph: bool  # the pair is adjacent in the final graph
    directed: bool  # ... and oriented source -> target
    status: str  # a key of causalllm.graph.STATUSES
    pc: str  # PC's mark read from source to target, "none" if PC removed the pair, "not run"
    data: str  # the data side's mark (PC's re-checked by the collider analysis), read the same way
    p_value: float | None  # the pair's largest CI-test p-value
    sepset: str  # the separating set of a removed pair ("{}" for the empty set)
    llm: str  # the LLM's combined answer read from source to target
    llm_confidence: float | None
    order_consistent: bool | None
    rationale: str
    llm_votes: str
    decision: str  # why the final graph shows what it shows
    kept: str  # whose orientation the graph shows: data, llm, both, meek, rerun (prior), "" (undirected)
    confounders: list[str]
    boot_adjacent: float  # --bootstrap: share of PC re-fits on subsamples with the pair adjacent
    boot_forward: float  # ... with source -> target
    boot_reverse: float  # ... with target -> source


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


def _truthy(v: Any) -> bool:
    return v is True or str(v).strip().lower() in ("true", "1", "yes")


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return ";".join(map(neutralise, map(str, v)))
    return neutralise(v) if isinstance(v, str) else v


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection): text starting with
    ``= + - @`` (or a tab or carriage return) gets a leading ``'``. Marks (``-->``, votes ``-->:2``) and
    numbers stay;
    :func:`causalllm.graph.unneutralise` reverses it when causalllm reads its own files.

    Examples
    --------
    >>> neutralise("=HYPERLINK(1)"), neutralise("-->"), neutralise("-0.5"), neutralise("age")
    ("'=HYPERLINK(1)", '-->', '-0.5', 'age')
    """
    if not text or text[0] not in _FORMULA or text.startswith((*MARKS, "<--")):  # marks and votes (-->:2) stay
        return text
    try:
        float(text)
        return text
    except ValueError:
        return "'" + text


def csv_text(rows: Iterable[Any], columns: list[str]) -> str:
    """Rows (dicts) as CSV text with the given columns; lists become ``;``-joined, None empty."""
    f = io.StringIO(newline="")
    w = csv.writer(f)
    w.writerow(columns)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in columns])
    return f.getvalue()


def write_csv(path: Path, rows: Iterable[Any], columns: list[str]) -> None:
    """Write rows (dicts) with the given columns, whole (see :func:`csv_text`)."""
    _write(path, csv_text(rows, columns))


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
    stability: dict[frozenset, dict[str, float]] | None = None  # --bootstrap: see causalllm.pc.bootstrap
    probe: dict | None = None  # --probe-memorisation: see causalllm.priors.probe_memorisation

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
        """Write every output file into ``out_dir``; return name → path of what was written.

        The data files come first and the picture after them (a slow render never holds back
        ``edges.csv``); each file is written whole (to a temporary name, then renamed); the
        previous run's files are removed first and ``manifest.json`` is written last, so a folder
        without one is an interrupted save (:func:`check_complete`).
        """
        out = ensure_out_dir(out_dir)
        for name in (MANIFEST, *_OUTPUTS):  # nothing of an earlier run survives into this one
            for old in out.glob(name):
                old.unlink()
        written: dict[str, Path] = {}
        dot_src = self.to_dot(layout=layout, rankdir=rankdir, confounders_view=confounders_view)
        written["dot"] = _write(out / "graph.dot", dot_src)
        H = graph_for_export(self.graph)
        buf = io.BytesIO()
        nx.write_graphml(H, buf)
        written["graphml"] = _write(out / "graph.graphml", buf.getvalue())
        data = nx.node_link_data(H, edges="edges")
        written["json"] = _write(out / "graph.json", json.dumps(data, indent=1, default=str))
        written["edges"] = _write(out / "edges.csv", csv_text(self.rows, self.columns))
        if self.answers:
            written["answers"] = _write(out / "llm_answers.jsonl",
                                        "".join(json.dumps(a, default=str) + "\n" for a in self.answers))
        if self.priors_rows:
            written["priors"] = _write(out / "priors.csv", csv_text(self.priors_rows, PRIORS_COLUMNS))
        if self.confounders:
            written["confounders"] = _write(out / "confounders.csv", csv_text(self.confounders, CONFOUNDER_COLUMNS))
        if exports:  # the merged, PC and LLM graphs for DoWhy, dagitty, Tetrad, pcalg/bnlearn
            latent = [(c["confounder"], c["source"], c["target"]) for c in self.confounders if not _truthy(c["measured"])]
            written.update(write_exports(self.graph, out / "graph", exports, latent))
            written.update(write_exports(self.pc_graph, out / "pc", exports))
            if self.llm_graph is not None and self.llm_graph.number_of_edges():
                written.update(write_exports(self.llm_graph, out / "llm", exports))
        svg_text = ""
        if fmt != "dot":
            try:
                picture = render(dot_src, fmt, layout, width=png_width, dpi=png_dpi)
                written[fmt] = _write(out / f"graph.{fmt}", picture)
                svg_text = picture.decode("utf-8") if fmt == "svg" else ""
            except RenderError as e:
                log.warning("could not write graph.%s: %s (graph.dot is written)", fmt, e)
        if not svg_text:
            try:
                svg_text = render(dot_src, "svg", layout).decode("utf-8")
            except RenderError:
                svg_text = ""
        manifest = dict(self.manifest, complete=not self.missing, missing=list(self.missing))
        self.manifest = manifest
        written["report"] = write_report(self, out / "report.html", svg_text)
        written["manifest"] = _write(out / MANIFEST, json.dumps(manifest, indent=2, default=str))
        return written


#: Every file a run may write besides the manifest (globs).
_OUTPUTS = ("graph.dot", "graph.svg", "graph.png", "graph.pdf", "graph.graphml", "graph.json", "edges.csv",
            "llm_answers.jsonl", "priors.csv", "confounders.csv", "report.html", "graph.disagreements.*",
            *(f"{stem}{suffix}" for stem in ("graph", "pc", "llm") for suffix in SUFFIXES.values()))


def _write(path: Path, content: str | bytes) -> Path:
    """Write a file whole: to a temporary name beside it, then renamed over it."""
    tmp = path.with_name(f".{path.name}.partial")
    try:
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise ConfigError(f"cannot write {path} ({e.strerror or e}); check the disk and choose another --out") from None
    return path


def check_complete(folder: Path) -> dict:
    """The manifest of a results folder, or a one-line error when the run that wrote it did not finish."""
    require_complete(folder)
    m = folder / MANIFEST
    if not m.exists():
        return {}
    manifest = json.loads(m.read_text(encoding="utf-8"))
    if manifest.get("missing"):
        log.warning("%s was written by an interrupted run: %s not done", folder, ", ".join(manifest["missing"]))
    return manifest


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
        from .graph import read_graph

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
        latent = [(c["confounder"], c["source"], c["target"]) for c in confounders if not _truthy(c["measured"])]
        write_exports(G, folder / "graph", exports, latent)
    stem = "graph.disagreements" if only_disagreements else "graph"
    target = Path(out) if out else folder / f"{stem}.{fmt}"
    try:
        target.write_bytes(render(src, fmt, layout, width=png_width, dpi=png_dpi))
    except OSError as e:
        raise ConfigError(f"cannot write {target} ({e.strerror}); use --out") from None
    return target


# ------------------------------------------------------------------ rows

def _direction(G: nx.DiGraph, a: str, b: str) -> tuple[str | None, tuple[str, str] | None]:
    m = mark_between(G, a, b)
    return m, ((a, b) if m == "-->" else (b, a) if m == "<--" else None)


def _status(pc_mark: str | None, data_mark: str | None, data_dir: tuple[str, str] | None, p: PairAnswer | None,
            final_mark: str | None, final_dir: tuple[str, str] | None) -> str:
    """A pair's status (see :data:`causalllm.graph.STATUSES`), read off the final graph and its sources.

    ``data_*`` is the data side's graph (PC's, re-checked by the collider analysis): the same
    with or without an LLM, so a status never credits a source with an orientation it did not give.
    """
    # the data side's adjacencies differ from PC's only when PC was re-run with the guess (guided)
    if pc_mark is None and data_mark is not None and final_mark is not None:
        return "guided"
    if pc_mark is not None and data_mark is None:
        return "separated"
    if pc_mark is None:
        if p is not None and p.directed() is not None:
            return "llm_only"
        return "data" if final_mark else "none"  # an edge only the prior policy's PC re-run found
    own = "data" if data_mark == pc_mark else "revised"
    llm_dir = usable_direction(p)
    if p is not None and p.answer == "none":
        return "data_only"
    if llm_dir is None:
        if final_mark == data_mark:
            return own if final_dir or p is None else "unresolved"
        return "implied" if final_dir else "unresolved"
    if final_dir is None:
        return "unresolved"
    if final_dir == llm_dir:
        return "agree" if data_dir == llm_dir else "oriented_by_llm" if data_dir is None else "reversed"
    return "reversed" if data_dir is not None and data_dir != llm_dir else "implied"


def _kept(final_dir: tuple[str, str] | None, data_dir: tuple[str, str] | None, llm_dir: tuple[str, str] | None,
          policy: str) -> str:
    """Whose orientation the final graph shows, read off the graph: data, llm, both, or neither's —
    ``meek`` (derived from other edges) or, under ``prior``, ``rerun`` (PC re-run with knowledge)."""
    if final_dir is None:
        return ""
    if final_dir == data_dir:
        return "both" if final_dir == llm_dir else "data"
    return "llm" if final_dir == llm_dir else "rerun" if policy == "prior" else "meek"


def _llm_cells(p: PairAnswer | None, src: str, confounders: list[dict]) -> dict[str, Any]:
    return {"llm": p.answer_from(src) if p else "not asked", "llm_confidence": p.confidence if p else None,
            "order_consistent": p.order_consistent if p else None, "rationale": p.rationale if p else "",
            "llm_votes": p.votes_from(src) if p else "", "confounders": [c["name"] for c in confounders]}


def _final_graph(ds: Dataset, rows: list[EdgeRow], marks: list[str | None]) -> nx.DiGraph:
    """The final graph: the rows in the graph as arcs carrying the rows' attributes."""
    F = make_graph(ds.columns)
    for n in F.nodes:
        F.nodes[n].update(description=ds.descriptions.get(n, n), type=ds.types.get(n, ""))
    for r, mark in zip(rows, marks):
        if r["in_graph"]:
            attrs = {k: v for k, v in r.items() if k not in ("source", "target", "directed", "in_graph")}
            add_edge(F, r["source"], r["target"], mark or "-->", **attrs)
    return F


def build_rows(ds: Dataset, pairs: dict[frozenset, PairAnswer], confounders: dict[frozenset, list[dict]], *,
               pc: PCDiscovery | None = None, outcome: MergeOutcome | None = None, has_llm: bool = True,
               llm_graph: nx.DiGraph | None = None) -> tuple[list[EdgeRow], nx.DiGraph]:
    """One ``edges.csv`` row per pair any source connects, and the final graph with the same attributes.

    With ``pc`` and ``outcome`` (``discover``) the rows describe the merged graph; with
    ``llm_graph`` alone (``ask``) they describe the LLM's own graph, status ``llm``.
    """
    if outcome is None or pc is None:
        if llm_graph is None:
            raise ValueError("build_rows needs pc and outcome, or llm_graph")
        return _llm_rows(ds, pairs, confounders, llm_graph)
    G, D = outcome.graph, outcome.data_graph
    idx = {c: i for i, c in enumerate(ds.columns)}
    keys = {pair_key(u, v) for u, v in pc.graph_.edges} | {pair_key(u, v) for u, v in G.edges}
    keys |= {k for k, p in pairs.items() if p.directed() is not None or k in outcome.decisions}
    rows: list[EdgeRow] = []
    marks: list[str | None] = []
    for key in sorted(keys, key=lambda k: sorted(idx[n] for n in k)):
        a, b = sorted(key, key=idx.__getitem__)
        pcm, pc_dir = _direction(pc.graph_, a, b)
        dm, d_dir = _direction(D, a, b)
        fm, f_dir = _direction(G, a, b)
        p = pairs.get(key) if has_llm else None
        status = _status(pcm, dm, d_dir, p, fm, f_dir)
        if status == "none":
            continue
        src, tgt = f_dir or pc_dir or (p.directed() if p is not None and p.directed() else None) or (a, b)
        ev = pc.evidence_.get(key)
        row: EdgeRow = {
            "source": src, "target": tgt, "in_graph": fm is not None, "directed": f_dir is not None,
            "status": status, "pc": _relative(pcm, pc_dir, src, tgt), "data": _relative(dm, d_dir, src, tgt),
            "p_value": ev.p_value if ev else None,
            # "{}" marks the empty separating set (marginal independence), unlike "" (not removed)
            "sepset": (";".join(ev.cond_set) or "{}") if pcm is None and ev is not None else "",
        }
        if has_llm:
            dec = outcome.decisions.get(key)
            llm_dir = usable_direction(p)
            kept = _kept(f_dir, d_dir, llm_dir, outcome.info.policy)
            cells = _llm_cells(p, src, confounders.get(key, []))
            row.update({"llm": cells["llm"], "llm_confidence": cells["llm_confidence"],
                        "order_consistent": cells["order_consistent"], "rationale": cells["rationale"],
                        "llm_votes": cells["llm_votes"], "decision": _decision(key, dec, status, kept, ev, outcome.info),
                        "kept": kept, "confounders": cells["confounders"]})
        rows.append(row)
        marks.append("-->" if f_dir else fm)
    return rows, _final_graph(ds, rows, marks)


def _relative(mark: str | None, direction: tuple[str, str] | None, src: str, tgt: str) -> str:
    """A graph's mark for the pair read from ``src`` to ``tgt``: ``-->``, ``<--``, ``---`` or ``none``."""
    if mark is None:
        return "none"
    if direction is None:
        return mark
    return "-->" if direction == (src, tgt) else "<--"


_SHOWS = {"data": "the data side's orientation", "llm": "the LLM's orientation",
          "both": "the orientation data side and LLM agree on", "meek": "an orientation implied by Meek's rules",
          "rerun": "the orientation of PC re-run with the LLM's background knowledge"}


def _decision(key: frozenset, dec: Decision | None, status: str, kept: str, ev: Any, info: MergeInfo) -> str:
    """Why the graph shows what it shows, never at odds with it: the merge's reason, and what overrode it."""
    why = dec.why if dec else ""
    if status == "llm_only" and ev is not None and not ev.adjacent:
        return why or f"data found them independent given {{{', '.join(ev.cond_set)}}} (p = {ev.p_value:.3g})"
    broken = [c for c in info.cycles_broken if pair_key(c["source"], c["target"]) == key]
    if broken:
        return f"{why + '; ' if why else ''}{broken[0]['action']} ({broken[0]['cycle']})"
    if not kept:
        return why or "left undirected"
    applied = dec.kept if dec else ""
    # no note when the merge's reason already names the arrow's source ("both" covers either side)
    if why and (applied == kept or (kept == "both" and applied in ("data", "llm", "knowledge")) or
                (applied in ("both", "knowledge") and kept in ("data", "llm"))):
        return why
    if not why and status == "reversed" and kept == "data":
        return {"report": "the report policy never changes the data side's graph",
                "orient": "the orient policy keeps every orientation the data side made",
                "prior": "PC re-run with the LLM's background knowledge still orients it this way"}.get(info.policy,
                                                                                                     _SHOWS[kept])
    return f"{why}; the graph shows {_SHOWS[kept]}" if why else _SHOWS[kept]


def _llm_rows(ds: Dataset, pairs: dict[frozenset, PairAnswer], confounders: dict[frozenset, list[dict]],
              G: nx.DiGraph) -> tuple[list[EdgeRow], nx.DiGraph]:
    """``ask``: one row per answered pair (a "none" answer is no row), the LLM's graph as the graph."""
    rows: list[EdgeRow] = []
    for p in pairs.values():
        d = p.directed()
        in_graph = d is not None and G.has_edge(*d)
        src, tgt = d or (p.source, p.target)
        if d is None and p.answer == "none":
            continue
        cells = _llm_cells(p, src, confounders.get(frozenset((p.source, p.target)), []))
        rows.append({"source": src, "target": tgt, "in_graph": in_graph, "directed": d is not None, "status": "llm",
                     "pc": "not run", "p_value": None, "sepset": "",
                     "llm": "-->" if d else p.answer, "llm_confidence": cells["llm_confidence"],
                     "order_consistent": cells["order_consistent"], "rationale": cells["rationale"],
                     "llm_votes": cells["llm_votes"],
                     "decision": "removed to break a cycle" if d and not in_graph else "",
                     "kept": "llm" if in_graph else "", "confounders": cells["confounders"]})
    for r in rows:
        if r["in_graph"]:
            G.edges[r["source"], r["target"]].update(status="llm", llm_confidence=r["llm_confidence"],
                                                     rationale=r["rationale"], order_consistent=r["order_consistent"])
    for n in G.nodes:
        G.nodes[n].update(description=ds.descriptions.get(n, n), type=ds.types.get(n, ""))
    return rows, G
