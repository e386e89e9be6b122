"""A step or follow-up may be due up to a year from today on the program's calendar: the
same day next year, not 366 days on, and the refusal names that day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from coresponder.care.models import CarePlanStep
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.local_time import format_date, today_in
from coresponder.programs.models import Program

JSON = "application/json"

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def api(world: World, api_client_for: Any) -> Client:
    client: Client = api_client_for(reader(world, Role.CASE_MANAGER))
    return client


def a_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February: the 28th, next year
        return day.replace(year=day.year + 1, day=28)


def test_a_step_is_due_at_most_the_same_day_next_year(world: World, api: Client) -> None:
    plan = api.post(
        f"/api/v1/persons/{world.person.pk}/care-plans", {"title": "Housing"}, content_type=JSON
    )
    assert plan.status_code == 201, plan.content
    goal = api.post(
        f"/api/v1/care-plans/{plan.json()['id']}/goals", {"need": "housing"}, content_type=JSON
    )
    assert goal.status_code == 201, goal.content
    latest = a_year_after(today_in(world.program))
    steps = f"/api/v1/care-goals/{goal.json()['id']}/steps"
    too_far = api.post(
        steps,
        {"description": "Call the shelter", "due_on": (latest + dt.timedelta(1)).isoformat()},
        content_type=JSON,
    )
    assert too_far.status_code == 422, too_far.content
    assert too_far.json()["errors"]["due_on"] == [
        f"by {format_date(latest, with_year=True)}, a year from today: check the year"
    ]
    assert not CarePlanStep.objects.exists()
    kept = api.post(
        steps, {"description": "Call the shelter", "due_on": latest.isoformat()}, content_type=JSON
    )
    assert kept.status_code == 201, kept.content
