"""What an old number says to a reader of the person it was merged into: since when, and
who that person is, dated on the program's clock."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from coresponder.domain.policy import FieldGroup, GroupVisibility
from coresponder.identity.access import MergedNumber
from coresponder.programs.local_time import format_date, iso, reader_zone, zone_of
from coresponder.programs.models import Program


def merged_zone(found: MergedNumber, user: Any) -> ZoneInfo:
    """The clock of the program the reader sees the person kept through; the reader's own
    where they see them through several."""
    programs = list(Program.objects.filter(pk__in=found.kept.program_ids)[:2])
    return zone_of(programs[0]) if len(programs) == 1 else reader_zone(user)


def names_kept(found: MergedNumber) -> bool:
    """Whether the reader reads who the person kept is, so may be told their name."""
    return found.kept.decision(FieldGroup.IDENTITY) is GroupVisibility.SHOWN


def kept_words(found: MergedNumber, *, named: bool = True) -> str:
    """'Rosa Delgado (person 3755)', or 'person 3755' where the name is not to be shown."""
    person = found.kept.person
    name = f"{person.given_name} {person.family_name}".strip()
    if named and name and names_kept(found):
        return f"{name} (person {person.pk})"
    return f"person {person.pk}"


def merged_on(found: MergedNumber, user: Any) -> str:
    """The day the number was merged, on the program's clock: '1 Mar 2026'."""
    return format_date(found.merged_at, merged_zone(found, user), with_year=True)


def merged_at_iso(found: MergedNumber, user: Any) -> str:
    """When the number was merged, ISO 8601 with the program's offset."""
    return iso(found.merged_at, merged_zone(found, user))


def merged_sentence(found: MergedNumber, user: Any, *, named: bool = True) -> str:
    """'Person 12 was merged into Rosa Delgado (person 34) on 1 Mar 2026', naming the
    records it went through where it was merged more than once."""
    through = [m.kept_id for m in found.merges[:-1]]
    by_way = f" (by way of person {', '.join(str(pk) for pk in through)})" if through else ""
    return (
        f"Person {found.number} was merged into {kept_words(found, named=named)} on "
        f"{merged_on(found, user)}{by_way}"
    )


def merged_answer(found: MergedNumber, user: Any) -> dict[str, Any]:
    """The API's 404 body for an old number, to a reader who may see the person kept: the
    person kept by number only (as the API names people), and since when."""
    return {
        "detail": f"{merged_sentence(found, user, named=False)}.",
        "merged_into": found.kept.person.pk,
        "merged_at": merged_at_iso(found, user),
    }
