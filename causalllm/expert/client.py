"""The LLM client: the only module that imports ``openai``.

:class:`ChatModel` is what the rest of causalllm needs of a model; :class:`OpenAIChatModel`
implements it for any OpenAI-compatible chat-completions endpoint: OpenAI, Azure OpenAI,
Ollama, vLLM, LM Studio, llama.cpp server, and causalllm's own simulated expert.
:func:`open_llm` turns an :class:`~causalllm.config.LLMConfig` into a model for the length of
a run (for ``simulated`` it serves the simulated expert on an ephemeral loopback port, so the
real HTTP client path is always exercised).

Where the endpoint, key and model come from is :mod:`causalllm.expert.endpoint`'s lookup order. The
key lives only in memory: it is never written to any file, log, cache, manifest or report.
``CAUSALLLM_SHOW_REQUESTS=1`` echoes each request and response to stderr with the key redacted.

Retry policy (owned here; the openai client's own retries are off)
------------------------------------------------------------------
429 waits for ``Retry-After`` (capped at 60 s); 5xx, timeouts and connection errors retry
with exponential backoff and full jitter, at most ``retries`` times. 401/403, an unknown
model (404) and a bad URL stop the run at once with a specific one-line message
(:class:`~causalllm.errors.LLMError`); a call that still fails after its retries raises
:class:`~causalllm.errors.TransientLLMError` and its question is recorded unanswered. A server
that rejects ``response_format={"type": "json_schema"}`` (llama.cpp's Python server answers
HTTP 500) is detected once per endpoint and asked with instructions only from then on.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigError, LLMError, TransientLLMError
from ..secrets import scrub
from .endpoint import EndpointConfig, choose_backend, resolve_endpoint
from .prompts import Prompts
from .registry import DEFAULT_RETRIES, DEFAULT_TIMEOUT

__all__ = ["ChatModel", "Completion", "ExpertSettings", "OpenAIChatModel",
           "open_llm"]


if TYPE_CHECKING:
    import openai
# openai itself is imported where a request is made: it takes ~0.4 s, which a run without an LLM never pays

log = logging.getLogger("causalllm")
#: ``$CAUSALLLM_SHOW_REQUESTS=1``: each request and response, through the log's scrubbing boundary
requests_log = logging.getLogger("causalllm.requests")


@dataclass(frozen=True)
class Completion:
    """One chat completion's text and accounting."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    attempts: int = 1
    json_mode: str = "json_schema"
    refusal: str | None = None  # the model declined (``message.refusal``), no content
    model: str = ""  # the model the server says answered


class ChatModel(Protocol):
    """What causalllm needs of a model: :class:`OpenAIChatModel`, or a test's fake.

    ``identity`` names the endpoint in cache keys; ``complete`` returns a :class:`Completion`,
    raises :class:`~causalllm.errors.TransientLLMError` for a call that failed after its
    retries and :class:`~causalllm.errors.LLMError` for a failure that stops the run.
    """

    identity: str
    model: str

    def complete(self, messages: list[dict], schema_name: str, schema: dict, *,
                 temperature: float | None = 0.0, seed: int | None = None) -> Completion: ...


def _retry_after(err: openai.APIStatusError) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, or ``Retry-After`` as seconds or an HTTP date."""
    headers = getattr(err.response, "headers", {}) or {}
    v = headers.get("retry-after-ms")
    if v is not None:
        try:
            return max(0.0, float(v) / 1000)
        except ValueError:
            pass
    v = headers.get("retry-after")
    if v is None:
        return None
    try:
        return max(0.0, float(v))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


#: What reading a reply can raise besides the client's own errors (a body nested too deep, an odd type).
_READ_ERRORS = (RecursionError, ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError,
                UnicodeError)


def _first_message(resp: Any) -> Any:
    """The first choice's message, or None (no choices, ``choices: [null]``, a choice without a message)."""
    choices = getattr(resp, "choices", None)
    if not isinstance(choices, list) or not choices:
        return None
    return getattr(choices[0], "message", None)


def _content_text(content: Any) -> str:
    """A message's content as text: text as is, the text parts of a list joined, anything else as its JSON."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") if isinstance(p, dict) else getattr(p, "text", None) for p in content]
        return "".join(p for p in parts if isinstance(p, str))
    try:
        return json.dumps(content, default=str)[:100_000]
    except (*_READ_ERRORS,):
        return ""


def _count(value: Any) -> int:
    """A token count as the server sent it, or 0 when it is not a whole number."""
    try:
        n = int(value or 0)
    except (*_READ_ERRORS,):
        return 0
    return n if 0 <= n < 10**12 else 0


#: What a try returns when the request is to be sent again (any other value is the server's response).
_AGAIN = object()


@dataclass
class _Tries:
    """How one question's tries went: failed tries so far, and server errors among them."""

    attempt: int = 0
    server_errors: int = 0


