"""causalllm: causal discovery that merges the PC algorithm with an LLM's knowledge.

The data flows one way, and the sub-packages are its stages: :mod:`.data` (load) →
:mod:`.discovery` (PC) and :mod:`.expert` (the LLM) → :mod:`.merge` → :mod:`.output` (render,
report, files), on the foundations :mod:`.graph`, :mod:`.contract` and :mod:`.errors`, wired by
:mod:`.config`, :mod:`.pipeline` and :mod:`.cli`; :mod:`.bench` measures it. :func:`discover`
runs it all from one :class:`RunConfig` and returns a result object. Names are imported on
first use, so ``import causalllm.errors`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import attach

__version__ = "0.1.0"

#: public name → the module that defines it
_EXPORTS = {
    "Dataset": "data.dataset",
    "load_dataset": "data.load",
    "RunConfig": "config",
    "LLMConfig": "config",
    "PCDiscovery": "discovery.pc",
    "causallearn_to_networkx": "discovery.reference",
    "discover": "pipeline",
    "ask": "pipeline",
    "plan": "pipeline",
    "LLMPriors": "expert.asker",
    "merge": "merge.policies",
    "compare": "graph.metrics",
    "shd": "graph.metrics",
    "read_graph": "graph.read",
    "to_dot": "output.render",
    "CausalLLMError": "errors",
    "DataError": "errors",
    "ConfigError": "errors",
    "LLMError": "errors",
    "TransientLLMError": "errors",
    "RenderError": "errors",
}

if TYPE_CHECKING:
    from .config import LLMConfig, RunConfig
    from .data.dataset import Dataset
    from .data.load import load_dataset
    from .discovery.pc import PCDiscovery
    from .discovery.reference import causallearn_to_networkx
    from .errors import CausalLLMError, ConfigError, DataError, LLMError, RenderError, TransientLLMError
    from .expert.asker import LLMPriors
    from .graph.metrics import compare, shd
    from .graph.read import read_graph
    from .merge.policies import merge
    from .output.render import to_dot
    from .pipeline import ask, discover, plan


__getattr__, __dir__, __all__ = attach(__name__, _EXPORTS)
