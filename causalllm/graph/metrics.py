"""Comparing a predicted graph with a true one.

Definitions (as causal-learn's ``SHD`` and ``ArrowConfusion``), over the union of nodes:

* **SHD**: the number of unordered pairs whose edge differs between the two graphs — present
  in one and absent in the other, or present in both with different marks (reversed,
  or undirected in one and directed in the other). Each pair counts at most 1.
* **Adjacency** precision/recall/F1: pairs adjacent in both / adjacent in PRED / adjacent in
  TRUTH, whatever the marks.
* **Orientation** (arrowhead) precision/recall/F1: an arrowhead is a (tail, head) endpoint
  with an arrow: ``a --> b`` has one at ``b``, ``a <-> b`` two, ``a --- b`` none. TP =
  arrowheads in both; precision = TP / arrowheads in PRED; recall = TP / arrowheads in TRUTH.
  Undirected edges in PRED thus count for adjacency but never as correct orientations.
* **Directed-edge** precision/recall/F1 (``dir_*``, "dirF1", the figure MosaCD, LOCALE and
  CausalIF report): a pair counts once. TP = pairs drawn ``a --> b`` whose true edge is
  ``a --> b``; precision = TP / edges in PRED (every edge, so an undirected, bidirected or
  reversed edge is a claim that scored nothing); recall = TP / edges in TRUTH. Stricter than
  the arrowhead figures, which leave undirected edges out of precision.
* ``normalized_shd`` = SHD / number of true edges.
* A true pair with a feedback loop (listed in both directions; ``either`` on its arc, see
  :func:`causalllm.graph.read.read_truth`) is one true edge whose direction is right either way:
  drawn ``a --> b`` or ``b --> a`` it scores as correct; ``feedback_pairs`` counts them.

An empty denominator gives 0.0 for precision/recall and F1 (no claims, nothing credited).
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from .model import adjacent_pairs, pair_key

__all__ = ["arrowheads", "compare", "differences", "shd"]


def arrowheads(G: nx.DiGraph) -> set[tuple[str, str]]:
    """Set of ``(other_end, head)`` arrowheads of ``G``."""
    out = set()
    for u, v, d in G.edges(data=True):
        mark = d.get("mark", "-->")
        if mark[-1] == ">":
            out.add((u, v))
        if mark[0] == "<":
            out.add((v, u))
    return out


def _marks(G: nx.DiGraph) -> dict[frozenset, tuple[str, str, str]]:
    out = {}
    for u, v, d in G.edges(data=True):
        mark = d.get("mark", "-->")
        a, b = sorted((u, v))
        out[pair_key(u, v)] = (u, v, mark) if (u, v) == (a, b) else _flip(u, v, mark)
    return out


def _flip(u: str, v: str, mark: str) -> tuple[str, str, str]:
    rev = {"<": ">", ">": "<", "-": "-", "o": "o"}
    return v, u, rev[mark[-1]] + "-" + rev[mark[0]]


def shd(pred: nx.DiGraph, truth: nx.DiGraph) -> int:
    """Structural Hamming distance (see module docstring).

    Examples
    --------
    >>> from causalllm.graph import add_edge, make_graph
    >>> T = make_graph("abc"); add_edge(T, "a", "b"); add_edge(T, "b", "c")
    >>> P = make_graph("abc"); add_edge(P, "b", "a"); add_edge(P, "a", "c")
    >>> shd(P, T)  # a-b reversed, b-c missing, a-c extra
    3
    """
    mp, mt = _marks(pred), _marks(_align_feedback(pred, truth))
    return sum(1 for k in set(mp) | set(mt) if mp.get(k) != mt.get(k))


def _prf(tp: int, n_pred: int, n_true: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_true if n_true else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def compare(pred: nx.DiGraph, truth: nx.DiGraph) -> dict[str, Any]:
    """SHD, adjacency, orientation (arrowhead) and directed-edge precision/recall/F1, and edge counts.

    Examples
    --------
    >>> from causalllm.graph import add_edge, make_graph
    >>> T = make_graph("abc"); add_edge(T, "a", "b"); add_edge(T, "b", "c")
    >>> P = make_graph("abc"); add_edge(P, "a", "b"); add_edge(P, "b", "c", "---")
    >>> m = compare(P, T)
    >>> m["shd"], m["adjacency_f1"], m["orientation_precision"], m["orientation_recall"]
    (1, 1.0, 1.0, 0.5)
    >>> m["dir_precision"], m["dir_recall"]  # the undirected b --- c is a claim that scored nothing
    (0.5, 0.5)
    """
    truth = _align_feedback(pred, truth)
    ap, at = adjacent_pairs(pred), adjacent_pairs(truth)
    adj = _prf(len(ap & at), len(ap), len(at))
    hp, ht = arrowheads(pred), arrowheads(truth)
    ori = _prf(len(hp & ht), len(hp), len(ht))
    s = shd(pred, truth)
    n_true = truth.number_of_edges()
    directed = {(u, v) for u, v, d in pred.edges(data=True) if d.get("mark", "-->") == "-->"}
    true_directed = {(u, v) for u, v, d in truth.edges(data=True) if d.get("mark", "-->") == "-->"}
    dr = _prf(len(directed & true_directed), len(ap), len(at))
    return {
        "shd": s,
        "normalized_shd": s / n_true if n_true else float(s),
        "adjacency_precision": adj[0],
        "adjacency_recall": adj[1],
        "adjacency_f1": adj[2],
        "orientation_precision": ori[0],
        "orientation_recall": ori[1],
        "orientation_f1": ori[2],
        "dir_precision": dr[0],
        "dir_recall": dr[1],
        "dir_f1": dr[2],
        "n_true_edges": n_true,
        "n_pred_edges": pred.number_of_edges(),
        "feedback_pairs": sum(1 for *_, e in truth.edges(data="either") if e),
    }


def differences(pred: nx.DiGraph, truth: nx.DiGraph) -> list[str]:
    """Every pair SHD counts, in words: ``a --> b: missing``, ``a --> b: extra``, ``b --> a: reversed (true a --> b)``,
    ``a --- b: undirected (true a --> b)``.

    Examples
    --------
    >>> from causalllm.graph import add_edge, make_graph
    >>> T = make_graph("abc"); add_edge(T, "a", "b"); add_edge(T, "b", "c")
    >>> P = make_graph("abc"); add_edge(P, "b", "a"); add_edge(P, "a", "c")
    >>> differences(P, T)
    ['b --> a: reversed (true a --> b)', 'b --> c: missing', 'a --> c: extra']
    """
    truth = _align_feedback(pred, truth)
    mp, mt = _marks(pred), _marks(truth)
    out = []
    for k in [*mt, *(k for k in mp if k not in mt)]:
        p, t = mp.get(k), mt.get(k)
        if p == t:
            continue
        if p is None and t is not None:
            u, v, mark = _oriented(t)
            out.append(f"{u} {mark} {v}: missing")
        elif t is None and p is not None:
            u, v, mark = _oriented(p)
            out.append(f"{u} {mark} {v}: extra")
        elif p is not None and t is not None:
            pu, pv, pm = _oriented(p)
            tu, tv, tm = _oriented(t)
            what = "undirected" if pm == "---" else "reversed" if (pu, pv) == (tv, tu) else "different mark"
            out.append(f"{pu} {pm} {pv}: {what} (true {tu} {tm} {tv})")
    return out


def _oriented(m: tuple[str, str, str]) -> tuple[str, str, str]:
    """A canonical mark triple read the way its arrow points (``b <-- a`` as ``a --> b``)."""
    u, v, mark = m
    return (v, u, "-->") if mark == "<--" else (u, v, mark)


def _align_feedback(pred: nx.DiGraph, truth: nx.DiGraph) -> nx.DiGraph:
    """``truth`` with each feedback pair's arc turned the way ``pred`` draws it (either direction is right)."""
    flip = [(u, v) for u, v, e in truth.edges(data="either")
            if e and pred.has_edge(v, u) and pred.edges[v, u].get("mark", "-->") == "-->"]
    if not flip:
        return truth
    T = truth.copy()
    for u, v in flip:
        d = dict(T.edges[u, v])
        T.remove_edge(u, v)
        T.add_edge(v, u, **d)
    return T


