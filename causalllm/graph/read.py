"""Reading a graph from a file, whatever causalllm wrote or an analyst has: the one :func:`read_graph`.

Edge lists (``edges.csv`` of a run, or a plain ``source,target`` list), Graphviz ``.dot``,
GraphML, networkx node-link JSON, a results folder, and every interchange format of
:data:`causalllm.graph.formats.EXPORT_FORMATS` (GML, dagitty, Tetrad text, adjacency matrices),
chosen by the file's suffix. Every graph comes back in the one-arc-per-pair representation of
:mod:`causalllm.graph.model`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from xml.etree import ElementTree

import networkx as nx
import pandas as pd

from ..contract import require_complete, truthy, unneutralise
from ..errors import DataError
from .formats import read_gml
from .model import add_edge, make_graph, mark_between, pair_key
from .registry import export_format_of

__all__ = ["edges_from_frame", "read_graph", "read_truth"]

log = logging.getLogger("causalllm")


def edges_from_frame(df: pd.DataFrame, nodes: Iterable[str] | None = None, *, feedback: bool = False
                     ) -> nx.DiGraph:
    """Build a graph from an edge table (ours, or a plain ``source,target`` list).

    Rows with ``in_graph`` false are skipped; ``mark`` (or ``directed``) gives the edge type,
    default directed. A pair listed in both directions is an error, or with ``feedback`` (a true
    graph with feedback loops) one arc marked ``either`` (either direction is right). A self-loop
    is left out with a warning.
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
        if "in_graph" in cols and not truthy(row[cols["in_graph"]]):
            continue
        mark = _row_mark(row, cols)
        a, b = str(row[cols["source"]]), str(row[cols["target"]])
        if a == b:
            _self_loop(a)
            continue
        if mark == "-->":
            other = directed.setdefault(pair_key(a, b), (a, b))
            if other != (a, b):
                if not feedback:
                    raise DataError(f"the edge list has both {b} -> {a} and {a} -> {b}; keep one direction, or give "
                                    "the pair one row with mark --- (undirected)")
                add_edge(G, *other, "-->", either=True)
                continue
        add_edge(G, a, b, mark)
    return G


def _row_mark(row: pd.Series, cols: dict[str, str]) -> str:
    """An edge row's mark: its ``mark`` cell, else ``directed``, else directed."""
    if "mark" in cols and isinstance(row[cols["mark"]], str) and row[cols["mark"]].strip():
        return str(row[cols["mark"]]).strip()
    if "directed" in cols:
        return "-->" if truthy(row[cols["directed"]]) else "---"
    return "-->"


def _self_loop(a: str) -> None:
    log.warning("the graph file lists %s -> %s, a self-loop: left out (a graph of direct causes between variables "
                "has none)", a, a)


def _from_nx(H: nx.Graph, nodes: Iterable[str] | None, feedback: bool = False) -> nx.DiGraph:
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
        a, b = str(u).strip('"'), str(v).strip('"')
        if a == b:
            _self_loop(a)
            continue
        if mark == "-->" and mark_between(G, a, b) == "<--":
            if not feedback:
                raise DataError(f"the graph has both {b} -> {a} and {a} -> {b}; keep one direction, or draw the pair "
                                "undirected")
            add_edge(G, b, a, "-->", either=True)
            continue
        add_edge(G, a, b, mark, **d)
    return G


def _confounder_line(d: dict) -> bool:
    """A suggested-confounder line of our DOT (its role, or for files written before the role, its colour)."""
    role = _unquote(d.get("causalllm_role", ""))
    return role == "confounder" or (not role and _unquote(d.get("color", "")) == _CONFOUNDER_COLOR)


#: the colour our DOT files draw suggested-confounder lines in (STATUSES["confounder"].color)
_CONFOUNDER_COLOR = "#762a83"


def _unquote(s: object) -> str:
    """Undo DOT string quoting (and graphviz.escape's doubled backslashes)."""
    s = str(s)
    if len(s) >= 2 and s[0] == s[-1] == '"':
        s = s[1:-1]
    return s.replace('\\"', '"').replace("\\\\", "\\")


