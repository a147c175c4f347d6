"""Outputs: the result (:mod:`.result`), the one writer of the output folder (:mod:`.folder`),
the pictures (:mod:`.render`), the report (:mod:`.report`), the manifest (:mod:`.manifest`) and
reading a saved result back (:mod:`.saved`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

if TYPE_CHECKING:
    from .folder import save as save
    from .render import render as render
    from .render import to_dot as to_dot
    from .result import DiscoveryResult as DiscoveryResult
    from .saved import render_saved as render_saved

__getattr__, __dir__, __all__ = attach(__name__, {
    "DiscoveryResult": "result",
    "render": "render",
    "to_dot": "render",
    "render_saved": "saved",
    "save": "folder",
})
