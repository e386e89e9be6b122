"""What a care plan takes and keeps: who may own its parts, who learns it exists, what a
closed plan keeps as it ended, and which dates it takes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.care.actions import FollowUpInput, schedule_follow_up
from coresponder.care.models import CarePlan, CarePlanGoal, CarePlanStep, FollowUp
from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import access_person
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db
JSON = "application/json"
MISSING = 999999


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def case_manager(world: World) -> User:
    return reader(world, Role.CASE_MANAGER)


@pytest.fixture
def api(case_manager: User, api_client_for: Any) -> Client:
    client: Client = api_client_for(case_manager)
    return client


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def open_plan(api: Client, world: World, **fields: Any) -> dict[str, Any]:
    return created(
        api.post(
            f"/api/v1/persons/{world.person.pk}/care-plans",
            {"title": "Housing and treatment", **fields},
            content_type=JSON,
        )
    )


def plan_with_parts(api: Client, world: World) -> dict[str, Any]:
    """A plan with a goal, a step and a follow-up, as the API returns it."""
    plan = open_plan(api, world)
    goal = created(
        api.post(f"/api/v1/care-plans/{plan['id']}/goals", {"need": "housing"}, content_type=JSON)
    )
    created(
        api.post(
            f"/api/v1/care-goals/{goal['id']}/steps",
            {"description": "Call the shelter"},
            content_type=JSON,
        )
    )
    created(
        api.post(
            f"/api/v1/care-plans/{plan['id']}/follow-ups",
            {"due_at": (timezone.now() + dt.timedelta(days=2)).isoformat(), "kind": "phone"},
            content_type=JSON,
        )
    )
    body: dict[str, Any] = api.get(f"/api/v1/persons/{world.person.pk}/care-plans").json()
    fresh: dict[str, Any] = body["items"][0]
    return fresh


def owner_options(html: str, name: str) -> set[int]:
    """The user ids a page's owner picker offers."""
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select is not None, name
    return {int(value) for value in re.findall(r'<option value="(\d+)"', select.group(0))}


# --- Who may own a plan, a step or a follow-up -----------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PROSECUTOR])
def test_a_member_whose_role_may_not_read_care_plans_owns_no_plan_step_or_follow_up(
    api: Client, world: World, role: Role
) -> None:
    member = reader(world, role)
    refused = api.post(
        f"/api/v1/persons/{world.person.pk}/care-plans",
        {"title": "Housing", "owner": member.pk},
        content_type=JSON,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"]["owner"] == [
        "their role in this program may not read care plans"
    ]
    plan = open_plan(api, world)
    goal = created(
        api.post(f"/api/v1/care-plans/{plan['id']}/goals", {"need": "housing"}, content_type=JSON)
    )
    step = api.post(
        f"/api/v1/care-goals/{goal['id']}/steps",
        {"description": "Call the shelter", "owner": member.pk},
        content_type=JSON,
    )
    assert step.status_code == 422 and "owner" in step.json()["errors"]
    follow_up = api.post(
        f"/api/v1/care-plans/{plan['id']}/follow-ups",
        {
            "due_at": (timezone.now() + dt.timedelta(days=2)).isoformat(),
            "kind": "phone",
            "owner": member.pk,
        },
        content_type=JSON,
    )
    assert follow_up.status_code == 422 and "owner" in follow_up.json()["errors"]
    assert list(CarePlan.objects.values_list("owner", flat=True)) == [plan["owner"]["id"]]
    assert not CarePlanStep.objects.exists() and not FollowUp.objects.exists()


