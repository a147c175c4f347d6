"""Secrets: the credentials a run carries, and scrubbing them from text that may be stored or shown.

:func:`scrub_urls` takes the credentials out of every URL in a text (``user:KEY@``,
``?api-key=...``): what the manifest records of a command line or a base URL.
"""

from __future__ import annotations

import re

__all__ = ["SECRET_PARAM", "scrub_urls"]

#: URL query parameters that carry credentials.
SECRET_PARAM = re.compile(r"key|token|secret|password|sig|auth", re.I)
_URL_USERINFO = re.compile(r"(//[^/\s:@]*:)[^@\s/]+@")
_URL_SECRET_QUERY = re.compile(r"([?&][^=&\s]*(?:key|token|secret|password|sig|auth)[^=&\s]*=)[^&\s]+", re.I)


def scrub_urls(text: str) -> str:
    """``text`` with the credentials of every URL in it replaced (``user:[REDACTED]@``, ``?api-key=[REDACTED]``).

    Examples
    --------
    >>> scrub_urls("--base-url https://me:s3cret@host/v1?api-key=abc&x=1")
    '--base-url https://me:[REDACTED]@host/v1?api-key=[REDACTED]&x=1'
    """
    return _URL_SECRET_QUERY.sub(r"\1[REDACTED]", _URL_USERINFO.sub(r"\1[REDACTED]@", text))
