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
from pathlib import Path
from typing import Iterable

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
    "read_graph",
    "edges_from_frame",
]

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


def directed_part(G: nx.DiGraph) -> nx.DiGraph:
    """The subgraph of causal claims only (for acyclicity checks and ancestry)."""
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    D.add_edges_from(directed_edges(G))
    return D


def _truthy(x: object) -> bool:
    return str(x).strip().lower() in ("1", "true", "yes", "y", "t")


def edges_from_frame(df: pd.DataFrame, nodes: Iterable[str] | None = None) -> nx.DiGraph:
    """Build a graph from an edge table (ours, or a plain ``source,target`` list).

    Rows with ``in_graph`` false are skipped; ``mark`` (or ``directed``) gives the edge type,
    default directed.
    """
    cols = {c.lower(): c for c in df.columns}
    if "source" not in cols or "target" not in cols:
        raise DataError(f"edge list needs 'source' and 'target' columns; found {', '.join(map(str, df.columns))}")
    seen: list[str] = list(nodes) if nodes is not None else []
    for s, t in zip(df[cols["source"]], df[cols["target"]]):
        for n in (str(s), str(t)):
            if n not in seen:
                seen.append(n)
    G = make_graph(seen)
    for _, row in df.iterrows():
        if "in_graph" in cols and not _truthy(row[cols["in_graph"]]):
            continue
        if "mark" in cols and isinstance(row[cols["mark"]], str) and row[cols["mark"]].strip():
            mark = row[cols["mark"]].strip()
        elif "directed" in cols:
            mark = "-->" if _truthy(row[cols["directed"]]) else "---"
        else:
            mark = "-->"
        add_edge(G, str(row[cols["source"]]), str(row[cols["target"]]), mark)
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


def read_graph(path: str | Path, nodes: Iterable[str] | None = None) -> nx.DiGraph:
    """Read a graph from ``edges.csv`` / a ``source,target`` list, ``.dot``, ``.graphml`` or ``graph.json``.

    A results folder reads its ``edges.csv``. Undirected edges are kept as ``---``.

    Examples
    --------
    >>> from causalllm import datasets
    >>> G = read_graph(datasets.get("asia").truth_path)
    >>> G.number_of_edges()
    8
    """
    path = Path(path)
    if path.is_dir():
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
    except DataError:
        raise
    except Exception as e:
        raise DataError(f"could not read graph from {path}: {e.__class__.__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
    raise DataError(f"unknown graph format {suffix!r} for {path}; use .csv, .dot, .graphml or .json")
