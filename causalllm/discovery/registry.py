"""The data side's choices, declared once: the CI tests, the engines and the defaults (no scientific
import: the CLI reads it at start-up). The tests themselves are :mod:`causalllm.discovery.citests`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CI_TESTS", "DEFAULT_ALPHA", "DEFAULT_BINS", "DEFAULT_MIN_ROWS_PER_STRATUM", "ENGINES", "TEST_CHOICES",
           "CITestInfo", "alpha_problem"]

#: Significance level of the CI tests when none is given.
DEFAULT_ALPHA = 0.05
def alpha_problem(value: object) -> str | None:
    """What is wrong with a significance level (None: nothing), the one rule the config and PC both apply.

    Examples
    --------
    >>> alpha_problem(0.05) is None, alpha_problem(1.5)
    (True, 'must be strictly between 0 and 1, got 1.5; e.g. --alpha 0.05')
    """
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < float(value) < 1
    return None if ok else f"must be strictly between 0 and 1, got {value}; e.g. --alpha 0.05"


#: Quantile bins for continuous columns under a discrete CI test.
DEFAULT_BINS = 4
#: G²/χ² reliability rule: a test whose conditioning set has fewer rows than this per stratum (on average) is not
#: run, and never separates its pair (:class:`causalllm.discovery.citests.DiscreteTest`).
DEFAULT_MIN_ROWS_PER_STRATUM = 10.0
#: PC engines: causalllm's own (sufficient statistics, batched tests) or causal-learn's, the reference.
ENGINES = ("native", "causal-learn")


@dataclass(frozen=True)
class CITestInfo:
    """One CI test: what it is for, and where it runs.

    ``native``: the native engine has it; ``reference``: causal-learn has it; ``discrete``: it reads
    category codes (continuous columns are binned); ``rows``: it needs every row (a streamed table
    keeps only statistics).
    """

    name: str
    help: str
    native: bool = True
    reference: bool = True
    discrete: bool = False
    rows: bool = True


#: Every CI test, in the order ``--test`` lists them (``auto`` chooses among them by the data's kind).
CI_TESTS: dict[str, CITestInfo] = {t.name: t for t in (
    CITestInfo("fisherz", "Fisher's z test of partial correlation (continuous data)", rows=False),
    CITestInfo("chisq", "chi-square test on category codes (discrete data; continuous columns binned)",
               discrete=True),
    CITestInfo("gsq", "G^2 likelihood-ratio test on category codes (discrete data; continuous columns binned)",
               discrete=True),
    CITestInfo("cg", "conditional-Gaussian likelihood-ratio test (mixed data; Andrews, Ramsey & Cooper 2018)",
               reference=False),
    CITestInfo("dg", "degenerate-Gaussian likelihood-ratio test (mixed data; Andrews, Ramsey & Cooper 2019)",
               reference=False),
    CITestInfo("kci", "kernel CI test (causal-learn; slow, needs every row)", native=False),
)}
#: ``--test`` choices: ``auto`` then every test.
TEST_CHOICES = ("auto", *CI_TESTS)
