"""A consent lets a role read a person's care plans; only the role's own write permission
lets it open or change them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from coresponder.care.models import CarePlan, CarePlanGoal, CarePlanStep, FollowUp
from coresponder.care.tests.test_care_plan_rules import (
    JSON,
    plan_with_parts,
    signed_in,
    writes_on,
)
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

CONSENT_READERS = [Role.OFFICER, Role.COORDINATOR, Role.FAITH_LEADER]
WRITE_BUTTONS = [
    "Add goal",
    "Add step",
    "Mark done",
    "Schedule follow-up",
    "Hand over",
    "Save plan status",
    "Save goal status",
]


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def api(world: World, api_client_for: Any) -> Client:
    client: Client = api_client_for(reader(world, Role.CASE_MANAGER))
    return client


def page_writes(plan: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    goal = plan["goals"][0]
    step = goal["steps"][0]
    follow_up = plan["follow_ups"][0]
    return [
        (f"/care-plans/{plan['id']}/status", {"plan-version": 1, "plan-status": "closed"}),
        (f"/care-plans/{plan['id']}/owner", {"owner-version": 1, "owner-owner": 1}),
        (f"/care-plans/{plan['id']}/goals", {"goal-need": "legal"}),
        (f"/care-goals/{goal['id']}/status", {f"goal-{goal['id']}-version": 1}),
        (f"/care-goals/{goal['id']}/steps", {f"step-{goal['id']}-description": "Mine"}),
        (f"/care-steps/{step['id']}/done", {f"stepdone-{step['id']}-version": 1}),
        (f"/care-plans/{plan['id']}/follow-ups", {"followup-kind": "phone"}),
        (f"/care-follow-ups/{follow_up['id']}/done", {f"fudone-{follow_up['id']}-version": 1}),
    ]


def unchanged() -> None:
    stored = CarePlan.objects.get()
    assert stored.status == "active" and stored.version == 1
    assert CarePlanGoal.objects.get().status == "open"
    assert CarePlanStep.objects.get().done_at is None
    assert FollowUp.objects.get().done_at is None


@pytest.mark.parametrize("role", CONSENT_READERS)
def test_a_role_reading_care_plans_by_consent_may_not_open_or_change_them_on_the_api(
    api: Client, world: World, api_client_for: Any, role: Role
) -> None:
    plan = plan_with_parts(api, world)
    user: User = reader(world, role, username=f"consented-{role.value}")
    consent_for(world, user)
    client = api_client_for(user)
    listed = client.get(f"/api/v1/persons/{world.person.pk}/care-plans").json()
    assert [p["id"] for p in listed["items"]] == [plan["id"]]
    for method, address, pk, payload in writes_on(plan):
        sent = getattr(client, method)(address.format(pk), payload, content_type=JSON)
        assert sent.status_code == 403, address
    handed = client.post(
        f"/api/v1/care-plans/{plan['id']}/owner",
        {"version": 1, "owner": user.pk},
        content_type=JSON,
    )
    assert handed.status_code == 403
    opened = client.post(
        f"/api/v1/persons/{world.person.pk}/care-plans", {"title": "Mine"}, content_type=JSON
    )
    assert opened.status_code == 403
    assert CarePlan.objects.count() == 1
    unchanged()


@pytest.mark.parametrize("role", CONSENT_READERS)
def test_a_role_reading_care_plans_by_consent_sees_no_edit_buttons_and_may_not_post(
    api: Client, world: World, role: Role
) -> None:
    plan = plan_with_parts(api, world)
    user: User = reader(world, role, username=f"consented-{role.value}")
    consent_for(world, user)
    client = signed_in(user)
    page = client.get(f"/care-plans/{plan['id']}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Call the shelter" in html
    assert not re.search(r"<form[^>]*action=\"/care-", html)
    for button in WRITE_BUTTONS:
        assert button not in html, button
    plans = client.get(f"/people/{world.person.pk}/care/")
    assert plans.status_code == 200
    assert "Housing and treatment" in plans.content.decode()
    assert "Open care plan" not in plans.content.decode()
    assert client.post(f"/people/{world.person.pk}/care/", {"plan-title": "X"}).status_code == 403
    for address, data in page_writes(plan):
        assert client.post(address, data).status_code == 403, address
    assert CarePlan.objects.count() == 1
    unchanged()
