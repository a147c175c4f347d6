"""The one graph representation used everywhere in causalllm, and reading graphs from files.

Representation
--------------
Every graph (PC's CPDAG, FCI's PAG, the LLM's graph, the merged graph, a truth) is a
``networkx.DiGraph`` whose nodes are variable names and which holds **exactly one arc per
adjacent pair**. The arc's ``mark`` attribute says what kind of edge it is, read from the
arc's source to its target:

========  ==========================================  ===========
``mark``  meaning                                     ``directed``
========  ==========================================  ===========
``-->``   source causes target                        True
``---``   adjacent, orientation unknown (CPDAG)       False
``<->``   bidirected (a latent common cause; PAG)     False
``o->``   PAG: target is not an ancestor of source    False
``o-o``   PAG: nothing known about the endpoints      False
``o--``   PAG: circle at source, tail at target       False
========  ==========================================  ===========

For the symmetric marks (``---``, ``<->``, ``o-o``) the arc runs from the node that comes
first in the graph's node order, so the arc direction carries no information. Only arcs with
``directed=True`` are causal claims, and only they take part in cycle checks. This one-arc
convention keeps ``edges.csv``, GraphML and JSON at one row per pair, and lets later steps
add attributes (status, LLM answer, ...) to the same arc.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree import ElementTree

import networkx as nx
import pandas as pd

from .errors import DataError

__all__ = [
    "MARKS",
    "make_graph",
    "add_edge",
    "directed_edges",
    "adjacent_pairs",
    "pair_key",
    "directed_part",
    "mark_between",
    "creates_cycle",
    "read_graph",
    "edges_from_frame",
    "Status",
    "STATUSES",
    "DISAGREEMENTS",
]



class Status(NamedTuple):
    """What an edge status means and how it is drawn: the one table render, report and results read."""

    name: str
    legend: str  # the graph legend's text
    help: str  # the report's explanation ("" for the pseudo-statuses)
    color: str
    style: str
    penwidth: str
    disagreement: bool  # data and LLM disagree (``render --only-disagreements``)


#: Every status an edge (or a drawn helper edge) can have, in legend order.
STATUSES: dict[str, Status] = {s.name: s for s in (
    Status("data", "data: PC's edge, no usable LLM direction",
           "the data's edge as PC marked it; the LLM gave no usable direction (or was not asked)", "#333333",
           "solid", "1.4", False),
    Status("revised", "data, re-analysed: differs from PC's mark",
           "the data side's conservative collider analysis marks it differently from PC's own rule (PC's mark is "
           "in the pc column); the LLM gave no usable direction", "#01665e", "solid", "1.8", False),
    Status("implied", "implied by other edges' orientations",
           "neither the data side nor the LLM's answer for this pair gives this direction: it follows from other "
           "edges' orientations (Meek's rules, or the prior policy's PC re-run; the decision column says which)",
           "#4393c3", "dashed", "1.6", False),
    Status("agree", "agree: data and LLM", "data and LLM give the same direction", "#1b7837", "solid", "2.0",
           False),
    Status("oriented_by_llm", "oriented by the LLM (data undirected)",
           "the data side left it undirected; the LLM's direction was used", "#2166ac", "solid", "2.0", False),
    Status("reversed", "reversed: LLM opposes the data", "the LLM says the opposite of the data's orientation",
           "#d6604d", "bold", "2.4", True),
    Status("data_only", "data only: LLM says no direct link",
           "PC keeps the edge; the LLM says there is no direct relation", "#878787", "solid", "1.4", True),
    Status("llm_only", "LLM only: data found independence",
           "the LLM claims a direct cause; the data found the pair independent given a separating set",
           "#e08214", "dashed", "1.8", True),
    Status("guided", "kept by PC-Guess (LLM-ordered tests)",
           "PC-stable removed this pair; with the LLM's guess ordering the CI tests (the guided policy, PC-Guess), "
           "none of the tests that ran separated it, so the data keeps it (the decision column gives both tests)",
           "#8c510a", "bold", "2.2", False),
    Status("separated", "separated by PC-Guess (LLM-ordered tests)",
           "PC-stable kept this pair; testing in the LLM's guessed order (the guided policy, PC-Guess) found a set "
           "separating it, so it is not in the graph (the decision column gives the test)",
           "#bf812d", "dotted", "1.4", True),
    Status("unresolved", "unresolved",
           "undirected, and the LLM unsure, inconsistent across orders, unanswered or not trusted enough",
           "#878787", "dotted", "1.4", True),
    Status("llm", "LLM answer", "", "#542788", "solid", "1.6", False),
    Status("confounder", "suggested confounder (dotted, no arrowhead)", "", "#762a83", "dotted", "1.0", False),
)}

#: Statuses that mean data and LLM disagree.
DISAGREEMENTS = tuple(s.name for s in STATUSES.values() if s.disagreement)

MARKS = ("-->", "---", "<->", "o->", "o-o", "o--")
_REVERSED = {"<--": "-->", "<-o": "o->", "--o": "o--"}
_SYMMETRIC = {"---", "<->", "o-o"}


def pair_key(a: str, b: str) -> frozenset[str]:
    """Order-free key of a pair of variables."""
    return frozenset((a, b))


def make_graph(nodes: Iterable[str]) -> nx.DiGraph:
    """An empty graph over ``nodes`` (in this order).

    Examples
    --------
    >>> G = make_graph(["a", "b", "c"])
    >>> add_edge(G, "b", "a", "---")
    >>> list(G.edges(data="mark"))
    [('a', 'b', '---')]
    """
    G = nx.DiGraph()
    G.add_nodes_from(nodes)
    return G


def add_edge(G: nx.DiGraph, a: str, b: str, mark: str = "-->", **attrs: object) -> None:
    """Add (or replace) the single arc of pair ``{a, b}`` with ``mark`` read from ``a`` to ``b``."""
    if mark in _REVERSED:
        a, b, mark = b, a, _REVERSED[mark]
    if mark not in MARKS:
        raise ValueError(f"unknown edge mark {mark!r}; expected one of {MARKS}")
    if mark in _SYMMETRIC:
        order = {n: i for i, n in enumerate(G.nodes)}
        if order.get(b, len(order)) < order.get(a, len(order)):
            a, b = b, a
    old: dict = {}
    for u, v in ((a, b), (b, a)):
        if G.has_edge(u, v):
            old = dict(G.edges[u, v])
            G.remove_edge(u, v)
    old.update(attrs)
    old["mark"] = mark
    old["directed"] = mark == "-->"
    G.add_edge(a, b, **old)


def directed_edges(G: nx.DiGraph) -> set[tuple[str, str]]:
    """Arcs that are causal claims (``mark == '-->'``)."""
    return {(u, v) for u, v, d in G.edges(data=True) if d.get("mark", "-->") == "-->"}


def adjacent_pairs(G: nx.DiGraph) -> set[frozenset[str]]:
    """Every adjacent pair, whatever its mark."""
    return {pair_key(u, v) for u, v in G.edges}


def mark_between(G: nx.DiGraph, u: str, v: str) -> str | None:
    """The pair's mark read from ``u`` to ``v`` (``<--`` when the arc points at ``u``), None if not adjacent.

    Examples
    --------
    >>> G = make_graph("ab"); add_edge(G, "a", "b")
    >>> mark_between(G, "b", "a"), mark_between(G, "a", "b")
    ('<--', '-->')
    """
    if G.has_edge(u, v):
        return G.edges[u, v]["mark"]
    if G.has_edge(v, u):
        m = G.edges[v, u]["mark"]
        return "<--" if m == "-->" else m
    return None


def creates_cycle(G: nx.DiGraph, u: str, v: str) -> bool:
    """Whether orienting ``u → v`` closes a directed cycle in ``G``'s causal claims."""
    D = directed_part(G)
    return D.has_node(v) and D.has_node(u) and nx.has_path(D, v, u)


