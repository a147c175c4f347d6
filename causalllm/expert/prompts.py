"""Every prompt causalllm sends and the reply contract that goes with it, in one place, versioned.

The prompt and its contract live together so they cannot drift apart: the templates, the JSON
schemas sent as ``response_format``, the strict parsers of the replies
(:func:`parse_direction`, :func:`parse_confounders`), and :meth:`Prompts.parse_question`, which
reads a question back out of the messages by inverting the templates in use (the simulated
expert answers with it, so a ``--prompts`` override that rewords a template still works).

Change any text here and bump :data:`PROMPT_VERSION`: the version is recorded in every
answer, cache entry and manifest, and the cache key includes the full prompt text, so old
answers are never mixed with new prompts. Users override the templates with
``--prompts FILE`` (YAML or JSON with any of the keys ``system``, ``direction``,
``confounders``, ``reask``); the version then becomes ``PROMPT_VERSION+custom-<hash>``.

Only names, descriptions, the optional dataset context and (with ``--share-stats``) summary
statistics are ever placed in a prompt — never data rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import string
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..data.variables import parse_mapping
from ..errors import ConfigError

log = logging.getLogger("causalllm")

__all__ = [
    "CONFOUNDER_SCHEMA",
    "DIRECTION_ANSWERS",
    "DIRECTION_SCHEMA",
    "PROMPT_VERSION",
    "AskedQuestion",
    "PairSummary",
    "Prompts",
    "check_answer",
    "describe_stats",
    "load_prompts",
    "parse_confounders",
    "parse_direction",
]

PROMPT_VERSION = "3"

#: Allowed values of ``answer`` in a direction reply, relative to the (A, B) order asked.
DIRECTION_ANSWERS = ("A->B", "B->A", "none", "unsure")

SYSTEM = (
    "You are an expert scientist helping an analyst build a causal graph. You reason from "
    "domain knowledge only, carefully distinguish direct causation from indirect effects and "
    "mere association, and say 'unsure' rather than guess. Reply with a single JSON object and nothing else."
)

DIRECTION = """{context_line}Consider two variables measured in the same dataset.

Variable A: {a}
Description of A: {a_desc}
Variable B: {b}
Description of B: {b_desc}
{stats_line}
Which statement is most likely true?
- "A->B": A directly causes B (not only through other variables of this kind).
- "B->A": B directly causes A.
- "none": there is no direct causal relation between A and B (they may still be associated through other variables).
- "unsure": you cannot tell.

Reply with JSON: {{"answer": "A->B" | "B->A" | "none" | "unsure", "confidence": a number from 0 to 1, "rationale": "one or two sentences"}}"""

CONFOUNDERS = """{context_line}Consider two variables measured in the same dataset.

Variable A: {a}
Description of A: {a_desc}
Variable B: {b}
Description of B: {b_desc}

Other measured variables: {others}

Which common causes (confounders) may influence both A and B? List measured variables by their exact name, and unmeasured factors by a short name. List at most 5; an empty list is a valid answer.

