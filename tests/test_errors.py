"""The exception tree: everything the package raises for a user is a CausalLLMError."""

from __future__ import annotations

import ast
import subprocess
import sys

from conftest import ROOT

import causalllm.errors as E

#: exceptions that signal a programming error (a bug in the caller), not bad input: never shown to a user
PROGRAMMING_ERRORS = {"ValueError", "TypeError", "AssertionError", "AttributeError", "KeyError"}
#: (module, exception) pairs where a builtin is part of an internal contract, caught inside the package
INTERNAL = {("prompts", "ValueError"),  # parse_direction/parse_confounders: the asker turns it into a re-ask
            ("variables", "ValueError"),  # parse_mapping: its callers turn it into DataError or ConfigError
            ("stream", "_read_error"),  # builds the DataError a polars read failure becomes
            ("client", "_Deadline")}  # a request past its deadline: handled as a timeout inside complete()


def test_the_tree():
    for cls in (E.DataError, E.ConfigError, E.LLMError, E.RenderError, E.TransientLLMError):
        assert issubclass(cls, E.CausalLLMError)
        assert cls.__doc__
    assert issubclass(E.TransientLLMError, E.LLMError)
    assert set(E.__all__) == {n for n in dir(E) if n.endswith("Error")}


def test_every_raise_is_in_the_tree_or_a_documented_internal_signal():
    tree_names = set(E.__all__)
    bad = []
    for path in sorted((ROOT / "causalllm").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
                name = node.exc.func.id
                if name in tree_names or (path.stem, name) in INTERNAL:
                    continue
                if name in PROGRAMMING_ERRORS:
                    continue
                bad.append(f"{path.name}:{node.lineno} raises {name}")
    assert not bad, bad


def test_no_broad_except_in_the_package():
    """`except Exception` (or a bare except) would turn our own bugs into plausible output."""
    found = []
    for path in sorted((ROOT / "causalllm").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler):
                names = [node.type] if not isinstance(node.type, ast.Tuple) else list(node.type.elts)
                if node.type is None or any(isinstance(n, ast.Name) and n.id == "Exception" for n in names):
                    found.append(f"{path.name}:{node.lineno}")
    assert not found, found


def test_errors_and_the_cli_import_fast():
    """`import causalllm.errors` and `causalllm --help` load no scientific stack."""
    code = ("import sys, causalllm.errors, causalllm.cli; heavy = ('pandas', 'numpy', 'networkx', 'openai', "
            "'causallearn', 'scipy'); print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