def directed_part(G: nx.DiGraph) -> nx.DiGraph:
    """The subgraph of causal claims only (for acyclicity checks and ancestry)."""
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    D.add_edges_from(directed_edges(G))
    return D


def _truthy(x: object) -> bool:
    return str(x).strip().lower() in ("1", "true", "yes", "y", "t")


def unneutralise(text: Any) -> Any:
    """A cell as written before CSV-injection neutralisation (``'=x`` → ``=x``); other values unchanged."""
    if isinstance(text, str) and len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def edges_from_frame(df: pd.DataFrame, nodes: Iterable[str] | None = None) -> nx.DiGraph:
    """Build a graph from an edge table (ours, or a plain ``source,target`` list).

    Rows with ``in_graph`` false are skipped; ``mark`` (or ``directed``) gives the edge type,
    default directed.
    """
    cols = {c.lower(): c for c in df.columns}
    if "source" not in cols or "target" not in cols:
        raise DataError(f"edge list needs 'source' and 'target' columns; found {', '.join(map(str, df.columns))}")
    df = df.assign(**{cols["source"]: df[cols["source"]].map(unneutralise),
                      cols["target"]: df[cols["target"]].map(unneutralise)})
    seen: list[str] = list(nodes) if nodes is not None else []
    for s, t in zip(df[cols["source"]], df[cols["target"]]):
        for n in (str(s), str(t)):
            if n not in seen:
                seen.append(n)
    G = make_graph(seen)
    directed: dict[frozenset, tuple[str, str]] = {}
    for _, row in df.iterrows():
        if "in_graph" in cols and not _truthy(row[cols["in_graph"]]):
            continue
        if "mark" in cols and isinstance(row[cols["mark"]], str) and row[cols["mark"]].strip():
            mark = row[cols["mark"]].strip()
        elif "directed" in cols:
            mark = "-->" if _truthy(row[cols["directed"]]) else "---"
        else:
            mark = "-->"
        a, b = str(row[cols["source"]]), str(row[cols["target"]])
        if mark == "-->":
            other = directed.setdefault(pair_key(a, b), (a, b))
            if other != (a, b):
                raise DataError(f"the edge list has both {b} -> {a} and {a} -> {b}; keep one direction, or give the "
                                "pair one row with mark --- (undirected)")
        add_edge(G, a, b, mark)
    return G


