"""Graphs: the one representation (:mod:`.model`), reading any graph file (:mod:`.read`), the
interchange formats (:mod:`.formats`) and comparing a graph with a truth (:mod:`.metrics`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

if TYPE_CHECKING:
    from .formats import write_exports as write_exports
    from .metrics import compare as compare
    from .metrics import shd as shd
    from .model import (
        MARKS as MARKS,
    )
    from .model import (
        add_edge as add_edge,
    )
    from .model import (
        adjacent_pairs as adjacent_pairs,
    )
    from .model import (
        creates_cycle as creates_cycle,
    )
    from .model import (
        directed_edges as directed_edges,
    )
    from .model import (
        directed_part as directed_part,
    )
    from .model import (
        make_graph as make_graph,
    )
    from .model import (
        mark_between as mark_between,
    )
    from .model import (
        pair_key as pair_key,
    )
    from .read import edges_from_frame as edges_from_frame
    from .read import read_graph as read_graph
    from .registry import EXPORT_FORMATS as EXPORT_FORMATS

__getattr__, __dir__, __all__ = attach(__name__, {
    "EXPORT_FORMATS": "registry",
    "MARKS": "model",
    "add_edge": "model",
    "adjacent_pairs": "model",
    "creates_cycle": "model",
    "directed_edges": "model",
    "directed_part": "model",
    "make_graph": "model",
    "mark_between": "model",
    "pair_key": "model",
    "compare": "metrics",
    "shd": "metrics",
    "edges_from_frame": "read",
    "read_graph": "read",
    "write_exports": "formats",
})
