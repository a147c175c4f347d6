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

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

from ..errors import ConfigError
from ..secrets import SECRET_PARAM, scrub_urls
from .registry import BACKENDS, DEFAULT_MODEL

__all__ = ["EndpointConfig", "choose_backend", "resolve_endpoint"]

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
    """Where and how to call the model. ``api_key`` is excluded from ``repr``."""

    base_url: str | None
    model: str
    api_key: str = ""
    key_source: str = "none"
    azure_api_version: str | None = None

    def __repr__(self) -> str:
        return f"EndpointConfig(base_url={self.safe_url!r}, model={self.model!r}, key_source={self.key_source!r})"

    @property
    def host(self) -> str:
        """``host:port`` of the endpoint (part of the cache key), never credentials."""
        if not self.base_url:
            return "api.openai.com"
        u = urlparse(self.base_url)
        return f"{u.hostname or ''}{':' + str(u.port) if u.port else ''}"

    def secrets(self) -> list[str]:
        """Every secret this endpoint carries: the key, and credentials in the URL (``user:KEY@``, ``?api-key=``)."""
        found = [self.api_key] if self.api_key and self.key_source not in ("simulated",) else []
        if self.base_url:
            u = urlparse(self.base_url)
            found += [v for v in (u.password, u.username) if v]
            found += [v for k, vs in parse_qs(u.query).items() for v in vs if SECRET_PARAM.search(k)]
        return sorted({x for x in found if len(x) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` with every secret of :meth:`secrets` replaced by ``[REDACTED]``.

        Examples
        --------
        >>> EndpointConfig("https://u:s3cr3t@h/v1?api-key=k3y1", "m", "sk-abcd").redact("sk-abcd s3cr3t k3y1 ok")
        '[REDACTED] [REDACTED] [REDACTED] ok'
        """
        for secret in self.secrets():
            text = text.replace(secret, "[REDACTED]")
        return text

    @property
    def safe_url(self) -> str:
        """The base URL as it may be recorded: credentials and secret query values removed."""
        return scrub_urls(self.redact(self.base_url or "https://api.openai.com/v1"))

    @property
    def is_azure(self) -> bool:
        h = urlparse(self.base_url or "").hostname or ""
        azure_host = h.endswith((".openai.azure.com", ".cognitiveservices.azure.com"))
        return azure_host and "/openai/v1" not in (self.base_url or "")

    def public(self) -> dict:
        """What may be recorded (manifest): never the key."""
        return {"base_url": self.safe_url, "model": self.model, "key_source": self.key_source}


def resolve_endpoint(*, model: str | None = None, base_url: str | None = None, api_key_env: str | None = None,
                     environ: Mapping[str, str]) -> EndpointConfig:
    """Apply the documented lookup order to options and the environment.

    Examples
    --------
    >>> c = resolve_endpoint(base_url="http://localhost:11434/v1", model="llama3.1", environ={})
    >>> c.host, c.model, c.key_source
    ('localhost:11434', 'llama3.1', 'dummy (local endpoint)')
    """
    env = environ
    base = base_url or env.get("OPENAI_BASE_URL") or None
    if base:
        try:
            parsed = urlparse(base)
            parsed.port  # noqa: B018 - a bad port raises here, not later in the client
        except ValueError as e:
            raise ConfigError(f"base URL {scrub_urls(base)!r} is not a valid URL ({e}); e.g. --base-url "
                              "http://localhost:11434/v1") from None
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(f"base URL {base!r} is not an http(s) URL; e.g. --base-url http://localhost:11434/v1")
    mdl = model or env.get("CAUSALLLM_MODEL") or DEFAULT_MODEL
    key, source = "", "none"
    if api_key_env:
        if not env.get(api_key_env):
            raise ConfigError(f"--api-key-env {api_key_env}: that environment variable is not set or empty; "
                              f"export {api_key_env}=... first")
        key, source = env[api_key_env], f"${api_key_env}"
    elif env.get("OPENAI_API_KEY"):
        key, source = env["OPENAI_API_KEY"], "$OPENAI_API_KEY"
    elif env.get("AZURE_OPENAI_API_KEY") and base and "azure" in base:
        key, source = env["AZURE_OPENAI_API_KEY"], "$AZURE_OPENAI_API_KEY"
    host = urlparse(base).hostname if base else None
    if not key:
        if base:
            key, source = "not-needed", "dummy (local endpoint)" if host in _LOCAL_HOSTS else "dummy (no key set)"
        else:
            raise ConfigError("no API key for OpenAI: set OPENAI_API_KEY, use --api-key-env NAME, or point "
                              "--base-url at a local server (e.g. Ollama: --base-url http://localhost:11434/v1)")
    return EndpointConfig(base_url=base, model=mdl, api_key=key, key_source=source,
                          azure_api_version=env.get("OPENAI_API_VERSION", DEFAULT_AZURE_API_VERSION))


