"""Choosing and opening the LLM backend: ``openai`` (any compatible endpoint), ``simulated`` or ``none``.

:func:`open_llm` is a context manager yielding a chat model (or None) and a description for
the manifest; for ``simulated`` it starts the simulated expert on an ephemeral loopback port
for the duration of the run, so the real HTTP client path is always exercised.
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any, Iterator

from .errors import ConfigError

__all__ = ["BACKENDS", "choose_backend", "open_llm"]

log = logging.getLogger("causalllm")
BACKENDS = ("openai", "simulated", "none")


def choose_backend(llm: str | None, *, base_url: str | None = None, api_key_env: str | None = None,
                   environ: dict | None = None) -> str:
    """The backend to use: ``llm`` if given, else ``openai`` when a key or URL is configured, else ``none``.

    Examples
    --------
    >>> choose_backend(None, environ={}), choose_backend(None, environ={"OPENAI_API_KEY": "k"})
    ('none', 'openai')
    """
    env = os.environ if environ is None else environ
    if llm:
        if llm not in BACKENDS:
            raise ConfigError(f"unknown --llm {llm!r}; use openai, simulated or none")
        return llm
    if base_url or api_key_env or env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"):
        return "openai"
    return "none"


@contextlib.contextmanager
def open_llm(
    llm: str | None,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key_env: str | None = None,
    truth: Any = None,
    profile: str = "gpt4",
    order_bias: float = 0.0,
    latency: float = 0.0,
    fail_rate: float = 0.0,
    seed: int = 0,
    timeout: float = 60.0,
    retries: int = 4,
    quiet: bool = False,
) -> Iterator[tuple[Any, dict]]:
    """Yield ``(chat_model_or_None, info)`` for the chosen backend."""
    from .llm import EndpointConfig, OpenAIChatModel, resolve_config

    backend = choose_backend(llm, base_url=base_url, api_key_env=api_key_env)
    if backend == "none":
        if llm is None and not quiet:
            log.info("no LLM configured (data only): set OPENAI_API_KEY, or --base-url http://localhost:11434/v1 "
                     "for Ollama, or --llm simulated --truth EDGES for the offline simulated expert")
        yield None, {"backend": "none"}
        return
    if backend == "openai":
        cfg = resolve_config(model=model, base_url=base_url, api_key_env=api_key_env)
        yield OpenAIChatModel(cfg, timeout=timeout, retries=retries), {"backend": "openai", **cfg.public()}
        return
    from .simulate import SimulatedExpert

    if truth is None:
        raise ConfigError("--llm simulated needs --truth EDGES (a source,target file), or a bundled dataset name as DATA")
    sim = SimulatedExpert(truth, profile=profile, seed=seed, order_bias=order_bias, latency=latency,
                          fail_rate=fail_rate)
    with sim:
        cfg = EndpointConfig(base_url=sim.url, model=f"simulated-{profile}", api_key="simulated",
                             key_source="simulated")
        info = {"backend": "simulated", "model": cfg.model, "profile": profile, "order_bias": order_bias,
                "latency": latency, "fail_rate": fail_rate, "identity": sim.identity,
                "note": "SIMULATED expert answering from a known truth graph; not a real LLM"}
        yield OpenAIChatModel(cfg, identity=sim.identity, timeout=timeout, retries=retries), info
