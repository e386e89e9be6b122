"""What a record's page says beside it of amendments: accepted (original kept) or denied."""

from __future__ import annotations

from typing import Any

from django import template

from coresponder.core.errors import NotVisible
from coresponder.domain.policy import RecordType
from coresponder.people.amendments import GROUP_OF, amendment_facts, amendments_of
from coresponder.people.records_request import may_answer
from coresponder.people.records_request_log import answering_programs
from coresponder.privacy.access import access_person
from coresponder.programs.local_time import format_date

register = template.Library()


@register.inclusion_tag("people/_amendment_notes.html", takes_context=True)
def amendment_notes(context: Any, kind: str, record_id: int, group: str = "") -> dict[str, Any]:
    """Decided amendments of one record; of one field group's fields when `group` is named.

    The page asks only inside the part it shows, so a note tells no more than the record.
    A refused correction the page carries in its own section (`corrections`, those that go
    with a disclosure) is said there, not again here.
    """
    carried = {c.amendment_id for c in context.get("corrections") or ()}
    notes = []
    for amendment in amendments_of(kind, [record_id]).select_related("program"):
        if group and GROUP_OF[amendment.field].value != group:
            continue
        if amendment.pk in carried:
            continue
        facts = amendment_facts(amendment)
        facts["on"] = format_date(amendment.decided_at, amendment.program, with_year=True)
        notes.append(facts)
    return {"notes": notes}


@register.inclusion_tag("people/_rights_links.html", takes_context=True)
def rights_links(context: Any, person_id: int) -> dict[str, Any]:
    """The person page's buttons for a records request and an amendment, for roles that may."""
    request = context.get("request")
    user = getattr(request, "user", None)
    try:
        access = access_person(user, person_id)
    except NotVisible:
        return {"person_id": person_id, "may_answer": False, "may_amend": False}
    answering = may_answer(access)
    return {
        "person_id": person_id,
        "may_answer": answering,
        # A request is logged to one program: each of the person's the reader answers in.
        "log_programs": answering_programs(access) if answering else [],
        "may_amend": access.may_write(RecordType.PERSON) or access.may_write(RecordType.ENCOUNTER),
    }
