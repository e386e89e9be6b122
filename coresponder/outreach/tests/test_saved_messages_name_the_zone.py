"""The messages that confirm a saved visit give their times with the program's zone, as
the pages around them do."""

from __future__ import annotations

import pytest

from coresponder.outreach.tests.test_outreach_views import (
    signed_in,
    staff,
    task_for,
    task_url,
    visit,
)
from coresponder.programs.local_time import format_datetime
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


def test_the_next_attempt_time_in_the_saved_message_names_the_zone(qrt: Program) -> None:
    task = task_for(qrt, "Away")
    response = signed_in(staff(qrt)).post(task_url(task), visit(task, "not_located"), follow=True)
    task.refresh_from_db()
    assert task.next_attempt_after is not None
    said = f"Next attempt after {format_datetime(task.next_attempt_after, qrt, named=True)}."
    assert said.endswith(" EST.") or said.endswith(" EDT.")
    assert said in response.content.decode()


def test_a_late_next_attempt_names_the_zone_of_both_times(qrt: Program) -> None:
    task = task_for(qrt, "Late", closes_in_hours=6)
    response = signed_in(staff(qrt)).post(task_url(task), visit(task, "not_located"), follow=True)
    task.refresh_from_db()
    assert task.next_attempt_after is not None
    after = format_datetime(task.next_attempt_after, qrt, named=True)
    closes = format_datetime(task.window_end, qrt, named=True)
    page = response.content.decode()
    assert f"Next attempt after {after}, which is after" in page
    assert f"window closes ({closes}): a visit then is late." in page


def test_contact_again_after_names_the_zone(qrt: Program) -> None:
    task = task_for(qrt, "Later")
    response = signed_in(staff(qrt)).post(
        task_url(task), visit(task, "declined_interested_later", reached_person="on"), follow=True
    )
    task.refresh_from_db()
    assert task.next_attempt_after is not None
    after = format_datetime(task.next_attempt_after, qrt, named=True)
    assert f"Contact them again after {after}: the task stays" in response.content.decode()
