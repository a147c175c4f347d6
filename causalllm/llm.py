"""The LLM client: the only module that imports ``openai``.

Talks to any OpenAI-compatible chat-completions endpoint: OpenAI, Azure OpenAI, Ollama, vLLM,
LM Studio, llama.cpp server, and causalllm's own simulated expert.

Configuration lookup order (first found wins)
---------------------------------------------
* **base URL**: ``--base-url``, then ``OPENAI_BASE_URL``, then OpenAI's default.
* **API key**: the variable named by ``--api-key-env NAME``, then ``OPENAI_API_KEY``, then
  ``AZURE_OPENAI_API_KEY`` (Azure URLs); a local endpoint without a key gets a dummy key.
* **model**: ``--model``, then ``CAUSALLLM_MODEL``, then ``gpt-4o``.
* **backend**: ``--llm``; when not given, ``openai`` if a key or base URL is configured,
  otherwise ``none``.

The key lives only in memory: it is never written to any file, log, cache, manifest or
report. ``CAUSALLLM_SHOW_REQUESTS=1`` echoes each request and response to stderr with the
key redacted.

Retry policy (owned here; the openai client's own retries are off)
------------------------------------------------------------------
429 waits for ``Retry-After`` (capped at 60 s); 5xx, timeouts and connection errors retry
with exponential backoff and full jitter, at most ``retries`` times. 401/403, an unknown
model (404) and a bad URL stop the run at once with a specific one-line message. A server
that rejects ``response_format={"type": "json_schema"}`` (llama.cpp's Python server answers
HTTP 500) is detected once per endpoint and asked with instructions only from then on.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import openai

from .errors import ConfigError, LLMError

__all__ = [
    "Completion",
    "EndpointConfig",
    "OpenAIChatModel",
    "TransientLLMError",
    "resolve_config",
    "DEFAULT_MODEL",
]

DEFAULT_MODEL = "gpt-4o"
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


@dataclass(frozen=True)
class Completion:
    """One chat completion's text and accounting."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    attempts: int = 1
    json_mode: str = "json_schema"


class TransientLLMError(Exception):
    """A call that still failed after the bounded retries (the pair is recorded unanswered)."""


@dataclass(frozen=True)
class EndpointConfig:
    """Where and how to call the model. ``api_key`` is excluded from ``repr``."""

    base_url: str | None
    model: str
    api_key: str = ""
    key_source: str = "none"
    azure_api_version: str | None = None

    def __repr__(self) -> str:
        return f"EndpointConfig(base_url={self.base_url!r}, model={self.model!r}, key_source={self.key_source!r})"

    @property
    def host(self) -> str:
        """``host:port`` of the endpoint (part of the cache key)."""
        return urlparse(self.base_url).netloc if self.base_url else "api.openai.com"

    @property
    def is_azure(self) -> bool:
        h = urlparse(self.base_url or "").hostname or ""
        return h.endswith((".openai.azure.com", ".cognitiveservices.azure.com")) and "/openai/v1" not in (self.base_url or "")

    def public(self) -> dict:
        """What may be recorded (manifest): never the key."""
        return {"base_url": self.base_url or "https://api.openai.com/v1", "model": self.model, "key_source": self.key_source}


def resolve_config(
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key_env: str | None = None,
    environ: dict | None = None,
) -> EndpointConfig:
    """Apply the documented lookup order to options and the environment.

    Examples
    --------
    >>> c = resolve_config(base_url="http://localhost:11434/v1", model="llama3.1", environ={})
    >>> c.host, c.model, c.key_source
    ('localhost:11434', 'llama3.1', 'dummy (local endpoint)')
    """
    env = os.environ if environ is None else environ
    base = base_url or env.get("OPENAI_BASE_URL") or None
    if base:
        parsed = urlparse(base)
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
                          azure_api_version=env.get("OPENAI_API_VERSION", "2024-10-21"))


def _redact(text: str, key: str) -> str:
    if key and len(key) >= 4:
        text = text.replace(key, "[REDACTED]")
    return text


def _retry_after(err: openai.APIStatusError) -> float | None:
    headers = getattr(err.response, "headers", {}) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        v = headers.get(name)
        if v is not None:
            try:
                return max(0.0, float(v) * scale)
            except ValueError:
                return None
    return None


def _first_line(e: BaseException) -> str:
    msg = getattr(e, "message", None) or str(e) or e.__class__.__name__
    return " ".join(str(msg).split())[:300]


