"""A list a user read reads, on the audit log and in its file, as the list it was.

Reading a list of records leaves one event for the list and one per person it showed,
filed under that person; the person's event is no event of a record numbered as the
person is, so it is not given the person's number as the record's.
"""

from __future__ import annotations

import re

from django.test import Client

from coresponder.core.audit import Actor, record_list_read
from coresponder.privacy.tests.test_audit_view import (
    AUDIT,
    EXPORT,
    participant_of,
    rows_of,
    signed_in,
)
from coresponder.programs.models import Program, User


def test_a_person_shown_in_a_list_of_tasks_is_not_read_as_a_task_of_their_number(
    client: Client, pad: Program, officer: User, coordinator: User
) -> None:
    person = participant_of(pad)
    record_list_read(
        Actor(user=officer, where="10.1.2.3"),
        object_type="outreach.outreachtask",
        ids=[person.pk],
        program_slug=pad.slug,
        fields=["identity", "outreach"],
    )
    reviewer = signed_in(client, coordinator)
    html = reviewer.get(AUDIT, {"person": person.pk}).content.decode()
    cells = re.findall(r'<td data-label="Object">(.*?)</td>', html, re.S)
    assert len(cells) == 1
    assert f"Outreach task {person.pk}" not in cells[0]
    assert "Outreach task list" in cells[0] and f"person {person.pk}" in cells[0]
    rows = rows_of(reviewer.get(EXPORT, {"actor": officer.username}))
    kinds = {(r["Kind of record"], r["Record id"], r["Person id"]) for r in rows}
    assert kinds == {("Outreach task list", "", ""), ("Outreach task list", "", str(person.pk))}
