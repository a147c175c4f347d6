"""The data side: CI tests (:mod:`.citests`), the PC search (:mod:`.search`) and its orientation
(:mod:`.orient`), the estimator :class:`PCDiscovery` (:mod:`.pc`), the conservative reading of its
colliders (:mod:`.colliders`), FCI and falsification cross-checks (:mod:`.crosscheck`), edge stability
(:mod:`.stability`), and causal-learn, the reference (:mod:`.reference`, its only importer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

if TYPE_CHECKING:
    from .pc import PCDiscovery as PCDiscovery
    from .pc import choose_test as choose_test
    from .registry import CI_TESTS as CI_TESTS
    from .stability import bootstrap as bootstrap

__getattr__, __dir__, __all__ = attach(__name__, {
    "CI_TESTS": "registry",
    "PCDiscovery": "pc",
    "bootstrap": "stability",
    "choose_test": "pc",
})
