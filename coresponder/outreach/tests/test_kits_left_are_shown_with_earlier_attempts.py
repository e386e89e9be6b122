"""Naloxone kits left at a visit, shown wherever earlier attempts are listed, to every
reader of outreach: the next coach knows the household has a kit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coresponder.domain.vocabulary import Role
from coresponder.outreach.tests.test_outreach_views import (
    signed_in,
    staff,
    task_for,
    task_url,
    visit,
)
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


def test_the_task_page_says_the_kits_left_at_each_earlier_attempt(qrt: Program) -> None:
    task = task_for(qrt, "Kit")
    coach = signed_in(staff(qrt, Role.RECOVERY_COACH))
    coach.post(task_url(task), visit(task, "not_located", note="Left at the door"))
    # An officer reads outreach facts but not the visit's note: the kits are outreach.
    officer = signed_in(staff(qrt, Role.OFFICER))
    for client in (coach, officer):
        page = client.get(task_url(task)).content.decode()
        earlier = page[page.index("Earlier attempts") : page.index("Record a visit")]
        assert "2 naloxone kits left" in earlier


def test_an_attempt_without_kits_says_nothing_of_them(qrt: Program) -> None:
    task = task_for(qrt, "NoKit")
    client = signed_in(staff(qrt))
    client.post(task_url(task), visit(task, "not_located", naloxone_kits_left="1"))
    page = client.get(task_url(task)).content.decode()
    assert "1 naloxone kit left" in page and "naloxone kits left" not in page


def test_the_persons_history_says_the_kits_left(qrt: Program) -> None:
    task = task_for(qrt, "History")
    client = signed_in(staff(qrt))
    client.post(task_url(task), visit(task, "not_located"))
    page = client.get(f"/people/{task.person_id}/timeline/").content.decode()
    assert "<dt>Naloxone kits left</dt><dd>2</dd>" in page


def test_the_api_reads_of_attempts_give_the_kits_left(qrt: Program, api_client_for: Any) -> None:
    task = task_for(qrt, "Api")
    officer = staff(qrt)
    signed_in(officer).post(task_url(task), visit(task, "not_located"))
    client: Client = api_client_for(officer)
    record = client.get(f"/api/v1/persons/{task.person_id}").json()
    assert record["outreach_tasks"][0]["attempts"][0]["naloxone_kits_left"] == 2
    timeline = client.get(f"/api/v1/persons/{task.person_id}/timeline").json()
    (entry,) = [item for item in timeline["items"] if item["kind"] == "attempt"]
    assert entry["detail"]["naloxone_kits_left"] == 2
