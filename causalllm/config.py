"""Every setting of a run in one place: the choices, the defaults, the environment.

A run is described by one frozen :class:`RunConfig` (with its :class:`LLMConfig`); the CLI
builds it from its options with :meth:`RunConfig.from_options`, a Python caller builds it
directly, and both give the same run. An unknown option is a :class:`ConfigError`, never
swallowed. The choice tuples below are what ``click.Choice`` offers and what the library
validates against.

This is the only module that reads the environment (``os.environ``).

Lookup order (first found wins)
-------------------------------
* **backend**: ``--llm``; when not given, ``openai`` if a key or base URL is configured
  (``--base-url``, ``--api-key-env``, ``$OPENAI_API_KEY``, ``$OPENAI_BASE_URL``), else ``none``.
* **base URL**: ``--base-url``, then ``$OPENAI_BASE_URL``, then OpenAI's default.
* **API key**: the variable named by ``--api-key-env NAME``, then ``$OPENAI_API_KEY``, then
  ``$AZURE_OPENAI_API_KEY`` (Azure URLs); a local endpoint without a key gets a dummy key.
* **model**: ``--model``, then ``$CAUSALLLM_MODEL``, then :data:`DEFAULT_MODEL`.
* **Azure API version**: ``$OPENAI_API_VERSION``, then ``2024-10-21``.
* **answer cache**: ``--cache``, then ``$CAUSALLLM_CACHE_DIR/llm_cache.sqlite``, then the user
  cache folder.
* ``$CAUSALLLM_SHOW_REQUESTS=1`` echoes each request and response to stderr, key redacted.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from .errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TESTS", "ENGINES", "POLICIES", "STRATEGIES", "CONFOUNDER_MODES", "BACKENDS", "EVALUATE_BACKENDS", "FORMATS",
    "RANKDIRS", "LAYOUTS", "DECIMALS", "EXPORT_FORMATS", "CONFOUNDER_VIEWS", "MISSING", "STREAMING", "PROFILES",
    "PAIR_BENCHMARKS",
    "DEFAULT_ALPHA", "DEFAULT_PRIOR_THRESHOLD", "DEFAULT_TIMEOUT", "DEFAULT_RETRIES", "DEFAULT_CONCURRENCY",
    "DEFAULT_MODEL", "DEFAULT_PROFILE", "DEFAULT_BINS",
    "LLMConfig", "RunConfig", "EndpointConfig",
    "environment", "choose_backend", "resolve_endpoint", "default_cache_path", "show_requests",
]

# ------------------------------------------------------------------ choices

#: CI tests; ``auto`` picks Fisher-z (continuous), G² (discrete) or the conditional-Gaussian test (mixed).
TESTS = ("auto", "fisherz", "chisq", "gsq", "cg", "dg", "kci")
#: PC engines: causalllm's own (sufficient statistics, batched tests) or causal-learn's, the reference.
ENGINES = ("native", "causal-learn")
#: Merge policies (see :mod:`causalllm.merge`).
POLICIES = ("auto", "guided", "orient", "prior", "report")
#: Which pairs the LLM is asked about (see :mod:`causalllm.priors`).
STRATEGIES = ("skeleton", "all", "undirected")
#: Which pairs the LLM is asked for common causes.
CONFOUNDER_MODES = ("skeleton", "all", "none")
#: LLM backends of ``discover`` and ``ask``.
BACKENDS = ("openai", "simulated", "none")
#: Experts ``evaluate`` can score.
EVALUATE_BACKENDS = ("simulated", "openai")
#: Picture formats (``graph.dot`` is always written).
FORMATS = ("svg", "png", "pdf", "dot")
RANKDIRS = ("LR", "TB", "RL", "BT")
#: Graphviz layout engines (``--layout``).
LAYOUTS = ("dot", "neato", "fdp", "sfdp", "circo", "twopi", "osage", "patchwork")
#: What to do with rows holding missing values.
MISSING = ("drop", "error")
#: How suggested confounders are drawn (``--confounders-view``).
CONFOUNDER_VIEWS = ("latent", "pairs", "none")
#: Interchange formats of ``--export`` (causalllm.formats.EXPORTS).
EXPORT_FORMATS = ("gml", "dagitty", "tetrad", "amat")
#: Decimal marks of ``--decimal``.
DECIMALS = (".", ",")
#: How a data file is read: auto streams files of 256 MB or more into statistics (causalllm.stream).
STREAMING = ("auto", "always", "never")
#: Simulated expert profiles (``flip=P``, ``topical=U``, ``confident-wrong=P`` with P, U in [0, 1]).
PROFILES = ("perfect", "gpt4", "random", "anonymised", "topical=U", "confident-wrong=P", "flip=P")
#: Pairwise benchmarks of ``evaluate --pairs``.
PAIR_BENCHMARKS = ("tuebingen",)

# ------------------------------------------------------------------ defaults

DEFAULT_ALPHA = 0.05
#: ``prior`` policy: minimum confidence for an answer to become background knowledge.
DEFAULT_PRIOR_THRESHOLD = 0.7
#: Above this share of unusable LLM answers (invalid or unanswered) a run warns loudly (stderr, report banner).
UNUSABLE_WARN_SHARE = 0.5
#: Seconds per LLM request.
DEFAULT_TIMEOUT = 60.0
#: Retries after the first attempt (429, 5xx, timeouts, connection errors).
DEFAULT_RETRIES = 4
DEFAULT_CONCURRENCY = 8
DEFAULT_MODEL = "gpt-4o"
DEFAULT_PROFILE = "gpt4"
#: Quantile bins for continuous columns under a discrete CI test.
DEFAULT_BINS = 4
DEFAULT_AZURE_API_VERSION = "2024-10-21"

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"unknown {name} {value!r}; use one of {', '.join(choices)}")


# ------------------------------------------------------------------ the run

@dataclass(frozen=True)
class LLMConfig:
    """Which LLM, how to reach it, and what to ask it.

    Parameters
    ----------
    backend : {"openai", "simulated", "none"}, optional
        None: ``openai`` when a key or base URL is configured, else ``none``.
    model, base_url, api_key_env : str, optional
        The endpoint (see the lookup order in the module docstring).
    timeout : float
        Seconds per request.
    retries : int
        Retries after the first attempt.
    truth : str, optional
        Simulated expert: the true edges (bundled datasets bring theirs).
    profile : str
        Simulated expert: ``perfect``, ``gpt4``, ``random`` or ``flip=P``.
    order_bias, latency, fail_rate : float
        Simulated expert: probability of "first causes second", seconds per answer, faults.
    strategy : {"skeleton", "all", "undirected"}
        Pairs asked about.
    samples : int
        Answers per pair and order (self-consistency).
    single_order : bool
        Ask each pair in one order only.
    confounders : {"skeleton", "all", "none"}
        Pairs asked about common causes.
    concurrency : int
        Requests in flight at most.
    max_calls : int, optional
        Hard budget of calls.
    cache : str, optional
        SQLite answer cache (default: see the lookup order).
    no_cache : bool
        Neither read nor write the cache.
    prompts : str, optional
        YAML/JSON file overriding prompt templates.
    share_stats : bool
        Add summary statistics (never rows) to prompts.

    Examples
    --------
    >>> LLMConfig(backend="simulated").profile
    'gpt4'
    """

    backend: str | None = None
    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    truth: str | None = None
    profile: str = DEFAULT_PROFILE
    order_bias: float = 0.0
    latency: float = 0.0
    fail_rate: float = 0.0
    strategy: str = "skeleton"
    samples: int = 1
    single_order: bool = False
    confounders: str = "skeleton"
    concurrency: int = DEFAULT_CONCURRENCY
    max_calls: int | None = None
    cache: str | None = None
    no_cache: bool = False
    prompts: str | None = None
    share_stats: bool = False

    def __post_init__(self) -> None:
        if self.backend is not None:
            _check_choice("--llm", self.backend, BACKENDS)
        _check_choice("--strategy", self.strategy, STRATEGIES)
        _check_choice("--confounders", self.confounders, CONFOUNDER_MODES)
        if self.samples < 1 or self.concurrency < 1:
            raise ConfigError("--samples and --concurrency must be at least 1")
        if self.max_calls is not None and self.max_calls < 0:
            raise ConfigError("--max-calls must be 0 or more")
        if not 0 <= self.order_bias <= 1 or not 0 <= self.fail_rate <= 1:
            raise ConfigError("--order-bias and --fail-rate must be between 0 and 1")
        if self.timeout <= 0:
            raise ConfigError(f"--timeout must be positive, got {self.timeout}")


#: LLMConfig fields that RunConfig.from_options and RunConfig.replace accept flat (``llm`` is the backend)
_LLM_FIELDS = frozenset(f.name for f in dataclasses.fields(LLMConfig)) - {"backend"}


@dataclass(frozen=True)
class RunConfig:
    """One run of ``discover`` (or ``ask``): the data, the data side, the LLM, the merge, the outputs.

    ``data`` is a file path, a bundled dataset name, or (from Python) a DataFrame or
    :class:`~causalllm.data.Dataset`; ``variables`` a variables file or a name → description
    mapping.

    Examples
    --------
    >>> cfg = RunConfig(data="cancer", llm=LLMConfig(backend="none"))
    >>> cfg.alpha, cfg.merge, cfg.llm.backend
    (0.05, 'auto', 'none')
    >>> RunConfig.from_options(data="cancer", llm="none") == cfg
    True
    >>> RunConfig.from_options(data="cancer", alpah=0.1)
    Traceback (most recent call last):
    ...
    causalllm.errors.ConfigError: unknown option(s) alpah; known: ...
    """

    data: str | Path | pd.DataFrame | Any = None
    variables: str | Path | Mapping[str, str] | None = None
    columns: tuple[str, ...] | None = None
    context: str | None = None
    missing: str = "drop"
    stream: str = "auto"
    dask: str | None = None
    sep: str | None = None
    decimal: str | None = None
    encoding: str | None = None
    na_values: tuple[str, ...] = ()
    alpha: float = DEFAULT_ALPHA
    test: str = "auto"
    engine: str = "native"
    max_depth: int | None = None
    bootstrap: int = 0
    probe_memorisation: int = 0
    knowledge: str | None = None
    merge: str = "auto"
    prior_threshold: float = DEFAULT_PRIOR_THRESHOLD
    priors: str | None = None
    llm: LLMConfig = field(default_factory=LLMConfig)
    seed: int = 0
    out: str | None = None
    fmt: str = "svg"
    png_width: int | None = None
    png_dpi: float | None = None
    confounders_view: str = "latent"
    exports: tuple[str, ...] = ()
    layout: str = "dot"
    rankdir: str = "LR"
    dry_run: bool = False
    price_per_1k: float | None = None
    fci: bool = True
    falsify: bool = True
    quiet: bool = False

    def __post_init__(self) -> None:
        if self.columns is not None and not isinstance(self.columns, tuple):
            object.__setattr__(self, "columns", tuple(self.columns))
        _check_choice("--missing", self.missing, MISSING)
        _check_choice("--stream", self.stream, STREAMING)
        _check_choice("CI test", self.test, TESTS)
        _check_choice("--engine", self.engine, ENGINES)
        _check_choice("--merge policy", self.merge, POLICIES)
        _check_choice("--format", self.fmt, FORMATS)
        _check_choice("--rankdir", self.rankdir, RANKDIRS)
        _check_choice("--layout", self.layout, LAYOUTS)
        _check_choice("--confounders-view", self.confounders_view, CONFOUNDER_VIEWS)
        if self.exports and not isinstance(self.exports, tuple):
            object.__setattr__(self, "exports", tuple(self.exports))
        for e in self.exports:
            _check_choice("--export format", e, EXPORT_FORMATS)
        if self.merge == "guided" and (self.knowledge or self.engine == "causal-learn" or self.test == "kci"):
            what = ("--knowledge" if self.knowledge else "--engine causal-learn" if self.engine == "causal-learn"
                    else "--test kci")
            raise ConfigError(f"--merge guided re-runs PC on the native engine, which {what} does not use; use "
                              f"--merge auto with {what}, or leave {what} out")
        if not isinstance(self.probe_memorisation, int) or self.probe_memorisation < 0:
            raise ConfigError(f"--probe-memorisation must be a whole number of 0 or more, got {self.probe_memorisation!r}")
        if not isinstance(self.bootstrap, int) or self.bootstrap < 0:
            raise ConfigError(f"--bootstrap must be a whole number of 0 or more, got {self.bootstrap!r}")
        if self.max_depth is not None and (not isinstance(self.max_depth, int) or self.max_depth < 0):
            raise ConfigError(f"--max-depth must be a whole number of 0 or more, got {self.max_depth!r}")
        if self.decimal is not None and self.decimal not in DECIMALS:
            raise ConfigError(f"--decimal must be '.' or ',', not {self.decimal!r}")
        if self.sep is not None and len(self.sep.encode().decode("unicode_escape")) != 1:
            raise ConfigError(f"--sep must be one character (',', ';', '\\t', '|', ' '), not {self.sep!r}")
        if self.sep is not None:
            object.__setattr__(self, "sep", self.sep.encode().decode("unicode_escape"))
        if self.na_values and not isinstance(self.na_values, tuple):
            object.__setattr__(self, "na_values", tuple(self.na_values))
        if not (isinstance(self.alpha, (int, float)) and 0 < float(self.alpha) < 1):
            raise ConfigError(f"alpha must be strictly between 0 and 1, got {self.alpha}; e.g. --alpha 0.05")
        if not 0 <= self.prior_threshold <= 1:
            raise ConfigError(f"--prior-threshold must be between 0 and 1, got {self.prior_threshold}")
        if self.priors is not None and self.llm.backend not in (None, "none"):
            raise ConfigError("--priors replaces the LLM; leave out --llm (or use --llm none)")

    @property
    def backend_requested(self) -> str | None:
        """``--llm`` as given; a priors file means no LLM is asked."""
        return "none" if self.priors is not None else self.llm.backend

    @classmethod
    def from_options(cls, **opts: Any) -> RunConfig:
        """Build from flat options (the CLI's keyword arguments); an unknown name is an error.

        ``llm`` is the backend name; every :class:`LLMConfig` field may be given flat.
        ``columns`` may be a comma-separated string.
        """
        llm_fields = _LLM_FIELDS
        run_fields = {f.name for f in dataclasses.fields(cls)} - {"llm"}
        unknown = sorted(set(opts) - llm_fields - run_fields - {"llm"})
        if unknown:
            raise ConfigError(f"unknown option(s) {', '.join(unknown)}; known: "
                              f"{', '.join(sorted(llm_fields | run_fields | {'llm'}))}")
        llm_kw = {k: opts[k] for k in llm_fields if k in opts}
        if "strategy" in llm_kw and llm_kw["strategy"] is None:
            # guided steers PC's tests with the LLM's view of every pair, so it asks them all
            llm_kw["strategy"] = "all" if opts.get("merge") == "guided" else "skeleton"
        backend = opts.get("llm")
        if isinstance(backend, LLMConfig):
            llm = dataclasses.replace(backend, **llm_kw)
        else:
            llm = LLMConfig(backend=backend, **llm_kw)
        run_kw = {k: opts[k] for k in run_fields if k in opts}
        if isinstance(run_kw.get("columns"), str):
            run_kw["columns"] = tuple(c.strip() for c in run_kw["columns"].split(",") if c.strip()) or None
        if isinstance(run_kw.get("exports"), str):
            run_kw["exports"] = tuple(c.strip() for c in run_kw["exports"].split(",") if c.strip())
        if run_kw.get("exports") is None and "exports" in run_kw:
            run_kw["exports"] = ()
        if isinstance(run_kw.get("na_values"), str):
            run_kw["na_values"] = tuple(c.strip() for c in run_kw["na_values"].split(",") if c.strip())
        if run_kw.get("na_values") is None and "na_values" in run_kw:
            run_kw["na_values"] = ()
        return cls(llm=llm, **run_kw)

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (flat LLM fields allowed, as in :meth:`from_options`)."""
        llm_kw = {k: changes.pop(k) for k in list(changes) if k in _LLM_FIELDS}
        if "llm" in changes and not isinstance(changes["llm"], LLMConfig):
            llm_kw["backend"] = changes.pop("llm")
        llm = dataclasses.replace(changes.pop("llm", self.llm), **llm_kw)
        return dataclasses.replace(self, llm=llm, **changes)

    def recorded_options(self) -> dict[str, Any]:
        """The options a manifest records: every setting but the inputs, the folder and ``quiet``; never a key."""
        L = self.llm
        return {
            "llm": self.backend_requested, "context": self.context,
            "columns": ",".join(self.columns) if self.columns else None, "missing": self.missing,
            "stream": self.stream, "dask": self.dask, "sep": self.sep, "decimal": self.decimal,
            "encoding": self.encoding, "na_values": ",".join(self.na_values) or None, "alpha": self.alpha,
            "test": self.test, "engine": self.engine,
            "max_depth": self.max_depth, "bootstrap": self.bootstrap,
            "probe_memorisation": self.probe_memorisation, "knowledge": self.knowledge, "fci": self.fci,
            "falsify": self.falsify,
            "fmt": self.fmt, "exports": ",".join(self.exports) or None, "png_width": self.png_width,
            "png_dpi": self.png_dpi, "confounders_view": self.confounders_view,
            "layout": self.layout, "rankdir": self.rankdir,
            "model": L.model, "base_url": scrub_urls(L.base_url) if L.base_url else None,
            "api_key_env": L.api_key_env, "truth": L.truth,
            "profile": L.profile, "order_bias": L.order_bias, "latency": L.latency, "fail_rate": L.fail_rate,
            "samples": L.samples, "single_order": L.single_order, "confounders": L.confounders,
            "concurrency": L.concurrency, "max_calls": L.max_calls, "cache": L.cache, "no_cache": L.no_cache,
            "dry_run": self.dry_run, "price_per_1k": self.price_per_1k, "share_stats": L.share_stats,
            "prompts": L.prompts, "timeout": L.timeout, "strategy": L.strategy, "merge": self.merge,
            "prior_threshold": self.prior_threshold, "priors": self.priors, "seed": self.seed,
        }


# ------------------------------------------------------------------ the environment

def environment() -> Mapping[str, str]:
    """The process environment (the one place causalllm reads it)."""
    return os.environ


def choose_backend(llm: str | None, *, base_url: str | None = None, api_key_env: str | None = None,
                   environ: Mapping[str, str] | None = None) -> str:
    """The backend to use: ``llm`` if given, else ``openai`` when a key or URL is configured, else ``none``.

    Examples
    --------
    >>> choose_backend(None, environ={}), choose_backend(None, environ={"OPENAI_API_KEY": "k"})
    ('none', 'openai')
    """
    env = environment() if environ is None else environ
    if llm:
        _check_choice("--llm", llm, BACKENDS)
        return llm
    if base_url or api_key_env or env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"):
        return "openai"
    return "none"


#: URL query parameters that carry credentials.
_SECRET_PARAM = re.compile(r"key|token|secret|password|sig|auth", re.I)
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
            found += [v for k, vs in parse_qs(u.query).items() for v in vs if _SECRET_PARAM.search(k)]
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
                     environ: Mapping[str, str] | None = None) -> EndpointConfig:
    """Apply the documented lookup order to options and the environment.

    Examples
    --------
    >>> c = resolve_endpoint(base_url="http://localhost:11434/v1", model="llama3.1", environ={})
    >>> c.host, c.model, c.key_source
    ('localhost:11434', 'llama3.1', 'dummy (local endpoint)')
    """
    env = environment() if environ is None else environ
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


def default_cache_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$CAUSALLLM_CACHE_DIR/llm_cache.sqlite``, else the user cache folder."""
    env = environment() if environ is None else environ
    folder = env.get("CAUSALLLM_CACHE_DIR")
    if folder:
        return Path(folder) / "llm_cache.sqlite"
    import platformdirs

    return Path(platformdirs.user_cache_dir("causalllm")) / "llm_cache.sqlite"


def show_requests(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``$CAUSALLLM_SHOW_REQUESTS`` asks to echo requests and responses to stderr."""
    env = environment() if environ is None else environ
    return env.get("CAUSALLLM_SHOW_REQUESTS", "") not in ("", "0")
