"""How an expert behaves across its replies, not how each is formatted: replies that follow the question's
order, copy the reply template, are the same for every question, or claim a direction with zero confidence.

A small model behind a grammar-constrained server returns perfectly formed JSON that carries no
knowledge: SmolLM2-135M on llama.cpp answers "A->B" (the first-named variable causes the second) to
every question and copies the template's "one or two sentences" as its rationale. Each reply passes
the format checks; only the replies together show it. :func:`screen_replies` reads them together and
returns, per reply, why it is unusable; the asker treats those replies as invalid (counted in
``llm_health``, named in the banner and on stderr), so they change nothing in the graph — as a dead
endpoint changes nothing.

Examples
--------
>>> recs = [{"kind": "direction", "status": "ok", "source": s, "target": t, "asked_first": a, "asked_second": b,
...          "answer": "A->B", "confidence": 0.9, "rationale": "r" + s + t, "canonical": "-->" if a == s else "<--"}
...         for s, t in [("a", "b"), ("c", "d"), ("e", "f"), ("g", "h")] for a, b in [(s, t), (t, s)]]
>>> flags = screen_replies(recs)
>>> sorted(set(flags.values()))
['the answers follow the question order (the first-named variable always causes the second)']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..contract import BEHAVIOURS

__all__ = ["BEHAVIOURS", "TEMPLATE_TEXTS", "behaviour_counts", "is_template_text", "screen_replies"]


#: The placeholder texts of the reply templates (:mod:`causalllm.expert.prompts`): a reply or a suggested
#: confounder that is one of them copied the template.
TEMPLATE_TEXTS = ("one or two sentences", "one sentence", "short name", "a number from 0 to 1", "a short name")

#: A run is said to answer by position when at least this many pairs were answered in both orders with a
#: direction, and this share of them name the first-asked variable as the cause both times.
POSITION_MIN_PAIRS = 4
POSITION_SHARE = 0.8
#: The same reply to every question is a behaviour only over at least this many pairs.
CONSTANT_MIN_PAIRS = 5


def _norm(text: object) -> str:
    return re.sub(r"[^a-z0-9 ]+", "", str(text or "").lower()).strip()


def is_template_text(text: object) -> bool:
    """Whether ``text`` is one of the templates' placeholder texts (case and punctuation aside).

    Examples
    --------
    >>> is_template_text("One or two sentences."), is_template_text("Smoking damages the lungs.")
    (True, False)
    """
    return _norm(text) in {_norm(t) for t in TEMPLATE_TEXTS}


def _directional(r: dict) -> bool:
    return r.get("kind") == "direction" and r.get("status") == "ok" and r.get("canonical") in ("-->", "<--")


def _position_pairs(replies: Sequence[dict]) -> set[tuple[str, str]]:
    """Pairs answered in both orders whose every directional reply names the first-asked variable as the cause
    (or every one the second): the answer follows the order, not the variables."""
    by_pair: dict[tuple[str, str], list[dict]] = {}
    for r in replies:
        if _directional(r):
            by_pair.setdefault((r["source"], r["target"]), []).append(r)
    both = {p: rs for p, rs in by_pair.items() if len({(r["asked_first"], r["asked_second"]) for r in rs}) == 2}
    following = {p for p, rs in both.items() if len({r.get("answer") for r in rs}) == 1}
    if len(both) >= POSITION_MIN_PAIRS and len(following) >= POSITION_SHARE * len(both):
        return following
    return set()


def screen_replies(replies: Sequence[dict]) -> dict[int, str]:
    """Index of each unusable reply in ``replies`` (records of ``llm_answers.jsonl``) → why (:data:`BEHAVIOURS`)."""
    flags: dict[int, str] = {}
    position = _position_pairs(replies)
    for i, r in enumerate(replies):
        if r.get("kind") != "direction" or r.get("status") != "ok":
            continue
        if (r["source"], r["target"]) in position and _directional(r):
            flags[i] = BEHAVIOURS["position"]
        elif is_template_text(r.get("rationale")):
            flags[i] = BEHAVIOURS["template"]
        elif _directional(r) and float(r.get("confidence") or 0.0) == 0.0:
            flags[i] = BEHAVIOURS["zero_confidence"]
    rest = [(i, r) for i, r in enumerate(replies) if i not in flags and r.get("kind") == "direction"
            and r.get("status") == "ok"]
    pairs = {(r["source"], r["target"]) for _, r in rest}
    if len(pairs) >= CONSTANT_MIN_PAIRS and len({(r.get("answer"), r.get("confidence"), r.get("rationale"))
                                                  for _, r in rest}) == 1:
        flags.update({i: BEHAVIOURS["constant"] for i, _ in rest})
    return flags


def behaviour_counts(replies: Sequence[dict], flags: dict[int, str]) -> dict[str, Any]:
    """Pairs with at least one unusable reply, per behaviour (for ``llm_health``)."""
    out: dict[str, Any] = {}
    for name, why in BEHAVIOURS.items():
        pairs = {(replies[i]["source"], replies[i]["target"]) for i, w in flags.items() if w == why}
        if pairs:
            out[name] = len(pairs)
    return out
