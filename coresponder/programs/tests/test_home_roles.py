"""Each role's program home shows what works for that role, and no more."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Overdose, Referral
from coresponder.privacy.audit import SYSTEM
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    program = Program.objects.get(slug="pad")
    now = timezone.now()
    for hours in range(14):
        Referral.objects.create(
            program=program, pathway="self_referral", received_at=now - dt.timedelta(hours=hours)
        )
    Referral.objects.create(
        program=program, pathway="officer_intervention", received_at=now - dt.timedelta(days=1)
    )
    Overdose.objects.create(program=program, occurred_at=now - dt.timedelta(days=2))
    return World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]


def home_of(user: Any) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/programs/pad/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_analyst_sees_counts_with_small_cells_suppressed(world: World) -> None:
    html = home_of(reader(world, Role.ANALYST))
    assert "15" in html  # referrals received: large enough to show
    assert "1–10" in html and "(suppressed)" in html
    assert "Find a person" not in html


def test_a_clinician_has_person_search_and_break_glass(world: World) -> None:
    html = home_of(reader(world, Role.CLINICIAN))
    assert "Find a person" in html
    assert "Open a record outside policy" in html
    assert "Audit log" not in html


def test_a_coordinator_has_the_review_list_and_the_audit_log(world: World) -> None:
    html = home_of(reader(world, Role.COORDINATOR))
    assert "Records opened outside policy" in html
    assert "Audit log" in html


def test_a_prosecutor_has_no_person_search(world: World) -> None:
    html = home_of(reader(world, Role.PROSECUTOR))
    assert "Find a person" not in html
    assert "The last 30 days" not in html
