"""Interchange: a causalllm graph as GML, dagitty, Tetrad text or an adjacency matrix, and back.

Where an analyst takes a graph next: DoWhy and networkx read GML; dagitty (and its R package)
reads its own syntax, where latent confounders are nodes marked ``[latent]``; Tetrad reads its
text graph format; R's pcalg and bnlearn read adjacency matrices. Each format is one entry of
:data:`causalllm.graph.registry.EXPORT_FORMATS` — its suffix, writer, reader and the tools it is for
— which ``--export``, the output folder and :func:`causalllm.graph.read_graph` read, so every format
round-trips (tested).

Marks: ``-->`` and ``---`` exist in every format; Tetrad also carries FCI's ``<->``, ``o->`` and
``o-o``. The adjacency matrix states its convention in its first line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import networkx as nx

from ..contract import neutralise, unneutralise
from ..errors import DataError
from .model import add_edge, make_graph
from .registry import EXPORT_FORMATS

__all__ = ["read_amat", "read_dagitty", "read_gml", "read_tetrad", "to_amat", "to_dagitty", "to_gml", "to_tetrad",
           "write_exports"]

#: A latent confounder suggested for a pair: ``(confounder, a, b)``.
Latent = tuple[str, str, str]

AMAT_HEADER = ("# adjacency matrix, rows cause columns: A[i,j] = 1 and A[j,i] = 0 means i --> j; A[i,j] = A[j,i] = 1 "
               "means i --- j (undirected); 0 both ways: not adjacent (bnlearn's amat() convention; for pcalg's "
               "amat.cpdag use the transpose)")


def _arcs(G: nx.DiGraph) -> list[tuple[str, str, str]]:
    return [(str(u), str(v), d.get("mark", "-->")) for u, v, d in G.edges(data=True)]


def to_gml(G: nx.DiGraph) -> str:
    """GML (networkx, DoWhy): directed edges as arcs; an undirected edge as both arcs with ``undirected 1``.

    Examples
    --------
    >>> G = make_graph("ab"); add_edge(G, "a", "b")
    >>> "source" in to_gml(G)
    True
    """
    H = nx.DiGraph()
    H.add_nodes_from(str(n) for n in G.nodes)
    for u, v, mark in _arcs(G):
        if mark == "---":
            H.add_edge(u, v, undirected=1)
            H.add_edge(v, u, undirected=1)
        else:
            H.add_edge(u, v)
    return "\n".join(nx.generate_gml(H))


def read_gml(text: str) -> nx.DiGraph:
    H = nx.parse_gml(text)
    G = make_graph(map(str, H.nodes))
    for u, v, d in H.edges(data=True):
        if d.get("undirected") and H.has_edge(v, u):
            add_edge(G, str(u), str(v), "---")
        else:
            add_edge(G, str(u), str(v), "-->")
    return G


_DAGITTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _dq(name: str) -> str:
    return name if _DAGITTY_NAME.match(name) else '"' + name.replace('"', '\\"') + '"'


def to_dagitty(G: nx.DiGraph, latent: Iterable[tuple[str, str, str]] = ()) -> str:
    """dagitty syntax: ``dag { ... }`` (``pdag`` when an edge is undirected); ``latent`` triples
    ``(confounder, a, b)`` add a node marked ``[latent]`` with arrows into ``a`` and ``b``.

    Examples
    --------
    >>> G = make_graph(["smoking", "cancer"]); add_edge(G, "smoking", "cancer")
    >>> print(to_dagitty(G, [("genes", "smoking", "cancer")]))
    dag {
    smoking
    cancer
    genes [latent]
    smoking -> cancer
    genes -> smoking
    genes -> cancer
    }
    """
    arcs = _arcs(G)
    kind = "pdag" if any(m == "---" for *_, m in arcs) else "dag"
    lines = [f"{kind} {{"] + [_dq(str(n)) for n in G.nodes]
    extra: list[str] = []
    for u, *_ in latent:
        if u not in G and u not in extra:
            extra.append(u)
    lines += [f"{_dq(u)} [latent]" for u in extra]
    for u, v, mark in arcs:
        lines.append(f"{_dq(u)} {'--' if mark == '---' else '<->' if mark == '<->' else '->'} {_dq(v)}")
    for u, a, b in latent:
        lines += [f"{_dq(u)} -> {_dq(a)}", f"{_dq(u)} -> {_dq(b)}"]
    return "\n".join([*lines, "}"])


_DAGITTY_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|<->|->|<-|--|\[[^\]]*\]|[{};]'
                            r'|[^\s{};\[\]"<>-]+(?:-(?!>|-)[^\s{};\[\]"<>-]+)*')


def read_dagitty(text: str) -> tuple[nx.DiGraph, list[str]]:
    """A dagitty graph and its latent nodes. Accepts ``dag``/``pdag``/``graph`` blocks, chains
    (``a -> b -> c``), ``<-``, ``<->``, ``--``, node attributes in brackets and ``;`` separators.

    Examples
    --------
    >>> G, latent = read_dagitty('dag { U [latent] x [exposure] U -> x -> y ; z <- x }')
    >>> sorted(G.edges(data="mark")), latent
    ([('U', 'x', '-->'), ('x', 'y', '-->'), ('x', 'z', '-->')], ['U'])
    """
    m = re.search(r"\b(dag|pdag|graph|mag|pag)\s*\{(.*)\}", text, re.S)
    if not m:
        raise DataError("not a dagitty graph: expected 'dag { ... }' (or pdag/graph)")
    body = re.sub(r'(?m)^\s*\w+\s*=\s*"[^"]*"', "", m.group(2))  # graph attributes: bb="0,0,1,1"
    tokens = [t for t in _DAGITTY_TOKEN.findall(body) if t != ";"]
    nodes: list[str] = []
    latent: list[str] = []
    edges: list[tuple[str, str, str]] = []
    prev: str | None = None
    op: str | None = None
    for t in tokens:
        if t.startswith("["):
            if prev is not None and "latent" in t:
                latent.append(prev)
            continue
        if t in ("->", "<-", "<->", "--"):
            op = t
            continue
        name = t[1:-1].replace('\\"', '"') if t.startswith('"') else t
        if name not in nodes:
            nodes.append(name)
        if op is not None and prev is not None:
            a, b = (prev, name) if op != "<-" else (name, prev)
            edges.append((a, b, {"->": "-->", "<-": "-->", "<->": "<->", "--": "---"}[op]))
        prev, op = name, None
    G = make_graph(nodes)
    for a, b, mark in edges:
        add_edge(G, a, b, mark)
    return G, latent


_TETRAD_EDGE = re.compile(r"^\s*\d+\.\s+(\S+)\s+(-->|<--|---|<->|o->|<-o|o-o)\s+(\S+)")


def to_tetrad(G: nx.DiGraph) -> str:
    """Tetrad's text graph format (``Graph Nodes:`` then numbered ``Graph Edges:``).

    Examples
    --------
    >>> G = make_graph("abc"); add_edge(G, "a", "b"); add_edge(G, "b", "c", "o->")
    >>> print(to_tetrad(G))
    Graph Nodes:
    a;b;c
    <BLANKLINE>
    Graph Edges:
    1. a --> b
    2. b o-> c
    <BLANKLINE>
    """
    bad = [str(n) for n in G.nodes if re.search(r"[\s;]", str(n))]
    if bad:
        raise DataError(f"Tetrad's format cannot hold names with spaces or ';' ({', '.join(bad[:3])}); rename them "
                        "or export gml/dagitty")
    lines = ["Graph Nodes:", ";".join(map(str, G.nodes)), "", "Graph Edges:"]
    lines += [f"{i}. {u} {mark} {v}" for i, (u, v, mark) in enumerate(_arcs(G), 1)]
    return "\n".join(lines) + "\n"


def read_tetrad(text: str) -> nx.DiGraph:
    """A Tetrad text graph (what :func:`to_tetrad` and Tetrad's "Save graph as text" write)."""
    m = re.search(r"Graph Nodes:\s*\n(.*?)\n", text)
    if not m:
        raise DataError("not a Tetrad graph: expected a 'Graph Nodes:' line followed by the names")
    G = make_graph([n for n in re.split(r"[;,]", m.group(1).strip()) if n])
    for line in text[m.end():].splitlines():
        e = _TETRAD_EDGE.match(line)
        if e:
            a, mark, b = e.groups()
            if a not in G or b not in G:
                raise DataError(f"Tetrad edge {line.strip()!r} names a node missing from 'Graph Nodes:'")
            add_edge(G, a, b, mark)
    return G


def to_amat(G: nx.DiGraph, nodes: Sequence[str] | None = None) -> str:
    """An adjacency-matrix CSV, its convention in the first (comment) line.

    Examples
    --------
    >>> G = make_graph("ab"); add_edge(G, "a", "b")
    >>> print(to_amat(G).splitlines()[1:])
    [',a,b', 'a,0,1', 'b,0,0']
    """
    names = [str(n) for n in (nodes or G.nodes)]
    idx = {n: i for i, n in enumerate(names)}
    A = [[0] * len(names) for _ in names]
    for u, v, mark in _arcs(G):
        if mark not in ("-->", "---"):
            raise DataError(f"an adjacency matrix holds --> and --- only, not {u} {mark} {v}; export tetrad instead")
        A[idx[u]][idx[v]] = 1
        if mark == "---":
            A[idx[v]][idx[u]] = 1

    def cell(s: str) -> str:
        s = neutralise(s)  # a name a spreadsheet would evaluate
        return '"' + s.replace('"', '""') + '"' if re.search(r'[,"\n]', s) else s

    rows = [AMAT_HEADER, "," + ",".join(map(cell, names))]
    rows += [cell(n) + "," + ",".join(map(str, r)) for n, r in zip(names, A)]
    return "\n".join(rows) + "\n"


def read_amat(text: str) -> nx.DiGraph:
    """An adjacency matrix as :func:`to_amat` writes it (bnlearn's convention; ``#`` lines skipped)."""
    import csv
    import io

    rows = [r for r in csv.reader(io.StringIO(text)) if r and not r[0].startswith("#")]
    if not rows or len(rows) != len(rows[0]):
        raise DataError("not an adjacency matrix: expected a header row of names and one row per name")
    names = [unneutralise(n) for n in rows[0][1:]]
    G = make_graph(names)
    try:
        A = [[int(float(x)) for x in r[1:]] for r in rows[1:]]
    except ValueError:
        raise DataError("adjacency matrix cells must be 0 or 1") from None
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if j <= i:
                continue
            if A[i][j] and A[j][i]:
                add_edge(G, a, b, "---")
            elif A[i][j]:
                add_edge(G, a, b, "-->")
            elif A[j][i]:
                add_edge(G, b, a, "-->")
    return G


def write_gml(G: nx.DiGraph, latent: Sequence[Latent] = ()) -> str:
    """:func:`to_gml` as the registry calls it (GML has no latent nodes)."""
    return to_gml(G)


def write_tetrad(G: nx.DiGraph, latent: Sequence[Latent] = ()) -> str:
    """:func:`to_tetrad` as the registry calls it."""
    return to_tetrad(G)


def write_amat(G: nx.DiGraph, latent: Sequence[Latent] = ()) -> str:
    """:func:`to_amat` as the registry calls it."""
    return to_amat(G)


def read_dagitty_graph(text: str) -> nx.DiGraph:
    """:func:`read_dagitty`'s graph (its latent nodes as nodes)."""
    return read_dagitty(text)[0]


def write_exports(G: nx.DiGraph, stem: Path, formats: Iterable[str], latent: Iterable[Latent] = (), *,
                  write: Callable[[Path, str], Path] | None = None) -> dict[str, Path]:
    """Write ``G`` in each of ``formats`` next to ``stem`` (``out/graph`` → ``out/graph.gml`` ...), each file
    through ``write(path, text)`` (the output folder's writer)."""
    latent = list(latent)
    written = {}
    for name in formats:
        f = EXPORT_FORMATS.get(name)
        if f is None:
            raise DataError(f"unknown export format {name!r}; use one of {', '.join(EXPORT_FORMATS)}")
        path = stem.with_name(stem.name + f.suffix)
        text = f.write(G, latent)
        if write is None:
            path.write_text(text, encoding="utf-8")
        else:
            write(path, text)
        written[f"{stem.name}.{name}"] = path
    return written
