"""What a merge decides and records: a :class:`Decision` per pair, :class:`MergeInfo` for the run, the notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

import networkx as nx

__all__ = ["CycleBreak", "Decision", "MergeInfo", "MergeOutcome", "SkippedOrientation", "Violation"]


class SkippedOrientation(TypedDict):
    """A merge note: an orientation not applied, and why."""

    source: str
    target: str
    origin: str
    reason: str


class Violation(TypedDict):
    """A merge note: background knowledge the re-run PC did not honour."""

    source: str
    target: str
    problem: str


class CycleBreak(TypedDict):
    """A merge note: an edge made undirected to break a directed cycle."""

    source: str
    target: str
    action: str
    cycle: str


@dataclass
class Decision:
    """What the merge decided for one of PC's pairs.

    ``data_class`` is the data's evidence for its orientation (``robust``, ``weak`` or
    ``undirected``); ``kept`` whose orientation the graph shows (``data``, ``llm``, ``both``,
    ``meek``; empty when none was applied); ``why`` the reason in words.
    """

    data_class: str = ""
    kept: str = ""
    why: str = ""


@dataclass
class MergeInfo:
    """What the merge did as a whole (the report's calibration paragraph and merge notes)."""

    policy: str
    calibration: dict[str, Any] = field(default_factory=dict)
    triples: dict[str, int] = field(default_factory=dict)
    robust_orientations: int = 0
    skipped: list[SkippedOrientation] = field(default_factory=list)
    cycles_broken: list[CycleBreak] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    required: int | None = None
    prior_threshold: float | None = None
    knowledge: dict[str, Any] | None = None
    guided: dict[str, Any] | None = None
    #: the hybrid policy's re-search: candidates, moves, restored and pruned pairs, prior weight, seconds
    hybrid: dict[str, Any] | None = None
    #: seconds the data side took (the collider re-check and its own orientation), within the merge's time
    data_side_s: float = 0.0


@dataclass
class MergeOutcome:
    """The merged graph, the record of every decision, and the data side's own graph.

    ``data_graph`` is what the data alone says: PC's skeleton with its orientations re-checked by
    the conservative collider analysis (:mod:`causalllm.merge`, *The data side*). It is the same whatever the policy
    and whether or not an LLM was asked, and it is what ``--llm none`` draws — except under
    ``guided``, where it is the same analysis of PC-Guess's fit (``refit``), and ``hybrid``, where it is the
    class of the score-based re-search's DAG.
    """

    graph: nx.DiGraph
    decisions: dict[frozenset, Decision]
    info: MergeInfo
    data_graph: nx.DiGraph = field(default_factory=nx.DiGraph)
    #: the PC fit the graph stands on when it is not the one given (``guided``: PC-Guess's)
    refit: Any = None
    #: the analyst's knowledge the graph honours (a :class:`causalllm.data.knowledge.Knowledge`), or None
    knowledge: Any = None


