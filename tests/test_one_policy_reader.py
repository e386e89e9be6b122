"""Only the gate reads the access policy table.

`domain/policy.py` holds the table and `privacy/access.py` asks it questions
(`scope_of`, `may_read`, `may_break_glass`, `finds_people`, `program_for`, and
`may_write` from the domain). A module that reads `POLICY` itself decides who
sees what on its own, where review does not look for it; it asks the gate instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "coresponder"

# The gate, and the Django-free rules the table belongs to.
READERS = ("privacy/access.py", "domain/")


def app_modules() -> list[Path]:
    skip = ("/tests/", "/migrations/")
    return [p for p in ROOT.rglob("*.py") if not any(s in str(p) for s in skip)]


def mentions_policy(source: str) -> list[int]:
    """Lines where the module names `POLICY`: read, imported, or reached as an attribute."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id == "POLICY":
            lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "POLICY":
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and any(a.name == "POLICY" for a in node.names):
            lines.append(node.lineno)
    return sorted(set(lines))


def test_no_module_but_the_gate_reads_the_policy_table() -> None:
    offenders = []
    for path in app_modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(READERS):
            continue
        offenders += [f"{relative}:{n}" for n in mentions_policy(path.read_text(encoding="utf-8"))]
    assert not offenders, (
        "Ask privacy/access.py (scope_of, may_read, may_break_glass, finds_people, "
        "program_for) instead of reading POLICY:\n" + "\n".join(offenders)
    )


def test_the_check_finds_each_way_of_reading_the_table() -> None:
    assert mentions_policy("from coresponder.domain.policy import POLICY\n") == [1]
    assert mentions_policy("x = POLICY[role].scope\n") == [1]
    assert mentions_policy("import coresponder.domain.policy as p\nx = p.POLICY\n") == [2]
    assert mentions_policy("CONTENT_SECURITY_POLICY = 'x'\nSECURE_REFERRER_POLICY = 1\n") == []


def test_the_gate_still_reads_it() -> None:
    source = (ROOT / "privacy" / "access.py").read_text(encoding="utf-8")
    assert mentions_policy(source)
