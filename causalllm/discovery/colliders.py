"""What the data knows about orientations: a conservative reading of PC's colliders.

PC orients edges from unshielded colliders ``x → z ← y``: ``z`` is not in the set that
separated ``x`` and ``y``. With finite samples that is fragile: PC stops at the first set that
separates the pair (often the empty set, when a weak link hides a dependence), other sets may
separate it too, some with ``z`` and some without, and colliders conflict. As in conservative
PC, ``x`` and ``y`` are tested given every small subset of their neighbours (reusing the tests
PC already ran, through :meth:`causalllm.discovery.pc.PCDiscovery.ci_test`), and each unshielded triple
is a **collider** when ``z`` is in none of the separating sets, a **non-collider** when it is
in all of them, **ambiguous** otherwise. The **robust** orientations are those of unambiguous
colliders that no other collider contradicts (not closed under Meek's rules: rule 1 assumes
every v-structure is present, and the ambiguous ones are not). A PC orientation that is not
robust is **weak**; an undirected edge carries no orientation evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import networkx as nx

from ..graph import add_edge, creates_cycle, make_graph, pair_key
from .pc import PCDiscovery

__all__ = ["Triple", "classify_triples", "robust_orientations"]


@dataclass(frozen=True)
class Triple:
    """An unshielded triple ``x – z – y`` and what the separating sets of ``(x, y)`` say about ``z``."""

    x: str
    z: str
    y: str
    kind: str  # collider | noncollider | ambiguous
    share: float  # fraction of separating sets containing z
    n_sep: int


def _candidate_sets(G: nx.Graph, x: str, y: str, max_size: int, max_sets: int) -> list[tuple[str, ...]]:
    """Subsets of adj(x) \\ {y} and of adj(y) \\ {x}, smallest first (conservative PC's candidates)."""
    out: list[tuple[str, ...]] = []
    seen: set[frozenset] = set()
    for side, other in ((x, y), (y, x)):
        nb = sorted(n for n in G.neighbors(side) if n != other)
        for k in range(0, min(max_size, len(nb)) + 1):
            for S in combinations(nb, k):
                fs = frozenset(S)
                if fs not in seen:
                    seen.add(fs)
                    out.append(S)
                if len(out) >= max_sets:
                    return out
    return out


def classify_triples(pc: PCDiscovery, *, max_size: int = 3, max_sets: int = 64) -> list[Triple]:
    """Classify every unshielded triple ``x – z – y`` of PC's skeleton, conservatively.

    As in conservative PC (Ramsey, Zhang & Spirtes 2006), ``x`` and ``y`` are tested given every
    subset (up to ``max_size`` variables, ``max_sets`` sets) of the neighbours of ``x`` and of
    ``y``; the sets with p > alpha separate them. PC itself stops at the first separating depth,
    often the empty set, which makes a finite-sample error look like a clean collider. All the
    tests go to the engine in one batch (:meth:`PCDiscovery.ci_tests`); those PC already ran cost nothing.
    """
    G = pc.graph_.to_undirected()
    vetoed = {pair_key(a, b) for a, b in getattr(pc, "vetoed_", ())}
    triples = [(nb[i], z, nb[j]) for z in G.nodes for nb in [sorted(G.neighbors(z))]
               for i in range(len(nb)) for j in range(i + 1, len(nb)) if not G.has_edge(nb[i], nb[j])]
    # every candidate set of every pair, tested in one batch (the tests PC ran are looked up)
    candidates = {pair_key(x, y): (x, y, _candidate_sets(G, x, y, max_size, max_sets)) for x, _, y in triples}
    flat = [(x, y, S) for x, y, sets in candidates.values() for S in sets]
    pv = iter(pc.ci_tests(flat).tolist())
    sets_for: dict[frozenset, list[tuple[str, ...]]] = {}
    for key, (x, y, sets) in candidates.items():
        seps = [S for S, p in zip(sets, pv) if p > pc.alpha]
        # a pair the knowledge removed, with no test separating it, says nothing about z
        sets_for[key] = seps or pc.separating_sets(x, y) or ([] if key in vetoed else [pc.sepsets_.get(key, ())])
    out = []
    for x, z, y in triples:
        seps = sets_for[pair_key(x, y)]
        share = sum(1 for S in seps if z in S) / len(seps) if seps else 0.5
        kind = "ambiguous" if not seps else "collider" if share == 0 else "noncollider" if share == 1 else "ambiguous"
        out.append(Triple(x, z, y, kind, share, len(seps)))
    return out


def robust_orientations(pc: PCDiscovery, triples: list[Triple], exclude: frozenset | set = frozenset()) -> nx.DiGraph:
    """PC's skeleton with only the robust orientations: those of unconflicted unambiguous colliders.

    Pairs in ``exclude`` get no collider vote (their orientation is left to another source).
    """
    votes: dict[frozenset, set[tuple[str, str]]] = {}
    for t in triples:
        if t.kind == "collider":
            for a in (t.x, t.y):
                votes.setdefault(pair_key(a, t.z), set()).add((a, t.z))
    R = make_graph(pc.graph_.nodes)
    for u, v in pc.graph_.edges:
        add_edge(R, u, v, "---")
    for key, dirs in sorted(votes.items(), key=lambda kv: sorted(kv[0])):
        if len(dirs) != 1 or key in exclude:
            continue  # colliders disagree about this edge: not robust
        (u, v), = dirs
        if not creates_cycle(R, u, v):
            add_edge(R, u, v, "-->")
    # no Meek here: rule 1 assumes every v-structure is present, and the ambiguous colliders
    # left out would make it orient edges away from their true heads
    return R
