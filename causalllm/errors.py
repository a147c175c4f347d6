"""The exception tree of causalllm.

Every error the library raises on purpose derives from :class:`CausalLLMError`, so a
caller can catch one class. The CLI converts these (and only these) into a one-line
``Error: ...`` message at its edge; anything else is a bug and keeps its traceback.

::

    CausalLLMError
    ├── DataError              the data or variables file is unusable (message says how to fix it)
    ├── ConfigError            an option, environment variable or file name is wrong
    ├── LLMError               the LLM endpoint failed in a way that stops the run
    │   └── TransientLLMError  one call still failed after its retries: that question is recorded
    │                          ``unanswered`` and the run goes on
    └── RenderError            a picture could not be produced (the DOT file is still written)
"""

from __future__ import annotations

__all__ = [
    "CausalLLMError",
    "ConfigError",
    "DataError",
    "LLMError",
    "RenderError",
    "TransientLLMError",
]


class CausalLLMError(Exception):
    """Base class of every error causalllm raises deliberately."""


class DataError(CausalLLMError):
    """Input data or variable descriptions cannot be used as given."""


class ConfigError(CausalLLMError):
    """An option, environment variable or configuration file is invalid."""


class LLMError(CausalLLMError):
    """The LLM endpoint cannot be used (wrong key, model, URL, or every call failed)."""


class TransientLLMError(LLMError):
    """One call still failed after the bounded retries; its question is recorded ``unanswered``."""


class RenderError(CausalLLMError):
    """A graph picture could not be rendered in the requested format."""
