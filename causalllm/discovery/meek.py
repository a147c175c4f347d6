"""Meek's orientation rules on a networkx PDAG: the merge's closure, on the engine's replay of causal-learn's
rules (importing causal-learn for it cost 1.3 s of a 4 s run)."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

from .orient import EdgeRules, endpoints_to_networkx, meek_matrix

__all__ = ["meek_closure", "pdag_matrix", "with_attributes"]


def meek_closure(G: nx.DiGraph, required: Sequence[tuple[str, str]] = (),
                 forbidden: Sequence[tuple[str, str]] = ()) -> nx.DiGraph:
    """Meek's rules applied to a PDAG (causal-learn's ``meek``, replayed by :func:`.orient.meek_matrix` as the
    engine replays it, without importing causal-learn); returns a new graph with the other edge attributes kept.

    With ``required``/``forbidden`` (background knowledge), a rule never draws a forbidden arrow
    nor the reverse of a required one. Equal to
    :func:`causalllm.discovery.reference.meek_closure` (tested on random PDAGs with random knowledge).

    Examples
    --------
    >>> from causalllm.graph import make_graph, add_edge
    >>> G = make_graph("abc"); add_edge(G, "a", "b"); add_edge(G, "b", "c", "---")
    >>> sorted(meek_closure(G).edges(data="mark"))  # rule 1: a -> b --- c becomes b -> c
    [('a', 'b', '-->'), ('b', 'c', '-->')]
    >>> sorted(meek_closure(G, forbidden=[("b", "c")]).edges(data="mark"))
    [('a', 'b', '-->'), ('b', 'c', '---')]
    """
    names = list(G.nodes)
    idx = {n: i for i, n in enumerate(names)}
    rules = (EdgeRules.from_pairs(len(names), [(idx[a], idx[b]) for a, b in required],
                                  [(idx[a], idx[b]) for a, b in forbidden]) if required or forbidden else None)
    return with_attributes(endpoints_to_networkx(meek_matrix(pdag_matrix(G, names), rules), names), G)


def pdag_matrix(G: nx.DiGraph, names: list[str]) -> np.ndarray:
    """A PDAG (marks ``-->``, ``---``, ``<->``) as causal-learn's endpoint matrix, rows in ``names`` order."""
    idx = {n: i for i, n in enumerate(names)}
    M = np.zeros((len(names), len(names)), dtype=np.int64)
    ends = {"-->": (-1, 1), "---": (-1, -1), "<->": (1, 1)}
    for u, v, mark in G.edges(data="mark", default="-->"):
        M[idx[u], idx[v]], M[idx[v], idx[u]] = ends[mark]
    return M


def with_attributes(H: nx.DiGraph, G: nx.DiGraph) -> nx.DiGraph:
    """``H`` (``G`` re-oriented) with each pair's other attributes from ``G``; returns ``H``."""
    for u, v, d in H.edges(data=True):
        old = G.edges[u, v] if G.has_edge(u, v) else G.edges[v, u]
        for k, val in old.items():
            if k not in ("mark", "directed"):
                d.setdefault(k, val)
    return H
