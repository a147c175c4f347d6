"""Every prompt causalllm sends, in one place, with a version number.

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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .data import parse_mapping
from .errors import ConfigError

__all__ = [
    "PROMPT_VERSION",
    "DIRECTION_ANSWERS",
    "Prompts",
    "DIRECTION_SCHEMA",
    "CONFOUNDER_SCHEMA",
    "load_prompts",
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

    def with_context(self, context: str | None) -> "Prompts":
        return replace(self, context=context)

    def _context_line(self) -> str:
        return f"Dataset context: {self.context}\n\n" if self.context else ""

    def direction(self, a: str, a_desc: str, b: str, b_desc: str, stats: str | None = None) -> list[dict]:
        """Messages asking whether A causes B, B causes A, neither, or unsure."""
        text = self.direction_template.format(
            context_line=self._context_line(), a=a, a_desc=a_desc or a, b=b, b_desc=b_desc or b,
            stats_line=f"\nData summary (no raw data): {stats}\n" if stats else "")
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
    digest = hashlib.sha256(json.dumps(kw, sort_keys=True).encode()).hexdigest()[:8]
    return Prompts(**kw, version=f"{PROMPT_VERSION}+custom-{digest}", context=context)
