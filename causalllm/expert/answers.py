"""What the LLM said: one combined answer per pair, reviewed priors files, and the LLM's own graph.

:class:`PairAnswer` is the LLM's combined answer for one pair in canonical (data column)
order; :func:`combine_votes` makes it from the individual replies; :class:`Answers` is what an
expert said in a run — from an LLM or a reviewed priors file — as the merge reads it. ``priors.csv`` is written
by :func:`priors_rows` and read back (possibly hand-edited) by :func:`read_priors`;
:func:`llm_graph` is the LLM's own graph from its direct-cause claims.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from ..contract import unneutralise
from ..data.dataset import Dataset, file_sha256
from ..errors import DataError
from ..graph import add_edge, make_graph, pair_key

__all__ = ["ANSWERS", "Answers", "PairAnswer", "answer_health", "combine_votes", "llm_graph", "normalize_name",
           "priors_rows", "read_priors"]

log = logging.getLogger("causalllm")

#: A pair's answer in canonical order: source causes target, the reverse, no direct relation, unsure.
ANSWERS = ("-->", "<--", "none", "unsure")


def normalize_name(name: str) -> str:
    """A variable name without case or punctuation, to match what an LLM wrote to a column.

    Examples
    --------
    >>> normalize_name("Lung_Cancer"), normalize_name("lung cancer")
    ('lungcancer', 'lungcancer')
    """
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass
class PairAnswer:
    """The LLM's combined answer for one pair, in canonical order (``source`` before ``target``).

    ``answer`` is ``-->`` (source causes target), ``<--``, ``none``, ``unsure``, ``invalid``
    or ``unanswered``.
    """

    source: str
    target: str
    answer: str
    confidence: float = 0.0
    order_consistent: bool | None = None
    rationale: str = ""
    votes: dict[str, int] = field(default_factory=dict)
    origin: str = "llm"

    @property
    def claims_edge(self) -> bool:
        return self.answer in ("-->", "<--")

    def answer_from(self, src: str, answer: str | None = None) -> str:
        """``answer`` (default: the combined one) read from a row whose source is ``src``.

        Examples
        --------
        >>> PairAnswer("a", "b", "-->").answer_from("b")
        '<--'
        """
        answer = self.answer if answer is None else answer
        if answer in ("-->", "<--") and src != self.source:
            return "<--" if answer == "-->" else "-->"
        return answer

    def votes_from(self, src: str) -> str:
        """The individual votes (``-->:2 none:1``) read from a row whose source is ``src``."""
        return " ".join(f"{self.answer_from(src, k)}:{v}" for k, v in sorted(self.votes.items()))

    def directed(self) -> tuple[str, str] | None:
        """``(cause, effect)`` if the answer claims a direct cause."""
        if self.answer == "-->":
            return self.source, self.target
        if self.answer == "<--":
            return self.target, self.source
        return None


def combine_votes(pair: tuple[str, str], records: list[dict]) -> PairAnswer:
    """Combine one pair's replies (records of ``llm_answers.jsonl``) into its :class:`PairAnswer`.

    The answer is the plurality — a tie is ``unsure`` (a split vote), never broken; its confidence
    is the share of votes it got times the mean confidence of those votes; ``order_consistent`` says whether
    both orders' pluralities agree. With no usable reply the answer is ``invalid`` or
    ``unanswered``; a model that only refused gives ``unsure``, rationale ``refused: ...``.
    """
    src, tgt = pair
    ok = [r for r in records if r["status"] == "ok"]
    if not ok and any(r["status"] == "refused" for r in records):
        # the model declined: a usable answer (it gave no direction), with its words as the rationale
        refusal = next(r.get("refusal", "") for r in records if r["status"] == "refused")
        return PairAnswer(src, tgt, "unsure", 0.0, None, f"refused: {refusal}"[:300], {"refused": len(records)})
    if not ok:
        status = "invalid" if any(r["status"] == "invalid" for r in records) else "unanswered"
        raw = next((r.get("raw") for r in records if r.get("raw")), "")
        why = "; ".join(sorted({r.get("error", "") for r in records if r.get("error")}))
        return PairAnswer(src, tgt, status, 0.0, None, (why or raw or "")[:300])
    votes = Counter(r["canonical"] for r in ok)
    conf_sum: dict[str, float] = {}
    for r in ok:
        conf_sum[r["canonical"]] = conf_sum.get(r["canonical"], 0.0) + r["confidence"]
    best = max(votes, key=lambda a: (votes[a], conf_sum[a], -ANSWERS.index(a)))
    if sum(1 for a in votes if votes[a] == votes[best]) > 1:
        # a split vote gives no answer: breaking it by confidence or by the answers' order would invent
        # one (a position-biased model's 1-1 split would become the row's own direction)
        return PairAnswer(src, tgt, "unsure", 0.0, False if len({(r["asked_first"], r["asked_second"]) for r in ok})
                          == 2 else None, f"split vote ({', '.join(f'{a}: {n}' for a, n in votes.items())})",
                          dict(votes))
    share = votes[best] / len(ok)
    confidence = share * conf_sum[best] / votes[best]
    by_order: dict[tuple[str, str], Counter] = {}
    for r in ok:
        by_order.setdefault((r["asked_first"], r["asked_second"]), Counter())[r["canonical"]] += 1
    consistent = None
    if len(by_order) == 2:
        tops = {max(c, key=lambda a: (c[a], -ANSWERS.index(a))) for c in by_order.values()}
        consistent = len(tops) == 1
    rationale = next(r["rationale"] for r in ok if r["canonical"] == best)
    return PairAnswer(src, tgt, best, round(confidence, 4), consistent, rationale, dict(votes))


def priors_rows(pairs: dict[frozenset, PairAnswer], confounders: dict[frozenset, list[dict]] | None = None) -> list[dict]:
    """Rows of ``priors.csv`` (review and edit; ``discover --priors`` reads them back)."""
    rows = []
    for key, p in pairs.items():
        conf = (confounders or {}).get(key, [])
        rows.append({"source": p.source, "target": p.target, "answer": p.answer, "confidence": p.confidence,
                     "order_consistent": p.order_consistent, "rationale": p.rationale,
                     "votes": p.votes_from(p.source),
                     "confounders": [c["name"] for c in conf], "origin": p.origin})
    return rows


def read_priors(path: str | Path, ds: Dataset) -> tuple[dict[frozenset, PairAnswer], dict[frozenset, list[dict]]]:
    """Read a (possibly hand-edited) ``priors.csv``.

    ``answer`` must be ``-->`` (source causes target), ``<--``, ``none`` or ``unsure``
    (``invalid``/``unanswered`` rows are kept as such); ``confidence`` in [0, 1] (default 1 for
    an expert's own rows).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"priors file {p} does not exist; write one with 'causalllm ask ... --out DIR'")
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    missing = {"source", "target", "answer"} - set(df.columns)
    if missing:
        raise DataError(f"priors file {p} lacks column(s) {', '.join(sorted(missing))}")
    cols = set(ds.columns)
    idx = {c: i for i, c in enumerate(ds.columns)}
    pairs: dict[frozenset, PairAnswer] = {}
    conf: dict[frozenset, list[dict]] = {}
    norm = {normalize_name(c): c for c in ds.columns}
    left_out: dict[str, list[int]] = {}
    for i, (_, r) in enumerate(df.iterrows()):
        s, t, a = unneutralise(r["source"].strip()), unneutralise(r["target"].strip()), r["answer"].strip()
        line = i + 2
        if s not in cols or t not in cols:
            bad = s if s not in cols else t
            if bad in ds.excluded:  # a priors file from the full variable list works on the filtered table
                left_out.setdefault(bad, []).append(line)
                continue
            raise DataError(f"priors file {p} line {line}: {bad!r} is not a data column; fix the name")
        a, c = _answer_and_confidence(a, r.get("confidence"), f"priors file {p} line {line}")
        if idx[s] > idx[t]:
            s, t = t, s
            a = {"-->": "<--", "<--": "-->"}.get(a, a)
        oc = str(r.get("order_consistent", "")).strip().lower()
        pairs[pair_key(s, t)] = PairAnswer(s, t, a, c, {"true": True, "false": False}.get(oc), r.get("rationale", ""),
                                           origin=r.get("origin") or "file")
        names = [x.strip() for x in str(r.get("confounders", "")).split(";") if x.strip()]
        if names:
            conf[pair_key(s, t)] = [{"name": norm.get(normalize_name(n), n), "measured": normalize_name(n) in norm,
                                     "rationale": ""}
                                    for n in names]
    if left_out:
        log.warning("priors file %s: %d row(s) skipped, naming columns left out of the analysis (%s)", p,
                    sum(map(len, left_out.values())),
                    "; ".join(f"{c}: {ds.excluded[c]}, line(s) {', '.join(map(str, ls[:5]))}" for c, ls in left_out.items()))
    return pairs, conf


def _answer_and_confidence(a: str, confidence: Any, where: str) -> tuple[str, float]:
    """A priors row's answer and confidence, checked (a one-line error naming the line)."""
    if a in ("->", "=>"):
        a = "-->"
    if a not in (*ANSWERS, "invalid", "unanswered"):
        raise DataError(f"{where}: answer {a!r} must be -->, <--, none or unsure")
    try:
        c = float(confidence or 1.0)
    except ValueError:
        raise DataError(f"{where}: confidence {confidence!r} is not a number") from None
    if not 0 <= c <= 1:
        raise DataError(f"{where}: confidence {c} must be between 0 and 1")
    return a, c


def answer_health(pairs: dict[frozenset, PairAnswer]) -> dict[str, Any]:
    """How many of the LLM's combined answers are usable (an answer, even "unsure") and how many are not.

    Examples
    --------
    >>> answer_health({frozenset("ab"): PairAnswer("a", "b", "invalid"), frozenset("bc"): PairAnswer("b", "c", "-->")})
    {'asked': 2, 'usable': 1, 'invalid': 1, 'unanswered': 0, 'unusable_share': 0.5}
    """
    asked = len(pairs)
    bad = {k: sum(1 for p in pairs.values() if p.answer == k) for k in ("invalid", "unanswered")}
    usable = asked - sum(bad.values())
    return {"asked": asked, "usable": usable, **bad, "unusable_share": round(1 - usable / asked, 4) if asked else 0.0}


def llm_graph(pairs: dict[frozenset, PairAnswer], nodes: list[str]) -> tuple[nx.DiGraph, list[dict]]:
    """The LLM's own graph: its direct-cause claims, cycles broken deterministically.

    A claim is a directed answer the model gave in both question orders (an order-inconsistent one is
    no claim). A cycle is broken by dropping its least confident edge (ties: first in name order); each
    removal is returned so it can be reported.
    """
    G = make_graph(nodes)
    for p in sorted(pairs.values(), key=lambda p: (p.source, p.target)):
        d = p.directed() if p.order_consistent is not False else None
        if d:
            add_edge(G, d[0], d[1], "-->", confidence=p.confidence)
    removed = []
    while True:
        try:
            cyc = nx.find_cycle(G)
        except nx.NetworkXNoCycle:
            break
        u, v = min(((u, v) for u, v, *_ in cyc), key=lambda e: (G.edges[e]["confidence"], e))
        G.remove_edge(u, v)
        removed.append({"source": u, "target": v, "reason": "broke a cycle (least confident edge in it)"})
    return G, removed


@dataclass
class Answers:
    """What the expert said, from an LLM or a reviewed priors file, and what the manifest records of it."""

    pairs: dict[frozenset, PairAnswer]
    confounders: dict[frozenset, list[dict]]
    records: list[dict] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_priors(cls, path: str | Path, ds: Dataset) -> Answers:
        """A reviewed ``priors.csv`` (``discover --priors``)."""
        pairs, confounders = read_priors(path, ds)
        return cls(pairs, confounders, manifest={"priors_file": {"path": str(path), "sha256": file_sha256(path)}})