def test_the_pages_offer_as_owners_only_members_who_may_read_care_plans(
    world: World, case_manager: User
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    officer = reader(world, Role.OFFICER)
    prosecutor = reader(world, Role.PROSECUTOR)
    client = signed_in(case_manager)
    page = client.get(f"/people/{world.person.pk}/care/").content.decode()
    assert owner_options(page, "plan-owner") == {case_manager.pk, clinician.pk}

    refused = client.post(
        f"/people/{world.person.pk}/care/",
        {"plan-program": "pad", "plan-title": "Back on feet", "plan-owner": prosecutor.pk},
    )
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "only members of the program whose role reads care plans" in body
    assert not CarePlan.objects.exists()

    opened = client.post(
        f"/people/{world.person.pk}/care/",
        {"plan-program": "pad", "plan-title": "Back on feet", "plan-owner": clinician.pk},
    )
    assert opened.status_code == 302
    plan = CarePlan.objects.get()
    CarePlanGoal.objects.create(plan=plan, need="housing")
    html = client.get(f"/care-plans/{plan.pk}/").content.decode()
    goal = plan.goals.get()
    assert owner_options(html, f"step-{goal.pk}-owner") == {case_manager.pk, clinician.pk}
    assert owner_options(html, "followup-owner") == {case_manager.pk, clinician.pk}
    assert officer.pk not in owner_options(html, "followup-owner")


# --- Who learns that a plan exists -------------------------------------------------------


def writes_on(plan: dict[str, Any]) -> list[tuple[str, str, int, dict[str, Any]]]:
    """Every write on a plan and its parts: method, address, the id it names, and a body."""
    goal = plan["goals"][0]
    soon = (timezone.now() + dt.timedelta(days=2)).isoformat()
    return [
        ("patch", "/api/v1/care-plans/{}", plan["id"], {"version": 1, "status": "closed"}),
        ("post", "/api/v1/care-plans/{}/goals", plan["id"], {"need": "legal"}),
        ("post", "/api/v1/care-plans/{}/follow-ups", plan["id"], {"due_at": soon, "kind": "phone"}),
        ("patch", "/api/v1/care-goals/{}", goal["id"], {"version": 1, "status": "dropped"}),
        ("post", "/api/v1/care-goals/{}/steps", goal["id"], {"description": "Mine"}),
        ("patch", "/api/v1/care-steps/{}", goal["steps"][0]["id"], {"version": 1, "done": True}),
        ("patch", "/api/v1/follow-ups/{}", plan["follow_ups"][0]["id"], {"version": 1}),
    ]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PROSECUTOR])
def test_a_role_that_may_not_see_a_plan_gets_the_same_404_for_it_as_for_a_missing_one(
    api: Client, world: World, api_client_for: Any, role: Role
) -> None:
    plan = plan_with_parts(api, world)
    other = api_client_for(reader(world, role))
    for method, address, pk, payload in writes_on(plan):
        send = getattr(other, method)
        real = send(address.format(pk), payload, content_type=JSON)
        missing = send(address.format(MISSING), payload, content_type=JSON)
        assert real.status_code == missing.status_code == 404, address
        assert real.json() == missing.json(), address
    stored = CarePlan.objects.get()
    assert stored.status == "active" and stored.goals.count() == 1
    assert CarePlanStep.objects.count() == FollowUp.objects.count() == 1


def test_who_sees_a_plan_by_consent_but_may_not_write_gets_403_from_the_api_and_pages(
    api: Client, world: World, api_client_for: Any
) -> None:
    plan = plan_with_parts(api, world)
    close = {"plan-version": 1, "plan-status": "closed"}
    unseeing = signed_in(reader(world, Role.OFFICER))
    assert unseeing.post(f"/care-plans/{plan['id']}/status", close).status_code == 404
    assert unseeing.post(f"/care-plans/{MISSING}/status", close).status_code == 404
    officer = reader(world, Role.OFFICER, username="officer-with-consent")
    consent_for(world, officer)
    by_consent = api_client_for(officer)
    for method, address, pk, payload in writes_on(plan):
        send = getattr(by_consent, method)
        assert send(address.format(pk), payload, content_type=JSON).status_code == 403, address
        assert send(address.format(MISSING), payload, content_type=JSON).status_code == 404
    seeing = signed_in(officer)
    assert seeing.get(f"/care-plans/{plan['id']}/").status_code == 200
    assert seeing.post(f"/care-plans/{plan['id']}/status", close).status_code == 403
    assert seeing.post(f"/care-plans/{MISSING}/status", close).status_code == 404
    assert CarePlan.objects.get().status == "active"


