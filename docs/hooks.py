"""MkDocs hook: tables read from causalllm's registries, so the docs list exactly what the code offers.

A page writes ``<!-- registry: NAME -->`` where a table belongs; NAME is one of :data:`TABLES`.
"""

from __future__ import annotations

from typing import Any


def _policies() -> str:
    from causalllm.merge.policies import POLICIES

    rows = [f"| `{p.name}` | {p.help} | {'yes' if p.asks_every_pair else ''} |" for p in POLICIES.values()]
    return "\n".join(["| policy | what it does | asks every pair |", "|---|---|---|", *rows])


def _statuses() -> str:
    from causalllm.merge.statuses import STATUSES

    rows = [f"| `{s.name}` | {s.help} | {'yes' if s.disagreement else ''} |" for s in STATUSES.values() if s.help]
    return "\n".join(["| status | meaning | a disagreement |", "|---|---|---|", *rows])


def _ci_tests() -> str:
    from causalllm.discovery.registry import CI_TESTS

    rows = [f"| `{t.name}` | {t.help} | {'yes' if t.native else ''} | {'yes' if t.reference else ''} |"
            for t in CI_TESTS.values()]
    return "\n".join(["| test | what it is for | native engine | causal-learn |", "|---|---|---|---|", *rows])


def _exports() -> str:
    from causalllm.graph.registry import EXPORT_FORMATS

    rows = [f"| `{f.name}` (`graph{f.suffix}`) | {f.tools} | {f.notes} |" for f in EXPORT_FORMATS.values()]
    return "\n".join(["| format | for | notes |", "|---|---|---|", *rows])


def _profiles() -> str:
    from causalllm.expert.registry import PROFILES

    rows = [f"| `{p.spec}` | {p.help} |" for p in PROFILES.values()]
    return "\n".join(["| profile | how it answers |", "|---|---|", *rows])


TABLES = {"policies": _policies, "statuses": _statuses, "ci_tests": _ci_tests, "exports": _exports,
          "profiles": _profiles}


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    for name, table in TABLES.items():
        markdown = markdown.replace(f"<!-- registry: {name} -->", table())
    return markdown
