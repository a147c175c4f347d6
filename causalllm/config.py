"""Every setting of a run, declared once: a dataclass field with its default, help, choices and checks.

A run is described by one frozen :class:`RunConfig` (with its :class:`LLMConfig`). Each field is
declared with :func:`setting`, whose metadata (an :class:`Option`) carries the help text, the
choices — read from the stage's own registry (:data:`~causalllm.merge.policies.POLICIES`,
:data:`~causalllm.discovery.registry.CI_TESTS`, :data:`~causalllm.graph.registry.EXPORT_FORMATS`,
...) — the command-line flag and how the manifest records it. The CLI's options
(:func:`causalllm.cli.options`) and the manifest's recorded options (:meth:`RunConfig.recorded_options`)
are generated from these fields; validation happens once, here, in ``__post_init__``.

The CLI builds the config from its options with :meth:`RunConfig.from_options`, a Python caller
builds it directly, and both give the same run. An unknown option is a
:class:`~causalllm.errors.ConfigError`, never swallowed.

This is the only module that reads the environment (``os.environ``): :func:`environment` hands
it to the endpoint's lookup order (:mod:`causalllm.expert.endpoint`), the answer cache's default
place (:func:`default_cache_path`: ``--cache``, then ``$CAUSALLLM_CACHE_DIR/llm_cache.sqlite``,
then the user cache folder) and ``$CAUSALLLM_SHOW_REQUESTS=1`` (:func:`show_requests`), which
echoes each request and response to stderr, key redacted.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .data.registry import DECIMALS, MISSING, STREAMING
from .discovery.registry import DEFAULT_ALPHA, DEFAULT_MIN_ROWS_PER_STRATUM, ENGINES, TEST_CHOICES, alpha_problem
from .errors import ConfigError
from .expert.endpoint import choose_backend
from .expert.registry import (
    BACKENDS,
    CONFOUNDER_MODES,
    DEFAULT_CONCURRENCY,
    DEFAULT_MODEL,
    DEFAULT_PROFILE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    PROFILES,
    STRATEGIES,
    parse_profile,
)
from .graph.registry import EXPORT_FORMATS
from .merge.policies import DEFAULT_POLICY, DEFAULT_PRIOR_THRESHOLD, POLICIES
from .output.registry import CONFOUNDER_VIEWS, FORMATS, LAYOUTS, RANKDIRS
from .secrets import scrub

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LLMConfig", "Option", "RunConfig", "backend", "choose_backend", "default_cache_path", "default_of",
           "environment", "setting", "settings", "show_requests"]


@dataclass(frozen=True)
class Option:
    """How one setting appears on the command line and in the manifest.

    ``group`` names the option group a command takes (``data``, ``pc``, ``llm``, ...); ``flag`` the
    option's name (default ``--field-name``); ``choices`` the allowed values; ``path`` ``file`` or
    ``dir`` for a path; ``listed`` a comma-separated list of ``item``; ``low``/``high`` a numeric
    range; ``record`` how the manifest records the value (False: not at all); ``check`` a rule run
    on the value (a one-line error for a bad one).
    """

    help: str
    group: str
    flag: str | None = None
    short: str | None = None
    choices: Sequence[str] | None = None
    path: str | None = None
    listed: bool = False
    item: type = str
    low: float | None = None
    high: float | None = None
    metavar: str | None = None
    show_default: bool | str = True
    required: bool = False
    argument: bool = False
    record: bool | Callable[[Any], Any] = True
    check: Callable[[Any], str | None] | None = None


def setting(default: Any, help: str, group: str, **option: Any) -> Any:
    """A config field: its default and its :class:`Option` (``default`` may be a factory via ``factory=``)."""
    factory = option.pop("factory", None)
    meta = {"option": Option(help=help, group=group, **option)}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _joined(value: Sequence[str] | None) -> str | None:
    return ",".join(value) if value else None


def _positive(value: float) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    return None if ok else f"must be a positive number of seconds, got {value}"


def _share(value: float) -> str | None:
    return None if isinstance(value, (int, float)) and 0 <= value <= 1 else f"must be between 0 and 1, got {value}"


def _whole(value: Any, least: int = 0) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= least
    return None if ok else f"must be a whole number of {least} or more, got {value!r}"


def _profile(value: str) -> str | None:
    try:
        parse_profile(value)
    except ConfigError as e:
        return str(e)
    return None


def _sep(value: str | None) -> str | None:
    if value is None or len(value.encode().decode("unicode_escape")) == 1:
        return None
    return f"must be one character (',', ';', '\\t', '|', ' '), not {value!r}"


# ------------------------------------------------------------------ the LLM side

@dataclass(frozen=True)
class LLMConfig:
    """Which LLM, how to reach it, and what to ask it (each field's help is its option's).

    Examples
    --------
    >>> LLMConfig(backend="simulated").profile
    'gpt4'
    """

    backend: str | None = setting(None, "LLM backend; default openai when a key or base URL is set, else none.", "llm",
                                  flag="--llm", choices=BACKENDS, show_default=False, record=False)
    model: str | None = setting(None, f"Model name (default $CAUSALLLM_MODEL or {DEFAULT_MODEL}).", "endpoint")
    base_url: str | None = setting(None, "OpenAI-compatible endpoint, e.g. http://localhost:11434/v1.", "endpoint",
                                   record=lambda v: scrub(v) if v else None)
    api_key_env: str | None = setting(None, "Read the API key from this variable.", "endpoint", metavar="NAME")
    truth: str | None = setting(None, "Simulated expert: true edges (source,target); bundled datasets bring theirs.",
                                "llm", path="file")
    profile: str = setting(DEFAULT_PROFILE, "Simulated expert: " + ", ".join(p.spec for p in PROFILES.values()) + ".",
                           "llm", check=_profile)
    order_bias: float = setting(0.0, "Simulated expert: probability of answering 'first causes second'.", "llm",
                                show_default=False, check=_share)
    latency: float = setting(0.0, "Simulated expert: seconds per answer.", "llm", show_default=False)
    fail_rate: float = setting(0.0, "Simulated expert: injected fault rate.", "llm", show_default=False, check=_share)
    samples: int = setting(1, "Answers per pair and order (self-consistency).", "llm", check=lambda v: _whole(v, 1))
    single_order: bool = setting(False, "Ask each pair in one order only (default: both orders).", "llm")
    confounders: str = setting("skeleton", "Pairs asked about common causes.", "llm", choices=CONFOUNDER_MODES)
    max_calls: int | None = setting(None, "Hard budget of LLM calls; stops cleanly.", "llm", show_default=False,
                                    check=lambda v: None if v is None else _whole(v))
    concurrency: int = setting(DEFAULT_CONCURRENCY, "LLM requests in flight at most.", "cache",
                               check=lambda v: _whole(v, 1))
    cache: str | None = setting(None, "SQLite answer cache (default: user cache folder, or $CAUSALLLM_CACHE_DIR).",
                                "cache", path="file")
    no_cache: bool = setting(False, "Neither read nor write the answer cache.", "cache")
    share_stats: bool = setting(False, "Add summary statistics (correlation, CI p-value) to prompts; never raw rows.",
                                "llm")
    prompts: str | None = setting(None, "YAML/JSON file overriding prompt templates (system, direction, confounders, "
                                  "reask).", "llm", path="file")
    timeout: float = setting(DEFAULT_TIMEOUT, "Seconds per LLM request.", "llm", check=_positive)
    strategy: str = setting("skeleton", "Pairs asked: PC-adjacent, all, or PC-undirected only.", "strategy",
                            choices=STRATEGIES)
    retries: int = setting(DEFAULT_RETRIES, "Retries of a failed request.", "library", record=False)

    def __post_init__(self) -> None:
        _validate(self)


# ------------------------------------------------------------------ the run

@dataclass(frozen=True)
class RunConfig:
    """One run of ``discover`` (or ``ask``): the data, the data side, the LLM, the merge, the outputs.

    ``data`` is a file path, a bundled dataset name, or (from Python) a DataFrame or
    :class:`~causalllm.data.dataset.Dataset`; ``variables`` a variables file or a name →
    description mapping.

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

    data: str | Path | pd.DataFrame | Any = setting(None, "The data: a CSV/TSV/Parquet file or a bundled dataset name.",
                                                    "data", argument=True, record=False)
    variables: str | Path | Mapping[str, str] | None = setting(
        None, "Variables file: CSV name,description or YAML/JSON mapping.", "data", short="-v", path="file",
        record=False)
    context: str | None = setting(None, "One sentence about the dataset, used in prompts.", "data")
    columns: tuple[str, ...] | None = setting(None, "Use only these columns.", "data", listed=True, metavar="A,B,C",
                                              record=_joined)
    missing: str = setting("drop", "Drop rows with missing values (reported) or refuse them.", "data", choices=MISSING)
    sep: str | None = setting(None, "Field separator of a text file (',', ';', '\\t', '|', ' '); detected when not "
                              "given.", "data", metavar="CHAR", check=_sep)
    decimal: str | None = setting(None, "Decimal mark; a decimal comma is detected in files not separated by commas.",
                                  "data", choices=DECIMALS)
    encoding: str | None = setting(None, "Text encoding (default UTF-8, byte-order mark or not).", "data")
    na_values: tuple[str, ...] = setting((), "More cell values to read as missing (besides blank, NA, N/A, NaN, null).",
                                         "data", listed=True, metavar="A,B", show_default=False, record=_joined)
    stream: str = setting("auto", "Read the file in one streaming pass into the statistics PC needs (auto: files of "
                          "256 MB or 5 million cells or more).", "data", choices=STREAMING)
    dask: str | None = setting(None, "Compute the statistics on a Dask cluster: its scheduler address "
                               "(tcp://host:8786), or 'local' for a local one; DATA may then be a glob such as "
                               "'data/*.parquet'.", "data", metavar="ADDRESS")
    alpha: float = setting(DEFAULT_ALPHA, "Significance level of the CI tests, in (0, 1).", "pc", check=alpha_problem)
    test: str = setting("auto", "CI test; auto: Fisher-z (continuous), G^2 (discrete), conditional-Gaussian cg "
                        "(mixed).", "pc", choices=TEST_CHOICES)
    engine: str = setting("native", "PC engine: native (batched, same output) or causal-learn (the reference).", "pc",
                          choices=ENGINES)
    max_depth: int | None = setting(None, "Largest conditioning set PC tries (bounds its time; a warning says when it "
                                    "was hit).", "bound", low=0, metavar="N",
                                    check=lambda v: None if v is None else _whole(v))
    min_rows_per_stratum: float = setting(DEFAULT_MIN_ROWS_PER_STRATUM, "G^2/chi^2 reliability rule: a test whose "
                                          "conditioning set has fewer than N rows per stratum is not run and never "
                                          "separates its pair (0 runs every test, as causal-learn does).", "pc",
                                          low=0, metavar="N")
    determinism: bool = setting(True, "G^2/chi^2: a test with zero degrees of freedom (a variable its conditioning "
                                "set determines) never separates its pair (--no-determinism: causal-learn's p = 1, "
                                "which separates it).", "pc")
    fci: bool = setting(True, "Check suggested confounders with FCI (--no-fci skips it).", "bound")
    falsify: bool = setting(True, "Test the LLM's graph against the data (--no-falsify skips it).", "bound")
    bootstrap: int = setting(0, "Edge stability: re-fit PC on B half-size subsamples; frequencies per edge in "
                             "edges.csv and the report.", "discover", low=0, metavar="B", check=_whole)
    probe_memorisation: int = setting(0, "Re-ask K answered pairs with disguised names and abstracted descriptions; "
                                      "report how many answers change.", "probe", low=0, metavar="K", check=_whole)
    knowledge: str | None = setting(None, "Your background knowledge (YAML/JSON or CSV): tiers, required and "
                                    "forbidden edges; enforced in PC, FCI and the merge, outranking the LLM.",
                                    "discover", path="file")
    merge: str = setting(DEFAULT_POLICY, "How data and LLM are merged: " + "; ".join(
        f"{p.name}: {p.help}" for p in POLICIES.values()) + ".", "merge", choices=tuple(POLICIES))
    prior_threshold: float = setting(DEFAULT_PRIOR_THRESHOLD, "prior policy: minimum confidence for background "
                                     "knowledge.", "merge", check=_share)
    priors: str | None = setting(None, "Use a reviewed priors.csv instead of asking an LLM.", "merge", path="file")
    llm: LLMConfig = field(default_factory=LLMConfig)
    seed: int = setting(0, "Seed for every random choice.", "run")
    out: str | None = setting(None, "Output folder.", "output", short="-o", path="dir", required=True, record=False)
    force: bool = setting(False, "Write into a non-empty --out that is not a causalllm output (its own files are "
                          "never touched or overwritten).", "output")
    fmt: str = setting("svg", "Picture format (graph.dot is always written).", "picture", flag="--format",
                       choices=FORMATS)
    layout: str = setting("dot", "Graphviz layout engine.", "picture", choices=LAYOUTS)
    rankdir: str = setting("LR", "Graph direction.", "picture", choices=RANKDIRS)
    png_width: int | None = setting(None, "Width of a PNG in pixels (default: twice the drawing's size).", "picture",
                                    flag="--width", low=100, high=20000, metavar="PX")
    png_dpi: float | None = setting(None, "Resolution of a PNG (default 192); --width wins when both are given.",
                                    "picture", flag="--dpi", low=10, high=2400)
    confounders_view: str = setting("latent", "Suggested confounders as dotted latent nodes, as one dotted line per "
                                    "pair, or hidden.", "picture", choices=CONFOUNDER_VIEWS)
    exports: tuple[str, ...] = setting((), "Also write the graphs as GML (DoWhy), dagitty (latent confounders marked), "
                                       "Tetrad text or an adjacency-matrix CSV: graph.*, pc.*, llm.*.", "export",
                                       flag="--export", listed=True, choices=tuple(EXPORT_FORMATS),
                                       metavar=",".join(EXPORT_FORMATS), show_default=False, record=_joined)
    dry_run: bool = setting(False, "Print pairs, calls and estimated tokens, then exit.", "plan")
    price_per_1k: float | None = setting(None, "Price per 1000 tokens, for --dry-run's estimate.", "plan",
                                         show_default=False,
                                         check=lambda v: None if v is None or v >= 0 else f"must be 0 or more, got {v}")
    quiet: bool = setting(False, "No progress output on stderr.", "run", short="-q", record=False)

    def __post_init__(self) -> None:
        for name in ("columns", "exports", "na_values"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = tuple(c.strip() for c in value.split(",") if c.strip())
            if value is not None and not isinstance(value, tuple):
                value = tuple(value)
            object.__setattr__(self, name, value if value or name == "columns" else ())
        if self.columns == ():
            object.__setattr__(self, "columns", None)
        _validate(self)
        if self.sep is not None:
            object.__setattr__(self, "sep", self.sep.encode().decode("unicode_escape"))
        policy = POLICIES[self.merge]
        if policy.native_only and (self.engine == "causal-learn" or self.test == "kci"):
            what = "--engine causal-learn" if self.engine == "causal-learn" else "--test kci"
            raise ConfigError(f"--merge {self.merge} re-runs PC on the native engine, which {what} does not use; use "
                              f"--merge {DEFAULT_POLICY} with {what}, or leave {what} out")
        if self.priors is not None and self.llm.backend not in (None, "none"):
            raise ConfigError("--priors replaces the LLM; leave out --llm (or use --llm none)")

    @property
    def backend_requested(self) -> str | None:
        """``--llm`` as given; a priors file means no LLM is asked."""
        return "none" if self.priors is not None else self.llm.backend

    @classmethod
    def from_options(cls, **opts: Any) -> RunConfig:
        """Build from flat options (the CLI's keyword arguments); an unknown name is an error.

        ``llm`` (or ``backend``) is the backend name; every :class:`LLMConfig` field may be given flat. ``strategy``
        None takes the policy's default (every pair for a policy that asks every pair).
        """
        if "backend" in opts:  # the CLI's --llm
            opts["llm"] = opts.pop("backend")
        run_fields = {f.name for f in dataclasses.fields(cls)} - {"llm"}
        unknown = sorted(set(opts) - _LLM_FIELDS - run_fields - {"llm"})
        if unknown:
            raise ConfigError(f"unknown option(s) {', '.join(unknown)}; known: "
                              f"{', '.join(sorted(_LLM_FIELDS | run_fields | {'llm'}))}")
        llm_kw = {k: opts[k] for k in _LLM_FIELDS if k in opts}
        if "strategy" in llm_kw and llm_kw["strategy"] is None:
            policy = POLICIES.get(opts.get("merge") or DEFAULT_POLICY)
            llm_kw["strategy"] = "all" if policy is not None and policy.asks_every_pair else "skeleton"
        backend = opts.get("llm")
        llm = dataclasses.replace(backend, **llm_kw) if isinstance(backend, LLMConfig) else LLMConfig(backend=backend,
                                                                                                     **llm_kw)
        run_kw: dict[str, Any] = {k: (() if opts[k] is None and k in ("exports", "na_values") else opts[k])
                                  for k in run_fields if k in opts}
        return cls(llm=llm, **run_kw)

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (flat LLM fields allowed, as in :meth:`from_options`)."""
        llm_kw = {k: changes.pop(k) for k in list(changes) if k in _LLM_FIELDS}
        if "llm" in changes and not isinstance(changes["llm"], LLMConfig):
            llm_kw["backend"] = changes.pop("llm")
        llm = dataclasses.replace(changes.pop("llm", self.llm), **llm_kw)
        return dataclasses.replace(self, llm=llm, **changes)

    def recorded_options(self) -> dict[str, Any]:
        """The options a manifest records, read off the fields' :class:`Option`: every setting but the inputs,
        the folder and ``quiet``; never a key."""
        out: dict[str, Any] = {"llm": self.backend_requested}
        for owner, f in settings():
            opt: Option = f.metadata["option"]
            if opt.record is False:
                continue
            value = getattr(self.llm if owner is LLMConfig else self, f.name)
            out[f.name] = opt.record(value) if callable(opt.record) else value
        return out


#: LLMConfig fields that RunConfig.from_options and RunConfig.replace accept flat (``llm`` is the backend)
_LLM_FIELDS = frozenset(f.name for f in dataclasses.fields(LLMConfig)) - {"backend"}


def settings() -> list[tuple[type, dataclasses.Field]]:
    """Every declared setting: ``(RunConfig or LLMConfig, field)``, in declaration order."""
    return [(owner, f) for owner in (RunConfig, LLMConfig) for f in dataclasses.fields(owner)
            if "option" in f.metadata]


def default_of(f: dataclasses.Field) -> Any:
    """A setting's default value (its factory's value for a factory)."""
    if f.default is not dataclasses.MISSING:
        return f.default
    factory: Any = f.default_factory
    return factory() if factory is not dataclasses.MISSING else None


def _validate(config: Any) -> None:
    """Each field's choices and check, one one-line error for the first that fails."""
    for f in dataclasses.fields(config):
        opt: Option | None = f.metadata.get("option")
        value = getattr(config, f.name)
        if opt is None or value is None:
            continue
        name = opt.flag or "--" + f.name.replace("_", "-")
        values = value if opt.listed else (value,)
        for v in values:
            if opt.choices is not None and v not in opt.choices:
                raise ConfigError(f"unknown {name} {v!r}; use one of {', '.join(opt.choices)}")
        problem = opt.check(value) if opt.check is not None else None
        if problem:
            raise ConfigError(f"{name} {problem}")


# ------------------------------------------------------------------ the environment

def environment() -> Mapping[str, str]:
    """The process environment (the one place causalllm reads it)."""
    return os.environ


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


def backend(cfg: LLMConfig) -> str:
    """The backend a run uses (:func:`causalllm.expert.endpoint.choose_backend` on the environment)."""
    return choose_backend(cfg.backend, base_url=cfg.base_url, api_key_env=cfg.api_key_env, environ=environment())