class _Deadline(Exception):
    """A request ran past its deadline (or was cancelled): handled as a timeout inside :meth:`complete`."""


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
    echo : bool
        Echo each request and response to stderr, redacted (``$CAUSALLLM_SHOW_REQUESTS=1``).
    """

    def __init__(self, config: EndpointConfig, *, identity: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 retries: int = DEFAULT_RETRIES, backoff: float = 0.5, max_wait: float = 60.0,
                 echo: bool = False) -> None:
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
        self._schema_ok = False  # a request with the JSON schema has succeeded here
        self._answered = False  # a question was answered here: the key and the model are right
        self._cancel = threading.Event()
        self._debug = echo
        if echo:  # shown even with --quiet: the user asked for it
            requests_log.setLevel(logging.INFO)

    def _get_client(self) -> Any:
        import openai

        with self._lock:
            if self._client is None:
                c = self.config
                if c.is_azure:
                    self._client = openai.AzureOpenAI(api_key=c.api_key, azure_endpoint=c.base_url or "",
                                                      api_version=c.azure_api_version, max_retries=0,
                                                      timeout=self.timeout, default_query=c.query or None)
                else:
                    self._client = openai.OpenAI(api_key=c.api_key, base_url=c.base_url, max_retries=0,
                                                 timeout=self.timeout, default_query=c.query or None)
            return self._client

    def check(self) -> None:
        """One cheap request (``GET /models``) before any work: a wrong URL, a refused key or a web page
        instead of the API is a one-line error now, not after PC. Servers without the route pass."""
        import openai

        if self.config.is_azure:
            return  # Azure lists deployments elsewhere; its first question tells
        url = self.config.safe_url
        limit = min(self.timeout, 10.0)
        try:
            page = self._within_deadline(lambda: self._get_client().with_options(timeout=limit).models.list(), limit)
            names = [str(m.id) for m in page.data] if hasattr(page, "data") else None
        except _Deadline:
            log.warning("%s sent no complete model list within %g s: only cached answers may be usable; check "
                        "--base-url and that the server runs", url, limit)
            return
        except (openai.AuthenticationError, openai.PermissionDeniedError) as e:
            raise ConfigError(f"{url} refused the API key ({e.status_code}); check the key in "
                              f"{self.config.key_source or 'the environment'}") from None
        except openai.APIConnectionError as e:
            # not fatal: cached answers may still carry the run (and a total failure is loud at the end)
            log.warning("cannot reach %s (%s): only cached answers will be usable; check --base-url and that the "
                        "server runs", url, _first_line(e))
            return
        except openai.APIStatusError:
            return  # no model list here (404/405/501...): the questions will tell
        except (openai.APIResponseValidationError, *_READ_ERRORS):
            names = None
        if names is None:
            raise ConfigError(f"{url} did not answer like an OpenAI-compatible API (no JSON model list); is the "
                              "base URL missing /v1? e.g. --base-url http://localhost:11434/v1")
        if names and self.model not in names:
            log.warning("model %r is not among the %d models %s lists (%s); the server may still route it",
                        self.model, len(names), url, scrub(", ".join(n[:80] for n in names[:5])))

    def _echo(self, label: str, payload: Any) -> None:
        if self._debug:  # through the log's one boundary, which scrubs every secret
            text = payload if isinstance(payload, str) else json.dumps(payload, default=str)
            auth = f"Authorization: Bearer {self.config.api_key}"
            requests_log.info("[causalllm %s] %s %s", label, auth if label == "request" else "", text)

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

    def _unsupported_param(self, err: openai.APIStatusError, req: dict, failures: int) -> str | None:
        """Which request parameter an error blames, if any (then we drop it for this endpoint).

        The JSON schema is dropped only on an answer about it: an error that names it, or — for
        servers that fail with a bare 500 (llama.cpp's Python server) — a 5xx on every try of this
        call while no schema request has ever succeeded here. A transient 500 mid-run changes nothing."""
        text = _first_line(err).lower()
        if err.status_code in (400, 422, 500, 501) and "response_format" in req:
            if any(w in text for w in ("response_format", "json_schema", "schema", "grammar")):
                return "response_format"
            if err.status_code >= 500 and failures >= 1 and not self._schema_ok:
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
        tries = _Tries()
        t0 = time.perf_counter()
        while True:
            req = self._request(messages, schema_name, schema, temperature, seed)
            self._echo("request", {"url": self.config.base_url, **req})
            resp = self._attempt(client, req, tries)
            if resp is not _AGAIN:
                return self._completion(resp, req, tries.attempt, t0)

    def _attempt(self, client: Any, req: dict, tries: _Tries) -> Any:
        """One try of ``req``: the response (whatever it is), or ``_AGAIN`` when it is to be tried again."""
        import openai

        try:
            return self._within_deadline(lambda: client.chat.completions.create(**req))
        except _Deadline:
            self._retry(tries, None, lambda: "cancelled" if self._cancel.is_set() else
                        f"timed out: no complete reply within {self.timeout:g} s ({tries.attempt} attempts)")
        except openai.APIStatusError as e:
            self._on_status(e, req, tries)
        except openai.APITimeoutError:
            self._retry(tries, None, lambda: f"timed out after {self.timeout:g} s ({tries.attempt} attempts)")
        except openai.APIConnectionError as e:
            # this question fails; whether the endpoint is gone is the asker's call (every call failing)
            why = f"cannot reach {self.config.safe_url} ({self.config.redact(_first_line(e.__cause__ or e))})"
            self._retry(tries, None, lambda: why)
        except (json.JSONDecodeError, openai.APIResponseValidationError, *_READ_ERRORS) as e:
            # a 200 whose body is not a chat completion (a misconfigured proxy or URL), or one that cannot be read
            why = f"the endpoint answered with a body that is not a chat completion ({self.config.redact(_first_line(e))})"
            self._retry(tries, None, lambda: why)
        return _AGAIN

    def _retry(self, tries: _Tries, retry_after: float | None, why: Callable[[], str]) -> None:
        """Count a failed try; past the retries (or on Ctrl-C) the question fails with ``why()``."""
        tries.attempt += 1
        if tries.attempt > self.retries or self._cancel.is_set():
            raise TransientLLMError(why()) from None
        self._sleep(tries.attempt, retry_after)

    def _on_status(self, e: openai.APIStatusError, req: dict, tries: _Tries) -> None:
        """An HTTP error: drop a parameter the endpoint rejects, stop on a wrong key or model, retry what may pass."""
        param = self._unsupported_param(e, req, tries.server_errors)
        tries.server_errors += e.status_code >= 500
        if param is not None:
            with self._lock:
                self._unsupported.add(param)
            self._echo("fallback", f"endpoint rejected {param} (HTTP {e.status_code}); asking without it")
            return
        code = e.status_code
        said = self.config.redact(_first_line(e))  # a server may echo the key back
        if code in (401, 403, 404) and self._answered:
            # the key and the model were right for earlier questions: this one failed, the run goes on
            raise TransientLLMError(f"HTTP {code}: {said}") from None
        if code in (401, 403):
            where = self.config.key_source if self.config.key_source.startswith("$") else "OPENAI_API_KEY"
            raise LLMError(f"the endpoint {self.config.host} rejected the API key (HTTP {code}: "
                           f"{said}); check {where} or --api-key-env") from None
        if code == 404:
            raise LLMError(f"model '{self.model}' or the chat endpoint was not found at "
                           f"{self.config.safe_url} (HTTP 404: {said}); check --model "
                           "(Ollama: 'ollama pull MODEL') and that --base-url ends in /v1") from None
        if code == 429 or code >= 500 or code == 408:
            self._retry(tries, _retry_after(e) if code in (429, 503) else None, lambda: f"HTTP {code}: {said}")
            return
        raise TransientLLMError(f"HTTP {code}: {said}") from None

    def _completion(self, resp: Any, req: dict, attempt: int, t0: float) -> Completion:
        """What a response says — its text (or refusal), the model that answered, tokens and timing — read
        whatever its shape: text in a list of parts is joined, other content is read as its JSON, a missing
        message is an empty reply, unreadable counts are 0. Everything is scrubbed of secrets."""
        msg = _first_message(resp)
        text = _content_text(getattr(msg, "content", None))
        refusal = getattr(msg, "refusal", None)
        usage = getattr(resp, "usage", None)
        if "response_format" in req:
            self._schema_ok = True
        self._answered = True
        out = Completion(text=scrub(text), refusal=scrub(str(refusal))[:2000] if refusal and not text else None,
                         model=scrub(str(getattr(resp, "model", "") or ""))[:200],
                         prompt_tokens=_count(getattr(usage, "prompt_tokens", 0)),
                         completion_tokens=_count(getattr(usage, "completion_tokens", 0)),
                         latency_s=time.perf_counter() - t0, attempts=attempt + 1,
                         json_mode="json_schema" if "response_format" in req else "instructions")
        self._echo("response", out.text)
        return out

    def _within_deadline(self, call: Callable[[], Any], timeout: float | None = None) -> Any:
        """``call()`` with ``timeout`` (default: the client's) as a deadline for the whole reply: a server that
        trickles its body a byte at a time is abandoned when it is up (the client's own timeout is per read)."""
        box: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                box["resp"] = call()
            except BaseException as e:  # noqa: BLE001 - handed to the caller's thread, re-raised there
                box["error"] = e
            finally:
                done.set()

        threading.Thread(target=run, daemon=True, name="causalllm-request").start()
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not done.wait(0.05):
            if self._cancel.is_set() or time.monotonic() > deadline:
                raise _Deadline
        if "error" in box:
            raise box["error"]
        return box["resp"]

    def cancel(self) -> None:
        """Stop waiting on requests in flight (Ctrl-C): they end as unanswered at once."""
        self._cancel.set()

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        if retry_after is not None:
            delay = min(retry_after, self.max_wait)
        else:
            delay = random.uniform(0, min(self.max_wait, self.backoff * 2 ** (attempt - 1)))
        self._cancel.wait(delay)  # a Ctrl-C ends the wait


class ExpertSettings(Protocol):
    """What :func:`open_llm` reads of a run's LLM settings (:class:`causalllm.config.LLMConfig`)."""

    @property
    def backend(self) -> str | None: ...
    @property
    def model(self) -> str | None: ...
    @property
    def base_url(self) -> str | None: ...
    @property
    def api_key_env(self) -> str | None: ...
    @property
    def timeout(self) -> float: ...
    @property
    def retries(self) -> int: ...
    @property
    def truth(self) -> str | None: ...
    @property
    def profile(self) -> str: ...
    @property
    def order_bias(self) -> float: ...
    @property
    def latency(self) -> float: ...
    @property
    def fail_rate(self) -> float: ...


@contextlib.contextmanager
def open_llm(cfg: ExpertSettings, *, environ: Mapping[str, str], truth: Any = None, seed: int = 0,
             prompts: Prompts | None = None, quiet: bool = False, echo: bool = False
             ) -> Iterator[tuple[ChatModel | None, dict]]:
    """Yield ``(chat_model_or_None, info)`` for the backend ``cfg`` chooses; ``info`` goes to the manifest.

    ``environ`` is the environment the endpoint's lookup order reads; ``truth`` the simulated
    expert's true graph (a path or graph; ``cfg.truth`` wins); ``prompts`` the prompts the run
    sends, so the simulated expert reads them back.
    """
    backend = choose_backend(cfg.backend, base_url=cfg.base_url, api_key_env=cfg.api_key_env, environ=environ)
    if backend == "none":
        if cfg.backend is None and not quiet:
            log.info("no LLM configured (data only): set OPENAI_API_KEY, or --base-url http://localhost:11434/v1 "
                     "for Ollama, or --llm simulated --truth EDGES for the offline simulated expert")
        yield None, {"backend": "none"}
        return
    if backend == "openai":
        ep = resolve_endpoint(model=cfg.model, base_url=cfg.base_url, api_key_env=cfg.api_key_env, environ=environ)
        yield (OpenAIChatModel(ep, timeout=cfg.timeout, retries=cfg.retries, echo=echo),
               {"backend": "openai", **ep.public()})
        return
    from .simulate import SimulatedExpert

    truth = cfg.truth or truth
    if truth is None:
        raise ConfigError("--llm simulated needs --truth EDGES (a source,target file), or a bundled dataset name as DATA")
    sim = SimulatedExpert(truth, profile=cfg.profile, seed=seed, order_bias=cfg.order_bias, latency=cfg.latency,
                          fail_rate=cfg.fail_rate, prompts=prompts)
    with sim:
        ep = EndpointConfig(base_url=sim.url, model=f"simulated-{cfg.profile}", api_key="simulated",
                            key_source="simulated")
        info = {"backend": "simulated", "model": ep.model, "profile": cfg.profile, "order_bias": cfg.order_bias,
                "latency": cfg.latency, "fail_rate": cfg.fail_rate, "identity": sim.identity,
                "note": "SIMULATED expert answering from a known truth graph; not a real LLM"}
        yield OpenAIChatModel(ep, identity=sim.identity, timeout=cfg.timeout, retries=cfg.retries, echo=echo), info
