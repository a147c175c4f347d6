"""Secrets: the credentials a run carries, held once, and scrubbed from everything that is stored or shown.

Every credential the run learns (the API key, a password or token in ``--base-url``) is
:func:`register`-ed once, normalised (surrounding whitespace stripped: a key file saved on
Windows ends in ``\\r``). :func:`scrub` then replaces it in every form a server or an HTTP client
can produce — as is, URL-encoded, spelled with JSON escapes, base64 of the key and of ``user:key``
(HTTP basic auth) — and the credentials of every URL (``user:...@``, ``?api-key=...``). Every boundary where text leaves
the process goes through :func:`scrub`: the output folder's writer, the answer cache's rows, every
log line and terminal message, the client's reading of a reply. So a key can only reach a file
or the terminal through a path that scrubs it, whatever shape the echo takes.
"""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import quote, quote_plus

__all__ = ["SECRET_PARAM", "forms", "register", "scrub", "scrub_urls"]

#: URL query parameters that carry credentials.
SECRET_PARAM = re.compile(r"key|token|secret|password|sig|auth", re.I)
_URL_USERINFO = re.compile(r"(//[^/\s:@]*:)[^@\s/]+@")
_URL_SECRET_QUERY = re.compile(rf"([?&][^=&\s]*(?:{SECRET_PARAM.pattern})[^=&\s]*=)[^&\s]+", re.I)
# escapes of printable ASCII other than the quote and backslash, which a JSON text may unescape as it likes
# (an escape is one after an even run of backslashes: ``\\u0073`` is a backslash and the text "u0073")
_JSON_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\(?:(/)|u00(2[013-9a-fA-F]|[3-4][0-9a-fA-F]|5[0-9abd-fABD-F]|"
                          r"6[0-9a-fA-F]|7[0-9a-eA-E]))")
#: Shorter values are not treated as secrets (they would scrub ordinary words).
MIN_LENGTH = 4
REDACTED = "[REDACTED]"

_lock = threading.Lock()
_forms: set[str] = set()
_pattern: re.Pattern[str] | None = None


def scrub_urls(text: str) -> str:
    """``text`` with the credentials of every URL in it replaced (``user:[REDACTED]@``, ``?api-key=[REDACTED]``).

    Examples
    --------
    >>> scrub_urls("--base-url https://me:s3cret@host/v1?api-key=abc&x=1")
    '--base-url https://me:[REDACTED]@host/v1?api-key=[REDACTED]&x=1'
    """
    return _URL_SECRET_QUERY.sub(rf"\1{REDACTED}", _URL_USERINFO.sub(rf"\1{REDACTED}@", text))


def _b64(text: str) -> list[str]:
    """base64 of ``text``, and the stretches of it that stay the same wherever ``text`` sits in a longer string."""
    raw = text.encode("utf-8")
    out = [base64.b64encode(raw).decode().rstrip("=")]
    for shift in (1, 2):  # inside a longer string the encoding depends on the offset modulo 3
        enc = base64.b64encode(b"\0" * shift + raw).decode().rstrip("=")
        out.append(enc[4:-1] if len(enc) > 6 else "")
    return [s for s in out if len(s) >= MIN_LENGTH]


def forms(value: str, user: str | None = None) -> set[str]:
    """Every form of a secret that could travel back: as is, URL-encoded, base64 (of ``user:value`` too).

    Examples
    --------
    >>> {"ab+c/d", "ab%2Bc%2Fd", "YWIrYy9k"} <= forms("ab+c/d")
    True
    """
    v = value.strip()
    if len(v) < MIN_LENGTH:
        return set()
    out = {v, quote(v, safe=""), quote_plus(v), *_b64(v)}
    if user is not None:
        out.update(_b64(f"{user}:{v}"))
    return {f for f in out if len(f) >= MIN_LENGTH}


def register(value: str | None, user: str | None = None) -> str:
    """Hold ``value`` as a secret from now on (normalised: whitespace stripped); returns it normalised."""
    global _pattern
    v = (value or "").strip()
    new = forms(v, user)
    with _lock:
        if not new <= _forms:
            _forms.update(new)
            _pattern = re.compile("|".join(re.escape(f) for f in sorted(_forms, key=len, reverse=True)))
    return v


def scrub(text: str) -> str:
    """``text`` with every registered secret, in every form, and every URL credential replaced by ``[REDACTED]``.

    Examples
    --------
    >>> _ = register("sk-example-0001")
    >>> scrub("key sk-example-0001, encoded c2stZXhhbXBsZS0wMDAx")
    'key [REDACTED], encoded [REDACTED]'
    >>> scrub('{"rationale": "\\\\u0073k-example-0001"}')
    '{"rationale": "[REDACTED]"}'
    """
    pattern = _pattern
    if pattern is not None:
        if "\\" in text:
            # a JSON text may spell the secret with escapes (``\u0073k-...``, ``\/``): read them as the
            # characters they are, which keeps the JSON equivalent, wherever that shows a secret
            plain = _JSON_ESCAPE.sub(lambda m: m.group(1) + (m.group(2) or chr(int(m.group(3), 16))), text)
            if pattern.search(plain):
                text = plain
        text = pattern.sub(REDACTED, text)
    return scrub_urls(text)
