"""Cross-checking the LLM's claims against the data: FCI for confounders, local Markov tests for its graph.

:func:`fci_confounders` runs causal-learn's FCI (same CI test and alpha as PC) and, for every
latent confounder the LLM suggested for a pair, reports what the data says:

* ``data supports`` — FCI found a bidirected edge ``a <-> b`` (a latent common cause);
* ``data contradicts`` — FCI found ``a`` and ``b`` non-adjacent: a latent common cause would
  keep them dependent given any set of measured variables, so they could not be separated;
* ``data silent`` — any other mark (``o->``, ``o-o``, ``-->``): compatible with confounding
  or not, the data cannot tell.

:func:`falsify_graph` tests the local Markov conditions the LLM's graph implies — each node
independent of each non-descendant non-parent given its parents — with the same CI test, and
compares the share violated with the shares for random relabellings of the same graph (a
permutation baseline as in DoWhy's ``falsify_graph``; relabellings that give back the same graph
are skipped). The graph is informative when it
violates fewer implications than at least 95% of its permutations.
"""

from __future__ import annotations

import random

import networkx as nx

from ..data.dataset import Dataset
from ..graph import directed_part
from .pc import PCDiscovery, fci_graph

__all__ = ["falsify_graph", "fci_confounders", "lmc_implications"]


def fci_confounders(ds: Dataset, pc: PCDiscovery | None, confounders: dict[frozenset, list[dict]], *,
                    run_fci: bool = True) -> list[dict]:
    """One row per suggested confounder with the FCI verdict for latent ones (``pc`` None: no FCI)."""
    rows = []
    pag = None
    if run_fci and pc is not None and any(not c["measured"] for items in confounders.values() for c in items):
        pag = fci_graph(pc)
    idx = {c: i for i, c in enumerate(ds.columns)}
    for key, items in sorted(confounders.items(), key=lambda kv: sorted(idx[n] for n in kv[0])):
        a, b = sorted(key, key=idx.__getitem__)
        for c in items:
            row = {"source": a, "target": b, "confounder": c["name"], "measured": c["measured"],
                   "rationale": c.get("rationale", ""), "fci_mark": "", "fci_verdict": ""}
            if c["measured"]:
                row["fci_verdict"] = "measured column"
            elif pag is not None:
                if pag.has_edge(a, b) or pag.has_edge(b, a):
                    u, v = (a, b) if pag.has_edge(a, b) else (b, a)
                    mark = pag.edges[u, v]["mark"]
                    row["fci_mark"] = f"{u} {mark} {v}"
                    row["fci_verdict"] = "data supports" if mark == "<->" else "data silent"
                else:
                    row["fci_mark"] = "not adjacent"
                    row["fci_verdict"] = "data contradicts"
            else:
                row["fci_verdict"] = "not checked"
            rows.append(row)
    return rows


def lmc_implications(G: nx.DiGraph) -> list[tuple[str, str, tuple[str, ...]]]:
    """``(x, y, parents(x))`` for every non-descendant non-parent ``y`` of every node ``x``.

    Examples
    --------
    >>> lmc_implications(nx.DiGraph([("a", "b"), ("b", "c")]))
    [('c', 'a', ('b',))]
    """
    D = directed_part(G)
    out = []
    for x in D.nodes:
        parents = tuple(sorted(D.predecessors(x)))
        desc = nx.descendants(D, x)
        for y in D.nodes:
            if y != x and y not in parents and y not in desc:
                out.append((x, y, parents))
    return out


def _sampled(G: nx.DiGraph, max_tests: int, rng: random.Random) -> list[tuple[str, str, tuple[str, ...]]]:
    """``G``'s local-Markov implications, at most ``max_tests`` of them (a random sample)."""
    imps = lmc_implications(G)
    return rng.sample(imps, max_tests) if len(imps) > max_tests else imps


def _share(imps: list[tuple[str, str, tuple[str, ...]]], pv: list[float], alpha: float) -> tuple[float, list[dict]]:
    """The share of implications the data violates (p <= alpha), and each violation."""
    violated = [{"node": x, "independent_of": y, "given": list(S), "p_value": p}
                for (x, y, S), p in zip(imps, pv) if p <= alpha]
    return (len(violated) / len(imps) if imps else 0.0), violated


#: Below these, the falsification says the LLM's claims are too few to judge (a verdict on one or two
#: edges, or on a handful of implications, would be noise).
MIN_CLAIMS = 3
MIN_IMPLICATIONS = 5


def falsify_graph(G: nx.DiGraph, pc: PCDiscovery, *, n_permutations: int = 20, max_tests: int = 600,
                  seed: int = 0) -> dict:
    """Local-Markov falsification of ``G`` on PC's data with a node-permutation baseline."""
    names = list(pc.columns_)
    known = set(names)
    rng = random.Random(seed)
    H = nx.DiGraph()
    H.add_nodes_from(names)
    H.add_edges_from((u, v) for u, v in directed_part(G).edges if u in known and v in known)
    imps = [_sampled(H, max_tests, rng)]
    own = set(H.edges)
    for _ in range(20 * n_permutations):
        if len(imps) == n_permutations + 1:
            break
        perm = names[:]
        rng.shuffle(perm)
        P = nx.relabel_nodes(H, dict(zip(names, perm)))
        if set(P.edges) == own:
            continue  # a symmetry of the graph gives the graph itself, not another one
        imps.append(_sampled(P, max_tests, rng))
    # the graph's and every relabelling's tests go to the engine in one batch
    pv = pc.ci_tests([t for one in imps for t in one]).tolist()
    shares, start = [], 0
    for one in imps:
        shares.append(_share(one, pv[start:start + len(one)], pc.alpha))
        start += len(one)
    (share, violated), n_tests = shares[0], len(imps[0])
    baseline = [b for b, _ in shares[1:]]
    n_permutations = len(baseline)
    as_good = sum(1 for b in baseline if b <= share)
    p_value = (1 + as_good) / (1 + n_permutations)
    few = H.number_of_edges() < MIN_CLAIMS or n_tests < MIN_IMPLICATIONS
    informative = p_value <= 0.05 and not few
    verdict = (f"the LLM made {H.number_of_edges()} consistent direct-cause claim(s) with {n_tests} testable "
               "implication(s): too few to tell whether the data supports them" if few else
               f"the LLM's graph violates {share:.0%} of its {n_tests} testable implications, fewer than "
               f"{n_permutations - as_good} of {n_permutations} random relabellings: the data supports its structure"
               if informative else
               f"the LLM's graph violates {share:.0%} of its {n_tests} testable implications; "
               f"{as_good} of {n_permutations} random relabellings do as well or better: the data does not "
               "distinguish it from a random graph of the same shape")
    return {"n_tests": n_tests, "n_violated": len(violated), "share_violated": round(share, 4),
            "baseline_shares": [round(b, 4) for b in baseline], "baseline_mean": round(sum(baseline) / len(baseline), 4)
            if baseline else None, "p_value": round(p_value, 4), "informative": informative,
            "verdict": verdict, "violations": sorted(violated, key=lambda v: v["p_value"])[:200],
            "n_edges": H.number_of_edges(), "test": pc.test_, "alpha": pc.alpha}

