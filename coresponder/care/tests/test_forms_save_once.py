"""Care plan forms sent twice with one token (Back, a second tap) save once."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.care.models import CarePlan, CarePlanGoal, CarePlanStep, FollowUp
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.models import Program, User
from coresponder.programs.tests.saving_once import assert_second_shows_first, post_twice

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pad_world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def case_manager(pad_world: World) -> User:
    return reader(pad_world, Role.CASE_MANAGER)


@pytest.fixture
def plan(pad_world: World, case_manager: User) -> CarePlan:
    client = signed_in(case_manager)
    opened = client.post(
        f"/people/{pad_world.person.pk}/care/",
        {"plan-program": "pad", "plan-title": "Back on feet", "plan-owner": case_manager.pk},
    )
    assert opened.status_code == 302
    return CarePlan.objects.get()


def test_a_care_plan_sent_twice_is_opened_once(pad_world: World, case_manager: User) -> None:
    first, second = post_twice(
        signed_in(case_manager),
        f"/people/{pad_world.person.pk}/care/",
        {"plan-program": "pad", "plan-title": "Housing", "plan-owner": case_manager.pk},
    )
    assert_second_shows_first(first, second)
    plan = CarePlan.objects.get()
    assert first["Location"] == f"/care-plans/{plan.pk}/"


def test_a_goal_sent_twice_is_added_once(plan: CarePlan, case_manager: User) -> None:
    first, second = post_twice(
        signed_in(case_manager), f"/care-plans/{plan.pk}/goals", {"goal-need": "id_documents"}
    )
    assert_second_shows_first(first, second)
    assert CarePlanGoal.objects.filter(plan=plan).count() == 1


def test_a_step_sent_twice_is_added_once(plan: CarePlan, case_manager: User) -> None:
    goal = CarePlanGoal.objects.create(plan=plan, need="housing")
    first, second = post_twice(
        signed_in(case_manager),
        f"/care-goals/{goal.pk}/steps",
        {f"step-{goal.pk}-description": "Call the shelter", f"step-{goal.pk}-owner": ""},
    )
    assert_second_shows_first(first, second)
    assert CarePlanStep.objects.filter(goal=goal).count() == 1


def test_a_follow_up_sent_twice_is_scheduled_once(plan: CarePlan, case_manager: User) -> None:
    due = timezone.localtime(timezone.now() + dt.timedelta(days=2), ZoneInfo(plan.program.timezone))
    first, second = post_twice(
        signed_in(case_manager),
        f"/care-plans/{plan.pk}/follow-ups",
        {
            "followup-due_at": due.strftime("%Y-%m-%dT%H:%M"),
            "followup-kind": "phone",
            "followup-owner": str(case_manager.pk),
        },
    )
    assert_second_shows_first(first, second)
    assert FollowUp.objects.filter(plan=plan).count() == 1


def test_two_step_forms_on_one_plan_page_carry_different_tokens(
    plan: CarePlan, case_manager: User
) -> None:
    for need in ("housing", "legal"):
        CarePlanGoal.objects.create(plan=plan, need=need)
    html: Any = signed_in(case_manager).get(f"/care-plans/{plan.pk}/").content.decode()
    tokens = [part.split('"')[0] for part in html.split('name="form_token" value="')[1:]]
    assert len(tokens) == 4  # a goal, two steps and a follow-up
    assert len(set(tokens)) == 4
