"""The analyst's background knowledge: tiers (temporal order), required and forbidden edges.

``--knowledge FILE`` (YAML/JSON, or CSV) is read into a :class:`Knowledge`. It is applied where
the graph is made — PC runs with it (causal-learn's background knowledge, on the engine's own
test) and the merge never draws an arrow it forbids and draws every arrow it requires first —
then verified in the output, every violation listed. It outranks the LLM: an LLM answer that
contradicts it is not used (the decision says so).

YAML/JSON::

    tiers:                      # earlier tiers cannot be caused by later ones
      - [age, sex]
      - [smoking]
      - [cancer, dyspnoea]
    forbid_within_tiers: false  # true: no edge between two variables of one tier
    required: [[smoking, cancer]]
    forbidden: [[dyspnoea, smoking]]

CSV: ``kind,source,target`` rows with ``kind`` ``required`` or ``forbidden``, and ``tier`` rows
whose ``source`` is a variable and ``target`` its tier number (0 first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..errors import DataError

__all__ = ["Knowledge", "read_knowledge"]


@dataclass(frozen=True)
class Knowledge:
    """Tiers, required and forbidden directed edges.

    Examples
    --------
    >>> k = Knowledge(tiers=(("age",), ("smoking", "coffee")), required=(("smoking", "cancer"),))
    >>> sorted(k.forbidden_edges())
    [('coffee', 'age'), ('smoking', 'age')]
    """

    tiers: tuple[tuple[str, ...], ...] = ()
    forbid_within_tiers: bool = False
    required: tuple[tuple[str, str], ...] = ()
    forbidden: tuple[tuple[str, str], ...] = field(default=())
    source: str = ""

    @cached_property
    def _forbid(self) -> frozenset[tuple[str, str]]:
        return frozenset(self.forbidden_edges())

    def direction(self, a: str, b: str) -> tuple[str, str] | None:
        """The direction the knowledge sets for the pair ``a``–``b`` (required, or the only one it allows), or None.

        Examples
        --------
        >>> Knowledge(tiers=(("age",), ("cancer",))).direction("cancer", "age")
        ('age', 'cancer')
        """
        for u, v in ((a, b), (b, a)):
            if (u, v) in self.required:
                return (u, v)
        ab, ba = (a, b) in self._forbid, (b, a) in self._forbid
        if ab != ba:
            return (b, a) if ab else (a, b)
        return None

    def forbidden_edges(self) -> list[tuple[str, str]]:
        """Every forbidden directed edge: the listed ones, later tier → earlier tier, and within tiers if asked."""
        out = list(self.forbidden)
        for i, later in enumerate(self.tiers):
            for earlier in self.tiers[:i]:
                out += [(b, a) for b in later for a in earlier]
            if self.forbid_within_tiers:
                out += [(a, b) for a in later for b in later if a != b]
        return list(dict.fromkeys(out))

    def allows(self, a: str, b: str) -> bool:
        """Whether ``a --> b`` is allowed."""
        return (a, b) not in self._forbid

    def names(self) -> set[str]:
        return {n for t in self.tiers for n in t} | {n for e in (*self.required, *self.forbidden) for n in e}

    def check(self, columns: Sequence[str]) -> None:
        """A one-line error for names that are not columns, and for knowledge that contradicts itself."""
        unknown = sorted(self.names() - set(columns))
        if unknown:
            raise DataError(f"knowledge file {self.source} names {', '.join(unknown[:6])}, not columns of the data; "
                            "fix the names")
        clash = [e for e in self.required if e in set(self.forbidden_edges())]
        if clash:
            a, b = clash[0]
            raise DataError(f"knowledge file {self.source} both requires and forbids {a} -> {b} (check the tiers)")


def _pairs(value: object, what: str, path: Path) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        raise DataError(f"knowledge file {path}: '{what}' must be a list of [source, target] pairs")
    return tuple((str(a).strip(), str(b).strip()) for a, b in value)


def read_knowledge(path: str | Path) -> Knowledge:
    """Read a knowledge file (YAML/JSON mapping, or a ``kind,source,target`` CSV).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "k.yaml")
    >>> _ = open(p, "w").write("tiers: [[a], [b, c]]\\nrequired: [[b, c]]\\n")
    >>> read_knowledge(p).tiers
    (('a',), ('b', 'c'))
    """
    from .variables import parse_mapping

    path = Path(path)
    if not path.exists():
        raise DataError(f"knowledge file {path} does not exist; check the path")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        try:
            obj = parse_mapping(text, path.suffix)
        except ValueError as e:
            raise DataError(f"knowledge file {path} is not valid {path.suffix[1:].upper()} ({e}); fix its syntax") from None
        if not isinstance(obj, dict) or set(obj) - {"tiers", "forbid_within_tiers", "required", "forbidden"}:
            raise DataError(f"knowledge file {path} must be a mapping with tiers, forbid_within_tiers, required, "
                            "forbidden")
        tiers = obj.get("tiers") or []
        if not isinstance(tiers, list) or not all(isinstance(t, list) for t in tiers):
            raise DataError(f"knowledge file {path}: 'tiers' must be a list of lists of variables")
        return Knowledge(tuple(tuple(str(n).strip() for n in t) for t in tiers),
                         bool(obj.get("forbid_within_tiers", False)), _pairs(obj.get("required"), "required", path),
                         _pairs(obj.get("forbidden"), "forbidden", path), str(path))
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as e:
        raise DataError(f"knowledge file {path} could not be parsed as CSV ({e})") from None
    cols = {c.strip().lower(): c for c in df.columns}
    if not {"kind", "source", "target"} <= set(cols):
        raise DataError(f"knowledge file {path} needs columns kind,source,target")
    required, forbidden, tier_of = [], [], {}
    for i, (_, r) in enumerate(df.iterrows()):
        kind, a, b = (str(r[cols[c]]).strip() for c in ("kind", "source", "target"))
        if kind == "required":
            required.append((a, b))
        elif kind == "forbidden":
            forbidden.append((a, b))
        elif kind == "tier" and b.isdigit():
            tier_of[a] = int(b)
        else:
            raise DataError(f"knowledge file {path} line {i + 2}: kind must be required, forbidden or tier "
                            "(with a tier number as target)")
    tiers = tuple(tuple(n for n, t in tier_of.items() if t == k) for k in sorted(set(tier_of.values())))
    return Knowledge(tiers, False, tuple(required), tuple(forbidden), str(path))
