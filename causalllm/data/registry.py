"""What the analyst chooses about loading, declared once (no scientific import: the CLI reads it at start-up)."""

from __future__ import annotations

__all__ = ["DECIMALS", "MISSING", "STREAMING"]

#: What to do with rows holding missing values (``--missing``).
MISSING = ("drop", "error")
#: How a data file is read (``--stream``): auto streams big files (:func:`causalllm.data.stream.worth_streaming`).
STREAMING = ("auto", "always", "never")
#: Decimal marks (``--decimal``).
DECIMALS = (".", ",")