class OpenAIChatModel:
    """A chat model behind an OpenAI-compatible endpoint.

    Parameters
    ----------
    config : EndpointConfig
    identity : str, optional
        What the cache key uses for the endpoint; default ``host/model``. The simulated expert
        passes a stable identity so its ephemeral port never changes the key.
    timeout : float
        Seconds per request (connect and read).
    retries : int
        Retries after the first attempt for 429, 5xx, timeouts and connection errors.
    backoff : float
        Base of the exponential backoff, seconds.
    """

    def __init__(self, config: EndpointConfig, *, identity: str | None = None, timeout: float = 60.0,
                 retries: int = 4, backoff: float = 0.5, max_wait: float = 60.0) -> None:
        self.config = config
        self.model = config.model
        self.identity = identity or f"{config.host}/{config.model}"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._client: Any = None
        self._lock = threading.Lock()
        # parameters this endpoint turned out not to accept (detected once, then left out)
        self._unsupported: set[str] = set()
        self._debug = os.environ.get("CAUSALLLM_SHOW_REQUESTS", "") not in ("", "0")

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                c = self.config
                if c.is_azure:
                    self._client = openai.AzureOpenAI(api_key=c.api_key, azure_endpoint=c.base_url or "",
                                                      api_version=c.azure_api_version, max_retries=0,
                                                      timeout=self.timeout)
                else:
                    self._client = openai.OpenAI(api_key=c.api_key, base_url=c.base_url, max_retries=0,
                                                 timeout=self.timeout)
            return self._client

    def _echo(self, label: str, payload: Any) -> None:
        if self._debug:
            text = payload if isinstance(payload, str) else json.dumps(payload, default=str)
            auth = f"Authorization: Bearer {self.config.api_key}"
            print(_redact(f"[causalllm {label}] {auth if label == 'request' else ''} {text}", self.config.api_key),
                  file=sys.stderr)

    def _request(self, messages: list[dict], schema_name: str, schema: dict, temperature: float | None,
                 seed: int | None) -> dict:
        req: dict[str, Any] = {"model": self.model, "messages": messages}
        if temperature is not None and "temperature" not in self._unsupported:
            req["temperature"] = temperature
        if seed is not None and "seed" not in self._unsupported:
            req["seed"] = seed
        if "response_format" not in self._unsupported:
            req["response_format"] = {"type": "json_schema",
                                      "json_schema": {"name": schema_name, "schema": schema, "strict": True}}
        return req

    def _unsupported_param(self, err: openai.APIStatusError, req: dict) -> str | None:
        """Which request parameter an error blames, if any (then we drop it for this endpoint)."""
        text = _first_line(err).lower()
        if err.status_code in (400, 422, 500, 501) and "response_format" in req:
            if err.status_code >= 500 or any(w in text for w in ("response_format", "json_schema", "schema", "grammar")):
                return "response_format"
        if err.status_code in (400, 422):
            for p in ("temperature", "seed"):
                if p in req and p in text:
                    return p
        return None

    def complete(self, messages: list[dict], schema_name: str, schema: dict, *,
                 temperature: float | None = 0.0, seed: int | None = None) -> Completion:
        """One chat completion with the retry policy of the module docstring.

        Raises :class:`TransientLLMError` when retries are exhausted and
        :class:`~causalllm.errors.LLMError` for failures that make every call fail.
        """
        client = self._get_client()
        attempt = 0
        t0 = time.perf_counter()
        while True:
            req = self._request(messages, schema_name, schema, temperature, seed)
            self._echo("request", {"url": self.config.base_url, **req})
            try:
                resp = client.chat.completions.create(**req)
            except openai.APIStatusError as e:
                param = self._unsupported_param(e, req)
                if param is not None:
                    with self._lock:
                        self._unsupported.add(param)
                    self._echo("fallback", f"endpoint rejected {param} (HTTP {e.status_code}); asking without it")
                    continue
                code = e.status_code
                if code in (401, 403):
                    raise LLMError(f"the endpoint {self.config.host} rejected the API key (HTTP {code}: "
                                   f"{_first_line(e)}); check {self.config.key_source if self.config.key_source.startswith('$') else 'OPENAI_API_KEY'} or --api-key-env") from None
                if code == 404:
                    raise LLMError(f"model '{self.model}' or the chat endpoint was not found at "
                                   f"{self.config.base_url or 'api.openai.com'} (HTTP 404: {_first_line(e)}); check --model "
                                   "(Ollama: 'ollama pull MODEL') and that --base-url ends in /v1") from None
                if code == 429 or code >= 500 or code == 408:
                    attempt += 1
                    if attempt > self.retries:
                        raise TransientLLMError(f"HTTP {code}: {_first_line(e)}") from None
                    wait = _retry_after(e) if code == 429 else None
                    self._sleep(attempt, wait)
                    continue
                raise TransientLLMError(f"HTTP {code}: {_first_line(e)}") from None
            except openai.APITimeoutError:
                attempt += 1
                if attempt > self.retries:
                    raise TransientLLMError(f"timed out after {self.timeout:g} s ({attempt} attempts)") from None
                self._sleep(attempt, None)
                continue
            except openai.APIConnectionError as e:
                attempt += 1
                if attempt > self.retries:
                    raise LLMError(f"cannot reach {self.config.base_url or 'api.openai.com'} ({_first_line(e.__cause__ or e)}); "
                                   "check --base-url and that the server is running") from None
                self._sleep(attempt, None)
                continue
            except (json.JSONDecodeError, openai.APIResponseValidationError) as e:
                # a 200 whose body is not a chat completion: a misconfigured proxy or URL
                attempt += 1
                if attempt > self.retries:
                    raise TransientLLMError(f"the endpoint answered with a body that is not a chat completion ({_first_line(e)})") from None
                self._sleep(attempt, None)
                continue
            text = ""
            if getattr(resp, "choices", None):
                msg = resp.choices[0].message
                text = (msg.content or "") if msg is not None else ""
                if not text and getattr(msg, "refusal", None):
                    text = str(msg.refusal)
            usage = getattr(resp, "usage", None)
            out = Completion(text=text,
                             prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                             completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
                             latency_s=time.perf_counter() - t0, attempts=attempt + 1,
                             json_mode="json_schema" if "response_format" in req else "instructions")
            self._echo("response", text)
            return out

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        if retry_after is not None:
            delay = min(retry_after, self.max_wait)
        else:
            delay = random.uniform(0, min(self.max_wait, self.backoff * 2 ** (attempt - 1)))
        time.sleep(delay)
