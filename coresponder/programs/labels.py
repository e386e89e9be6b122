"""Labels for codes whose words live in the database: district codes name districts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import translation

from coresponder.domain.vocabulary import label
from coresponder.programs.models import District, Organization, Program

__all__ = [
    "district_label",
    "district_names",
    "label",
    "organization_names",
    "page_language",
    "recipient_label",
]


def page_language() -> str:
    """The page's language for labels: Spanish where a public page switched to it."""
    return "es" if (translation.get_language() or "en").startswith("es") else "en"


def district_names(program_slugs: Iterable[str]) -> dict[str, dict[str, str]]:
    """{program slug: {district code: district name}} for the programs named."""
    names: dict[str, dict[str, str]] = {}
    rows = District.objects.filter(program__slug__in=set(program_slugs)).values_list(
        "program__slug", "code", "name"
    )
    for slug, code, name in rows:
        names.setdefault(slug, {})[code] = name
    return names


def district_label(program: Program, code: str) -> str:
    """The district's name in `program`, or the code itself where none is known."""
    if not code:
        return ""
    return district_names([program.slug]).get(program.slug, {}).get(code, code)


def organization_names(recipient_lists: Iterable[Any]) -> dict[str, str]:
    """{slug: name} of every organisation the consents' recipient lists name, read in one
    query, so a page of consents reads them all at once (`recipient_label(who, names)`)."""
    slugs = {
        str(who["organization"])
        for recipients in recipient_lists
        for who in recipients or ()
        if isinstance(who, dict) and who.get("organization")
    }
    if not slugs:
        return {}
    return dict(Organization.objects.filter(slug__in=slugs).values_list("slug", "name"))


def recipient_label(who: dict[str, Any], names: Mapping[str, str] | None = None) -> str:
    """A consent's recipient in words: an organisation's name, a kind's or role's label.
    `names` are the organisations' names read once for a list (`organization_names`);
    without them the one named here is read."""
    if names is None:
        names = organization_names([[who]])
    parts = []
    for key, value in who.items():
        if key == "organization":
            parts.append(names.get(str(value)) or str(value))
        elif key == "kind":
            parts.append(label("organization_kind", value))
        elif key == "role":
            parts.append(label("role", value))
        else:
            parts.append(str(value))
    return ", ".join(parts)


def reached_label(who: dict[str, Any]) -> str:
    """Someone a visit reached, in words: "The person", or "Jo (Child)" (a name only
    where the reader may see it)."""
    role = str(who.get("role") or "")
    if role == "participant":
        return label("contact_role", role)
    code = str(who.get("relationship") or "")
    relationship = label("relationship", code) if code else label("contact_role", role)
    name = str(who.get("name") or "").strip()
    if name:
        return f"{name} ({relationship})"
    return relationship[:1].upper() + relationship[1:]


def offense_label(offense: dict[str, Any]) -> str:
    """A referral's offense in words: "Retail theft, violent, with a weapon"; what was not
    recorded is left unsaid."""
    said = [label("offense", str(offense.get("category") or ""))]
    violent, weapon = offense.get("violent"), offense.get("weapon")
    if violent is not None:
        said.append("violent" if violent else "not violent")
    if weapon is not None:
        said.append("with a weapon" if weapon else "no weapon")
    return ", ".join(part for part in said if part)
