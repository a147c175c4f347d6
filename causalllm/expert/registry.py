"""The LLM side's choices, declared once: backends, which pairs are asked, the simulated expert's
profiles, and the defaults (no scientific import: the CLI reads it at start-up)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    from .simulate import SimulatedExpert

__all__ = ["BACKENDS", "CONFOUNDER_MODES", "DEFAULT_CONCURRENCY", "DEFAULT_MODEL", "DEFAULT_PROFILE", "DEFAULT_RETRIES",
           "DEFAULT_TIMEOUT", "PROFILES", "STRATEGIES", "Profile", "parse_profile"]

#: LLM backends of ``discover`` and ``ask``: any OpenAI-compatible endpoint, the simulated expert, or none.
BACKENDS = ("openai", "simulated", "none")
DEFAULT_MODEL = "gpt-4o"
#: Which pairs the LLM is asked about (see :mod:`causalllm.expert.asker`).
STRATEGIES = ("skeleton", "all", "undirected")
#: Which pairs the LLM is asked for common causes.
CONFOUNDER_MODES = ("skeleton", "all", "none")
#: LLM requests in flight at most.
DEFAULT_CONCURRENCY = 8
#: Seconds per LLM request (a deadline for the whole reply).
DEFAULT_TIMEOUT = 60.0
#: Retries after the first attempt (429, 5xx, timeouts, connection errors).
DEFAULT_RETRIES = 4
#: The simulated expert's profile when none is given.
DEFAULT_PROFILE = "gpt4"
#: An answer ("A->B", "B->A" or "none") and its confidence (None: the default draw).
Answer = tuple[str, float | None]


@dataclass(frozen=True)
class Profile:
    """One simulated-expert profile: its name, its parameter (``flip=P``), and how it answers.

    ``answer(expert, a, b, truth, u, rng)`` gives the answer to "does A cause B?" for a pair of
    the truth graph, from the perfect answer ``truth``, a uniform draw ``u`` and the pair's
    generator ``rng``. Asked for confounders, it names each true common cause with probability
    ``confounder_recall`` (None: it suggests measured variables at random) and adds an unmeasured
    factor with probability ``latent_rate``; ``topics`` draws its unknown variables as topics.
    """

    name: str
    help: str
    answer: Callable[[SimulatedExpert, str, str, str, float, random.Random], Answer]
    param: str | None = None
    default: float | None = None
    confounder_recall: float | None = 0.9
    latent_rate: float = 0.15
    topics: bool = False
    misconceives: bool = False

    @property
    def spec(self) -> str:
        """How the profile is written (``flip=P``, ``topical=U``)."""
        return f"{self.name}={self.param}" if self.param else self.name


def _perfect(sim: SimulatedExpert, a: str, b: str, truth: str, u: float, rng: random.Random) -> Answer:
    return truth, None


def _random(sim: SimulatedExpert, a: str, b: str, truth: str, u: float, rng: random.Random) -> Answer:
    return rng.choice(["A->B", "B->A", "none"]), None


def _flip(sim: SimulatedExpert, a: str, b: str, truth: str, u: float, rng: random.Random) -> Answer:
    return (truth if u >= sim.p else rng.choice([o for o in ("A->B", "B->A", "none") if o != truth])), None


def _gpt4(sim: SimulatedExpert, a: str, b: str, truth: str, u: float, rng: random.Random) -> Answer:
    return sim.gpt4(a, b, truth, u, rng), None


def _anonymised(sim: SimulatedExpert, a: str, b: str, truth: str, u: float, rng: random.Random) -> Answer:
    return sim.anonymised(rng)


def _topical(sim: SimulatedExpert, a: str, b: str, truth: str, u: float, rng: random.Random) -> Answer:
    return sim.anonymised(rng) if {a, b} & sim.unknown else (sim.gpt4(a, b, truth, u, rng), None)


def _confident_wrong(sim: SimulatedExpert, a: str, b: str, truth: str, u: float, rng: random.Random) -> Answer:
    if truth != "none" and sim.misconceived(a, b):
        return ("B->A" if truth == "A->B" else "A->B"), round(rng.uniform(0.9, 0.99), 2)
    return sim.gpt4(a, b, truth, u, rng), None


def _cautious(sim: SimulatedExpert, a: str, b: str, truth: str, u: float, rng: random.Random) -> Answer:
    # one draw per unordered pair, so both question orders agree (an abstention is not an inconsistency)
    v = sim.pair_draw("cautious", a, b)
    if truth != "none":
        if v < 0.25:
            return "unsure", round(rng.uniform(0.3, 0.6), 2)
        return (truth if u >= 0.005 else ("B->A" if truth == "A->B" else "A->B")), None
    if v >= 0.4:
        return "none", None
    # a claimed direct cause for a non-adjacent pair: the ancestral direction where there is one
    if a in sim.ancestors(b):
        return "A->B", None
    if b in sim.ancestors(a):
        return "B->A", None
    cause = min(a, b) if sim.pair_draw("cautious-direction", a, b) < 0.5 else max(a, b)
    return ("A->B" if cause == a else "B->A"), None


def _position_biased(sim: SimulatedExpert, a: str, b: str, truth: str, u: float, rng: random.Random) -> Answer:
    return "A->B", None


#: Every simulated-expert profile (``--profile``), in the order the docs list them.
PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("perfect", "the truth: a direct edge gets its true direction, any other pair \"none\"", _perfect,
            confounder_recall=1.0, latent_rate=0.0),
    Profile("gpt4", "published GPT-4 error rates (Ban et al. 2023): a true edge right 97.5% of the time, an ancestor "
            "without a direct edge \"A causes B\" 80%, an unrelated pair \"none\" only 47.5%", _gpt4),
    Profile("random", "uniform over A->B, B->A and none, ignoring the truth", _random, confounder_recall=None),
    Profile("anonymised", "what a model says of disguised names: \"none\" 40%, otherwise a direction at chance, "
            "confidence 0.5-0.8", _anonymised, confounder_recall=None),
    Profile("topical", "a share U of the variables is unknown, drawn as topics (connected regions of the true graph); "
            "known pairs at GPT-4 rates, pairs touching an unknown variable as anonymised", _topical, "U", 0.5,
            topics=True),
    Profile("confident-wrong", "GPT-4 rates, except a share P of the true edges is reversed in both question orders "
            "with confidence 0.9-0.99", _confident_wrong, "P", 0.2, misconceives=True),
    Profile("flip", "the truth, replaced with another answer with probability P", _flip, "P", None,
            confounder_recall=1.0),
    Profile("cautious", "a recorded GPT-4's profile (chain of thought, an 'uncertain' option): abstains on a quarter "
            "of the true edges, reverses almost none (0.5%), claims a direct cause for 40% of the non-adjacent "
            "pairs (the ancestral direction where there is one)", _cautious),
    Profile("position-biased", "a tiny model's behaviour: 'A->B' (the first-named variable causes the second) "
            "whatever the question", _position_biased, confounder_recall=None),
)}


def parse_profile(profile: str) -> tuple[str, float]:
    """``"flip=0.3"`` → ``("flip", 0.3)``; validates the name.

    Examples
    --------
    >>> parse_profile("gpt4"), parse_profile("flip=0.25"), parse_profile("topical")
    (('gpt4', 0.0), ('flip', 0.25), ('topical', 0.5))
    """
    name, _, value = profile.strip().lower().partition("=")
    entry = PROFILES.get(name)
    if entry is not None and entry.param is None and not value:
        return name, 0.0
    if entry is not None and entry.param is not None:
        try:
            v = float(value) if value else (entry.default if entry.default is not None else -1.0)
        except ValueError:
            v = -1.0
        if 0.0 <= v <= 1.0:
            return name, v
    raise ConfigError(f"unknown expert profile {profile!r}; use {', '.join(p.spec for p in PROFILES.values())} "
                      "with P, U in [0, 1]")


