"""LLM priors: ask a chat model, per pair, for the causal direction and for confounders.

:class:`LLMPriors` is an estimator: ``LLMPriors(model, strategy=...).fit(dataset, pc)`` asks
every question (through the SQLite cache, with bounded concurrency and a hard call budget)
and sets ``pairs_`` (one combined :class:`PairAnswer` per pair), ``confounders_``,
``answers_`` (one record per question, the lines of ``llm_answers.jsonl``) and ``stats_``.

Which pairs (``strategy``)
--------------------------
``skeleton`` (default): the pairs PC found adjacent. The data is strong on adjacency and weak
on orientation, and LLMs are weak on unrelated pairs (GPT-4 claims causation for about half of
them), so asking about non-adjacent pairs costs O(n²) calls to produce mostly false claims.
``all``: every pair (the LLM's own graph; needed for ``llm_only`` findings).
``undirected``: only the pairs PC left undirected (cheapest).

How answers combine
-------------------
Each pair is asked in both orders (A,B) and (B,A) — LLMs favour the first-named variable — and
``samples`` times per order. Votes are mapped to the pair's canonical order (data column
order): ``-->`` (source causes target), ``<--``, ``none`` or ``unsure``. The answer is the
plurality (ties broken by summed confidence); its confidence is the share of votes it got
times the mean confidence those votes reported, so order disagreement lowers it;
``order_consistent`` says whether both orders' pluralities agree. A reply that is not valid
JSON of the required shape gets one re-ask; then it is recorded ``invalid`` with its raw text.
A call that still fails after the retries is recorded ``unanswered``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import networkx as nx
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .cache import AnswerCache, cache_key
from .data import Dataset
from .errors import ConfigError, DataError, LLMError
from .graph import add_edge, make_graph, pair_key
from .prompts import CONFOUNDER_SCHEMA, DIRECTION_SCHEMA, Prompts

__all__ = [
    "ChatModel",
    "PairAnswer",
    "LLMPriors",
    "PRIORS_COLUMNS",
    "STRATEGIES",
    "read_priors",
    "priors_rows",
    "llm_graph",
    "parse_direction",
    "parse_confounders",
]

log = logging.getLogger("causalllm")

STRATEGIES = ("skeleton", "all", "undirected")
PRIORS_COLUMNS = ["source", "target", "answer", "confidence", "order_consistent", "rationale", "votes", "confounders",
                  "origin"]
ANSWERS = ("-->", "<--", "none", "unsure")


class ChatModel(Protocol):
    """What :class:`LLMPriors` needs of a model (``causalllm.llm.OpenAIChatModel`` or a test fake)."""

    identity: str
    model: str

    def complete(self, messages: list[dict], schema_name: str, schema: dict, *,
                 temperature: float | None = 0.0, seed: int | None = None) -> Any: ...


# ------------------------------------------------------------------ parsing

class _Direction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Literal["A->B", "B->A", "none", "unsure"]
    confidence: float = Field(ge=0, le=1)
    rationale: str


class _Confounder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    rationale: str = ""


class _Confounders(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confounders: list[_Confounder]


def _json_object(text: str) -> Any:
    t = (text or "").strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", t, re.S)
    if fence:
        t = fence.group(1)
    if not t.startswith("{"):
        raise ValueError("the reply is not a JSON object" + (f" (it starts: {t[:40]!r})" if t else " (it is empty)"))
    return json.loads(t)


def parse_direction(text: str) -> dict:
    """Strictly parse a direction reply; raises ValueError with a reason.

    Examples
    --------
    >>> parse_direction('{"answer": "A->B", "confidence": 0.9, "rationale": "Smoke harms lungs."}')["answer"]
    'A->B'
    >>> parse_direction("I cannot answer that.")
    Traceback (most recent call last):
    ...
    ValueError: the reply is not a JSON object (it starts: 'I cannot answer that.')
    """
    obj = _json_object(text)
    if isinstance(obj, dict) and isinstance(obj.get("answer"), str):
        a = obj["answer"].strip().replace(" ", "")
        obj["answer"] = {"a->b": "A->B", "b->a": "B->A"}.get(a.lower(), a.lower() if a.lower() in ("none", "unsure") else a)
    try:
        return _Direction.model_validate(obj).model_dump()
    except ValidationError as e:
        raise ValueError("; ".join(f"{'.'.join(map(str, er['loc']))}: {er['msg']}" for er in e.errors())) from None


def parse_confounders(text: str) -> list[dict]:
    """Strictly parse a confounders reply into ``[{name, rationale}]``."""
    obj = _json_object(text)
    try:
        return [c.model_dump() for c in _Confounders.model_validate(obj).confounders]
    except ValidationError as e:
        raise ValueError("; ".join(f"{'.'.join(map(str, er['loc']))}: {er['msg']}" for er in e.errors())) from None


# ------------------------------------------------------------------ results

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


@dataclass
class _Question:
    kind: str
    source: str  # canonical pair
    target: str
    first: str  # order asked
    second: str
    sample: int
    messages: list[dict]
    params: dict
    key: str = ""


def _combine(pair: tuple[str, str], records: list[dict]) -> PairAnswer:
    src, tgt = pair
    ok = [r for r in records if r["status"] == "ok"]
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


def _to_canonical(answer: str, first: str, source: str) -> str:
    if answer in ("none", "unsure"):
        return answer
    a_causes_b = answer == "A->B"
    first_is_source = first == source
    return "-->" if a_causes_b == first_is_source else "<--"


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _stats_line(ds: Dataset, pc: Any, a: str, b: str) -> str:
    """Summary statistics for ``--share-stats`` (never rows)."""
    parts = []
    x, y = ds.frame[a], ds.frame[b]
    if ds.types[a] == "continuous" and ds.types[b] == "continuous":
        parts.append(f"Pearson correlation r = {np.corrcoef(x.to_numpy(float), y.to_numpy(float))[0, 1]:.2f}")
    else:
        tab = pd.crosstab(x.astype(str), y.astype(str)).to_numpy(float)
        n = tab.sum()
        exp = tab.sum(1, keepdims=True) @ tab.sum(0, keepdims=True) / n
        chi2 = float(((tab - exp) ** 2 / np.where(exp > 0, exp, 1)).sum())
        k = min(tab.shape) - 1
        parts.append(f"Cramer's V = {np.sqrt(chi2 / (n * k)) if k > 0 else 0.0:.2f}")
    ev = getattr(pc, "evidence_", {}).get(pair_key(a, b)) if pc is not None else None
    if ev is not None:
        if ev.adjacent:
            parts.append(f"the data's CI tests found them dependent in every test (largest p = {ev.p_value:.3g})")
        else:
            parts.append(f"the data found them independent given {{{', '.join(ev.cond_set)}}} (p = {ev.p_value:.3g})")
    return "; ".join(parts)


# ------------------------------------------------------------------ the estimator

class LLMPriors:
    """Ask a chat model about pairs of variables.

    Parameters
    ----------
    model : ChatModel
        ``causalllm.llm.OpenAIChatModel`` (any OpenAI-compatible endpoint) or a test fake.
    strategy : {"skeleton", "all", "undirected"}
        Which pairs to ask about (see module docstring).
    samples : int
        Answers per order (self-consistency; sampled at temperature 0.7 when > 1).
    both_orders : bool
        Ask (A,B) and (B,A).
    confounders : {"skeleton", "all", "none"}
        Which pairs to ask for confounders.
    concurrency : int
        Requests in flight at most.
    max_calls : int, optional
        Hard budget of HTTP calls (re-asks included); the run stops cleanly when reached.
    cache : AnswerCache, optional
    prompts : Prompts, optional
    share_stats : bool
        Add summary statistics (correlation, CI-test p-value) to prompts. Off by default.
    seed : int
    show_progress : bool
        Progress bar on stderr.
    simulated : str, optional
        The simulated expert's profile, to label every answer as a simulation.
    pairs : list of (str, str), optional
        Ask exactly these pairs (overrides ``strategy``).

    Examples
    --------
    >>> LLMPriors(model=None).strategy
    'skeleton'
    """

    def __init__(self, model: ChatModel | None, *, strategy: str = "skeleton", samples: int = 1,
                 both_orders: bool = True, confounders: str = "skeleton", concurrency: int = 8,
                 max_calls: int | None = None, cache: AnswerCache | None = None, prompts: Prompts | None = None,
                 share_stats: bool = False, seed: int = 0, show_progress: bool = False,
                 simulated: str | None = None, pairs: list[tuple[str, str]] | None = None) -> None:
        self.model = model
        self.pairs = pairs
        self.strategy = strategy
        self.samples = samples
        self.both_orders = both_orders
        self.confounders = confounders
        self.concurrency = concurrency
        self.max_calls = max_calls
        self.cache = cache
        self.prompts = prompts
        self.share_stats = share_stats
        self.seed = seed
        self.show_progress = show_progress
        self.simulated = simulated

    # ---------------------------------------------------------- planning
    def _validate(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"unknown --strategy {self.strategy!r}; use one of {', '.join(STRATEGIES)}")
        if self.confounders not in ("skeleton", "all", "none"):
            raise ConfigError(f"unknown --confounders {self.confounders!r}; use skeleton, all or none")
        if self.samples < 1 or self.concurrency < 1:
            raise ConfigError("--samples and --concurrency must be at least 1")
        if self.max_calls is not None and self.max_calls < 0:
            raise ConfigError("--max-calls must be 0 or more")

    def select_pairs(self, ds: Dataset, pc: Any = None) -> list[tuple[str, str]]:
        """The pairs the strategy asks about, in canonical (column) order."""
        if self.pairs is not None:
            return [(a, b) for a, b in self.pairs]
        cols = ds.columns
        idx = {c: i for i, c in enumerate(cols)}
        if self.strategy == "all":
            return [(cols[i], cols[j]) for i in range(len(cols)) for j in range(i + 1, len(cols))]
        if pc is None:
            raise ConfigError(f"--strategy {self.strategy} needs PC's graph; run discover, or use --strategy all")
        out = []
        for u, v, d in pc.graph_.edges(data=True):
            if self.strategy == "undirected" and d["mark"] != "---":
                continue
            out.append(tuple(sorted((u, v), key=idx.__getitem__)))
        return sorted(out, key=lambda p: (idx[p[0]], idx[p[1]]))  # type: ignore[arg-type]

    def _confounder_pairs(self, ds: Dataset, pc: Any) -> list[tuple[str, str]]:
        if self.confounders == "none":
            return []
        if self.confounders == "all" or pc is None:
            cols = ds.columns
            return [(cols[i], cols[j]) for i in range(len(cols)) for j in range(i + 1, len(cols))] \
                if self.confounders == "all" else []
        idx = {c: i for i, c in enumerate(ds.columns)}
        return sorted((tuple(sorted((u, v), key=idx.__getitem__)) for u, v in pc.graph_.edges),  # type: ignore[misc]
                      key=lambda p: (idx[p[0]], idx[p[1]]))

    def plan(self, ds: Dataset, pc: Any = None) -> list[_Question]:
        """Every question the run would ask, with its cache key."""
        self._validate()
        prompts = (self.prompts or Prompts()).with_context(ds.context)
        identity = getattr(self.model, "identity", "none")
        model_name = getattr(self.model, "model", "none")
        qs: list[_Question] = []
        for a, b in self.select_pairs(ds, pc):
            stats = _stats_line(ds, pc, a, b) if self.share_stats else None
            orders = [(a, b), (b, a)] if self.both_orders else [(a, b)]
            for first, second in orders:
                for k in range(self.samples):
                    msgs = prompts.direction(first, ds.descriptions[first], second, ds.descriptions[second], stats)
                    params = {"temperature": 0.0 if self.samples == 1 else 0.7,
                              "seed": self.seed + k, "schema": "direction", "prompt_version": prompts.version}
                    qs.append(_Question("direction", a, b, first, second, k, msgs, params))
        for a, b in self._confounder_pairs(ds, pc):
            others = [c for c in ds.columns if c not in (a, b)]
            msgs = prompts.confounders(a, ds.descriptions[a], b, ds.descriptions[b], others)
            params = {"temperature": 0.0, "seed": self.seed, "schema": "confounders", "prompt_version": prompts.version}
            qs.append(_Question("confounders", a, b, a, b, 0, msgs, params))
        for q in qs:
            q.key = cache_key(identity, model_name, q.messages, q.params)
        self._prompts = prompts
        return qs

    def dry_run(self, ds: Dataset, pc: Any = None, price_per_1k: float | None = None) -> dict:
        """Pairs, calls and estimated tokens (and cost) without calling anything."""
        qs = self.plan(ds, pc)
        cached = sum(1 for q in qs if self.cache is not None and self.cache.get(q.key) is not None)
        prompt_tokens = sum(sum(len(m["content"]) for m in q.messages) // 4 for q in qs)
        completion_tokens = 60 * len(qs)
        pairs = sorted({(q.source, q.target) for q in qs if q.kind == "direction"})
        out: dict[str, Any] = {"pairs": len(pairs), "questions": len(qs), "cached": cached, "calls": len(qs) - cached,
               "estimated_prompt_tokens": prompt_tokens, "estimated_completion_tokens": completion_tokens,
               "pair_list": [f"{a} - {b}" for a, b in pairs]}
        if price_per_1k is not None:
            out["estimated_cost"] = round((prompt_tokens + completion_tokens) / 1000 * price_per_1k * (out["calls"] / max(1, len(qs))), 4)
        return out

    # ---------------------------------------------------------- asking
    def _ask_one(self, q: _Question, state: dict) -> dict:
        rec: dict[str, Any] = {"kind": q.kind, "source": q.source, "target": q.target, "asked_first": q.first,
                               "asked_second": q.second, "sample": q.sample, "cache_key": q.key,
                               "prompt_version": q.params["prompt_version"],
                               "model": getattr(self.model, "model", ""), "endpoint": getattr(self.model, "identity", "")}
        if self.simulated:
            rec["simulated"] = self.simulated
        parse = parse_direction if q.kind == "direction" else parse_confounders
        hit = self.cache.get(q.key) if self.cache is not None else None
        if hit is not None:
            rec.update(cached=True, status=hit["status"], raw=hit["raw"] if hit["status"] != "ok" else None,
                       prompt_tokens=0, completion_tokens=0)
            if hit["status"] == "ok":
                self._fill(rec, q, hit["parsed"])
            with state["lock"]:
                state["cache_hits"] += 1
            return rec
        rec["cached"] = False
        if state["stop"].is_set():
            rec.update(status="unanswered", error=state.get("stop_reason", "stopped"))
            return rec
        messages = list(q.messages)
        raw = ""
        error = ""
        tokens = [0, 0]
        latency = 0.0
        parsed: Any = None
        for attempt in range(2):  # the question, then at most one re-ask
            if not self._take_call(state):
                rec.update(status="unanswered", error="call budget (--max-calls) reached")
                state["budget_hit"] = True
                return rec
            try:
                comp = self.model.complete(messages, q.kind, DIRECTION_SCHEMA if q.kind == "direction" else CONFOUNDER_SCHEMA,  # type: ignore[union-attr]
                                           temperature=q.params["temperature"], seed=q.params["seed"])
            except LLMError as e:
                state["fatal"] = state.get("fatal") or e
                state["stop"].set()
                state["stop_reason"] = str(e)
                rec.update(status="unanswered", error=str(e))
                return rec
            except Exception as e:  # TransientLLMError and anything the endpoint threw at us
                rec.update(status="unanswered", error=" ".join(str(e).split())[:300] or e.__class__.__name__)
                with state["lock"]:
                    state["last_error"] = rec["error"]
                return rec
            rec["json_mode"] = comp.json_mode
            tokens[0] += comp.prompt_tokens
            tokens[1] += comp.completion_tokens
            latency += comp.latency_s
            raw = comp.text
            try:
                parsed = parse(raw)
                error = ""
                break
            except (ValueError, json.JSONDecodeError) as e:
                error = str(e)
                if attempt == 0:
                    with state["lock"]:
                        state["reasks"] += 1
                    messages = messages + [{"role": "assistant", "content": raw}, self._prompts.reask(error)]
        status = "ok" if parsed is not None else "invalid"
        rec.update(status=status, prompt_tokens=tokens[0], completion_tokens=tokens[1], latency_s=round(latency, 4))
        if status == "ok":
            self._fill(rec, q, parsed)
        else:
            rec.update(raw=raw, error=f"invalid reply after one re-ask: {error}")
        if self.cache is not None:
            self.cache.put(q.key, endpoint=getattr(self.model, "identity", ""), model=getattr(self.model, "model", ""),
                           request={"messages": q.messages, "params": q.params}, raw=raw, parsed=parsed,
                           status=status, prompt_tokens=tokens[0], completion_tokens=tokens[1], latency_s=latency,
                           prompt_version=q.params["prompt_version"], kind=q.kind)
        return rec

    def _fill(self, rec: dict, q: _Question, parsed: Any) -> None:
        if q.kind == "direction":
            rec.update(answer=parsed["answer"], confidence=float(parsed["confidence"]),
                       rationale=parsed["rationale"], canonical=_to_canonical(parsed["answer"], q.first, q.source))
        else:
            rec["confounders"] = parsed

    def _take_call(self, state: dict) -> bool:
        with state["lock"]:
            if self.max_calls is not None and state["calls"] >= self.max_calls:
                state["stop"].set()
                state["stop_reason"] = "call budget (--max-calls) reached"
                return False
            state["calls"] += 1
            return True

    def fit(self, ds: Dataset, pc: Any = None) -> "LLMPriors":
        """Ask every planned question; sets ``pairs_``, ``confounders_``, ``answers_``, ``stats_``."""
        from tqdm.auto import tqdm

        qs = self.plan(ds, pc)
        if self.model is None:
            raise ConfigError("no LLM configured")
        state: dict[str, Any] = {"lock": threading.Lock(), "stop": threading.Event(), "calls": 0, "cache_hits": 0,
                                 "reasks": 0}
        t0 = time.perf_counter()
        bar = tqdm(total=len(qs), desc="asking LLM", unit="q", file=sys.stderr, disable=not self.show_progress,
                   leave=False)
        results: list[dict] = [None] * len(qs)  # type: ignore[list-item]
        failed = 0

        def work(i: int) -> None:
            results[i] = self._ask_one(qs[i], state)

        pool = ThreadPoolExecutor(max_workers=self.concurrency)
        try:
            futures = [pool.submit(work, i) for i in range(len(qs))]
            for i, f in enumerate(futures):
                f.result()
                failed += results[i]["status"] == "unanswered"
                bar.update(1)
                bar.set_postfix(calls=state["calls"], cached=state["cache_hits"], failed=failed, refresh=False)
        except BaseException:
            # Ctrl-C or a crash: ask nothing more; answers already received are in the cache
            state["stop"].set()
            state["stop_reason"] = "interrupted"
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            bar.close()
        pool.shutdown(wait=True)
        wall = time.perf_counter() - t0
        self.answers_ = results
        answered = sum(1 for r in results if r["status"] in ("ok", "invalid"))
        if state.get("fatal") is not None and answered == 0:
            raise state["fatal"]
        if results and answered == 0 and not state.get("budget_hit") and self.max_calls != 0:
            raise LLMError(f"every LLM call failed; last error: {state.get('last_error', 'unknown')}")
        if state.get("fatal") is not None:
            raise state["fatal"]
        by_pair: dict[tuple[str, str], list[dict]] = {}
        conf: dict[frozenset, list[dict]] = {}
        cols = {_norm(c): c for c in ds.columns}
        for r in results:
            if r["kind"] == "direction":
                by_pair.setdefault((r["source"], r["target"]), []).append(r)
            elif r["status"] == "ok":
                items = []
                for c in r["confounders"]:
                    col = cols.get(_norm(c["name"]))
                    if col in (r["source"], r["target"]):
                        continue
                    items.append({"name": col or c["name"].strip(), "measured": col is not None,
                                  "rationale": c.get("rationale", "")})
                conf[pair_key(r["source"], r["target"])] = items
        self.pairs_: dict[frozenset, PairAnswer] = {pair_key(*p): _combine(p, recs) for p, recs in by_pair.items()}
        if self.simulated:
            for pa in self.pairs_.values():
                pa.origin = f"SIMULATED expert ({self.simulated})"
        self.confounders_ = conf
        self.stats_ = {
            "questions": len(qs), "calls": state["calls"], "cache_hits": state["cache_hits"],
            "reasks": state["reasks"], "failed": sum(1 for r in results if r["status"] == "unanswered"),
            "invalid": sum(1 for r in results if r["status"] == "invalid"),
            "prompt_tokens": sum(r.get("prompt_tokens", 0) or 0 for r in results),
            "completion_tokens": sum(r.get("completion_tokens", 0) or 0 for r in results),
            "wall_s": round(wall, 3), "budget_exhausted": bool(state.get("budget_hit")),
            "prompt_version": self._prompts.version,
        }
        if state.get("budget_hit"):
            log.warning("call budget of %s reached: %d question(s) left unanswered (answers so far are kept; "
                        "raise --max-calls and re-run to finish)", self.max_calls, self.stats_["failed"])
        return self

    def summary(self) -> str:
        """One line: calls, cache hits, tokens, wall time."""
        s = self.stats_
        return (f"LLM: {s['questions']} questions, {s['calls']} calls, {s['cache_hits']} cache hits, "
                f"{s['failed']} unanswered, {s['invalid']} invalid, "
                f"{s['prompt_tokens'] + s['completion_tokens']} tokens, {s['wall_s']:.1f} s")


# ------------------------------------------------------------------ priors files and the LLM's graph

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
    norm = {_norm(c): c for c in ds.columns}
    for i, (_, r) in enumerate(df.iterrows()):
        s, t, a = r["source"].strip(), r["target"].strip(), r["answer"].strip()
        line = i + 2
        if s not in cols or t not in cols:
            bad = s if s not in cols else t
            raise DataError(f"priors file {p} line {line}: {bad!r} is not a data column; fix the name")
        if a in ("->", "=>"):
            a = "-->"
        if a not in ANSWERS + ("invalid", "unanswered"):
            raise DataError(f"priors file {p} line {line}: answer {a!r} must be -->, <--, none or unsure")
        try:
            c = float(r.get("confidence") or 1.0)
        except ValueError:
            raise DataError(f"priors file {p} line {line}: confidence {r.get('confidence')!r} is not a number") from None
        if not 0 <= c <= 1:
            raise DataError(f"priors file {p} line {line}: confidence {c} must be between 0 and 1")
        if idx[s] > idx[t]:
            s, t = t, s
            a = {"-->": "<--", "<--": "-->"}.get(a, a)
        oc = str(r.get("order_consistent", "")).strip().lower()
        pairs[pair_key(s, t)] = PairAnswer(s, t, a, c, {"true": True, "false": False}.get(oc), r.get("rationale", ""),
                                           origin=r.get("origin") or "file")
        names = [x.strip() for x in str(r.get("confounders", "")).split(";") if x.strip()]
        if names:
            conf[pair_key(s, t)] = [{"name": norm.get(_norm(n), n), "measured": _norm(n) in norm, "rationale": ""}
                                    for n in names]
    return pairs, conf


def llm_graph(pairs: dict[frozenset, PairAnswer], nodes: list[str]) -> tuple[nx.DiGraph, list[dict]]:
    """The LLM's own graph: its direct-cause claims, cycles broken deterministically.

    A cycle is broken by dropping its least confident edge (ties: first in name order); each
    removal is returned so it can be reported.
    """
    G = make_graph(nodes)
    for p in sorted(pairs.values(), key=lambda p: (p.source, p.target)):
        d = p.directed()
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
