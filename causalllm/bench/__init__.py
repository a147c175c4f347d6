"""Benchmarks: ``evaluate`` (:mod:`.evaluate`, through the pipeline), the Tübingen pairs
(:mod:`.pairs`), pgmpy's networks (:mod:`.networks`) and ``compare`` (:mod:`.compare`)."""

from __future__ import annotations

__all__: list[str] = []
