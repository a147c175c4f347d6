"""The outputs' choices, declared once: picture formats, layouts, directions, confounder views (no
scientific import: the CLI reads it at start-up)."""

from __future__ import annotations

__all__ = ["CONFOUNDER_VIEWS", "FORMATS", "LAYOUTS", "RANKDIRS"]

#: Picture formats (``graph.dot`` is always written).
FORMATS = ("svg", "png", "pdf", "dot")
#: Graphviz layout engines (``--layout``).
LAYOUTS = ("dot", "neato", "fdp", "sfdp", "circo", "twopi", "osage", "patchwork")
#: Graph directions (``--rankdir``).
RANKDIRS = ("LR", "TB", "RL", "BT")
#: How suggested confounders are drawn (``--confounders-view``).
CONFOUNDER_VIEWS = ("latent", "pairs", "none")
