"""A plan whose owner left the program is handed over, with the follow-ups nobody is left
to make, and the new owner is reminded of them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from coresponder.care.actions import hand_over_orphaned_care_plan, send_follow_up_reminders
from coresponder.care.models import CarePlan, FollowUp
from coresponder.care.reminders import WORKER
from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Notice
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.models import Membership, Program, User

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def leaver(world: World) -> User:
    return reader(world, Role.CASE_MANAGER, username="leaving-case-manager")


@pytest.fixture
def colleague(world: World) -> User:
    return reader(world, Role.CLINICIAN, username="staying-clinician")


def plan_of(world: World, owner: User) -> CarePlan:
    return CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="Housing",
        opened_on=dt.date(2026, 11, 1),
        owner=owner,
    )


def leave(user: User) -> None:
    Membership.objects.filter(user=user).update(active=False)


def test_a_plan_whose_owner_left_is_handed_over_and_its_follow_ups_are_reminded(
    world: World, leaver: User, colleague: User, api_client_for: Any
) -> None:
    plan = plan_of(world, leaver)
    due = FollowUp.objects.create(plan=plan, due_at=NOW, kind="phone", owner=leaver)
    theirs = FollowUp.objects.create(plan=plan, due_at=NOW, kind="visit", owner=colleague)
    leave(leaver)
    # Neither the follow-up's owner nor the plan's may open it: nobody is told.
    assert send_follow_up_reminders(WORKER, NOW) == 1
    assert not Notice.objects.filter(follow_up=due).exists()

    api: Client = api_client_for(colleague)
    response = api.post(
        f"/api/v1/care-plans/{plan.pk}/owner",
        {"owner": colleague.pk, "version": plan.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["owner"]["id"] == colleague.pk
    due.refresh_from_db()
    theirs.refresh_from_db()
    assert due.owner_id == colleague.pk and due.reminded_at is None
    assert theirs.reminded_at == NOW  # already the colleague's, reminded once
    changes = AuditEvent.objects.filter(action="change", person_id=world.person.pk)
    assert {e.object_type for e in changes} == {"encounters.careplan", "encounters.followup"}

    assert send_follow_up_reminders(WORKER, NOW + dt.timedelta(minutes=5)) == 1
    [notice] = Notice.objects.filter(follow_up=due)
    assert notice.recipient_id == colleague.pk

    stale = api.post(
        f"/api/v1/care-plans/{plan.pk}/owner",
        {"owner": colleague.pk, "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409


def test_a_plan_is_handed_over_only_to_someone_who_reads_care_plans(
    world: World, leaver: User, colleague: User, api_client_for: Any
) -> None:
    plan = plan_of(world, leaver)
    officer = reader(world, Role.OFFICER, username="an-officer")
    response = api_client_for(colleague).post(
        f"/api/v1/care-plans/{plan.pk}/owner",
        {"owner": officer.pk, "version": plan.version},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "owner" in response.json()["errors"]
    plan.refresh_from_db()
    assert plan.owner_id == leaver.pk


def test_the_plan_page_says_the_owner_left_and_hands_the_plan_over(
    world: World, leaver: User, colleague: User, client: Client
) -> None:
    plan = plan_of(world, leaver)
    FollowUp.objects.create(plan=plan, due_at=NOW, kind="phone", owner=leaver)
    leave(leaver)
    client.force_login(colleague)
    page = client.get(f"/care-plans/{plan.pk}/")
    assert page.status_code == 200
    assert "No longer follows people up here" in page.content.decode()
    answer = client.post(
        f"/care-plans/{plan.pk}/owner",
        {"owner-version": plan.version, "owner-owner": colleague.pk},
    )
    assert answer.status_code == 302
    plan.refresh_from_db()
    assert plan.owner_id == colleague.pk
    assert FollowUp.objects.get(plan=plan).owner_id == colleague.pk
    again = client.post(
        f"/care-plans/{plan.pk}/owner",
        {"owner-version": 1, "owner-owner": colleague.pk},
    )
    assert again.status_code == 302  # sent twice: lands on the plan as saved
    assert "No longer follows people up here" not in client.get(answer["Location"]).content.decode()


def test_the_new_owner_of_a_plan_handed_over_by_a_clinician_is_told(
    world: World, leaver: User, colleague: User, api_client_for: Any
) -> None:
    plan = plan_of(world, leaver)
    FollowUp.objects.create(plan=plan, due_at=NOW, kind="phone", owner=leaver)
    successor = reader(world, Role.CLINICIAN, username="next-clinician")

    response = api_client_for(colleague).post(
        f"/api/v1/care-plans/{plan.pk}/owner",
        {"owner": successor.pk, "version": plan.version},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    [notice] = Notice.objects.filter(recipient=successor)
    assert notice.kind == Notice.Kind.CARE_PLAN_HANDED_OVER
    assert notice.care_plan_id == plan.pk
    assert f"care plan {plan.pk} is yours now" in notice.message
    assert "1 open follow-up came with it" in notice.message
    assert world.person.family_name not in notice.message
    assert "Housing" not in notice.message


def test_a_clinician_who_takes_a_plan_over_is_not_told_what_they_did(
    world: World, leaver: User, colleague: User, api_client_for: Any
) -> None:
    plan = plan_of(world, leaver)

    response = api_client_for(colleague).post(
        f"/api/v1/care-plans/{plan.pk}/owner",
        {"owner": colleague.pk, "version": plan.version},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert not Notice.objects.filter(recipient=colleague).exists()


def test_a_coordinator_is_not_told_to_open_a_closed_plan_again(
    world: World, leaver: User, colleague: User
) -> None:
    plan = plan_of(world, leaver)
    plan.status = CarePlan.Status.CLOSED
    plan.save()
    leave(leaver)
    coordinator = reader(world, Role.COORDINATOR, username="a-coordinator")

    with pytest.raises(ActionError) as refused:
        hand_over_orphaned_care_plan(Actor(user=coordinator), plan, colleague.pk, plan.version)

    assert "open it again" not in str(refused.value.errors)
    plan.refresh_from_db()
    assert plan.owner_id == leaver.pk
