"""LLM priors: ask a chat model, per pair, for the causal direction and for confounders.

:class:`LLMPriors` is an estimator: ``LLMPriors(chat, strategy=...).fit(dataset, pc)`` asks
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
``order_consistent`` says whether both orders' pluralities agree (see
:func:`causalllm.expert.answers.combine_votes`). A reply that is not valid JSON of the required shape
gets one re-ask; then it is recorded ``invalid`` with its raw text. A call that still fails
after the retries (:class:`~causalllm.errors.TransientLLMError`) is recorded ``unanswered``;
an :class:`~causalllm.errors.LLMError` stops asking.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..errors import ConfigError, LLMError, TransientLLMError
from ..graph import pair_key
from .answers import Answers, PairAnswer, combine_votes, normalize_name
from .behaviour import behaviour_counts, is_template_text, screen_replies
from .cache import AnswerCache, cache_key
from .client import ChatModel, Completion
from .prompts import (
    CONFOUNDER_SCHEMA,
    DIRECTION_SCHEMA,
    PairSummary,
    Prompts,
    check_answer,
    parse_confounders,
    parse_direction,
)
from .registry import CONFOUNDER_MODES, DEFAULT_CONCURRENCY, STRATEGIES

__all__ = ["LLMPriors", "probe_memorisation"]

log = logging.getLogger("causalllm")


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


#: Longest reply kept in the cache and the answers file, or sent back in a re-ask (characters): a JSON answer
#: needs a few hundred; a longer reply is still read whole, its rationale cut by the reply contract.
MAX_REPLY = 20_000


def _capped(text: str) -> str:
    """A reply as it is kept: at most :data:`MAX_REPLY` characters, with a note of what was cut."""
    if len(text) <= MAX_REPLY:
        return text
    return f"{text[:MAX_REPLY]} [cut: the reply was {len(text)} characters long]"
#: Calls that may all fail, with no answer yet, before the asker decides the endpoint is gone.
GIVE_UP_AFTER = 8


@dataclass
class _AskState:
    """What the worker threads of one :meth:`LLMPriors.fit` share (every change under ``lock``)."""

    max_calls: int | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    stop_reason: str = "stopped"
    calls: int = 0
    cache_hits: int = 0
    reasks: int = 0
    budget_hit: bool = False
    fatal: LLMError | None = None
    last_error: str = "unknown"
    successes: int = 0
    failures_in_a_row: int = 0
    models: set = field(default_factory=set)  # the model names the server says answered

    def take_call(self) -> bool:
        """Count one call against the budget; False (and stop) once it is spent."""
        with self.lock:
            if self.max_calls is not None and self.calls >= self.max_calls:
                self.stop.set()
                self.stop_reason = "call budget (--max-calls) reached"
                self.budget_hit = True
                return False
            self.calls += 1
            return True

    def fail(self, e: LLMError) -> None:
        """A failure that makes every further call pointless: ask nothing more."""
        with self.lock:
            self.fatal = self.fatal or e
            self.stop_reason = str(e)
        self.stop.set()

    def count(self, what: str, error: str = "") -> None:
        with self.lock:
            if what == "hit":
                self.cache_hits += 1
            elif what == "reask":
                self.reasks += 1
            elif what == "error":
                self.last_error = error
                self.failures_in_a_row += 1
                # (nearly) every call failing, none ever answered: the endpoint is gone; stop asking
                if not self.successes and self.failures_in_a_row >= GIVE_UP_AFTER:
                    self.fatal = self.fatal or LLMError(f"the first {self.failures_in_a_row} calls all failed ({error})")
                    self.stop_reason = str(self.fatal)
                    self.stop.set()
            elif what == "success":
                self.successes += 1
                self.failures_in_a_row = 0


def _to_canonical(answer: str, first: str, source: str) -> str:
    if answer in ("none", "unsure"):
        return answer
    a_causes_b = answer == "A->B"
    first_is_source = first == source
    return "-->" if a_causes_b == first_is_source else "<--"


def _pair_summary(ds: Dataset, pc: Any, a: str, b: str) -> PairSummary:
    """The numbers ``--share-stats`` may put in a prompt (never rows): association and CI evidence."""
    if ds.types[a] == "continuous" and ds.types[b] == "continuous":
        if ds.stats is not None:  # a streamed table: its correlation matrix is all there is
            measure, value = "pearson", float(ds.stats.select([a, b]).corr()[0, 1])
        else:
            x, y = ds.rows("--share-stats")[a], ds.rows("--share-stats")[b]
            measure, value = "pearson", float(np.corrcoef(x.to_numpy(float), y.to_numpy(float))[0, 1])
    else:
        x, y = ds.rows("--share-stats")[a], ds.rows("--share-stats")[b]
        tab = pd.crosstab(x.astype(str), y.astype(str)).to_numpy(float)
        n = tab.sum()
        exp = tab.sum(1, keepdims=True) @ tab.sum(0, keepdims=True) / n
        chi2 = float(((tab - exp) ** 2 / np.where(exp > 0, exp, 1)).sum())
        k = min(tab.shape) - 1
        measure, value = "cramers_v", float(np.sqrt(chi2 / (n * k))) if k > 0 else 0.0
    ev = getattr(pc, "evidence_", {}).get(pair_key(a, b)) if pc is not None else None
    if ev is None:
        return PairSummary(measure, value)
    return PairSummary(measure, value, dependent=ev.adjacent, p_value=ev.p_value, cond_set=ev.cond_set)


class LLMPriors:
    """Ask a chat model about pairs of variables.

    Parameters
    ----------
    chat : ChatModel
        :class:`causalllm.expert.client.OpenAIChatModel` (any OpenAI-compatible endpoint) or a test fake;
        its ``model`` attribute is the model's name.
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
    >>> LLMPriors(chat=None).strategy
    'skeleton'
    """

    def __init__(self, chat: ChatModel | None, *, strategy: str = "skeleton", samples: int = 1,
                 both_orders: bool = True, confounders: str = "skeleton", concurrency: int = DEFAULT_CONCURRENCY,
                 max_calls: int | None = None, cache: AnswerCache | None = None, prompts: Prompts | None = None,
                 share_stats: bool = False, seed: int = 0, show_progress: bool = False,
                 simulated: str | None = None, pairs: list[tuple[str, str]] | None = None) -> None:
        self.chat = chat
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
        if self.confounders not in CONFOUNDER_MODES:
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
        return sorted(out, key=lambda p: (idx[p[0]], idx[p[1]]))

    def _confounder_pairs(self, ds: Dataset, pc: Any) -> list[tuple[str, str]]:
        if self.confounders == "none":
            return []
        if self.confounders == "all" or pc is None:
            cols = ds.columns
            return [(cols[i], cols[j]) for i in range(len(cols)) for j in range(i + 1, len(cols))] \
                if self.confounders == "all" else []
        idx = {c: i for i, c in enumerate(ds.columns)}
        return sorted((tuple(sorted((u, v), key=idx.__getitem__)) for u, v in pc.graph_.edges),
                      key=lambda p: (idx[p[0]], idx[p[1]]))

    def plan(self, ds: Dataset, pc: Any = None) -> list[_Question]:
        """Every question the run would ask, with its cache key."""
        self._validate()
        prompts = (self.prompts or Prompts()).with_context(ds.context)
        identity = getattr(self.chat, "identity", "none")
        model_name = getattr(self.chat, "model", "none")
        qs: list[_Question] = []
        for a, b in self.select_pairs(ds, pc):
            stats = _pair_summary(ds, pc, a, b) if self.share_stats else None
            orders = [(a, b), (b, a)] if self.both_orders else [(a, b)]
            for first, second in orders:
                for k in range(self.samples):
                    msgs = prompts.direction(ds.aliases.get(first, first), _described(ds, first),
                                             ds.aliases.get(second, second), _described(ds, second), stats)
                    params = {"temperature": 0.0 if self.samples == 1 else 0.7,
                              "seed": self.seed + k, "schema": "direction", "prompt_version": prompts.version}
                    qs.append(_Question("direction", a, b, first, second, k, msgs, params))
        for a, b in self._confounder_pairs(ds, pc):
            others = [ds.aliases.get(c, c) for c in ds.columns if c not in (a, b)]
            msgs = prompts.confounders(ds.aliases.get(a, a), _described(ds, a), ds.aliases.get(b, b), _described(ds, b),
                                       others)
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
               "re_asks": "not counted: at most one more call per invalid reply",
               "pair_list": [f"{a} - {b}" for a, b in pairs]}
        if price_per_1k is not None:
            share_uncached = out["calls"] / max(1, len(qs))
            out["estimated_cost"] = round((prompt_tokens + completion_tokens) / 1000 * price_per_1k * share_uncached, 4)
        return out

    # ---------------------------------------------------------- asking
    def _ask_one(self, q: _Question, state: _AskState) -> dict:
        """One question: from the cache, or asked (with at most one re-ask); its record, whatever happened."""
        rec: dict[str, Any] = {"kind": q.kind, "source": q.source, "target": q.target, "asked_first": q.first,
                               "asked_second": q.second, "sample": q.sample, "cache_key": q.key,
                               "prompt_version": q.params["prompt_version"],
                               "model": getattr(self.chat, "model", ""), "endpoint": getattr(self.chat, "identity", "")}
        if self.simulated:
            rec["simulated"] = self.simulated
        hit = self._cached(q)
        if hit is not None:
            rec.update(cached=True, status=hit["status"], raw=hit["raw"] if hit["status"] != "ok" else None,
                       prompt_tokens=0, completion_tokens=0)
            if hit["status"] == "ok":
                self._fill(rec, q, hit["parsed"])
            state.count("hit")
            return rec
        rec["cached"] = False
        if state.stop.is_set():
            rec.update(status="unanswered", error=state.stop_reason)
            return rec
        return self._asked(q, state, rec)

    def _cached(self, q: _Question) -> dict | None:
        """The cached answer to ``q`` if it still passes the reply contract (a row another version or a crafted
        import wrote may not): then it is a miss, and the question is asked again."""
        hit = self.cache.get(q.key) if self.cache is not None else None
        if hit is None or hit["status"] != "ok":
            return hit
        try:
            hit["parsed"] = check_answer(q.kind, hit["parsed"])
        except ValueError:
            return None
        return hit

    def _asked(self, q: _Question, state: _AskState, rec: dict[str, Any]) -> dict:
        """``q`` asked of the model: the question, then at most one re-ask of an unusable reply."""
        parse = parse_direction if q.kind == "direction" else parse_confounders
        messages = list(q.messages)
        raw, error, parsed = "", "", None
        tokens = [0, 0]
        latency = 0.0
        for attempt in range(2):
            comp = self._call(q, messages, state, rec)
            if comp is None:  # unanswered, or refused: the record says which
                return rec
            tokens[0] += comp.prompt_tokens
            tokens[1] += comp.completion_tokens
            latency += comp.latency_s
            raw = _capped(comp.text)  # what is kept and re-sent; the answer is read from the whole reply
            try:
                parsed = parse(comp.text)
                error = ""
                break
            except (ValueError, RecursionError) as e:  # RecursionError: JSON nested beyond reading
                error = " ".join(str(e).split())[:300] or e.__class__.__name__
                if attempt == 0:
                    state.count("reask")
                    messages = [*messages, {"role": "assistant", "content": raw}, self._prompts.reask(error)]
        status = "ok" if parsed is not None else "invalid"
        rec.update(status=status, prompt_tokens=tokens[0], completion_tokens=tokens[1], latency_s=round(latency, 4))
        if status == "ok":
            self._fill(rec, q, parsed)
        else:
            rec.update(raw=raw, error=f"invalid reply after one re-ask: {error}")
        if self.cache is not None:
            self.cache.put(q.key, endpoint=getattr(self.chat, "identity", ""), model=getattr(self.chat, "model", ""),
                           request={"messages": q.messages, "params": q.params}, raw=raw, parsed=parsed,
                           status=status, prompt_tokens=tokens[0], completion_tokens=tokens[1], latency_s=latency,
                           prompt_version=q.params["prompt_version"], kind=q.kind)
        return rec

    def _call(self, q: _Question, messages: list[dict], state: _AskState, rec: dict[str, Any]) -> Completion | None:
        """One call within the budget: its completion, or None with ``rec`` saying why (unanswered, refused)."""
        chat = self.chat
        assert chat is not None  # fit() checked
        if not state.take_call():
            rec.update(status="unanswered", error="call budget (--max-calls) reached")
            return None
        try:
            comp = chat.complete(messages, q.kind, DIRECTION_SCHEMA if q.kind == "direction" else CONFOUNDER_SCHEMA,
                                 temperature=q.params["temperature"], seed=q.params["seed"])
        except TransientLLMError as e:  # this question stays unanswered; the run goes on
            rec.update(status="unanswered", error=" ".join(str(e).split())[:300] or e.__class__.__name__)
            state.count("error", rec["error"])
            return None
        except LLMError as e:
            state.fail(e)
            rec.update(status="unanswered", error=str(e))
            return None
        state.count("success")
        rec["json_mode"] = comp.json_mode
        if comp.model:
            rec["model_answered"] = comp.model
            with state.lock:
                state.models.add(comp.model)
        if comp.refusal is not None:  # the model declined: recorded as a refusal, not as garbage
            rec.update(status="refused", refusal=comp.refusal, prompt_tokens=comp.prompt_tokens,
                       completion_tokens=comp.completion_tokens, latency_s=round(comp.latency_s, 4))
            return None
        return comp

    def _fill(self, rec: dict, q: _Question, parsed: Any) -> None:
        if q.kind == "direction":
            rec.update(answer=parsed["answer"], confidence=float(parsed["confidence"]),
                       rationale=parsed["rationale"], canonical=_to_canonical(parsed["answer"], q.first, q.source))
        else:
            rec["confounders"] = parsed

    def fit(self, ds: Dataset, pc: Any = None) -> LLMPriors:
        """Ask every planned question; sets ``pairs_``, ``confounders_``, ``answers_``, ``stats_``."""
        qs = self.plan(ds, pc)
        if self.chat is None:
            raise ConfigError("no LLM configured")
        state = _AskState(max_calls=self.max_calls)
        t0 = time.perf_counter()
        results = self._ask_all(qs, state)
        wall = time.perf_counter() - t0
        self.answers_ = results
        if state.fatal is not None:
            # not raised: every answer received is kept, the run writes its outputs and then fails loudly
            log.error("asking stopped: %s; the questions left are recorded unanswered", state.fatal)
        flags = screen_replies(results)  # behaviour across the replies: each unusable one becomes invalid
        by_pair: dict[tuple[str, str], list[dict]] = {}
        for i, r in enumerate(results):
            if r["kind"] == "direction":
                rec = {**r, "status": "invalid", "error": flags[i]} if i in flags else r
                by_pair.setdefault((r["source"], r["target"]), []).append(rec)
        self.pairs_: dict[frozenset, PairAnswer] = {pair_key(*p): combine_votes(p, recs) for p, recs in by_pair.items()}
        if self.simulated:
            for pa in self.pairs_.values():
                pa.origin = f"SIMULATED expert ({self.simulated})"
        self.confounders_ = _confounders(results, ds.columns, ds.aliases)
        self.stats_: dict[str, Any] = {
            "questions": len(qs), "calls": state.calls, "cache_hits": state.cache_hits,
            "reasks": state.reasks, "failed": sum(1 for r in results if r["status"] == "unanswered"),
            "invalid": sum(1 for r in results if r["status"] == "invalid"),
            "prompt_tokens": sum(r.get("prompt_tokens", 0) or 0 for r in results),
            "completion_tokens": sum(r.get("completion_tokens", 0) or 0 for r in results),
            "wall_s": round(wall, 3), "budget_exhausted": state.budget_hit,
            "prompt_version": self._prompts.version, "refused": sum(1 for r in results if r["status"] == "refused"),
            "models_answered": sorted(state.models), "stopped": str(state.fatal) if state.fatal else None,
            "last_error": state.last_error if state.last_error != "unknown" else None,
            "behaviour": behaviour_counts(results, flags),
        }
        if flags:
            log.warning("%d of %d replies are unusable and change nothing in the graph: %s", len(flags), len(results),
                        "; ".join(sorted(set(flags.values()))))
        if state.budget_hit:
            log.warning("call budget of %s reached: %d question(s) left unanswered (answers so far are kept; "
                        "raise --max-calls and re-run to finish)", self.max_calls, self.stats_["failed"])
        return self

    def _ask_all(self, qs: list[_Question], state: _AskState) -> list[dict]:
        """Every question, ``concurrency`` at a time, with a progress bar; a Ctrl-C stops asking at once."""
        from tqdm.auto import tqdm

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
                bar.set_postfix(calls=state.calls, cached=state.cache_hits, failed=failed, refresh=False)
        except BaseException:
            # Ctrl-C or a crash: ask nothing more; answers already received are in the cache
            state.stop.set()
            state.stop_reason = "interrupted"
            cancel = getattr(self.chat, "cancel", None)
            if cancel is not None:
                cancel()  # requests in flight end now, not after their timeout
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            bar.close()
        pool.shutdown(wait=True)
        return results

    def answers(self) -> Answers:
        """What this fitted asker was told, as the merge reads it (and what the manifest records of it)."""
        manifest: dict[str, Any] = {
            "llm_stats": self.stats_,
            "llm_options": {"strategy": self.strategy, "samples": self.samples, "both_orders": self.both_orders,
                            "confounders": self.confounders, "concurrency": self.concurrency,
                            "max_calls": self.max_calls, "share_stats": self.share_stats},
            "prompt_version": self.stats_["prompt_version"]}
        if self.simulated:
            manifest["simulated"] = self.simulated
        manifest["llm_summary"] = self.summary()
        return Answers(self.pairs_, self.confounders_, self.answers_, manifest)

    def summary(self) -> str:
        """One line: calls, cache hits, tokens, wall time."""
        s = self.stats_
        return (f"LLM: {s['questions']} questions, {s['calls']} calls, {s['cache_hits']} cache hits, "
                f"{s['failed']} unanswered, {s['invalid']} invalid, "
                f"{s['prompt_tokens'] + s['completion_tokens']} tokens, {s['wall_s']:.1f} s")


def _described(ds: Dataset, c: str) -> str:
    """What a prompt says of a column: its description, never a name the screen replaced."""
    d = ds.descriptions[c]
    return ds.aliases.get(c, c) if d == c else d


def _confounders(results: list[dict], columns: list[str], aliases: dict[str, str] | None = None
                 ) -> dict[frozenset, list[dict]]:
    """The suggested confounders per pair, each matched to a column by name or alias (measured) or kept as latent."""
    conf: dict[frozenset, list[dict]] = {}
    cols = {normalize_name(c): c for c in columns}
    cols.update({normalize_name(a): c for c, a in (aliases or {}).items()})
    for r in results:
        if r["kind"] == "direction" or r["status"] != "ok":
            continue
        items = []
        for c in r["confounders"]:
            col = cols.get(normalize_name(c["name"]))
            if col in (r["source"], r["target"]) or (col is None and is_template_text(c["name"])):
                continue  # the pair itself, or the template's placeholder ("short name") copied
            items.append({"name": col or c["name"].strip(), "measured": col is not None,
                          "rationale": c.get("rationale", "")})
        conf[pair_key(r["source"], r["target"])] = items
    return conf


def probe_memorisation(asker: LLMPriors, ds: Dataset, k: int, *, seed: int = 0) -> dict[str, Any]:
    """Re-ask ``k`` answered pairs with the variables disguised, and count the answers that change.

    The disguise hides everything an LLM could have memorised: each variable becomes ``X<i>``
    (its column position), its description only its kind ("a continuous variable"), and the
    dataset's context is left out. An answer that survives the disguise rests on what the prompt
    shows; one that changes rested on the names — recall of a known relation (or of a wrong
    belief) rather than reasoning the analyst can check. Pairs are drawn at random (``seed``)
    among those with a directional or "none" answer; the probe is asked like the run (same
    model, cache, both orders).

    Returns ``{"pairs", "changed", "share_changed", "items": [...]}``; each item gives the pair,
    the original and the disguised answer (read from ``source`` to ``target``).
    """
    if k < 1:
        raise ConfigError(f"--probe-memorisation needs at least 1 pair, got {k}")
    answered = sorted((p for p in asker.pairs_.values() if p.answer in ("-->", "<--", "none")),
                      key=lambda p: (ds.columns.index(p.source), ds.columns.index(p.target)))
    rng = np.random.default_rng(seed)
    chosen = [answered[i] for i in sorted(rng.choice(len(answered), size=min(k, len(answered)), replace=False))] \
        if answered else []
    alias = {c: f"X{i + 1}" for i, c in enumerate(ds.columns)}
    kinds = {"continuous": "a continuous variable", "discrete": "a discrete (categorical) variable"}
    disguised = Dataset(frame=None, types={alias[c]: t for c, t in ds.types.items()},
                        descriptions={alias[c]: kinds.get(t, "a variable") for c, t in ds.types.items()},
                        name=f"{ds.name} (disguised)", context=None)
    items: list[dict[str, Any]] = []
    if chosen:
        probe = LLMPriors(asker.chat, pairs=[(alias[p.source], alias[p.target]) for p in chosen], confounders="none",
                          samples=asker.samples, both_orders=asker.both_orders, concurrency=asker.concurrency,
                          cache=asker.cache, prompts=asker.prompts, seed=asker.seed, simulated=asker.simulated)
        probe.fit(disguised)
        for p in chosen:
            q = probe.pairs_.get(pair_key(alias[p.source], alias[p.target]))
            masked = q.answer if q is not None else "unanswered"
            items.append({"source": p.source, "target": p.target, "answer": p.answer, "disguised_answer": masked,
                          "changed": masked != p.answer})
    changed = sum(1 for i in items if i["changed"])
    return {"pairs": len(items), "changed": changed, "share_changed": round(changed / len(items), 4) if items else None,
            "disguise": "names X<i> by column position, descriptions reduced to the variable's kind, no context",
            "items": items}
