"""A care plan page's edits sent twice (a double tap, Back and send) or over someone
else's save: the second of one person's sendings lands on the plan as saved; a save met
by another's keeps what was typed, in a form still on the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.care.models import CarePlan, CarePlanGoal, CarePlanStep, FollowUp
from coresponder.care.views import ALREADY_SO, STALE_MESSAGE
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.models import Program, User
from coresponder.programs.tests.form_checks import assert_errors_described

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def case_manager(world: World) -> User:
    return reader(world, Role.CASE_MANAGER)


@pytest.fixture
def plan(world: World, case_manager: User) -> CarePlan:
    return CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="Back on feet",
        opened_on=timezone.localdate() - dt.timedelta(days=3),
        owner=case_manager,
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def twice(client: Client, url: str, data: dict[str, Any]) -> tuple[Any, Any]:
    first = client.post(url, data)
    second = client.post(url, data, follow=True)
    return first, second


def test_a_step_marked_done_twice_is_done_once_and_the_second_says_so(
    plan: CarePlan, case_manager: User
) -> None:
    goal = CarePlanGoal.objects.create(plan=plan, need="housing")
    step = CarePlanStep.objects.create(goal=goal, description="Call the shelter")
    sent = {f"stepdone-{step.pk}-version": step.version, f"stepdone-{step.pk}-done": "True"}
    first, second = twice(signed_in(case_manager), f"/care-steps/{step.pk}/done", sent)
    assert first.status_code == 302
    assert second.status_code == 200
    body = second.content.decode()
    assert ALREADY_SO in body and STALE_MESSAGE not in body
    step.refresh_from_db()
    assert step.done_at is not None and step.version == 2
    # The page offers the step's next move: "Mark not done", sending done as off.
    assert "Mark not done" in body
    assert f'name="stepdone-{step.pk}-done" value="True"' not in body


def test_a_goal_status_and_a_plan_status_sent_twice_say_saved(
    plan: CarePlan, case_manager: User
) -> None:
    client = signed_in(case_manager)
    goal = CarePlanGoal.objects.create(plan=plan, need="housing")
    sent = {f"goal-{goal.pk}-version": goal.version, f"goal-{goal.pk}-status": "met"}
    first, second = twice(client, f"/care-goals/{goal.pk}/status", sent)
    assert first.status_code == 302
    assert ALREADY_SO in second.content.decode()
    goal.refresh_from_db()
    assert goal.status == "met" and goal.version == 2
    sent = {"plan-version": plan.version, "plan-status": "completed", "plan-note": "Housed."}
    first, second = twice(client, f"/care-plans/{plan.pk}/status", sent)
    assert first.status_code == 302
    assert ALREADY_SO in second.content.decode()
    plan.refresh_from_db()
    assert plan.status == "completed" and plan.version == 2


def test_a_follow_up_outcome_met_by_anothers_save_is_kept_in_a_form_on_the_page(
    plan: CarePlan, case_manager: User
) -> None:
    due = FollowUp.objects.create(
        plan=plan, due_at=timezone.now() - dt.timedelta(hours=1), kind="visit", owner=case_manager
    )
    # A colleague marked it done meanwhile, with what came of their visit.
    FollowUp.objects.filter(pk=due.pk).update(done_at=timezone.now(), outcome="Not home", version=2)
    response = signed_in(case_manager).post(
        f"/care-follow-ups/{due.pk}/done",
        {f"fudone-{due.pk}-version": 1, f"fudone-{due.pk}-outcome": "Reached her at the clinic"},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert STALE_MESSAGE in body
    assert "Not home" in body  # what the record now says
    assert "Reached her at the clinic" in body  # what was typed, in its form, to save again
    assert f'name="fudone-{due.pk}-version" value="2"' in body
    due.refresh_from_db()
    assert due.outcome == "Not home"


def test_a_follow_up_marked_done_twice_says_saved(plan: CarePlan, case_manager: User) -> None:
    due = FollowUp.objects.create(
        plan=plan, due_at=timezone.now() - dt.timedelta(hours=1), kind="visit", owner=case_manager
    )
    sent = {f"fudone-{due.pk}-version": 1, f"fudone-{due.pk}-outcome": "Reached by phone"}
    first, second = twice(signed_in(case_manager), f"/care-follow-ups/{due.pk}/done", sent)
    assert first.status_code == 302
    assert ALREADY_SO in second.content.decode()


def test_the_plan_pages_tie_each_message_to_its_field(
    world: World, plan: CarePlan, case_manager: User
) -> None:
    client = signed_in(case_manager)
    opened = client.post(f"/people/{world.person.pk}/care/", {"plan-program": "pad"})
    assert opened.status_code == 422
    assert_errors_described(opened)
    sent: list[tuple[str, dict[str, Any]]] = [
        (f"/care-plans/{plan.pk}/goals", {"goal-need": "", "goal-description": "Own flat"}),
        (f"/care-plans/{plan.pk}/follow-ups", {"followup-due_at": "soon"}),
        (f"/care-plans/{plan.pk}/status", {"plan-version": 1, "plan-note": "Moved away"}),
    ]
    for url, data in sent:
        response = client.post(url, data)
        assert response.status_code == 422, url
        assert_errors_described(response)
        for typed in data.values():
            if isinstance(typed, str) and len(typed) > 2:
                assert typed in response.content.decode(), (url, typed)
