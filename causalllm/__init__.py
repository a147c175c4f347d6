"""causalllm: causal discovery that merges the PC algorithm with an LLM's knowledge.

The data flows one way: :func:`load_dataset` → :class:`PCDiscovery` → LLM priors → merge →
render/report; :func:`discover` runs it all from one :class:`RunConfig` and returns a result
object. Names are imported on first use, so ``import causalllm.errors`` and
``causalllm --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name → the module that defines it
_EXPORTS = {
    "Dataset": "data",
    "load_dataset": "data",
    "RunConfig": "config",
    "LLMConfig": "config",
    "PCDiscovery": "pc",
    "causallearn_to_networkx": "pc",
    "discover": "pipeline",
    "ask": "pipeline",
    "plan": "pipeline",
    "LLMPriors": "priors",
    "compare": "metrics",
    "shd": "metrics",
    "read_graph": "formats",
    "to_dot": "render",
    "CausalLLMError": "errors",
    "DataError": "errors",
    "ConfigError": "errors",
    "LLMError": "errors",
    "TransientLLMError": "errors",
    "RenderError": "errors",
}

__all__ = list(_EXPORTS)

if TYPE_CHECKING:
    from .config import LLMConfig, RunConfig
    from .data import Dataset, load_dataset
    from .errors import CausalLLMError, ConfigError, DataError, LLMError, RenderError, TransientLLMError
    from .formats import read_graph
    from .metrics import compare, shd
    from .pc import PCDiscovery, causallearn_to_networkx
    from .pipeline import ask, discover, plan
    from .priors import LLMPriors
    from .render import to_dot


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'causalllm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
