"""What each edge status means, how it is drawn, and the one rule that reads it off the final graph.

:data:`STATUSES` is the one table render, report and rows read (a status is one entry: its
legend, its help, its colour and line style, whether data and LLM disagree there).
:func:`status_of` reads a pair's status off the *final* graph and the sources of its
orientation — the data side, the LLM, and what neither gave — so a label never credits a source
with an arrow it did not draw; :func:`kept_by` says whose arrow the graph shows.
"""

from __future__ import annotations

from typing import NamedTuple

from ..expert.answers import PairAnswer
from .calibrate import usable_direction

__all__ = ["DISAGREEMENTS", "STATUSES", "Status", "kept_by", "status_of"]


class Status(NamedTuple):
    """What an edge status means and how it is drawn: the one table render, report and results read."""

    name: str
    legend: str  # the graph legend's text
    help: str  # the report's explanation ("" for the pseudo-statuses)
    color: str
    style: str
    penwidth: str
    disagreement: bool  # data and LLM disagree (``render --only-disagreements``)


#: Every status an edge (or a drawn helper edge) can have, in legend order.
STATUSES: dict[str, Status] = {s.name: s for s in (
    Status("data", "data: PC's edge, no usable LLM direction",
           "the data's edge as PC marked it; the LLM gave no usable direction (or was not asked)", "#333333",
           "solid", "1.4", False),
    Status("revised", "data, re-analysed: differs from PC's mark",
           "the data side's conservative collider analysis marks it differently from PC's own rule (PC's mark is "
           "in the pc column); the LLM gave no usable direction", "#01665e", "solid", "1.8", False),
    Status("implied", "implied by other edges' orientations",
           "neither the data side nor the LLM's answer for this pair gives this direction: it follows from other "
           "edges' orientations (Meek's rules, or the prior policy's PC re-run; the decision column says which)",
           "#4393c3", "dashed", "1.6", False),
    Status("analyst", "analyst: your knowledge file sets it",
           "your knowledge file (--knowledge) sets this direction — required, or the only one its tiers and "
           "forbidden edges allow; it outranks data and LLM (the data and llm columns say what they gave)",
           "#000000", "bold", "2.4", False),
    Status("agree", "agree: data and LLM", "data and LLM give the same direction", "#1b7837", "solid", "2.0",
           False),
    Status("oriented_by_llm", "oriented by the LLM (data undirected)",
           "the data side left it undirected; the LLM's direction was used", "#2166ac", "solid", "2.0", False),
    Status("reversed", "reversed: LLM opposes the data (arrow: the side kept)",
           "the LLM says the opposite of the data's orientation; the arrow drawn is the one the kept column names "
           "(data, llm, or under prior the PC re-run's), and the decision column says why",
           "#d6604d", "bold", "2.4", True),
    Status("data_only", "data only: LLM says no direct link",
           "PC keeps the edge; the LLM says there is no direct relation", "#878787", "solid", "1.4", True),
    Status("llm_only", "LLM only: data found independence",
           "the LLM claims a direct cause; the data found the pair independent given a separating set",
           "#e08214", "dashed", "1.8", True),
    Status("guided", "kept by PC-Guess (LLM-ordered tests)",
           "PC-stable removed this pair; with the LLM's guess ordering the CI tests (the guided policy, PC-Guess), "
           "none of the tests that ran separated it, so the data keeps it (the decision column gives both tests)",
           "#8c510a", "bold", "2.2", False),
    Status("separated", "separated by PC-Guess (LLM-ordered tests)",
           "PC-stable kept this pair; testing in the LLM's guessed order (the guided policy, PC-Guess) found a set "
           "separating it, so it is not in the graph (the decision column gives the test)",
           "#bf812d", "dotted", "1.4", True),
    Status("restored", "restored by the score (hybrid)",
           "PC's test removed this pair; the score-based re-search (the hybrid policy) puts it back: the whole "
           "structure scores higher with it, the LLM's answer weighing in as a prior (the decision column gives "
           "the score gain)", "#01665e", "bold", "2.2", False),
    Status("pruned", "pruned by the score (hybrid)",
           "PC kept this pair — the LLM says there is no direct relation, or only the determinism guard kept it "
           "(a test with zero degrees of freedom, which causal-learn counts as separating) — and the score-based "
           "re-search (the hybrid policy) removed it: the whole structure scores higher without it; not in the "
           "graph", "#8073ac", "dotted",
           "1.4", True),
    Status("unresolved", "unresolved",
           "undirected, and the LLM unsure, inconsistent across orders, unanswered or not trusted enough",
           "#878787", "dotted", "1.4", True),
    Status("llm", "LLM answer", "", "#542788", "solid", "1.6", False),
    Status("confounder", "suggested confounder (violet dashes, no arrowhead)", "", "#762a83", "dashed", "1.0", False),
)}

#: Statuses that mean data and LLM disagree.
DISAGREEMENTS = tuple(s.name for s in STATUSES.values() if s.disagreement)


def status_of(pc_mark: str | None, data_mark: str | None, data_dir: tuple[str, str] | None, p: PairAnswer | None,
              final_mark: str | None, final_dir: tuple[str, str] | None,
              analyst_dir: tuple[str, str] | None = None, added: str = "guided", removed: str = "separated") -> str:
    """A pair's status (see :data:`STATUSES`), read off the final graph and its sources.

    ``data_*`` is the data side's graph (PC's, re-checked by the collider analysis): the same
    with or without an LLM, so a status never credits a source with an orientation it did not give.
    ``analyst_dir`` is the direction the analyst's knowledge sets for the pair, if any. ``added`` and
    ``removed`` name a pair the data side adds to PC's skeleton or removes from it (the policy's words:
    ``guided``/``separated`` for PC-Guess, ``restored``/``pruned`` for the hybrid re-search).
    """
    if final_dir is not None and final_dir == analyst_dir:
        return "analyst"
    # the data side's adjacencies differ from PC's only under guided (PC re-run) and hybrid (the score's re-search)
    if pc_mark is None and data_mark is not None and final_mark is not None:
        return added
    if pc_mark is not None and data_mark is None:
        return removed
    if pc_mark is None:
        if p is not None and p.directed() is not None:
            return "llm_only"
        return "data" if final_mark else "none"  # an edge only the prior policy's PC re-run found
    own = "data" if data_mark == pc_mark else "revised"
    llm_dir = usable_direction(p)
    if p is not None and p.answer == "none":
        return "data_only"
    if llm_dir is None:
        if final_mark == data_mark:
            return own if final_dir or p is None else "unresolved"
        return "implied" if final_dir else "unresolved"
    if final_dir is None:
        return "unresolved"
    if final_dir == llm_dir:
        return "agree" if data_dir == llm_dir else "oriented_by_llm" if data_dir is None else "reversed"
    return "reversed" if data_dir is not None and data_dir != llm_dir else "implied"


def kept_by(final_dir: tuple[str, str] | None, data_dir: tuple[str, str] | None, llm_dir: tuple[str, str] | None,
            reruns_pc: bool, analyst_dir: tuple[str, str] | None = None) -> str:
    """Whose orientation the final graph shows, read off the graph: the analyst's knowledge, data, llm, both,
    or neither's — ``meek`` (derived from other edges) or, under a policy that re-runs PC with knowledge,
    ``rerun``."""
    if final_dir is None:
        return ""
    if final_dir == analyst_dir:
        return "knowledge"
    if final_dir == data_dir:
        return "both" if final_dir == llm_dir else "data"
    return "llm" if final_dir == llm_dir else "rerun" if reruns_pc else "meek"