def read_truth(path: str | Path, nodes: Iterable[str] | None = None) -> nx.DiGraph:
    """Read a true graph (``compare``'s TRUTH, ``--truth``, ``evaluate``): as :func:`read_graph`, and a pair
    listed in both directions (a feedback loop, as in published climate and biology graphs) is one arc
    with ``either=True``: :func:`causalllm.graph.metrics.compare` scores either direction as right.
    Longer directed cycles are kept and said; self-loops are left out with a warning.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("source,target\\na,b\\nb,a\\nb,c\\n")
    >>> T = read_truth(p)
    >>> T.edges["a", "b"]["either"], T.number_of_edges()
    (True, 2)
    """
    G = read_graph(path, nodes, feedback=True)
    feedback = sorted(f"{u} and {v}" for u, v, e in G.edges(data="either") if e)
    if feedback:
        log.warning("the true graph %s lists %d pair(s) in both directions (%s): either direction is scored right",
                    path, len(feedback), ", ".join(feedback[:6]))
    cycles = [c for c in nx.simple_cycles(nx.DiGraph([(u, v) for u, v, m in G.edges(data="mark") if m == "-->"]),
                                          length_bound=8) if len(c) > 2][:3]
    if cycles:
        log.warning("the true graph %s has directed cycles (%s): scored edge by edge", path,
                    "; ".join(" -> ".join([*c, c[0]]) for c in cycles))
    return G


def read_graph(path: str | Path, nodes: Iterable[str] | None = None, *, feedback: bool = False) -> nx.DiGraph:
    """Read a graph from any file causalllm writes or reads, by its suffix.

    ``edges.csv`` or a ``source,target`` list (``.csv``/``.tsv``), ``.dot``, ``.graphml``, ``graph.json``,
    and the interchange formats (``.gml``, ``.dagitty``, ``.tetrad.txt``, ``.amat.csv``). A results
    folder reads its ``edges.csv``. Undirected edges are kept as ``---``. ``nodes`` puts these
    nodes first, in this order.

    Examples
    --------
    >>> from causalllm.data import bundled
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
    fmt = export_format_of(path)
    if fmt is not None or path.suffix.lower() == ".gml":
        return _read_interchange(path, fmt.read if fmt is not None else read_gml, nodes)
    return _read_base(path, nodes, feedback)


def _read_interchange(path: Path, reader: Callable[[str], nx.DiGraph], nodes: Iterable[str] | None) -> nx.DiGraph:
    try:
        G = reader(path.read_text(encoding="utf-8"))
    except nx.NetworkXError as e:
        raise DataError(f"could not read {path} as GML ({e})") from None
    if nodes is not None:
        H = make_graph([*nodes, *[n for n in G.nodes if n not in set(nodes)]])
        H.add_edges_from(G.edges(data=True))
        return H
    return G


def _read_base(path: Path, nodes: Iterable[str] | None, feedback: bool) -> nx.DiGraph:
    """Edge lists, ``.dot``, ``.graphml`` and node-link JSON."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
            return edges_from_frame(df, nodes, feedback=feedback)
        if suffix == ".graphml":
            return _from_nx(nx.read_graphml(path), nodes, feedback)
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            H = nx.node_link_graph(data, edges="edges" if "edges" in data else "links")
            return _from_nx(H, nodes, feedback)
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
            H.remove_edges_from([(u, v) for u, v, d in H.edges(data=True) if _confounder_line(d)])
            H = nx.relabel_nodes(H, {n: _unquote(d.get("label", n)) for n, d in H.nodes(data=True)})
            for _, _, d in H.edges(data=True):
                for k in list(d):
                    d[k] = _unquote(d[k])
            return _from_nx(H, nodes, feedback)
    except (OSError, ValueError, TypeError, nx.NetworkXError, pd.errors.ParserError, pd.errors.EmptyDataError,
            ElementTree.ParseError) as e:  # what the readers raise for a malformed file
        first = str(e).splitlines()[0] if str(e) else ""
        raise DataError(f"could not read graph from {path}: {e.__class__.__name__}: {first}") from None
    raise DataError(f"unknown graph format {suffix!r} for {path}; use .csv, .dot, .graphml, .json, .gml, .dagitty, "
                    ".tetrad.txt or .amat.csv")


