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
    decisions:                  # what the report's review downloads: who decided what, and why
      - {source: coffee, target: cancer, decision: forbid, following: llm, by: ana, why: "no mechanism"}
      - {source: smoking, target: dyspnoea, decision: require, following: analyst, by: ana, why: "known"}

A decision ``require`` requires ``source --> target``; ``forbid`` forbids the edge both ways; the
rest of the entry (``following``: data, llm or analyst; ``by``, ``why``, ``at``, ``was``: the
pair's status when decided) is kept and shown in the next report.

CSV: ``name,tier`` (one row per variable, the usual tier file; lower numbers first), or
``kind,source,target`` rows with ``kind`` ``required`` or ``forbidden``, and ``tier`` rows whose
``source`` is a variable and ``target`` its tier number.

Tetrad's knowledge text (causal-cmd's ``--knowledge``, py-tetrad)::

    /knowledge
    addtemporal
    1 age sex
    2 smoking
    3* cancer dyspnoea      (the * forbids edges within the tier)
    forbiddirect
    dyspnoea smoking
    requiredirect
    smoking cancer

Knowledge that contradicts itself (a variable in two tiers, a cycle of required edges, an edge
both required and forbidden, a self-loop) and names that are not columns are one-line errors
before any test runs.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..errors import DataError

__all__ = ["Decided", "Knowledge", "read_knowledge"]

log = logging.getLogger("causalllm")


@dataclass(frozen=True)
class Decided:
    """One decision the analyst took on a pair (in the report's review): require ``source --> target``, or
    forbid the edge both ways; who took it, following whose reading, and why."""

    source: str
    target: str
    decision: str  # "require" or "forbid"
    following: str = "analyst"  # whose reading it takes: data, llm, or the analyst's own
    by: str = ""
    why: str = ""
    at: str = ""
    was: str = ""  # the pair's status when decided

    def edges(self) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
        """The (required, forbidden) directed edges the decision sets."""
        if self.decision == "require":
            return ((self.source, self.target),), ()
        return (), ((self.source, self.target), (self.target, self.source))

    def as_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in ("source", "target", "decision", "following", "by", "why", "at", "was")}


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
    #: the analyst's decisions (their edges are in ``required``/``forbidden`` too)
    decisions: tuple[Decided, ...] = ()

    @cached_property
    def _forbid(self) -> frozenset[tuple[str, str]]:
        return frozenset(self.forbidden_edges())

    @cached_property
    def ruled_out(self) -> frozenset[tuple[str, str]]:
        """Every arrow the knowledge rules out: the forbidden ones and the reverse of the required ones.

        Examples
        --------
        >>> sorted(Knowledge(required=(("a", "b"),), forbidden=(("c", "a"),)).ruled_out)
        [('b', 'a'), ('c', 'a')]
        """
        return self._forbid | {(b, a) for a, b in self.required}

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

    def without(self, names: set[str]) -> Knowledge:
        """The same knowledge with every constraint naming one of ``names`` left out."""
        return Knowledge(tuple(t2 for t2 in (tuple(n for n in t if n not in names) for t in self.tiers) if t2),
                         self.forbid_within_tiers, tuple(e for e in self.required if not set(e) & names),
                         tuple(e for e in self.forbidden if not set(e) & names), self.source,
                         tuple(d for d in self.decisions if not {d.source, d.target} & names))

    def to_mapping(self) -> dict[str, object]:
        """The knowledge as the YAML/JSON mapping :func:`read_knowledge` reads: decided edges under
        ``decisions`` only (with who and why), the rest as listed.

        Examples
        --------
        >>> k = Knowledge(required=(("a", "b"),), decisions=(Decided("c", "d", "forbid", by="ana"),))
        >>> k = Knowledge(k.tiers, False, k.required, (("c", "d"), ("d", "c")), "", k.decisions)
        >>> m = k.to_mapping(); m["forbidden"], [d["by"] for d in m["decisions"]]
        ([], ['ana'])
        """
        req = {e for d in self.decisions for e in d.edges()[0]}
        forb = {e for d in self.decisions for e in d.edges()[1]}
        return {"tiers": [list(t) for t in self.tiers], "forbid_within_tiers": self.forbid_within_tiers,
                "required": [list(e) for e in self.required if e not in req],
                "forbidden": [list(e) for e in self.forbidden if e not in forb],
                "decisions": [d.as_dict() for d in self.decisions]}

    def validate(self) -> None:
        """A one-line error for knowledge that contradicts itself: a variable in two tiers, a self-loop, a
        cycle of required edges, an edge both required and forbidden.

        Examples
        --------
        >>> Knowledge(required=(("x", "y"), ("y", "z"), ("z", "x")), source="k.yaml").validate()
        Traceback (most recent call last):
        ...
        causalllm.errors.DataError: knowledge file k.yaml: the required edges form a cycle x -> y -> z -> x; ...
        """
        where = f"knowledge file {self.source}"
        seen: dict[str, int] = {}
        for i, tier in enumerate(self.tiers):
            for n in tier:
                if n in seen and seen[n] != i:
                    raise DataError(f"{where}: {n} is in tier {seen[n] + 1} and tier {i + 1}; put each variable in "
                                    "one tier")
                seen[n] = i
        loops = [a for a, b in (*self.required, *self.forbidden) if a == b]
        if loops:
            raise DataError(f"{where}: {', '.join(f'{a} -> {a}' for a in loops)} joins a variable to itself; remove it")
        cycle = _cycle(self.required)
        if cycle:
            raise DataError(f"{where}: the required edges form a cycle {' -> '.join([*cycle, cycle[0]])}; remove one "
                            "of them")
        clash = [e for e in self.required if e in self._forbid]
        if clash:
            raise DataError(f"{where} both requires and forbids {', '.join(f'{a} -> {b}' for a, b in clash)} "
                            "(check the tiers and the forbidden edges)")

    def check(self, columns: Sequence[str], excluded: Mapping[str, str] | None = None) -> Knowledge:
        """The knowledge for these ``columns``: a one-line error for names that are not columns of the data
        (and for knowledge that contradicts itself); constraints naming a column causalllm left out
        (``excluded``: constant, ID-like...) are dropped with one warning naming them."""
        self.validate()
        left_out = sorted(self.names() & set(excluded or {}))
        unknown = sorted(self.names() - set(columns) - set(left_out))
        if unknown:
            raise DataError(f"knowledge file {self.source} names {', '.join(unknown[:6])}, not columns of the data; "
                            "fix the names")
        if left_out:
            log.warning("knowledge file %s: constraints on %s skipped (left out of the analysis: %s)", self.source,
                        ", ".join(left_out), "; ".join(f"{c}: {(excluded or {})[c]}" for c in left_out))
            return self.without(set(left_out))
        return self


