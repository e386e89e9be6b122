"""Modules of ours are imported at the top of a module, never inside a function.

An import inside a function hides a dependency from the reader and from `lint-imports`, and
usually hides an import cycle: code sitting in the wrong module. The one allowance is signal
wiring in an app's `AppConfig.ready()` (apps.py), which runs once the app registry is ready.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.architecture_scan import Module, application_modules, imported_modules, imports

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def is_signal_wiring(module: Module, function: ast.AST) -> bool:
    return (
        module.path.name == "apps.py"
        and isinstance(function, ast.FunctionDef)
        and function.name == "ready"
    )


def function_name(node: ast.AST) -> str:
    return getattr(node, "name", "<lambda>")


def imports_in_functions(module: Module) -> Iterator[tuple[str, int, list[str]]]:
    """(function, line, modules of ours) for each import inside a function of the module."""
    for node, enclosing in imports(module):
        functions = [n for n in enclosing if isinstance(n, FUNCTIONS)]
        if not functions or is_signal_wiring(module, functions[0]):
            continue
        if names := sorted(set(imported_modules(module, node))):
            yield ".".join(function_name(f) for f in functions), node.lineno, names


def hidden_imports() -> dict[str, list[str]]:
    """ "path: function" of each function importing a module of ours, with the lines."""
    found: dict[str, list[str]] = {}
    for module in application_modules():
        for function, line, names in imports_in_functions(module):
            found.setdefault(f"{module.relpath}: {function}", []).append(
                f"line {line}: {', '.join(names)}"
            )
    return found


def test_the_check_finds_imports_inside_functions_but_signal_wiring(tmp_path: Path) -> None:
    source = tmp_path / "apps.py"
    source.write_text(
        "import coresponder.core.errors\n"
        "from django.apps import AppConfig\n"
        "class Config(AppConfig):\n"
        "    def ready(self):\n"
        "        from coresponder.core import audit\n"
        "def helper():\n"
        "    import json\n"
        "    from coresponder.core.errors import ActionError\n"
        "    def inner():\n"
        "        from . import models\n",
        encoding="utf-8",
    )
    found = list(imports_in_functions(Module(path=source, name="coresponder.core.apps")))
    assert found == [
        ("helper", 8, ["coresponder.core.errors"]),
        ("helper.inner", 10, ["coresponder.core", "coresponder.core.models"]),
    ]


def test_no_module_imports_ours_inside_a_function() -> None:
    found = hidden_imports()
    assert not found, (
        "Import modules of ours at the top of the module; an import cycle means the code "
        "belongs in another module:\n"
        + "\n".join(f"  {key}  ({'; '.join(lines)})" for key, lines in sorted(found.items()))
    )


DYNAMIC_IMPORTS = {"import_module", "import_string", "__import__"}


def dynamic_imports() -> list[str]:
    """Calls that import a module of ours by a name written as a string."""
    found = []
    for module in application_modules():
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in DYNAMIC_IMPORTS
                and isinstance(first, ast.Constant)
                and str(first.value).startswith("coresponder")
            ):
                found.append(f"{module.relpath}:{node.lineno}: {name}({first.value!r})")
    return found


def test_no_module_imports_ours_by_a_string() -> None:
    found = dynamic_imports()
    assert not found, "Import modules of ours with an import statement:\n" + "\n".join(found)