# --- A closed plan keeps its parts as they ended ----------------------------------------


def test_a_closed_plans_goals_steps_and_follow_ups_cannot_be_changed(
    api: Client, world: World
) -> None:
    plan = plan_with_parts(api, world)
    goal = plan["goals"][0]
    step = goal["steps"][0]
    follow_up = plan["follow_ups"][0]
    closed = api.patch(
        f"/api/v1/care-plans/{plan['id']}",
        {"version": plan["version"], "status": "closed"},
        content_type=JSON,
    )
    assert closed.status_code == 200
    changes = [
        api.patch(
            f"/api/v1/care-goals/{goal['id']}",
            {"version": goal["version"], "status": "met"},
            content_type=JSON,
        ),
        api.patch(
            f"/api/v1/care-steps/{step['id']}",
            {"version": step["version"], "done": True},
            content_type=JSON,
        ),
        api.patch(
            f"/api/v1/follow-ups/{follow_up['id']}",
            {"version": follow_up["version"], "outcome": "Reached"},
            content_type=JSON,
        ),
    ]
    for response in changes:
        assert response.status_code == 422, response.content
        assert response.json()["detail"] == "This care plan is closed."
        assert "plan" in response.json()["errors"]
    assert CarePlanGoal.objects.get().status == "open"
    assert CarePlanStep.objects.get().done_at is None
    assert FollowUp.objects.get().done_at is None


def test_the_page_refuses_to_open_a_goal_of_a_closed_plan_again_and_says_why(
    world: World, case_manager: User
) -> None:
    client = signed_in(case_manager)
    plan = CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="Plan",
        opened_on=dt.date(2026, 11, 1),
        owner=case_manager,
    )
    goal = CarePlanGoal.objects.create(plan=plan, need="housing", status="met")
    step = CarePlanStep.objects.create(goal=goal, description="Call the shelter")
    due = FollowUp.objects.create(
        plan=plan, due_at=timezone.now(), kind="visit", owner=case_manager
    )
    closed = client.post(
        f"/care-plans/{plan.pk}/status", {"plan-version": 1, "plan-status": "closed"}
    )
    assert closed.status_code == 302
    page = client.get(f"/care-plans/{plan.pk}/").content.decode()
    assert "Save goal status" not in page and "Mark done" not in page

    reopened = client.post(
        f"/care-goals/{goal.pk}/status",
        {f"goal-{goal.pk}-version": 1, f"goal-{goal.pk}-status": "open"},
    )
    assert reopened.status_code == 422
    body = reopened.content.decode()
    assert "This care plan is closed; open it again first." in body
    assert "Goal updated." not in body
    step_done = client.post(
        f"/care-steps/{step.pk}/done",
        {f"stepdone-{step.pk}-version": 1, f"stepdone-{step.pk}-done": "on"},
    )
    assert step_done.status_code == 422
    assert "This care plan is closed" in step_done.content.decode()
    follow_up_done = client.post(
        f"/care-follow-ups/{due.pk}/done",
        {f"fudone-{due.pk}-version": 1, f"fudone-{due.pk}-outcome": "Seen"},
    )
    assert follow_up_done.status_code == 422
    goal.refresh_from_db()
    assert goal.status == "met" and goal.times_reopened == 0
    assert CarePlanStep.objects.get().done_at is None
    assert FollowUp.objects.get().done_at is None


