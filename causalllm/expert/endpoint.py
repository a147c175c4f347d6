"""Where the model is and how to reach it: the endpoint, its key, and every secret it carries.

Lookup order (first found wins; the environment is handed in by :mod:`causalllm.config`, the
only module that reads it)
---------------------------------------------------------------------------------------------
* **backend**: ``--llm``; when not given, ``openai`` if a key or base URL is configured
  (``--base-url``, ``--api-key-env``, ``$OPENAI_API_KEY``, ``$OPENAI_BASE_URL``), else ``none``.
* **base URL**: ``--base-url``, then ``$OPENAI_BASE_URL``, then OpenAI's default.
* **API key**: the variable named by ``--api-key-env NAME``, then ``$OPENAI_API_KEY``, then
  ``$AZURE_OPENAI_API_KEY`` (Azure URLs); a local endpoint without a key gets a dummy key.
* **model**: ``--model``, then ``$CAUSALLLM_MODEL``, then :data:`DEFAULT_MODEL`.
* **Azure API version**: ``$OPENAI_API_VERSION``, then ``2024-10-21``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse, urlunparse

from ..errors import ConfigError
from ..secrets import SECRET_PARAM, register, scrub, scrub_urls
from .registry import BACKENDS, DEFAULT_MODEL

__all__ = ["EndpointConfig", "choose_backend", "resolve_endpoint", "split_url"]

DEFAULT_AZURE_API_VERSION = "2024-10-21"

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def choose_backend(llm: str | None, *, base_url: str | None = None, api_key_env: str | None = None,
                   environ: Mapping[str, str]) -> str:
    """The backend to use: ``llm`` if given, else ``openai`` when a key or URL is configured, else ``none``.

    Examples
    --------
    >>> choose_backend(None, environ={}), choose_backend(None, environ={"OPENAI_API_KEY": "k"})
    ('none', 'openai')
    """
    env = environ
    if llm:
        if llm not in BACKENDS:
            raise ConfigError(f"unknown --llm {llm!r}; use one of {', '.join(BACKENDS)}")
        return llm
    if base_url or api_key_env or env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"):
        return "openai"
    return "none"


@dataclass(frozen=True)
class EndpointConfig:
    """Where and how to call the model. ``base_url`` carries no credentials (they were taken out of it
    and registered as secrets); ``query`` holds its query parameters, sent with every request; ``api_key``
    is excluded from ``repr``."""

    base_url: str | None
    model: str
    api_key: str = ""
    key_source: str = "none"
    azure_api_version: str | None = None
    query: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"EndpointConfig(base_url={self.safe_url!r}, model={self.model!r}, key_source={self.key_source!r})"

    @property
    def host(self) -> str:
        """``host:port`` of the endpoint (part of the cache key), never credentials."""
        if not self.base_url:
            return "api.openai.com"
        u = urlparse(self.base_url)
        return f"{u.hostname or ''}{':' + str(u.port) if u.port else ''}"

    def redact(self, text: str) -> str:
        """``text`` scrubbed of every secret the run holds, in every form (:func:`causalllm.secrets.scrub`).

        Examples
        --------
        >>> c = resolve_endpoint(base_url="https://u:s3cr3t@h/v1?api-key=k3y1", environ={"OPENAI_API_KEY": "sk-abcd"})
        >>> c.redact("sk-abcd s3cr3t k3y1 ok")
        '[REDACTED] [REDACTED] [REDACTED] ok'
        """
        return scrub(text)

    @property
    def safe_url(self) -> str:
        """The base URL as it may be recorded: credentials and secret query values removed."""
        q = "&".join(f"{k}=[REDACTED]" if SECRET_PARAM.search(k) else f"{k}={v}" for k, v in self.query.items())
        return scrub((self.base_url or "https://api.openai.com/v1") + (f"?{q}" if q else ""))

    @property
    def is_azure(self) -> bool:
        h = urlparse(self.base_url or "").hostname or ""
        azure_host = h.endswith((".openai.azure.com", ".cognitiveservices.azure.com"))
        return azure_host and "/openai/v1" not in (self.base_url or "")

    def public(self) -> dict:
        """What may be recorded (manifest): never the key."""
        return {"base_url": self.safe_url, "model": self.model, "key_source": self.key_source}


#: An environment variable's name (what --api-key-env takes): a key given there instead is never echoed.
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


def split_url(base: str) -> tuple[str, str | None, str | None, dict[str, str]]:
    """``base`` without credentials or query, the userinfo's user and password, and the query parameters.

    Examples
    --------
    >>> split_url("http://u:pw@host:8/v1?api-key=Q&x=1")
    ('http://host:8/v1', 'u', 'pw', {'api-key': 'Q', 'x': '1'})
    """
    u = urlparse(base)
    netloc = u.hostname or ""
    if ":" in netloc:  # an IPv6 literal
        netloc = f"[{netloc}]"
    if u.port:
        netloc += f":{u.port}"
    query = {k: vs[-1] for k, vs in parse_qs(u.query, keep_blank_values=True).items()}
    return urlunparse((u.scheme, netloc, u.path, u.params, "", "")), u.username, u.password, query


def _base_url(base: str) -> tuple[str, str | None, dict[str, str]]:
    """The checked base URL with its credentials registered and taken out: ``(url, password, query)``."""
    try:
        parsed = urlparse(base)
        parsed.port  # noqa: B018 - a bad port raises here, not later in the client
    except ValueError as e:
        raise ConfigError(f"base URL {scrub_urls(base)!r} is not a valid URL ({e}); e.g. --base-url "
                          "http://localhost:11434/v1") from None
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"base URL {scrub_urls(base)!r} is not an http(s) URL; e.g. --base-url "
                          "http://localhost:11434/v1")
    url, user, password, query = split_url(base)
    if password:
        register(password, user=user or "")
    if user and password is None:
        register(user, user="")
    for k, v in query.items():
        if SECRET_PARAM.search(k):
            register(v)
    return url, password, query


def _key(api_key_env: str | None, base: str | None, env: Mapping[str, str]) -> tuple[str, str]:
    """The API key and where it came from, by the lookup order (normalised and registered as a secret)."""
    if api_key_env:
        if not _VARIABLE.match(api_key_env):
            register(api_key_env)
            raise ConfigError("--api-key-env takes the NAME of the environment variable that holds the key, and what "
                              "was given is not a variable name (was it the key itself?); e.g. --api-key-env MY_KEY")
        if not env.get(api_key_env, "").strip():
            raise ConfigError(f"--api-key-env {api_key_env}: that environment variable is not set or empty; "
                              f"export {api_key_env}=... first")
        return register(env[api_key_env]), f"${api_key_env}"
    if env.get("OPENAI_API_KEY", "").strip():
        return register(env["OPENAI_API_KEY"]), "$OPENAI_API_KEY"
    if env.get("AZURE_OPENAI_API_KEY", "").strip() and base and "azure" in base:
        return register(env["AZURE_OPENAI_API_KEY"]), "$AZURE_OPENAI_API_KEY"
    return "", "none"


def resolve_endpoint(*, model: str | None = None, base_url: str | None = None, api_key_env: str | None = None,
                     environ: Mapping[str, str]) -> EndpointConfig:
    """Apply the documented lookup order to options and the environment.

    Every credential is registered as a secret (:mod:`causalllm.secrets`); credentials in the URL's
    userinfo are taken out of it (a password there is the key when none is set) and sent as the
    bearer key, never as basic auth; query parameters stay query parameters.

    Examples
    --------
    >>> c = resolve_endpoint(base_url="http://localhost:11434/v1", model="llama3.1", environ={})
    >>> c.host, c.model, c.key_source
    ('localhost:11434', 'llama3.1', 'dummy (local endpoint)')
    """
    env = environ
    raw = base_url or env.get("OPENAI_BASE_URL") or None
    base, password, query = _base_url(raw) if raw else (None, None, {})
    mdl = model or env.get("CAUSALLLM_MODEL") or DEFAULT_MODEL
    key, source = _key(api_key_env, base, env)
    if not key and password:
        key, source = password, "the password in --base-url"
    host = urlparse(base).hostname if base else None
    if not key:
        if base:
            key, source = "not-needed", "dummy (local endpoint)" if host in _LOCAL_HOSTS else "dummy (no key set)"
        else:
            raise ConfigError("no API key for OpenAI: set OPENAI_API_KEY, use --api-key-env NAME, or point "
                              "--base-url at a local server (e.g. Ollama: --base-url http://localhost:11434/v1)")
    return EndpointConfig(base_url=base, model=mdl, api_key=key, key_source=source,
                          azure_api_version=env.get("OPENAI_API_VERSION", DEFAULT_AZURE_API_VERSION), query=query)
