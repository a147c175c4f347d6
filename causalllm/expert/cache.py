"""A SQLite cache of LLM answers: every paid answer is kept, and a re-run makes zero calls.

The key is a SHA-256 of (endpoint identity, model, the full messages, sampling parameters,
JSON schema). The endpoint identity is ``host:port/model`` for a real endpoint and a stable
``simulated:...`` string for the simulated expert, so incidental things (an ephemeral port,
the API key, timing) never change a key. Each row stores the request (compressed against a
dictionary of its kind: questions share most of their text), the raw response, the parsed
answer, token usage and timing — never the API key (the request holds none).

Writes are committed one answer at a time in WAL mode with a busy timeout, so a run killed
halfway keeps everything it was told, and several processes can share one cache file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
import zlib
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..secrets import scrub
from .prompts import check_answer

__all__ = ["COLUMNS", "AnswerCache", "cache_key"]

log = logging.getLogger("causalllm")

#: The columns of a cached answer, in table order (and the fields of an exported JSONL line).
COLUMNS = ("key", "created", "endpoint", "model", "prompt_version", "kind", "request", "raw_response", "parsed",
           "status", "prompt_tokens", "completion_tokens", "latency_s")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    created REAL NOT NULL,
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_version TEXT,
    kind TEXT,
    request TEXT NOT NULL,
    raw_response TEXT,
    parsed TEXT,
    status TEXT NOT NULL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    latency_s REAL
);
CREATE TABLE IF NOT EXISTS dicts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (kind, prompt_version)
);
"""
#: A compressed request starts with this byte, then the 4-byte id of its dictionary (older rows are plain text).
_PACKED = b"Z"