def _cycle(edges: Sequence[tuple[str, str]]) -> list[str]:
    """A directed cycle among ``edges`` (its nodes in order), or []."""
    nxt: dict[str, list[str]] = {}
    for a, b in edges:
        nxt.setdefault(a, []).append(b)
    state: dict[str, int] = {}
    for root in sorted(nxt):
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, k = stack.pop()
            if k == 0:
                if state.get(node) == 1:
                    return path[path.index(node):]
                if state.get(node) == 2:
                    continue
                state[node] = 1
                path.append(node)
            succ = nxt.get(node, [])
            if k < len(succ):
                stack += [(node, k + 1), (succ[k], 0)]
            else:
                state[node] = 2
                path.pop()
    return []


def _pairs(value: object, what: str, path: Path) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        raise DataError(f"knowledge file {path}: '{what}' must be a list of [source, target] pairs")
    return tuple((str(a).strip(), str(b).strip()) for a, b in value)


def read_knowledge(path: str | Path) -> Knowledge:
    """Read a knowledge file: a YAML/JSON mapping, a ``kind,source,target`` or ``name,tier`` CSV, or
    Tetrad's knowledge text; knowledge that contradicts itself is a one-line error (:meth:`Knowledge.validate`).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "k.yaml")
    >>> _ = open(p, "w").write("tiers: [[a], [b, c]]\\nrequired: [[b, c]]\\n")
    >>> read_knowledge(p).tiers
    (('a',), ('b', 'c'))
    >>> p = os.path.join(tempfile.mkdtemp(), "tiers.csv")
    >>> _ = open(p, "w").write("name,tier\\nage,1\\nsmoking,2\\ncancer,3\\n")
    >>> read_knowledge(p).tiers
    (('age',), ('smoking',), ('cancer',))
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"knowledge file {path} does not exist; check the path")
    if path.is_dir():
        raise DataError(f"knowledge file {path} is a folder; give the file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"knowledge file {path} is not UTF-8 text; save it as UTF-8") from None
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        k = _read_mapping(text, path)
    elif _is_tetrad(text):
        k = _read_tetrad(text, path)
    else:
        k = _read_csv(path)
    k.validate()
    return k


def _read_mapping(text: str, path: Path) -> Knowledge:
    from .variables import parse_mapping

    try:
        obj = parse_mapping(text, path.suffix)
    except ValueError as e:
        raise DataError(f"knowledge file {path} is not valid {path.suffix[1:].upper()} ({e}); fix its syntax") from None
    if not isinstance(obj, dict) or set(obj) - {"tiers", "forbid_within_tiers", "required", "forbidden", "decisions"}:
        raise DataError(f"knowledge file {path} must be a mapping with tiers, forbid_within_tiers, required, "
                        "forbidden, decisions")
    tiers = obj.get("tiers") or []
    if not isinstance(tiers, list) or not all(isinstance(t, list) for t in tiers):
        raise DataError(f"knowledge file {path}: 'tiers' must be a list of lists of variables")
    decided = _decisions(obj.get("decisions"), path)
    required = _pairs(obj.get("required"), "required", path) + tuple(e for d in decided for e in d.edges()[0])
    forbidden = _pairs(obj.get("forbidden"), "forbidden", path) + tuple(e for d in decided for e in d.edges()[1])
    return Knowledge(tuple(tuple(str(n).strip() for n in t) for t in tiers),
                     bool(obj.get("forbid_within_tiers", False)), tuple(dict.fromkeys(required)),
                     tuple(dict.fromkeys(forbidden)), str(path), decided)


def _decisions(value: object, path: Path) -> tuple[Decided, ...]:
    """The ``decisions`` entries, checked: each names a pair and says require or forbid, once per pair."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(d, dict) for d in value):
        raise DataError(f"knowledge file {path}: 'decisions' must be a list of mappings with source, target and "
                        "decision")
    out: list[Decided] = []
    seen: dict[frozenset, int] = {}
    for i, d in enumerate(value, 1):
        s, t, what = (str(d.get(k) or "").strip() for k in ("source", "target", "decision"))
        if not s or not t or what not in ("require", "forbid"):
            raise DataError(f"knowledge file {path}: decision {i} needs source, target and decision: require or "
                            f"forbid (got {what or 'nothing'!r})")
        if frozenset((s, t)) in seen:
            raise DataError(f"knowledge file {path}: decisions {seen[frozenset((s, t))]} and {i} both decide "
                            f"{s} – {t}; keep one")
        seen[frozenset((s, t))] = i
        by, why, at, was = (str(d.get(k) or "").strip() for k in ("by", "why", "at", "was"))
        out.append(Decided(s, t, what, str(d.get("following") or "analyst").strip(), by, why, at, was))
    return tuple(out)


