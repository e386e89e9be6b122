"""People are found only through the gate: by id, by name, by birth date or by free text.

A lookup by attributes that skips `privacy.access` (visible_people, linkable_people,
access_person) is how one program once learned of another's people. Every module
that touches the person table directly is listed here with the reason it may; a
new one fails this test until someone decides, in review, that it is safe.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "coresponder"

# Direct queries of people or their identity keys, outside the gate.
DIRECT = re.compile(r"\b(Person|PersonKey|SourceRecord)\.(objects|_default_manager)\b")
# Lookups that find a person by what they are called, when they were born or their phone.
FIELDS = r"(given_name|family_name|birth_date|phone|aliases|address|search_text)"
BY_ATTRIBUTE = re.compile(
    rf"\b(person__)?{FIELDS}__\w+\s*=|\bQ\(\s*(person__)?{FIELDS}\s*=|"
    rf"\.(filter|exclude|get)\([^)]*\b{FIELDS}\s*="
)

ALLOWED: dict[str, str] = {
    "privacy/access.py": "the gate itself",
    "identity/access.py": "the reports a page of pairs compared, by id, of people it may see",
    "intake/actions.py": "locks by id the person a diversion names, linked through the gate",
    "identity/actions.py": "merges and source records by id after access_pair; index backfill",
    "identity/earlier_contacts.py": "names the people possible_matches already chose",
    "identity/matching.py": "scores candidates drawn from visible_people or linkable_people",
    "identity/linkage_model.py": "trains weights over every source record; shows none",
    "identity/management/commands/dedupe_registry.py": "a job: pairs kept apart by programs",
    "services/fhir.py": "a bundle's patient by id, only if its program knows them",
}


def app_modules() -> list[Path]:
    skip = ("/tests/", "/migrations/", "/demo/")
    return [p for p in ROOT.rglob("*.py") if not any(s in str(p) for s in skip)]


def test_only_the_listed_modules_query_people_directly() -> None:
    found = {
        str(path.relative_to(ROOT))
        for path in app_modules()
        if DIRECT.search(path.read_text(encoding="utf-8"))
    }
    unexpected = sorted(found - set(ALLOWED))
    assert not unexpected, (
        "These modules query people outside privacy/access.py; go through visible_people, "
        f"linkable_people or access_person, or list them with a reason: {unexpected}"
    )


def test_no_module_outside_the_gate_looks_people_up_by_name_or_birth_date() -> None:
    offenders = []
    for path in app_modules():
        relative = str(path.relative_to(ROOT))
        if relative == "privacy/access.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BY_ATTRIBUTE.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, (
        "Find people by attributes only in privacy/access.py (search_people, exact_match), "
        "within visible_people or linkable_people:\n" + "\n".join(offenders)
    )


def test_the_pattern_catches_the_lookups_it_is_for() -> None:
    for line in (
        'Person.objects.filter(given_name__iexact="Dana")',
        "people.filter(Q(family_name__icontains=term))",
        "Q(phone=term)",
        "Person.objects.filter(birth_date=born).first()",
        "Referral.objects.filter(person__family_name__iexact=name)",
        "words |= Q(search_text__contains=alternative)",
    ):
        assert BY_ATTRIBUTE.search(line), line
    assert not BY_ATTRIBUTE.search('record.update(given_name=person.given_name, phone="1")')


def test_the_list_names_no_module_that_no_longer_needs_it() -> None:
    stale = [name for name in ALLOWED if not (ROOT / name).exists()]
    assert not stale, stale
