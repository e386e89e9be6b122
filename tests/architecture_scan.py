"""Reading the application's own source as syntax trees, for the tests that hold its shape.

The application modules are every `.py` file under `coresponder/` outside `tests/` and
`migrations/` directories (and pytest's `conftest.py`); apps are found on disk, as the
packages under `coresponder/` with an `apps.py` or a `models.py`, so a new app is checked
without being named here.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "coresponder"

# The site: what assembles the apps into one product (URLs, the API, the entry points)
# and the demo, which seeds every app. It sits over the apps (pyproject.toml's layers).
SITE_MODULES = frozenset(
    {
        "coresponder.urls",
        "coresponder.api",
        "coresponder.wsgi",
        "coresponder.gunicorn_config",
        "coresponder.cli",
        "coresponder.__main__",
        "coresponder.settings",
    }
)
SITE_PACKAGES = ("coresponder.demo",)


@dataclass(frozen=True)
class Module:
    path: Path
    name: str

    @property
    def relpath(self) -> str:
        return self.path.relative_to(ROOT).as_posix()

    @property
    def tree(self) -> ast.Module:
        return _parse(self.path)

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def is_site(self) -> bool:
        return self.name in SITE_MODULES or any(
            self.name == p or self.name.startswith(p + ".") for p in SITE_PACKAGES
        )


@functools.cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def application_modules() -> list[Module]:
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        inside = path.relative_to(PACKAGE).parts
        if "tests" in inside or "migrations" in inside or path.name == "conftest.py":
            continue
        if "static" in inside or "templates" in inside:
            continue
        modules.append(Module(path=path, name=module_name(path)))
    return modules


def app_packages() -> list[str]:
    """Every package right under coresponder/ that is a Django app (apps.py or models.py)."""
    return sorted(
        f"coresponder.{d.name}"
        for d in PACKAGE.iterdir()
        if d.is_dir()
        and (d / "__init__.py").exists()
        and ((d / "apps.py").exists() or (d / "models.py").exists())
    )


def _exists(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def resolve_from(module: Module, node: ast.ImportFrom) -> str:
    """The absolute name of the module a `from ... import` reads from."""
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(module: Module, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """Every module of ours an import statement loads, submodules named in `from` included."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] == "coresponder":
                yield alias.name
        return
    source = resolve_from(module, node)
    if source.split(".")[0] != "coresponder":
        return
    yield source
    for alias in node.names:
        if _exists(f"{source}.{alias.name}"):
            yield f"{source}.{alias.name}"


def imports(module: Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, list[ast.AST]]]:
    """Each import statement of the module, with the chain of nodes that encloses it."""

    def walk(
        node: ast.AST, chain: list[ast.AST]
    ) -> Iterator[tuple[ast.Import | ast.ImportFrom, list[ast.AST]]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, chain
            else:
                yield from walk(child, [*chain, child])

    yield from walk(module.tree, [])