def _tiers(tier_of: dict[str, list[tuple[int, int]]], path: Path) -> tuple[tuple[str, ...], ...]:
    """Tiers from ``name -> [(tier number, line)]``, in tier-number order; a name in two tiers is an error."""
    for n, where in tier_of.items():
        if len({t for t, _ in where}) > 1:
            (t1, l1), (t2, l2) = where[0], next(w for w in where if w[0] != where[0][0])
            raise DataError(f"knowledge file {path}: {n} is in tier {t1} (line {l1}) and tier {t2} (line {l2}); put "
                            "each variable in one tier")
    levels = sorted({where[0][0] for where in tier_of.values()})
    return tuple(tuple(n for n, where in tier_of.items() if where[0][0] == t) for t in levels)


def _read_csv(path: Path) -> Knowledge:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (ValueError, pd.errors.ParserError, csv.Error) as e:
        raise DataError(f"knowledge file {path} could not be parsed as CSV ({e})") from None
    cols = {c.strip().lower(): c for c in df.columns}
    name_col = next((cols[c] for c in ("name", "variable", "node", "column") if c in cols), None)
    if name_col is not None and "tier" in cols and "kind" not in cols:
        tier_of: dict[str, list[tuple[int, int]]] = {}
        for i, (n, t) in enumerate(zip(df[name_col], df[cols["tier"]])):
            n, t = str(n).strip(), str(t).strip()
            if not n:
                continue
            if not t.lstrip("-").isdigit():
                raise DataError(f"knowledge file {path} line {i + 2}: tier {t!r} of {n} is not a whole number")
            tier_of.setdefault(n, []).append((int(t), i + 2))
        return Knowledge(_tiers(tier_of, path), source=str(path))
    if not {"kind", "source", "target"} <= set(cols):
        raise DataError(f"knowledge file {path} needs columns name,tier (one row per variable) or kind,source,target "
                        f"(required/forbidden/tier rows); it has {', '.join(map(str, df.columns))}")
    required: list[tuple[str, str]] = []
    forbidden: list[tuple[str, str]] = []
    tier_rows: dict[str, list[tuple[int, int]]] = {}
    for i, (kind, a, b) in enumerate(zip(*(df[cols[c]].str.strip() for c in ("kind", "source", "target")))):
        if kind == "required":
            required.append((a, b))
        elif kind == "forbidden":
            forbidden.append((a, b))
        elif kind == "tier" and b.isdigit():
            tier_rows.setdefault(a, []).append((int(b), i + 2))
        else:
            raise DataError(f"knowledge file {path} line {i + 2}: kind must be required, forbidden or tier "
                            "(with a tier number as target)")
    return Knowledge(_tiers(tier_rows, path), False, tuple(required), tuple(forbidden), str(path))


