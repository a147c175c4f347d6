"""causalllm: causal discovery that merges the PC algorithm with an LLM's knowledge.

The pipeline flows one way: :func:`load_dataset` → :class:`PCDiscovery` → LLM priors →
merge → render/report; :func:`discover` runs it all and returns a result object.
"""

from .data import Dataset, load_dataset
from .errors import CausalLLMError, ConfigError, DataError, LLMError, RenderError
from .graph import read_graph
from .metrics import compare, shd
from .pc import PCDiscovery, causallearn_to_networkx
from .pipeline import ask, discover
from .priors import LLMPriors
from .render import render, to_dot

__all__ = [
    "Dataset",
    "load_dataset",
    "PCDiscovery",
    "causallearn_to_networkx",
    "discover",
    "ask",
    "LLMPriors",
    "compare",
    "shd",
    "read_graph",
    "to_dot",
    "render",
    "CausalLLMError",
    "DataError",
    "ConfigError",
    "LLMError",
    "RenderError",
]

__version__ = "0.1.0"
