"""What causalllm writes and reads back: the output folder's files, the tables' columns, the cell rules.

A results folder holds the files of :data:`OUTPUTS` and, written last, :data:`MANIFEST`: a folder
with outputs but no manifest is an interrupted save, refused by every reader
(:func:`require_complete`). ``edges.csv``, ``priors.csv`` and ``confounders.csv`` are written by :mod:`causalllm.output` and
read back by :func:`causalllm.graph.read_graph` (``compare``) and
:func:`causalllm.expert.answers.read_priors` (``discover --priors``). Their columns are declared
here once, with the one cell rule both directions follow: a cell a spreadsheet would run as a
formula is written with a leading ``'`` (:func:`neutralise`) and read back without it
(:func:`unneutralise`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import DataError

__all__ = ["BEHAVIOURS", "CONFOUNDER_COLUMNS", "EDGE_COLUMNS", "LLM_COLUMNS", "MANIFEST", "MARK_TOKENS", "OUTPUTS",
           "PRIORS_COLUMNS", "STABILITY_COLUMNS", "UNUSABLE_WARN_SHARE", "csv_text", "neutralise", "require_complete",
           "truthy", "unneutralise"]

#: ``edges.csv``: always present, in this order.
EDGE_COLUMNS = ["source", "target", "in_graph", "directed", "status", "pc", "data", "p_value", "sepset"]
#: ``edges.csv`` with ``--bootstrap B``: the share of B subsample re-fits of PC where the pair was adjacent, and
#: where it was drawn source -> target and target -> source.
STABILITY_COLUMNS = ["boot_adjacent", "boot_forward", "boot_reverse"]
#: ``edges.csv``: present when an LLM (or a priors file) was used.
LLM_COLUMNS = ["llm", "llm_confidence", "order_consistent", "rationale", "llm_votes", "decision", "kept",
               "confounders"]
#: ``confounders.csv``.
CONFOUNDER_COLUMNS = ["source", "target", "confounder", "measured", "fci_verdict", "fci_mark"]
#: ``priors.csv`` (``ask`` writes it; ``discover --priors`` reads it back, hand-edited or not).
PRIORS_COLUMNS = ["source", "target", "answer", "confidence", "order_consistent", "rationale", "votes", "confounders",
                  "origin"]
#: Above this share of unusable LLM answers (invalid or unanswered) a run is loud: a warning on stderr,
#: a banner in the report (the manifest's ``llm_health`` holds the counts).
UNUSABLE_WARN_SHARE = 0.5
#: Why a reply is unusable although well formed, by behaviour across the replies (``llm_health.behaviour``
#: counts the pairs; :mod:`causalllm.expert.behaviour` decides; the banner and stderr use these words).
BEHAVIOURS = {
    "position": "the answers follow the question order (the first-named variable always causes the second)",
    "template": "the reply copies the template's placeholder text instead of answering",
    "constant": "the same reply to every question",
    "zero_confidence": "a direction claimed with zero confidence",
}
#: causalllm's own mark tokens: cells that are exactly one of these stay as they are.
MARK_TOKENS = ("-->", "---", "<->", "o->", "o-o", "o--", "<--", "<-o", "--o")


def truthy(value: Any) -> bool:
    """Whether a cell read back from a file means true (``true``, ``1``, ``yes``, ``y``, ``t``).

    Examples
    --------
    >>> truthy("True"), truthy(" yes"), truthy("0"), truthy(None)
    (True, True, False, False)
    """
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "y", "t")


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection): text starting with
    ``= + - @`` (or a tab or carriage return) gets a leading ``'``, unless it is exactly one of
    causalllm's mark tokens (``-->``) or a number; :func:`unneutralise` reverses it when causalllm
    reads its own files.

    Examples
    --------
    >>> neutralise("=HYPERLINK(1)"), neutralise("-->"), neutralise("-0.5"), neutralise("age")
    ("'=HYPERLINK(1)", '-->', '-0.5', 'age')
    >>> neutralise("---+cmd|/C calc!A0"), neutralise("-->:2 <--:1")
    ("'---+cmd|/C calc!A0", "'-->:2 <--:1")
    """
    if not text or text[0] not in _FORMULA or text in MARK_TOKENS:
        return text
    try:
        float(text)
        return text
    except ValueError:
        return "'" + text


def unneutralise(text: Any) -> Any:
    """A cell as written before CSV-injection neutralisation (``'=x`` → ``=x``); other values unchanged."""
    if isinstance(text, str) and len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return ";".join(map(neutralise, map(str, v)))
    return neutralise(v) if isinstance(v, str) else v


def csv_text(rows: Iterable[Any], columns: list[str]) -> str:
    """Rows (dicts) as CSV text with the given columns; lists become ``;``-joined, None empty."""
    f = io.StringIO(newline="")
    w = csv.writer(f)
    w.writerow(columns)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in columns])
    return f.getvalue()


#: Written last by a run: a results folder without it is an interrupted save.
MANIFEST = "manifest.json"
#: Every file a run may write besides the manifest (globs; the interchange exports are added by
#: :data:`causalllm.graph.formats.EXPORT_FORMATS`).
OUTPUTS = ("graph.dot", "graph.svg", "graph.png", "graph.pdf", "graph.graphml", "graph.json", "edges.csv",
           "llm_answers.jsonl", "priors.csv", "confounders.csv", "report.html", "graph.disagreements.*")


def require_complete(folder: Path) -> None:
    """A one-line error for a results folder whose save never finished (outputs but no manifest)."""
    if not (folder / MANIFEST).exists() and any((folder / f).exists() for f in ("edges.csv", "graph.dot")):
        raise DataError(f"{folder} is incomplete: the run that wrote it stopped before it finished (no {MANIFEST}); "
                        "re-run discover")
