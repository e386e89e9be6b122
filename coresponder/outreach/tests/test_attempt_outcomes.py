"""What each attempt outcome does to a task, as the program's preset says."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.domain.outreach import rule_holds
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.outreach.tests.test_outreach_api import NOW, attempt, staff, task_for
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def pad(db: None) -> Program:
    """Philadelphia's PAD: reaching someone does not end its voluntary services."""
    load_programs(SYSTEM)
    return Program.objects.get(slug="pad")


def test_tries_that_reached_the_person_do_not_use_up_the_not_located_tries(
    pad: Program, api_client_for: Any
) -> None:
    task = task_for(pad, "Keeps in touch", closes_in_hours=24 * 10)
    client = api_client_for(staff(pad, Role.RECOVERY_COACH))
    for days in (0, 1):
        when = (NOW + dt.timedelta(days=days)).isoformat()
        reached = attempt(client, task, "contacted", attempted_at=when)
        assert reached.status_code == 201, reached.content
        assert reached.json()["task"]["status"] == "open"
    # The first try that found nobody: PAD allows three of those before it gives up.
    away = (NOW + dt.timedelta(days=2)).isoformat()
    response = attempt(client, task, "not_located", contacted=[], attempted_at=away)
    assert response.status_code == 201, response.content
    body = response.json()["task"]
    assert body["status"] == "open"
    assert body["next_attempt_after"] is not None


def test_the_third_try_that_found_nobody_closes_the_task_as_not_located(
    pad: Program, api_client_for: Any
) -> None:
    task = task_for(pad, "Gone quiet", closes_in_hours=24 * 10)
    client = api_client_for(staff(pad, Role.RECOVERY_COACH))
    assert attempt(client, task, "contacted").status_code == 201
    statuses = []
    for days in (1, 2, 3):
        when = (NOW + dt.timedelta(days=days)).isoformat()
        response = attempt(client, task, "not_located", contacted=[], attempted_at=when)
        assert response.status_code == 201, response.content
        statuses.append(response.json()["task"]["status"])
    assert statuses[:2] == ["open", "open"]
    assert statuses[2] != "open"
    task.refresh_from_db()
    assert task.close_reason == "not_located"


@pytest.mark.parametrize(
    "contacted",
    [
        [{"role": "collateral", "name": "Ann"}],
        [{"role": "collateral", "relationship": "", "name": "Ann"}],
        [{"role": "collateral", "relationship": "the lady next door", "name": "Ann"}],
    ],
)
def test_a_family_member_or_friend_reached_says_who_they_are_from_the_list(
    pad: Program, api_client_for: Any, contacted: list[dict[str, str]]
) -> None:
    task = task_for(pad, "Mother answered")
    client = api_client_for(staff(pad, Role.RECOVERY_COACH))
    response = attempt(client, task, "contacted_collateral_only", contacted=contacted)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["contacted"]
    assert not Attempt.objects.filter(task=task).exists()


def test_a_family_member_reached_with_a_listed_relationship_is_recorded(
    pad: Program, api_client_for: Any
) -> None:
    task = task_for(pad, "Sister answered")
    client = api_client_for(staff(pad, Role.RECOVERY_COACH))
    contacted = [{"role": "collateral", "relationship": "sibling", "name": "Jo"}]
    response = attempt(client, task, "contacted_collateral_only", contacted=contacted)
    assert response.status_code == 201, response.content
    assert AttemptContact.objects.get(attempt__task=task).relationship == "sibling"


def test_reaching_only_family_is_not_reaching_the_person_for_the_qrt_tiers() -> None:
    # QRT's follow-up ends only when the patient is reached: a mother on the doorstep
    # leaves the patient tried and never reached.
    assert rule_holds("not_located_before", ["not_located", "contacted_collateral_only"])
    assert rule_holds("not_located_before", ["contacted_collateral_only"])
    assert rule_holds(
        "declined_interested_later", ["declined_interested_later", "contacted_collateral_only"]
    )
    assert not rule_holds("not_located_before", ["contacted_collateral_only", "contacted"])


def test_the_qrt_queue_puts_a_patient_only_their_family_was_reached_for_in_tier_two(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Family only")
    client = api_client_for(staff(qrt))
    contacted = [{"role": "collateral", "relationship": "mother", "name": "Ann"}]
    response = attempt(client, task, "contacted_collateral_only", contacted=contacted)
    assert response.status_code == 201, response.content
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.OPEN
    assert task.priority_tier == 2


def test_the_api_queue_says_when_a_person_asked_to_be_contacted_again(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Not now")
    other = task_for(qrt, "Untried")
    client = api_client_for(staff(qrt))
    response = attempt(client, task, "declined_interested_later")
    assert response.status_code == 201, response.content
    # After both windows closed: both overdue, but one person asked to be called later.
    at = (NOW + dt.timedelta(hours=60)).isoformat().replace("+", "%2B")
    body = client.get(f"/api/v1/programs/qrt/outreach-queue?at={at}").json()
    items = {item["task_id"]: item for item in body["items"]}
    assert items[task.pk]["due_state"] == items[other.pk]["due_state"] == "overdue"
    assert items[task.pk]["contact_later"] == "2026-12-20"
    assert items[other.pk]["contact_later"] is None


def test_contacted_with_only_family_listed_is_refused_on_the_persons_follow_up(
    qrt: Program, api_client_for: Any
) -> None:
    # QRT ends a follow-up only when the patient is reached: "Contacted" with only their
    # mother listed would close it as if they had been.
    task = task_for(qrt, "Mother only")
    client = api_client_for(staff(qrt))
    contacted = [{"role": "collateral", "relationship": "mother", "name": "Ann"}]
    response = attempt(client, task, "contacted", contacted=contacted)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["contacted"]
    assert "Contacted family or friends only" in response.json()["errors"]["contacted"][0]
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.OPEN and not task.attempts.exists()


def test_contacted_on_a_familys_follow_up_lists_the_family_reached(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Grieving")
    OutreachTask.objects.filter(pk=task.pk).update(target=OutreachTask.Target.FAMILY)
    client = api_client_for(staff(qrt))
    contacted = [{"role": "collateral", "relationship": "mother", "name": "Ann"}]
    response = attempt(client, task, "contacted", contacted=contacted)
    assert response.status_code == 201, response.content
