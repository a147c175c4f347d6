"""The merge policies: one registry entry each, and :func:`merge`, which runs the one asked for.

A :class:`Policy` says what ``--merge NAME`` does (its help), what it needs (every pair asked,
the native engine) and how its arrows are credited; its ``run`` is the procedure in
:mod:`causalllm.merge.runs`. The CLI's choices, the docs' table and ``evaluate``'s loops and plot
read :data:`POLICIES`, so a new policy is one entry here plus its procedure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:  # the registry is read at start-up: the procedures are imported when a policy runs
    from ..data.knowledge import Knowledge
    from ..discovery.pc import PCDiscovery
    from ..expert.answers import PairAnswer
    from .model import MergeOutcome

__all__ = ["DATA_ONLY", "DEFAULT_POLICY", "DEFAULT_PRIOR_THRESHOLD", "POLICIES", "Policy", "merge"]

#: ``prior`` policy: minimum confidence for an answer to become background knowledge.
DEFAULT_PRIOR_THRESHOLD = 0.7


@dataclass(frozen=True)
class MergeSettings:
    """What a policy may read besides PC's fit and the answers."""

    prior_threshold: float = DEFAULT_PRIOR_THRESHOLD
    knowledge: Knowledge | None = None


@dataclass(frozen=True)
class Policy:
    """One merge policy.

    ``asks_every_pair``: it needs the LLM's view of every pair (``--strategy all`` is its default).
    ``native_only``: it re-runs PC on the native engine (no ``--engine causal-learn`` or
    ``--test kci``). ``reruns_pc``: an arrow neither side gave comes from its PC re-run (``kept``
    says ``rerun``). ``keeps_data``: why the graph keeps the data side's arrow where the LLM says the
    opposite (empty: the merge's own reason says it).
    """

    name: str
    help: str
    run: Callable[[PCDiscovery, dict[frozenset, PairAnswer], str, MergeSettings], MergeOutcome]
    asks_every_pair: bool = False
    native_only: bool = False
    reruns_pc: bool = False
    keeps_data: str = ""
    #: the statuses of a pair the policy's data side adds to PC's skeleton, and of one it removes
    added_status: str = "guided"
    removed_status: str = "separated"


def _auto(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], name: str, s: MergeSettings) -> MergeOutcome:
    from .runs import data_side, finish, run_weighted

    side = data_side(pc, pairs, name, s.knowledge)
    return finish(side, *run_weighted(side, local=True), s.knowledge)


def _orient(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], name: str, s: MergeSettings) -> MergeOutcome:
    from .runs import data_side, finish, run_orient

    side = data_side(pc, pairs, name, s.knowledge)
    return finish(side, *run_orient(side), s.knowledge)


def _prior(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], name: str, s: MergeSettings) -> MergeOutcome:
    from .runs import data_side, finish, run_prior

    side = data_side(pc, pairs, name, s.knowledge)
    return finish(side, *run_prior(side, s.prior_threshold), s.knowledge)


def _report(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], name: str, s: MergeSettings) -> MergeOutcome:
    from .runs import data_side, finish, run_report

    side = data_side(pc, pairs, name, s.knowledge)
    return finish(side, *run_report(side), s.knowledge)


def _guided(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], name: str, s: MergeSettings) -> MergeOutcome:
    from .runs import run_guided

    return run_guided(pc, pairs, name, s.knowledge)


def _hybrid(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], name: str, s: MergeSettings) -> MergeOutcome:
    from .hybrid import run_hybrid

    return run_hybrid(pc, pairs, name, s.knowledge)


#: Every merge policy, the default first, in the order the docs and ``evaluate`` list them.
POLICIES: dict[str, Policy] = {p.name: p for p in (
    Policy("auto", "evidence-weighted: the expert, calibrated on the data's robust orientations, corrects the data's "
           "weak ones and orients what the data left undirected", _auto),
    Policy("guided", "the LLM's guess orders PC's CI tests (PC-Guess), then auto; never overrules a test", _guided,
           asks_every_pair=True, native_only=True),
    Policy("orient", "conservative: the LLM only orients edges the data side left undirected", _orient,
           keeps_data="the orient policy keeps every orientation the data side made"),
    Policy("prior", "confident LLM directions become background knowledge and PC is re-run", _prior, reruns_pc=True,
           keeps_data="PC re-run with the LLM's background knowledge still orients it this way"),
    Policy("report", "the data side's graph unchanged; the LLM only labels", _report,
           keeps_data="the report policy never changes the data side's graph"),
    Policy("hybrid", "past PC's skeleton: a score-based (BIC) re-search over PC's pairs and the LLM's claimed ones, "
           "the LLM's calibrated answers as its prior; the score decides", _hybrid, asks_every_pair=True,
           native_only=True, added_status="restored", removed_status="pruned"),
)}
#: The policy when none is given.
DEFAULT_POLICY = next(iter(POLICIES))
#: The policy a run without an LLM goes through: the data side's graph, labelled.
DATA_ONLY = "report"


def merge(pc: PCDiscovery, pairs: dict[frozenset, PairAnswer], policy: str = DEFAULT_POLICY, *,
          prior_threshold: float = DEFAULT_PRIOR_THRESHOLD, knowledge: Knowledge | None = None) -> MergeOutcome:
    """Merge PC's graph with the expert's answers under ``policy`` (see :mod:`causalllm.merge`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from causalllm.discovery.pc import PCDiscovery
    >>> from causalllm.expert.answers import PairAnswer
    >>> from causalllm.graph import pair_key
    >>> rng = np.random.default_rng(0); a = rng.normal(size=2000); b = a + rng.normal(size=2000)
    >>> pc = PCDiscovery().fit(pd.DataFrame({"a": a, "b": b}))  # a --- b: the data cannot orient it
    >>> llm = {pair_key("a", "b"): PairAnswer("a", "b", "-->", 0.9, True)}
    >>> sorted(merge(pc, llm, "orient").graph.edges(data="mark"))
    [('a', 'b', '-->')]
    """
    entry = POLICIES.get(policy)
    if entry is None:
        raise ConfigError(f"unknown --merge policy {policy!r}; use one of {', '.join(POLICIES)}")
    return entry.run(pc, pairs, entry.name, MergeSettings(prior_threshold, knowledge))