Reply with JSON: {{"confounders": [{{"name": "short name", "rationale": "one sentence"}}]}}"""

REASK = ("Your previous reply could not be used: {error}. Reply again with only the JSON object described, "
         "with no other text.")

DIRECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string", "enum": list(DIRECTION_ANSWERS)},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "rationale": {"type": "string"},
    },
    "required": ["answer", "confidence", "rationale"],
    "additionalProperties": False,
}

CONFOUNDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "confounders": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "rationale": {"type": "string"}},
                "required": ["name", "rationale"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["confounders"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class PairSummary:
    """What ``--share-stats`` may tell the LLM about a pair: numbers, never rows.

    ``measure`` is ``pearson`` (two continuous columns) or ``cramers_v``; ``dependent`` says
    whether PC's CI tests kept the pair adjacent (None: no test ran), with the largest p-value
    and, for a separated pair, the conditioning set of that test.
    """

    measure: str
    value: float
    dependent: bool | None = None
    p_value: float | None = None
    cond_set: tuple[str, ...] = ()


def describe_stats(s: PairSummary) -> str:
    """The sentence a prompt carries for ``s``.

    Examples
    --------
    >>> describe_stats(PairSummary("pearson", 0.4, dependent=False, p_value=0.31, cond_set=("age",)))
    'Pearson correlation r = 0.40; the data found them independent given {age} (p = 0.31)'
    """
    parts = [f"Pearson correlation r = {s.value:.2f}" if s.measure == "pearson" else f"Cramer's V = {s.value:.2f}"]
    if s.dependent is True:
        parts.append(f"the data's CI tests found them dependent in every test (largest p = {s.p_value:.3g})")
    elif s.dependent is False:
        parts.append(f"the data found them independent given {{{', '.join(s.cond_set)}}} (p = {s.p_value:.3g})")
    return "; ".join(parts)


# ------------------------------------------------------------------ the reply contract

class _Direction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Literal["A->B", "B->A", "none", "unsure"]
    # strict: a JSON number, never true or "0.9" (the schema says number; a lenient reading would invent one)
    confidence: float = Field(ge=0, le=1, strict=True)
    rationale: str = Field(strict=True)


class _Confounder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    rationale: str = ""


class _Confounders(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confounders: list[_Confounder]


#: Longest rationale kept (characters); more is cut with a note. The prompt asks for one or two sentences.
MAX_RATIONALE = 600
#: Most confounders kept per pair; the prompt asks for at most 5.
MAX_CONFOUNDERS = 5
_THINK = re.compile(r"^\s*<think>.*?</think>\s*", re.S | re.I)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*(.*?)\s*```$", re.S)


def _json_object(text: str) -> Any:
    """The one JSON object in a reply, as real models send it: after a reasoning model's
    ``<think>...</think>``, inside a code fence of any case, or with words around it. Two objects,
    or none, is ambiguous: a ValueError (and the question is asked again)."""
    t = _THINK.sub("", text or "").strip()
    fence = _FENCE.match(t)
    if fence:
        t = fence.group(1).strip()
    found: list[dict] = []
    decoder = json.JSONDecoder()
    i = t.find("{")
    while i != -1 and len(found) < 2:
        try:
            obj, end = decoder.raw_decode(t, i)
        except ValueError:
            i = t.find("{", i + 1)
            continue
        if isinstance(obj, dict):
            found.append(obj)
        i = t.find("{", end)
    if len(found) == 1:
        return found[0]
    if found:
        raise ValueError("the reply holds more than one JSON object; answer with exactly one")
    raise ValueError("the reply is not a JSON object" + (f" (it starts: {t[:40]!r})" if t else " (it is empty)"))


def _validation_message(e: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, er['loc']))}: {er['msg']}" for er in e.errors())


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
    return check_answer("direction", _json_object(text))


def check_answer(kind: str, obj: Any) -> Any:
    """A reply's JSON object checked against the reply contract of ``kind`` (``direction``: the answer dict;
    ``confounders``: the list of ``{name, rationale}``); raises ValueError with a reason. What a cache row or
    an import holds passes here too.

    Examples
    --------
    >>> check_answer("direction", {"answer": "A->B", "confidence": True, "rationale": ""})
    Traceback (most recent call last):
    ...
    ValueError: confidence: Input should be a valid number
    """
    if kind == "confounders":
        return _confounder_items(obj)
    note = ""
    if isinstance(obj, dict) and isinstance(obj.get("answer"), str):
        obj = dict(obj)
        a = obj["answer"].strip().replace(" ", "")
        obj["answer"] = {"a->b": "A->B", "b->a": "B->A"}.get(a.lower(), a.lower() if a.lower() in ("none", "unsure") else a)
        obj["confidence"], note = _clip(obj.get("confidence"))
    try:
        out = _Direction.model_validate(obj).model_dump()
    except ValidationError as e:
        raise ValueError(_validation_message(e)) from None
    out["rationale"] = _cap(out["rationale"])
    if note:
        out["rationale"] = f"{out['rationale']} [{note}]".strip()
    return out


def _clip(confidence: Any) -> tuple[Any, str]:
    """A confidence outside [0, 1] read as its nearest bound, with a note: grammar-constrained servers
    (llama.cpp) do not enforce the schema's ``maximum``, and a re-ask costs a call to get the same number
    back. Anything that is not a finite JSON number is left for the contract to refuse."""
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not math.isfinite(confidence):
        return confidence, ""
    if 0 <= confidence <= 1:
        return confidence, ""
    bound = 1.0 if confidence > 1 else 0.0
    return bound, f"confidence {confidence:g} outside 0-1, read as {bound:g}"


def _cap(text: str) -> str:
    return text if len(text) <= MAX_RATIONALE else text[:MAX_RATIONALE] + " [cut: longer than 600 characters]"


def parse_confounders(text: str) -> list[dict]:
    """Strictly parse a confounders reply into ``[{name, rationale}]``.

    Examples
    --------
    >>> parse_confounders('{"confounders": [{"name": "age", "rationale": "older people..."}]}')[0]["name"]
    'age'
    """
    return check_answer("confounders", _json_object(text))


def _confounder_items(obj: Any) -> list[dict]:
    """A confounders reply checked: its items (at most :data:`MAX_CONFOUNDERS`), rationales capped."""
    if isinstance(obj, list):  # a stored answer keeps the items only
        obj = {"confounders": obj}
    try:
        items = [c.model_dump() for c in _Confounders.model_validate(obj).confounders]
    except ValidationError as e:
        raise ValueError(_validation_message(e)) from None
    if len(items) > MAX_CONFOUNDERS:
        log.warning("an answer named %d confounders; the first %d are kept (the prompt asks for at most %d)",
                    len(items), MAX_CONFOUNDERS, MAX_CONFOUNDERS)
    return [dict(c, rationale=_cap(c.get("rationale", ""))) for c in items[:MAX_CONFOUNDERS]]


@dataclass(frozen=True)
class AskedQuestion:
    """A question read back from its messages: its kind, the two variables in the order asked, the others."""

    kind: Literal["direction", "confounders"]
    a: str
    b: str
    others: tuple[str, ...] = ()


def _template_regex(template: str) -> re.Pattern[str]:
    """A regex matching exactly the texts ``template.format(...)`` produces, one group per placeholder."""
    parts = []
    seen: set[str] = set()
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is None:
            continue
        if name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            parts.append(f"(?P<{name}>.*?)")
    return re.compile("".join(parts), re.S)


@dataclass(frozen=True)
class Prompts:
    """The templates in use and their version.

    Examples
    --------
    >>> p = Prompts()
    >>> msgs = p.direction("smoking", "Cigarettes per day", "cancer", "Lung cancer diagnosis")
    >>> msgs[0]["role"], "Variable A: smoking" in msgs[1]["content"]
    ('system', True)
    """

    system: str = SYSTEM
    direction_template: str = DIRECTION
    confounders_template: str = CONFOUNDERS
    reask_template: str = REASK
    version: str = PROMPT_VERSION
    context: str | None = None
    _regexes: dict[str, re.Pattern[str]] = field(default_factory=dict, repr=False, compare=False)

    def with_context(self, context: str | None) -> Prompts:
        return replace(self, context=context)

    def _context_line(self) -> str:
        return f"Dataset context: {self.context}\n\n" if self.context else ""

    def direction(self, a: str, a_desc: str, b: str, b_desc: str, stats: PairSummary | None = None) -> list[dict]:
        """Messages asking whether A causes B, B causes A, neither, or unsure (with ``stats`` if shared)."""
        text = self.direction_template.format(
            context_line=self._context_line(), a=a, a_desc=a_desc or a, b=b, b_desc=b_desc or b,
            stats_line=f"\nData summary (no raw data): {describe_stats(stats)}\n" if stats else "")
        return [{"role": "system", "content": self.system}, {"role": "user", "content": text}]

    def confounders(self, a: str, a_desc: str, b: str, b_desc: str, others: list[str]) -> list[dict]:
        """Messages asking for common causes of A and B."""
        text = self.confounders_template.format(
            context_line=self._context_line(), a=a, a_desc=a_desc or a, b=b, b_desc=b_desc or b,
            others=", ".join(others) if others else "(none)")
        return [{"role": "system", "content": self.system}, {"role": "user", "content": text}]

    def reask(self, error: str) -> dict:
        """The one follow-up message after an unusable reply."""
        return {"role": "user", "content": self.reask_template.format(error=error)}

    def parse_question(self, messages: list[dict]) -> AskedQuestion | None:
        """Read the question back out of ``messages`` (the first user message), or None.

        Inverts the templates in use, so it reads any wording a ``--prompts`` file gives them.

        Examples
        --------
        >>> p = Prompts()
        >>> p.parse_question(p.direction("smoking", "Cigarettes per day", "cancer", "Lung cancer"))
        AskedQuestion(kind='direction', a='smoking', b='cancer', others=())
        >>> q = p.parse_question(p.confounders("a", "", "b", "", ["c", "d"]))
        >>> q.kind, q.others
        ('confounders', ('c', 'd'))
        """
        text = next((str(m.get("content", "")) for m in messages if m.get("role") == "user"), None)
        if text is None:
            return None
        for kind, template in (("confounders", self.confounders_template), ("direction", self.direction_template)):
            rx = self._regexes.get(kind)
            if rx is None:
                rx = self._regexes[kind] = _template_regex(template)
            m = rx.fullmatch(text)
            if m is None:
                continue
            groups = m.groupdict()
            others = groups.get("others") or ""
            names = tuple(o.strip() for o in others.split(",")) if others and others != "(none)" else ()
            return AskedQuestion(kind, groups["a"], groups["b"], names)  # type: ignore[arg-type]
        return None


def load_prompts(path: str | Path | None = None, context: str | None = None) -> Prompts:
    """Default prompts, or the templates in a YAML/JSON override file."""
    if path is None:
        return Prompts(context=context)
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"prompts file {p} does not exist; check --prompts")
    text = p.read_text(encoding="utf-8")
    try:
        obj = parse_mapping(text, p.suffix)
    except ValueError as e:
        raise ConfigError(f"prompts file {p} is not valid YAML/JSON ({e})") from None
    if not isinstance(obj, dict):
        raise ConfigError(f"prompts file {p} must map keys (system, direction, confounders, reask) to texts")
    allowed = {"system", "direction", "confounders", "reask"}
    unknown = set(obj) - allowed
    if unknown:
        raise ConfigError(f"prompts file {p} has unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}")
    base = Prompts()
    kw = {"system": obj.get("system", base.system),
          "direction_template": obj.get("direction", base.direction_template),
          "confounders_template": obj.get("confounders", base.confounders_template),
          "reask_template": obj.get("reask", base.reask_template)}
    for name, tpl in kw.items():
        try:
            str(tpl).format(context_line="", a="a", a_desc="", b="b", b_desc="", stats_line="", others="", error="")
        except (KeyError, IndexError, ValueError) as e:
            raise ConfigError(f"prompts file {p}: template '{name}' has an unknown placeholder or stray brace ({e}); "
                              "use {a} {a_desc} {b} {b_desc} {context_line} {stats_line} {others} {error}, and {{ }} for braces") from None
    for name in ("direction_template", "confounders_template"):
        fields = {f for _, f, _, _ in string.Formatter().parse(str(kw[name])) if f}
        if not {"a", "b"} <= fields:
            raise ConfigError(f"prompts file {p}: template '{name.split('_')[0]}' must name both variables with "
                              "{a} and {b}")
    digest = hashlib.sha256(json.dumps(kw, sort_keys=True).encode()).hexdigest()[:8]
    return Prompts(**kw, version=f"{PROMPT_VERSION}+custom-{digest}", context=context)