# --- Dates a plan takes ------------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_step_due_off_the_calendar_is_refused_naming_due_on(
    api: Client, world: World, day: str
) -> None:
    plan = open_plan(api, world)
    goal = created(
        api.post(f"/api/v1/care-plans/{plan['id']}/goals", {"need": "benefits"}, content_type=JSON)
    )
    response = api.post(
        f"/api/v1/care-goals/{goal['id']}/steps",
        {"description": "Apply", "due_on": day},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["errors"]["due_on"] == [f"give a date between 1900 and 2200, not {day}"]
    assert not CarePlanStep.objects.exists()


def test_a_plan_opened_off_the_calendar_is_refused_naming_opened_on(
    api: Client, world: World
) -> None:
    response = api.post(
        f"/api/v1/persons/{world.person.pk}/care-plans",
        {"title": "Housing", "opened_on": "0001-01-01"},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert "between 1900 and 2200" in response.json()["errors"]["opened_on"][0]
    assert not CarePlan.objects.exists()


def test_a_plan_opened_before_the_person_was_born_is_refused_naming_opened_on(
    api: Client, world: World
) -> None:
    # Dana was born on 4 May 1990 (the world's person).
    response = api.post(
        f"/api/v1/persons/{world.person.pk}/care-plans",
        {"title": "Housing", "opened_on": "1950-01-01"},
        content_type=JSON,
    )
    assert response.status_code == 422
    said = response.json()["errors"]["opened_on"][0]
    assert "before the person was born (4 May 1990)" in said
    assert not CarePlan.objects.exists()


def test_the_write_path_refuses_a_follow_up_due_off_the_calendar(
    api: Client, world: World, case_manager: User
) -> None:
    plan = CarePlan.objects.get(pk=open_plan(api, world)["id"])
    access = access_person(case_manager, world.person.pk)
    late = dt.datetime(2999, 1, 1, 9, 0, tzinfo=dt.UTC)
    with pytest.raises(ActionError) as refused:
        schedule_follow_up(Actor(user=case_manager), access, plan, FollowUpInput(late, "phone"))
    assert "between 1900 and 2200" in refused.value.errors["due_at"][0]
    assert not FollowUp.objects.exists()


def test_the_pages_refuse_dates_off_the_calendar_with_the_field_marked(
    world: World, case_manager: User
) -> None:
    client = signed_in(case_manager)
    opened = client.post(
        f"/people/{world.person.pk}/care/",
        {
            "plan-program": "pad",
            "plan-title": "Back on feet",
            "plan-owner": case_manager.pk,
            "plan-opened_on": "0001-01-01",
        },
    )
    assert opened.status_code == 422
    assert 'id="id_plan-opened_on_error"' in opened.content.decode()
    assert not CarePlan.objects.exists()
    plan = CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="Plan",
        opened_on=dt.date(2026, 11, 1),
        owner=case_manager,
    )
    goal = CarePlanGoal.objects.create(plan=plan, need="legal")
    response = client.post(
        f"/care-goals/{goal.pk}/steps",
        {
            f"step-{goal.pk}-description": "See the public defender",
            f"step-{goal.pk}-due_on": "9999-12-31",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert f'id="id_step-{goal.pk}-due_on_error"' in body
    assert "Give a date between 1900 and 2200, not 9999-12-31" in body
    assert not CarePlanStep.objects.exists()


def test_a_step_or_follow_up_due_more_than_a_year_away_is_refused_as_a_mistyped_year(
    api: Client, world: World
) -> None:
    plan = open_plan(api, world)
    goal = created(
        api.post(f"/api/v1/care-plans/{plan['id']}/goals", {"need": "housing"}, content_type=JSON)
    )
    far = timezone.now() + dt.timedelta(days=400)
    follow_up = api.post(
        f"/api/v1/care-plans/{plan['id']}/follow-ups",
        {"due_at": far.isoformat(), "kind": "phone"},
        content_type=JSON,
    )
    assert follow_up.status_code == 422
    assert "a year from today: check the year" in follow_up.json()["errors"]["due_at"][0]
    step = api.post(
        f"/api/v1/care-goals/{goal['id']}/steps",
        {"description": "Call the shelter", "due_on": far.date().isoformat()},
        content_type=JSON,
    )
    assert step.status_code == 422 and "due_on" in step.json()["errors"]
    assert not FollowUp.objects.exists() and not CarePlanStep.objects.exists()
    # Eleven months ahead is a plan, not a typing error.
    near = timezone.now() + dt.timedelta(days=330)
    created(
        api.post(
            f"/api/v1/care-plans/{plan['id']}/follow-ups",
            {"due_at": near.isoformat(), "kind": "phone"},
            content_type=JSON,
        )
    )