def _from_nx(H: nx.Graph, nodes: Iterable[str] | None) -> nx.DiGraph:
    order = list(nodes) if nodes is not None else []
    order += [str(n) for n in H.nodes if str(n) not in order]
    G = make_graph(order)
    for n, d in H.nodes(data=True):
        if d:
            G.nodes[str(n)].update(d)
    for u, v, d in H.edges(data=True):
        d = dict(d)
        mark = d.pop("mark", None)
        if mark is None:
            dirattr = str(d.get("dir", "")).strip('"')
            if not H.is_directed() or dirattr == "none":
                mark = "---"
            elif dirattr == "both":
                mark = "<->"
            else:
                mark = "-->"
        mark = str(mark).strip('"')
        d.pop("directed", None)
        add_edge(G, str(u).strip('"'), str(v).strip('"'), mark, **d)
    return G


def _unquote(s: object) -> str:
    """Undo DOT string quoting (and graphviz.escape's doubled backslashes)."""
    s = str(s)
    if len(s) >= 2 and s[0] == s[-1] == '"':
        s = s[1:-1]
    return s.replace('\\"', '"').replace("\\\\", "\\")


#: Written last by a run: a results folder without it is an interrupted save.
MANIFEST = "manifest.json"


def require_complete(folder: Path) -> None:
    """A one-line error for a results folder whose save never finished (outputs but no manifest)."""
    if not (folder / MANIFEST).exists() and any((folder / f).exists() for f in ("edges.csv", "graph.dot")):
        raise DataError(f"{folder} is incomplete: the run that wrote it stopped before it finished (no {MANIFEST}); "
                        "re-run discover")


def read_graph(path: str | Path, nodes: Iterable[str] | None = None) -> nx.DiGraph:
    """Read a graph from ``edges.csv`` / a ``source,target`` list, ``.dot``, ``.graphml`` or ``graph.json``.

    A results folder reads its ``edges.csv``. Undirected edges are kept as ``---``.

    Examples
    --------
    >>> from causalllm import bundled
    >>> G = read_graph(bundled.get("asia").truth_path)
    >>> G.number_of_edges()
    8
    """
    path = Path(path)
    if path.is_dir():
        require_complete(path)
        for cand in ("edges.csv", "graph.json", "graph.graphml", "graph.dot"):
            if (path / cand).exists():
                path = path / cand
                break
        else:
            raise DataError(f"{path} holds no edges.csv, graph.json, graph.graphml or graph.dot")
    if not path.exists():
        raise DataError(f"graph file {path} does not exist; check the path")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
            return edges_from_frame(df, nodes)
        if suffix == ".graphml":
            return _from_nx(nx.read_graphml(path), nodes)
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            H = nx.node_link_graph(data, edges="edges" if "edges" in data else "links")
            return _from_nx(H, nodes)
        if suffix in (".dot", ".gv"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pydot uses pyparsing APIs it deprecates
                import pydot

                graphs = pydot.graph_from_dot_file(str(path))
            if not graphs:
                raise DataError(f"{path} is not a valid DOT file")
            H = nx.nx_pydot.from_pydot(graphs[0])
            for n in [n for n in H.nodes if str(n).strip('"') in ("node", "edge", "graph", "\\n")]:
                H.remove_node(n)
            # our DOT files add legend and latent helper nodes: keep only real variables
            keep = [n for n, d in H.nodes(data=True) if _unquote(d.get("causalllm_role", "variable")) == "variable"]
            H = H.subgraph(keep).copy()
            H = nx.relabel_nodes(H, {n: _unquote(d.get("label", n)) for n, d in H.nodes(data=True)})
            for _, _, d in H.edges(data=True):
                for k in list(d):
                    d[k] = _unquote(d[k])
            return _from_nx(H, nodes)
    except (OSError, ValueError, TypeError, nx.NetworkXError, pd.errors.ParserError, pd.errors.EmptyDataError,
            ElementTree.ParseError) as e:  # what the readers raise for a malformed file
        first = str(e).splitlines()[0] if str(e) else ""
        raise DataError(f"could not read graph from {path}: {e.__class__.__name__}: {first}") from None
    raise DataError(f"unknown graph format {suffix!r} for {path}; use .csv, .dot, .graphml or .json")