_TETRAD_SECTIONS = ("addtemporal", "forbiddirect", "requiredirect")


def _is_tetrad(text: str) -> bool:
    first = next((ln.strip().lower() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("//")),
                 "")
    return first == "/knowledge" or first in _TETRAD_SECTIONS


def _read_tetrad(text: str, path: Path) -> Knowledge:
    """Tetrad's knowledge text (causal-cmd, py-tetrad): ``addtemporal`` rows ``N name ...`` (``N*``: no edge
    within the tier), ``forbiddirect`` and ``requiredirect`` rows ``a b``."""
    section = ""
    tier_of: dict[str, list[tuple[int, int]]] = {}
    within: list[tuple[str, str]] = []
    edges: dict[str, list[tuple[str, str]]] = {"forbiddirect": [], "requiredirect": []}
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.split("//")[0].strip()
        low = line.lower()
        if not line or low == "/knowledge":
            continue
        if low in _TETRAD_SECTIONS:
            section = low
            continue
        if low in ("forbiddengroup", "requiredgroup") or low.startswith("/"):
            raise DataError(f"knowledge file {path} line {line_no}: {line!r} sections are not supported; use "
                            "addtemporal, forbiddirect and requiredirect")
        parts = line.split()
        if section == "addtemporal":
            label = parts[0].rstrip("*")
            if not label.isdigit():
                raise DataError(f"knowledge file {path} line {line_no}: a tier row starts with its number (1, 2, ..."
                                f"; 2* forbids edges within the tier), got {parts[0]!r}")
            for n in parts[1:]:
                tier_of.setdefault(n, []).append((int(label), line_no))
            if parts[0].endswith("*"):
                within += [(a, b) for a in parts[1:] for b in parts[1:] if a != b]
        elif section in edges and len(parts) == 2:
            edges[section].append((parts[0], parts[1]))
        else:
            raise DataError(f"knowledge file {path} line {line_no}: expected "
                            f"{'two variable names' if section else 'a section (addtemporal, forbiddirect, requiredirect)'}"
                            f", got {line!r}")
    return Knowledge(_tiers(tier_of, path), False, tuple(edges["requiredirect"]),
                     tuple(dict.fromkeys([*edges["forbiddirect"], *within])), str(path))
