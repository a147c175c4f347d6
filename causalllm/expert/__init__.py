"""The LLM side: where the endpoint is and its secrets (:mod:`.endpoint`), the OpenAI client
(:mod:`.client`, the only module importing ``openai``), the prompts and the reply contract
(:mod:`.prompts`), the text screen (:mod:`.screen`), the answer cache (:mod:`.cache`), the asker
:class:`LLMPriors` (:mod:`.asker`), the combined answers (:mod:`.answers`), and the simulated
expert (:mod:`.simulate`) on its loopback server (:mod:`.server`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

if TYPE_CHECKING:
    from .answers import Answers as Answers
    from .answers import PairAnswer as PairAnswer
    from .asker import LLMPriors as LLMPriors
    from .asker import probe_memorisation as probe_memorisation
    from .client import ChatModel as ChatModel
    from .client import Completion as Completion
    from .client import OpenAIChatModel as OpenAIChatModel
    from .client import open_llm as open_llm
    from .registry import PROFILES as PROFILES
    from .simulate import SimulatedExpert as SimulatedExpert

__getattr__, __dir__, __all__ = attach(__name__, {
    "PROFILES": "registry",
    "Answers": "answers",
    "PairAnswer": "answers",
    "LLMPriors": "asker",
    "probe_memorisation": "asker",
    "ChatModel": "client",
    "Completion": "client",
    "OpenAIChatModel": "client",
    "open_llm": "client",
    "SimulatedExpert": "simulate",
})
