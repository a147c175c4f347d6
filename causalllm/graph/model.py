"""The one graph representation used everywhere in causalllm.

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

from collections.abc import Iterable

import networkx as nx

__all__ = ["MARKS", "add_edge", "adjacent_pairs", "creates_cycle", "directed_edges", "directed_part", "make_graph",
           "mark_between", "pair_key"]

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