def cache_key(identity: str, model: str, messages: list[dict], params: dict[str, Any]) -> str:
    """Content hash of what determines an answer.

    Examples
    --------
    >>> k1 = cache_key("localhost:11434/llama3", "llama3", [{"role": "user", "content": "hi"}], {"temperature": 0})
    >>> k2 = cache_key("localhost:11434/llama3", "llama3", [{"role": "user", "content": "hi"}], {"temperature": 0})
    >>> k1 == k2, len(k1)
    (True, 64)
    """
    blob = json.dumps({"endpoint": identity, "model": model, "messages": messages, "params": params},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class AnswerCache:
    """SQLite answer store, safe across threads and processes.

    Examples
    --------
    >>> import tempfile, os
    >>> c = AnswerCache(os.path.join(tempfile.mkdtemp(), "c.sqlite"))
    >>> c.put("k", endpoint="e", model="m", request={"messages": []}, raw="{}", parsed={"answer": "none"},
    ...       status="ok")
    >>> c.get("k")["parsed"]
    {'answer': 'none'}
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._warned: set[str] = set()
        self._local = threading.local()
        self._dicts: dict[tuple[str, str], tuple[int, bytes]] = {}  # compression dictionaries by kind and version
        self._dicts_by_id: dict[int, bytes] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # paid answers and the prompts that bought them: the owner's alone (SQLite gives its -wal and
            # -shm files the same mode)
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            os.chmod(self.path, 0o600)
            for attempt in range(50):
                try:
                    with self._conn() as conn:
                        conn.executescript(_SCHEMA)
                        self._columns = self._migrate(conn)
                    break
                except sqlite3.OperationalError:
                    # another process is creating the same new file: SQLite does not wait on that lock
                    if attempt == 49:
                        raise
                    self._local.conn = None
                    time.sleep(0.05)
        except (OSError, sqlite3.Error) as e:
            raise ConfigError(f"cannot use LLM cache {self.path} ({e}); choose another --cache or use --no-cache") from None

    def _migrate(self, conn: sqlite3.Connection) -> set[str]:
        """The answers table's columns, with those this version needs added (a file an older version wrote)."""
        have = {r[1] for r in conn.execute("PRAGMA table_info(answers)")}
        for c in COLUMNS:
            if c not in have:
                conn.execute(f"ALTER TABLE answers ADD COLUMN {c}")
                have.add(c)
        return have

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get(self, key: str) -> dict | None:
        """The stored answer for ``key`` (``parsed`` decoded), or None.

        Only a usable answer is returned: an invalid or failed reply stays in the file for audit
        but never satisfies a later run, which asks again (a fixed server then gets its chance); so
        does a row that cannot be read (another version's, a crafted import): a miss, never a crash."""
        try:
            row = self._conn().execute(
                "SELECT raw_response, parsed, status, prompt_tokens, completion_tokens, latency_s FROM answers "
                "WHERE key=? AND status='ok'", (key,)).fetchone()
            if row is None:
                return None
            return {"raw": row[0], "parsed": json.loads(row[1]) if row[1] else None, "status": row[2],
                    "prompt_tokens": _whole(row[3]), "completion_tokens": _whole(row[4]),
                    "latency_s": float(row[5] or 0.0)}
        except (sqlite3.Error, ValueError, TypeError, RecursionError) as e:
            self._trouble("read", e)
            return None

    def put(self, key: str, *, endpoint: str, model: str, request: dict, raw: str | None, parsed: Any,
            status: str, prompt_tokens: int = 0, completion_tokens: int = 0, latency_s: float = 0.0,
            prompt_version: str = "", kind: str = "") -> None:
        """Store one answer (committed immediately), every text scrubbed of secrets. A cache that cannot take
        it (a full disk, a locked or damaged file) costs the caching, never the answer: one warning, then on."""
        try:  # packing the request reads and writes the file too: all of it inside the one guard
            row = {"key": key, "created": time.time(), "endpoint": scrub(endpoint), "model": scrub(model),
                   "prompt_version": prompt_version, "kind": kind,
                   "request": self._pack(scrub(json.dumps(request, ensure_ascii=False)), kind, prompt_version),
                   "raw_response": scrub(raw) if raw is not None else None,
                   "parsed": scrub(json.dumps(parsed)) if parsed is not None else None, "status": status,
                   "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "latency_s": latency_s}
            self._insert(row)
        except (sqlite3.Error, OSError) as e:
            self._trouble("write", e)

    def _insert(self, row: dict[str, Any]) -> None:
        """One row by column name (a file another version wrote may order or extend its columns differently)."""
        cols = [c for c in COLUMNS if c in self._columns]
        self._conn().execute(f"INSERT OR REPLACE INTO answers ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                             [row.get(c) for c in cols])

    def _trouble(self, what: str, e: BaseException) -> None:
        """A cache that fails is a warning, once per kind of failure, never the end of the run."""
        if what not in self._warned:
            self._warned.add(what)
            log.warning("the answer cache %s could not %s an answer (%s): the run goes on without it for those",
                        self.path, what, " ".join(str(e).split())[:200])

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    # ---------------------------------------------------------- compact requests
    # The request is kept for audit, but questions share nearly all their text (the instructions,
    # the schema): each is compressed with zlib against a dictionary, the first request of its kind
    # and prompt version, stored once. On an Alarm grid that is 12.8x smaller than the JSON.
    def _dictionary(self, kind: str, prompt_version: str, text: str) -> tuple[int, bytes]:
        cache = self._dicts
        hit = cache.get((kind, prompt_version))
        if hit is None:
            conn = self._conn()
            conn.execute("INSERT OR IGNORE INTO dicts (kind, prompt_version, body) VALUES (?,?,?)",
                         (kind, prompt_version, text.encode("utf-8")))
            row = conn.execute("SELECT id, body FROM dicts WHERE kind=? AND prompt_version=?",
                               (kind, prompt_version)).fetchone()
            hit = cache[(kind, prompt_version)] = (int(row[0]), bytes(row[1]))
        return hit

    def _pack(self, text: str, kind: str, prompt_version: str) -> bytes:
        did, body = self._dictionary(kind or "", prompt_version or "", text)
        z = zlib.compressobj(9, zdict=body)
        return _PACKED + did.to_bytes(4, "big") + z.compress(text.encode("utf-8")) + z.flush()

    def _unpack(self, value: Any) -> str:
        """A stored request as its JSON text (plain text rows, from older caches, as they are)."""
        if not isinstance(value, bytes) or not value.startswith(_PACKED):
            return str(value)
        cache = self._dicts_by_id
        did = int.from_bytes(value[1:5], "big")
        if did not in cache:
            cache[did] = bytes(self._conn().execute("SELECT body FROM dicts WHERE id=?", (did,)).fetchone()[0])
        return zlib.decompressobj(zdict=cache[did]).decompress(value[5:]).decode("utf-8")

    def request(self, key: str) -> dict | None:
        """The request stored with ``key`` (for audit), decompressed."""
        row = self._conn().execute("SELECT request FROM answers WHERE key=?", (key,)).fetchone()
        return None if row is None else json.loads(self._unpack(row[0]))

    # ---------------------------------------------------------- the cache as a tool
    def info(self) -> dict[str, Any]:
        """Size on disk, answers in all, and answers by model, prompt version and status.

        Examples
        --------
        >>> import tempfile, os
        >>> c = AnswerCache(os.path.join(tempfile.mkdtemp(), "c.sqlite"))
        >>> c.put("k", endpoint="e", model="m", request={}, raw="{}", parsed={}, status="ok", prompt_version="3")
        >>> c.info()["by_model"]
        {'m': 1}
        """
        conn = self._conn()
        files = [self.path, *(Path(f"{self.path}{s}") for s in ("-wal", "-shm"))]

        def group(col: str) -> dict[str, int]:
            rows = conn.execute(f"SELECT COALESCE({col}, ''), COUNT(*) FROM answers GROUP BY 1 ORDER BY 2 DESC")
            return {str(k): int(n) for k, n in rows}

        oldest, newest = conn.execute("SELECT MIN(created), MAX(created) FROM answers").fetchone()
        return {"path": str(self.path), "bytes": sum(f.stat().st_size for f in files if f.exists()), "answers": len(self),
                "by_model": group("model"), "by_prompt_version": group("prompt_version"), "by_status": group("status"),
                "oldest": oldest, "newest": newest}

    def prune(self, *, older_than_days: float | None = None, model: str | None = None,
              prompt_version: str | None = None, unusable: bool = False) -> int:
        """Delete the answers matching every condition given; return how many. With no condition, nothing.

        Examples
        --------
        >>> import tempfile, os
        >>> c = AnswerCache(os.path.join(tempfile.mkdtemp(), "c.sqlite"))
        >>> c.put("a", endpoint="e", model="m", request={}, raw="x", parsed=None, status="invalid")
        >>> c.prune(unusable=True), len(c)
        (1, 0)
        """
        where: list[str] = []
        args: list[Any] = []
        if older_than_days is not None:
            where.append("created < ?")
            args.append(time.time() - older_than_days * 86400)
        if model is not None:
            where.append("model = ?")
            args.append(model)
        if prompt_version is not None:
            where.append("prompt_version = ?")
            args.append(prompt_version)
        if unusable:
            where.append("status != 'ok'")
        if not where:
            return 0
        n = self._conn().execute(f"DELETE FROM answers WHERE {' AND '.join(where)}", args).rowcount
        self._conn().execute("VACUUM")
        return int(n)

    def export(self, out: Any) -> int:
        """Write every answer as one JSON object per line to the text stream ``out``; return how many."""
        n = 0
        for row in self._conn().execute(f"SELECT {', '.join(COLUMNS)} FROM answers ORDER BY created"):
            rec = dict(zip(COLUMNS, row))
            rec["request"] = self._unpack(rec["request"])
            out.write(scrub(json.dumps(rec, ensure_ascii=False)) + "\n")
            n += 1
        return n

    def import_lines(self, lines: Any, *, source: str = "input") -> tuple[int, int]:
        """Add the answers of an export (JSONL lines); keep the newer of two answers to one question.
        Return ``(added or replaced, skipped)``. A line that is not an exported answer — malformed, or an
        answer that fails the reply contract (a confidence of "very") — is a one-line error naming it,
        before anything is added."""
        rows = [self._imported(line, i, source) for i, line in enumerate(lines, 1) if line.strip()]
        added = skipped = 0
        conn = self._conn()
        for rec in rows:
            old = conn.execute("SELECT created FROM answers WHERE key=?", (rec["key"],)).fetchone()
            if old is not None and old[0] is not None and old[0] >= rec["created"]:
                skipped += 1
                continue
            rec["request"] = self._pack(str(rec["request"]), rec["kind"], rec["prompt_version"])
            self._insert(rec)
            added += 1
        return added, skipped

    def _imported(self, line: str, i: int, source: str) -> dict[str, Any]:
        """One exported answer, checked: every column of the right type, a usable answer valid by the contract."""
        try:
            rec = json.loads(scrub(line))
            rec = {c: rec[c] for c in COLUMNS}
            for c in ("key", "endpoint", "model", "status"):
                if not isinstance(rec[c], str):
                    raise TypeError(f"{c} is not text")
            rec["created"] = float(rec["created"])
            rec["prompt_tokens"], rec["completion_tokens"] = _whole(rec["prompt_tokens"]), _whole(rec["completion_tokens"])
            rec["latency_s"] = float(rec["latency_s"] or 0.0)
            if not isinstance(rec["parsed"], str) and rec["parsed"] is not None:
                rec["parsed"] = json.dumps(rec["parsed"])
            if rec["status"] == "ok" and rec["kind"] in ("direction", "confounders"):
                check_answer(rec["kind"], json.loads(rec["parsed"] or "null"))
        except (ValueError, KeyError, TypeError, RecursionError) as e:
            raise ConfigError(f"{source} line {i} is not an exported answer ({e.__class__.__name__}: "
                              f"{' '.join(str(e).split())[:200]}); import files written by 'causalllm cache export'"
                              ) from None
        return rec


def _whole(value: Any) -> int:
    """A token count as stored, or 0 when it is not a whole number."""
    try:
        return max(0, int(value or 0))
    except (ValueError, TypeError, OverflowError):
        return 0
