"""Merging the data's graph with the LLM's answers into one acyclic graph where every edge says why.

:func:`~causalllm.merge.policies.merge` is pure: given PC's fitted result and the LLM's combined answers, it returns the
merged graph and a :class:`Decision` per pair (it asks nothing and writes nothing). The data
decides adjacencies (the skeleton is PC's, except in the ``prior`` policy, where PC is re-run
with the LLM's knowledge, and in ``guided``, where PC is re-run with the LLM's answers ordering
its tests). Orientations are where the two sources meet; what the data knows
about them is :mod:`causalllm.discovery.colliders`. Each policy is one entry of
:data:`~causalllm.merge.policies.POLICIES`; the calibration is :mod:`.calibrate`, the orientation
procedure :mod:`.orient`, the policies' steps :mod:`.runs`, and what each pair's status means and
how the ``edges.csv`` rows are read off the final graph :mod:`.statuses` and :mod:`.rows`.

How much the expert is trusted *on this dataset*
------------------------------------------------
The expert is calibrated on the robust orientations: among its order-consistent directional
answers on those edges, ``k`` agree and ``m`` disagree. With the data right on robust edges with
probability ``d_robust`` (0.8), agreement ``a = d q + (1 - d)(1 - q)`` gives the expert's
accuracy ``q``, with Beta(k+1, m+1) uncertainty on ``a``. Each edge goes to the side with the
stronger case:

* where the data orientation exists (robust 0.8, weak 0.6 — the data's reliability by class),
  the expert wins only if the one-sided 95% **lower bound** of ``q`` exceeds it: overturning
  evidence needs confident evidence, so few calibration edges mean little trust;
* where the data is silent (an undirected edge, reliability 0.5), the expert orients it when
  its **expected** accuracy (posterior mean of ``q``) beats a coin: leaving the edge
  undirected is then the worse bet.

A random expert agrees about half of the time, so its lower bound is near 0 and its mean near
0.5: it overturns nothing. A GPT-4-like expert agrees on most robust edges and earns the right
to correct the data's weak orientations.

Policies
--------
``auto`` (default)
    The evidence-weighted merge above. Robust data orientations first, then the expert's
    winning orientations (most confident first), then the data's remaining weak orientations;
    each followed by Meek's rules; an orientation that would close a directed cycle or create a
    v-structure at a robust non-collider is skipped and recorded.
``orient``
    Conservative: the data side keeps every orientation it made; the expert's order-consistent
    answers orient only its undirected edges, most confident first, each followed by Meek's
    rules, with the same cycle and v-structure checks.
``prior``
    Confident (``>= prior_threshold``), order-consistent directional answers become causal-learn
    background knowledge (required ``a → b`` and forbidden ``b → a``) and PC is re-run with
    it. "No relation" answers are *not* turned into forbidden pairs: forbidding both directions
    makes causal-learn record an empty separating set and invent colliders. Every constraint is
    checked in the output and violations are listed (causal-learn can drop required edges).
``guided``
    PC-Guess (Guess2Graph, Hiremath et al. 2025): PC is re-run with the LLM's usable directions
    as the expert's guess, which only **orders** the CI tests — pairs guessed non-adjacent are
    tested first, conditioning sets without a guessed common descendant first — and removes a
    pair only when a test separates it (:func:`causalllm.discovery.search.guided_skeleton`). Every
    adjacency is still the data's, so with a consistent test the skeleton is right whatever the
    expert's error rate; in finite samples a good guess means fewer tests on true edges and so
    fewer false removals. ``auto`` then runs on that fit. Pairs PC-stable removed that PC-Guess
    keeps are ``guided``; pairs it separates that PC-stable kept, ``separated``. It needs the
    LLM's view of every pair (``--strategy all``, its default).
``report``
    The data side's graph unchanged; the LLM only labels the edges.

The data side
-------------
Every policy reads the data through the same analysis, the one ``--llm none`` draws: ``auto``'s
procedure with no answers — the robust collider orientations first, then PC's other
orientations where they pass the cycle and v-structure checks, then Meek's rules. Against PC's
own CPDAG it was never worse and usually better (orientation F1 0.48 → 0.71 on 12 random
Gaussian DAGs at 500 rows, 0.62 → 0.75 at 2 000; child at 10 000 rows 0.82 → 0.95). Where it
differs from PC's mark the edge is labelled ``revised``.

Whatever the policy, the final graph's causal claims are acyclic: a remaining cycle is broken
by making its least supported edge undirected, and that is recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

if TYPE_CHECKING:
    from .model import Decision as Decision
    from .model import MergeInfo as MergeInfo
    from .model import MergeOutcome as MergeOutcome
    from .policies import DEFAULT_POLICY as DEFAULT_POLICY
    from .policies import POLICIES as POLICIES
    from .policies import Policy as Policy
    from .policies import merge as merge

__getattr__, __dir__, __all__ = attach(__name__, {
    "DEFAULT_POLICY": "policies",
    "POLICIES": "policies",
    "Policy": "policies",
    "merge": "policies",
    "Decision": "model",
    "MergeInfo": "model",
    "MergeOutcome": "model",
})
