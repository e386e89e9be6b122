"""`coresponder/domain/` is the pure core: it imports no Django and no other room."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ROOT / "coresponder" / "domain"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in a file, relative ones resolved."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def is_forbidden(module: str) -> bool:
    if module == "django" or module.startswith("django."):
        return True
    if module == "coresponder" or module.startswith("coresponder."):
        return not (module == "coresponder.domain" or module.startswith("coresponder.domain."))
    return False


def test_the_static_check_knows_which_imports_to_refuse() -> None:
    assert is_forbidden("django.db.models")
    assert is_forbidden("coresponder.programs.models")
    assert not is_forbidden("coresponder.domain.presets")
    assert not is_forbidden("dateutil.rrule")


def test_no_module_in_the_domain_imports_django_or_another_room() -> None:
    files = sorted(DOMAIN.rglob("*.py"))
    assert len(files) > 3

    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(path)
        if is_forbidden(module)
    ]

    assert offenders == []


def test_importing_the_whole_domain_loads_no_django() -> None:
    modules = sorted(
        "coresponder.domain." + ".".join(path.relative_to(DOMAIN).with_suffix("").parts)
        for path in DOMAIN.glob("*.py")
        if path.name != "__init__.py"
    )
    assert "coresponder.domain.presets" in modules
    program = (
        f"import {', '.join(modules)}\n"
        "import sys\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )

    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed program
        [sys.executable, "-c", program],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )

    assert result.returncode == 0, result.stderr
