"""Care plans without an owner: a program's coordinators see which plans nobody may follow
up any more, without the plans' clinical content, and hand them over to a care owner."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from coresponder.care.actions import hand_over_orphaned_care_plan
from coresponder.care.models import CarePlan, CarePlanGoal, CarePlanStep, FollowUp
from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Notice
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.models import Membership, Program, User

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
GOAL = "A shelter bed near the Kensington clinic"
STEP = "Call the Ridge Avenue intake line"
NOTE = "Relapsed twice since the summer"
TITLE = "Stable housing and methadone"


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def leaver(world: World) -> User:
    user = reader(world, Role.CASE_MANAGER, username="leaving-case-manager")
    user.display_name = "Lee Leaving"
    user.save(update_fields=["display_name"])
    return user


@pytest.fixture
def colleague(world: World) -> User:
    return reader(world, Role.CLINICIAN, username="staying-clinician")


@pytest.fixture
def boss(world: World) -> User:
    return reader(world, Role.COORDINATOR, username="program-coordinator")


def plan_of(world: World, owner: User, **extra: Any) -> CarePlan:
    plan = CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title=TITLE,
        opened_on=dt.date(2026, 11, 1),
        owner=owner,
        note=NOTE,
        **extra,
    )
    goal = CarePlanGoal.objects.create(plan=plan, need="housing", description=GOAL)
    CarePlanStep.objects.create(goal=goal, description=STEP, owner=owner)
    FollowUp.objects.create(plan=plan, due_at=NOW, kind="phone", owner=owner)
    FollowUp.objects.create(
        plan=plan, due_at=NOW, kind="visit", owner=owner, done_at=NOW, outcome="Met at home"
    )
    return plan


def leave(user: User) -> None:
    Membership.objects.filter(user=user).update(active=False)


def hand_over(client: Client, plan: CarePlan, owner: User, version: int | None = None) -> Any:
    prefix = f"plan-{plan.pk}"
    return client.post(
        f"/care-plans/{plan.pk}/handover",
        {f"{prefix}-version": version or plan.version, f"{prefix}-owner": owner.pk},
    )


# --- The list -------------------------------------------------------------------------


def test_the_list_shows_who_held_each_plan_and_why_not_any_more_and_no_clinical_text(
    world: World, leaver: User, colleague: User, boss: User, client: Client
) -> None:
    left = plan_of(world, leaver)
    leave(leaver)
    disabled_owner = reader(world, Role.PEER_SPECIALIST, username="disabled-peer")
    User.objects.filter(pk=disabled_owner.pk).update(is_active=False)
    disabled = plan_of(world, disabled_owner)
    moved_owner = reader(world, Role.SOCIAL_WORKER, username="now-an-officer")
    Membership.objects.filter(user=moved_owner).update(role=Role.OFFICER.value)
    moved = plan_of(world, moved_owner)
    kept = plan_of(world, colleague)
    closed = plan_of(world, leaver, status=CarePlan.Status.CLOSED)

    client.force_login(boss)
    page = client.get(f"/programs/{world.program.slug}/care-plans/orphaned/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "Care plans without an owner" in text
    assert "Dana Reyes" in text
    assert "Lee Leaving" in text
    assert "Left the program" in text
    assert "Account disabled" in text
    assert "Role no longer owns care" in text
    assert "1 Nov 2026" in text
    for plan in (left, disabled, moved):
        assert f"/care-plans/{plan.pk}/handover" in text
    for plan in (kept, closed):
        assert f"/care-plans/{plan.pk}/handover" not in text
    for clinical in (GOAL, STEP, NOTE, TITLE, "Met at home"):
        assert clinical not in text
    assert "staying-clinician" in text or str(colleague) in text  # offered as the new owner
    read = AuditEvent.objects.filter(actor=boss, action="read", person_id=world.person.pk)
    assert read.exists()


def test_the_program_home_counts_the_plans_without_an_owner_for_its_coordinators(
    world: World, leaver: User, boss: User, client: Client
) -> None:
    plan_of(world, leaver)
    plan_of(world, leaver)
    leave(leaver)
    client.force_login(boss)

    text = client.get(f"/programs/{world.program.slug}/").content.decode()

    counted = (
        '<span class="cr-work__count">2</span> '
        '<span class="cr-work__label">Care plans without an owner</span>'
    )
    assert counted in text
    assert f"/programs/{world.program.slug}/care-plans/orphaned/" in text


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PROSECUTOR, Role.CLINICIAN])
def test_other_roles_neither_see_the_list_nor_hand_a_plan_over_this_way(
    world: World, leaver: User, colleague: User, client: Client, role: Role
) -> None:
    plan = plan_of(world, leaver)
    leave(leaver)
    client.force_login(colleague if role is Role.CLINICIAN else reader(world, role))

    assert client.get(f"/programs/{world.program.slug}/care-plans/orphaned/").status_code == 404
    assert hand_over(client, plan, colleague).status_code == 404
    plan.refresh_from_db()
    assert plan.owner_id == leaver.pk


def test_a_coordinator_of_another_program_gets_404(
    world: World, leaver: User, colleague: User, pco: Program, client: Client
) -> None:
    plan = plan_of(world, leaver)
    leave(leaver)
    elsewhere = User.objects.create_user(
        username="pco-coordinator", password="x", role="coordinator"
    )
    Membership.objects.create(user=elsewhere, program=pco, role=Role.COORDINATOR.value)
    client.force_login(elsewhere)

    assert client.get(f"/programs/{world.program.slug}/care-plans/orphaned/").status_code == 404
    response = hand_over(client, plan, colleague)
    assert response.status_code == 404
    assert "Dana" not in response.content.decode()
    plan.refresh_from_db()
    assert plan.owner_id == leaver.pk


def test_a_clinician_still_hands_a_plan_over_only_with_write_access_to_the_person(
    world: World, leaver: User, colleague: User, boss: User, client: Client
) -> None:
    plan = plan_of(world, leaver)
    leave(leaver)
    client.force_login(boss)  # reads no clinical detail: the plan's own page is not theirs
    refused = client.post(
        f"/care-plans/{plan.pk}/owner", {"owner-version": plan.version, "owner-owner": colleague.pk}
    )
    assert refused.status_code == 404
    client.force_login(colleague)
    taken = client.post(
        f"/care-plans/{plan.pk}/owner", {"owner-version": plan.version, "owner-owner": colleague.pk}
    )
    assert taken.status_code == 302
    plan.refresh_from_db()
    assert plan.owner_id == colleague.pk


# --- Handing over -----------------------------------------------------------------------


def test_a_coordinator_hands_an_orphaned_plan_over_and_the_new_owner_is_told(
    world: World, leaver: User, colleague: User, boss: User, client: Client
) -> None:
    plan = plan_of(world, leaver)
    leave(leaver)
    client.force_login(boss)

    answer = hand_over(client, plan, colleague)

    assert answer.status_code == 302
    assert answer["Location"] == f"/programs/{world.program.slug}/care-plans/orphaned/"
    plan.refresh_from_db()
    assert plan.owner_id == colleague.pk
    open_one = FollowUp.objects.get(plan=plan, done_at__isnull=True)
    assert open_one.owner_id == colleague.pk
    assert FollowUp.objects.get(plan=plan, done_at__isnull=False).owner_id == leaver.pk
    [notice] = Notice.objects.filter(recipient=colleague)
    assert notice.kind == Notice.Kind.CARE_PLAN_HANDED_OVER
    assert notice.care_plan_id == plan.pk
    assert "Dana" not in notice.message and "Reyes" not in notice.message
    change = AuditEvent.objects.get(
        action="change", object_type="encounters.careplan", object_id=str(plan.pk)
    )
    assert change.actor_id == boss.pk
    assert change.detail["owner"] == colleague.pk and change.detail["was"] == leaver.pk
    assert change.detail["owner_gone"] == "left_program"
    notices = client.get("/notices/").content.decode()
    assert notices.count("/care-plans/") == 0  # the coordinator is told nothing
    client.force_login(colleague)
    assert f"/care-plans/{plan.pk}/" in client.get("/notices/").content.decode()


def test_a_handover_sent_twice_hands_the_plan_over_once(
    world: World, leaver: User, colleague: User, boss: User, client: Client
) -> None:
    plan = plan_of(world, leaver)
    leave(leaver)
    client.force_login(boss)

    first = hand_over(client, plan, colleague, version=1)
    again = hand_over(client, plan, colleague, version=1)

    assert first.status_code == 302 and again.status_code == 302
    assert "already" in client.get(again["Location"]).content.decode()
    changes = AuditEvent.objects.filter(object_type="encounters.careplan", action="change")
    assert changes.count() == 1
    assert Notice.objects.filter(recipient=colleague).count() == 1


def test_a_stale_handover_is_refused_and_changes_nothing(
    world: World, leaver: User, colleague: User, boss: User, client: Client
) -> None:
    plan = plan_of(world, leaver)
    leave(leaver)
    other = reader(world, Role.CASE_MANAGER, username="another-case-manager")
    CarePlan.objects.filter(pk=plan.pk).update(version=2)  # changed since the page was drawn
    client.force_login(boss)

    answer = hand_over(client, plan, other, version=1)

    assert answer.status_code == 409
    assert "Changed by someone else" in answer.content.decode()
    plan.refresh_from_db()
    assert plan.owner_id == leaver.pk and plan.version == 2
    assert not Notice.objects.exists()


def test_a_plan_whose_owner_still_owns_care_is_not_taken_this_way(
    world: World, colleague: User, boss: User, client: Client
) -> None:
    plan = plan_of(world, colleague)
    other = reader(world, Role.CASE_MANAGER, username="another-case-manager")
    client.force_login(boss)

    answer = hand_over(client, plan, other)

    assert answer.status_code == 422
    assert "still owns care" in answer.content.decode()
    plan.refresh_from_db()
    assert plan.owner_id == colleague.pk and plan.version == 1


def test_a_closed_plan_is_not_handed_over(
    world: World, leaver: User, colleague: User, boss: User, client: Client
) -> None:
    plan = plan_of(world, leaver, status=CarePlan.Status.CLOSED)
    leave(leaver)
    client.force_login(boss)

    answer = hand_over(client, plan, colleague)

    assert answer.status_code == 422
    assert "This care plan is closed" in answer.content.decode()
    plan.refresh_from_db()
    assert plan.owner_id == leaver.pk


def test_the_action_refuses_a_role_that_does_not_hand_plans_over(
    world: World, leaver: User, colleague: User
) -> None:
    plan = plan_of(world, leaver)
    leave(leaver)
    with pytest.raises(Forbidden):
        hand_over_orphaned_care_plan(Actor(user=colleague), plan, colleague.pk, plan.version)
    boss = reader(world, Role.COORDINATOR, username="the-boss")
    with pytest.raises(StaleVersion):
        hand_over_orphaned_care_plan(Actor(user=boss), plan, colleague.pk, plan.version + 1)
    with pytest.raises(ActionError) as refused:
        hand_over_orphaned_care_plan(Actor(user=boss), plan, boss.pk, plan.version)
    assert "owner" in refused.value.errors
    plan.refresh_from_db()
    assert plan.owner_id == leaver.pk


# --- The API ----------------------------------------------------------------------------


def test_the_api_lists_plans_without_an_owner_with_no_clinical_field(
    world: World, leaver: User, colleague: User, boss: User, api_client_for: Any
) -> None:
    plan = plan_of(world, leaver)
    plan_of(world, colleague)
    leave(leaver)

    response = api_client_for(boss).get(
        f"/api/v1/programs/{world.program.slug}/care-plans/orphaned"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1
    [item] = body["items"]
    assert item == {
        "id": plan.pk,
        "version": plan.version,
        "person_id": world.person.pk,
        "person_name": "Dana Reyes",
        "opened_on": "2026-11-01",
        "former_owner": {"id": leaver.pk, "name": "Lee Leaving"},
        "owner_gone": "left_program",
        "owner_gone_label": "Left the program",
        "open_follow_ups": 1,
    }
    for clinical in (GOAL, STEP, NOTE, TITLE):
        assert clinical not in response.content.decode()


def test_the_api_hands_an_orphaned_plan_over_once(
    world: World, leaver: User, colleague: User, boss: User, api_client_for: Any
) -> None:
    plan = plan_of(world, leaver)
    leave(leaver)
    api = api_client_for(boss)
    url = f"/api/v1/care-plans/{plan.pk}/handover"

    done = api.post(
        url, {"owner": colleague.pk, "version": plan.version}, content_type="application/json"
    )
    again = api.post(
        url, {"owner": colleague.pk, "version": plan.version}, content_type="application/json"
    )

    assert done.status_code == 200, done.content
    assert done.json() == {
        "id": plan.pk,
        "version": plan.version + 1,
        "program": world.program.slug,
        "owner": {"id": colleague.pk, "name": str(colleague)},
        "follow_ups_handed_over": 1,
    }
    assert again.status_code == 409
    assert Notice.objects.filter(recipient=colleague).count() == 1


def test_the_api_refuses_a_plan_whose_owner_still_owns_care_and_other_programs(
    world: World,
    colleague: User,
    boss: User,
    pco: Program,
    api_client_for: Any,
) -> None:
    plan = plan_of(world, colleague)
    other = reader(world, Role.CASE_MANAGER, username="another-case-manager")
    url = f"/api/v1/care-plans/{plan.pk}/handover"
    payload = {"owner": other.pk, "version": plan.version}

    refused = api_client_for(boss).post(url, payload, content_type="application/json")
    assert refused.status_code == 422
    assert "plan" in refused.json()["errors"]

    elsewhere = User.objects.create_user(
        username="pco-coordinator", password="x", role="coordinator"
    )
    Membership.objects.create(user=elsewhere, program=pco, role=Role.COORDINATOR.value)
    outsider = api_client_for(elsewhere)
    assert outsider.post(url, payload, content_type="application/json").status_code == 404
    listed = outsider.get(f"/api/v1/programs/{world.program.slug}/care-plans/orphaned")
    assert listed.status_code == 404
    officer = api_client_for(reader(world, Role.OFFICER))
    assert officer.post(url, payload, content_type="application/json").status_code == 404
    plan.refresh_from_db()
    assert plan.owner_id == colleague.pk
