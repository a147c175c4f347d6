"""Interchange: a causalllm graph as GML, dagitty, Tetrad text or an adjacency matrix, and back.

Where an analyst takes a graph next: DoWhy and networkx read GML; dagitty (and its R package)
reads its own syntax, where latent confounders are nodes marked ``[latent]``; Tetrad reads its
text graph format; R's pcalg and bnlearn read adjacency matrices. Each format is one entry of
:data:`causalllm.graph.registry.EXPORT_FORMATS` — its suffix, writer, reader and the tools it is for
— which ``--export``, the output folder and :func:`causalllm.graph.read_graph` read, so every format
round-trips (tested).

Marks: ``-->`` and ``---`` exist in every format; Tetrad also carries FCI's ``<->``, ``o->`` and
``o-o``. The adjacency matrix's convention is :data:`AMAT_CONVENTION` (in the docs, so the file is
a plain matrix R reads). Latent confounders: dagitty keeps them as ``[latent]`` nodes; GML leaves
them out (a node DoWhy cannot find in the data would stop it) and so do Tetrad and amat. A graph
that is not a DAG (undirected edges, or a directed cycle in PC's own graph) is said on stderr;
``dag`` writes one DAG of the class for tools that need one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import networkx as nx

from ..contract import neutralise, unneutralise
from ..errors import DataError
from .model import add_edge, make_graph
from .registry import EXPORT_FORMATS

__all__ = ["AMAT_CONVENTION", "dag_extension", "read_amat", "read_dagitty", "read_gml", "read_tetrad", "to_amat",
           "to_dag_gml", "to_dagitty", "to_gml", "to_tetrad", "undirected_edges", "write_exports"]

log = logging.getLogger("causalllm")

#: A latent confounder suggested for a pair: ``(confounder, a, b)``.
Latent = tuple[str, str, str]

#: The adjacency matrix's convention (in the docs, not in the file, so R's ``read.csv(..., row.names = 1)``
#: reads it as it is).
AMAT_CONVENTION = ("rows cause columns: A[i,j] = 1 and A[j,i] = 0 means i --> j; A[i,j] = A[j,i] = 1 means i --- j "
                   "(undirected); 0 both ways: not adjacent (bnlearn's amat() convention; for pcalg's amat.cpdag use "
                   "the transpose)")


def _arcs(G: nx.DiGraph) -> list[tuple[str, str, str]]:
    return [(str(u), str(v), d.get("mark", "-->")) for u, v, d in G.edges(data=True)]


def to_gml(G: nx.DiGraph) -> str:
    """GML (networkx, DoWhy): directed edges as arcs; an undirected edge as both arcs with ``undirected 1``,
    named in the graph's ``comment`` (DoWhy needs a DAG: :func:`to_dag_gml` writes one).

    Examples
    --------
    >>> G = make_graph("ab"); add_edge(G, "a", "b")
    >>> "source" in to_gml(G)
    True
    """
    H = nx.DiGraph()
    H.add_nodes_from(str(n) for n in G.nodes)
    undirected = undirected_edges(G)
    if undirected:
        H.graph["comment"] = (f"not a DAG: {len(undirected)} undirected edge(s) ({', '.join(undirected)}), each "
                              "written as both arcs; --export dag writes one DAG of the class")
    for u, v, mark in _arcs(G):
        if mark == "---":
            H.add_edge(u, v, undirected=1)
            H.add_edge(v, u, undirected=1)
        else:
            H.add_edge(u, v)
    return "\n".join(nx.generate_gml(H))


def undirected_edges(G: nx.DiGraph) -> list[str]:
    """The undirected edges of ``G`` as ``a --- b`` strings."""
    return [f"{u} --- {v}" for u, v, m in _arcs(G) if m == "---"]


def dag_extension(G: nx.DiGraph) -> tuple[nx.DiGraph, list[tuple[str, str]]]:
    """One DAG of the class ``G`` (a PDAG) stands for: its arrows kept, its undirected edges oriented by
    Dor & Tarsi's algorithm (no new v-structure, no cycle); returns the DAG and the edges it oriented.

    Where no such extension exists (a merged graph can leave none), the remaining undirected edges are
    oriented along a topological order of the arrows, so every adjacency is kept and the graph stays
    acyclic. causal-learn's ``pdag2dag`` never returns on such a graph and pgmpy's ``to_dag`` drops the
    edges that would close a cycle, hence this implementation (its v-structures checked against pgmpy's in the tests).

    Examples
    --------
    >>> G = make_graph("abc"); add_edge(G, "a", "b"); add_edge(G, "b", "c", "---")
    >>> D, oriented = dag_extension(G)
    >>> sorted(D.edges), oriented
    ([('a', 'b'), ('b', 'c')], [('b', 'c')])
    """
    arrows = [(u, v) for u, v, m in _arcs(G) if m == "-->"]
    D = nx.DiGraph(arrows)
    D.add_nodes_from(G.nodes)
    if not nx.is_directed_acyclic_graph(D):
        raise DataError("the graph's arrows form a directed cycle: it stands for no DAG")
    und = {frozenset((u, v)) for u, v, m in _arcs(G) if m == "---"}
    P = nx.Graph([tuple(e) for e in und])
    P.add_nodes_from(G.nodes)
    left = set(G.nodes)
    oriented: list[tuple[str, str]] = []
    while left:
        x = next((x for x in sorted(left, key=str) if _sink(x, left, D, P)), None)
        if x is None:
            break
        for y in sorted((y for y in P.neighbors(x) if y in left), key=str):
            D.add_edge(y, x)
            oriented.append((y, x))
        left.discard(x)
    order = {n: i for i, n in enumerate(nx.topological_sort(D))}
    for e in sorted(und, key=lambda e: sorted(map(str, e))):
        u, v = sorted(e, key=order.__getitem__)
        if not (D.has_edge(u, v) or D.has_edge(v, u)):
            D.add_edge(u, v)
            oriented.append((u, v))
    return D, oriented


def _sink(x: str, left: set, D: nx.DiGraph, P: nx.Graph) -> bool:
    """Dor & Tarsi's condition among the nodes ``left``: ``x`` has no child, and each undirected neighbour of
    ``x`` is adjacent to every other node adjacent to ``x``."""
    if any(c in left for c in D.successors(x)):
        return False
    nbrs = [y for y in P.neighbors(x) if y in left]
    adj = {y for y in (*D.predecessors(x), *nbrs) if y in left}
    return all(D.has_edge(y, z) or D.has_edge(z, y) or P.has_edge(y, z) for y in nbrs for z in adj if y != z)


def to_dag_gml(G: nx.DiGraph) -> str:
    """GML of one DAG ``G`` stands for (:func:`dag_extension`), for tools that need a DAG (DoWhy): each edge it
    oriented carries ``arbitrary 1`` and the graph's ``comment`` lists them."""
    D, oriented = dag_extension(G)
    H = nx.DiGraph()
    H.add_nodes_from(str(n) for n in G.nodes)
    H.add_edges_from((str(u), str(v)) for u, v in D.edges)
    for u, v in oriented:
        H.edges[str(u), str(v)]["arbitrary"] = 1
    H.graph["comment"] = (f"one DAG of the graph's class: {len(oriented)} undirected edge(s) oriented arbitrarily"
                          + (f" ({', '.join(f'{u} -> {v}' for u, v in oriented)})" if oriented else ""))
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
    """An adjacency-matrix CSV (:data:`AMAT_CONVENTION`), as R's ``read.csv(path, row.names = 1)`` reads it.

    Examples
    --------
    >>> G = make_graph("ab"); add_edge(G, "a", "b")
    >>> print(to_amat(G).splitlines())
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

    rows = ["," + ",".join(map(cell, names))]
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


def write_dag(G: nx.DiGraph, latent: Sequence[Latent] = ()) -> str:
    """:func:`to_dag_gml` as the registry calls it."""
    return to_dag_gml(G)


def write_tetrad(G: nx.DiGraph, latent: Sequence[Latent] = ()) -> str:
    """:func:`to_tetrad` as the registry calls it."""
    return to_tetrad(G)


def write_amat(G: nx.DiGraph, latent: Sequence[Latent] = ()) -> str:
    """:func:`to_amat` as the registry calls it."""
    return to_amat(G)


def read_dagitty_graph(text: str) -> nx.DiGraph:
    """:func:`read_dagitty`'s graph over its observed variables: the latent nodes (and their arrows) are the
    suggested confounders, not edges between variables."""
    G, latent = read_dagitty(text)
    G.remove_nodes_from(latent)
    return G


def _say_what_it_holds(G: nx.DiGraph, file: str, fmt: str) -> None:
    """On stderr: a graph that is not a DAG where the next tool needs one (DoWhy, bnlearn)."""
    D = nx.DiGraph([(u, v) for u, v, m in _arcs(G) if m == "-->"])
    try:
        cycle = nx.find_cycle(D)
        log.warning("%s holds a directed cycle (%s): tools that need a DAG (bnlearn, DoWhy) refuse it", file,
                    " -> ".join([*(u for u, _ in cycle), cycle[0][0]]))
    except nx.NetworkXNoCycle:
        pass
    und = undirected_edges(G)
    if und and fmt == "gml":
        log.warning("%s has %d undirected edge(s) (%s): DoWhy needs a DAG; --export dag writes one DAG of the class",
                    file, len(und), ", ".join(und[:4]) + (", ..." if len(und) > 4 else ""))


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
        try:
            text = f.write(G, latent)
        except DataError as e:
            log.warning("%s not written: %s", path.name, e)
            continue
        _say_what_it_holds(G, path.name, name)
        if write is None:
            path.write_text(text, encoding="utf-8")
        else:
            write(path, text)
        written[f"{stem.name}.{name}"] = path
    return written
