"""The overdose form on a phone: the time is now, the source is the reporter's own service."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Overdose
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Organization, Program
from coresponder.programs.signin import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

# 12:34 UTC on 20 November 2026 is 07:34 in Huntington (America/New_York).
NOW = dt.datetime(2026, 11, 20, 12, 34, 56, tzinfo=dt.UTC)
FORM = "/programs/qrt/referrals/new/naloxone_plus/"


@pytest.fixture
def qrt(monkeypatch: pytest.MonkeyPatch) -> Program:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    load_programs(SYSTEM)
    return Program.objects.get(slug="qrt")


def staff(program: Program, role: Role) -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    return reader(world, role, username=f"qrt-{role.value}")


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    return client


def form_page(user: Any) -> str:
    response = signed_in(user).get(FORM)
    assert response.status_code == 200
    return str(response.content.decode())


def chosen_source(html: str) -> str:
    select = re.search(r'<select name="overdose_source".*?</select>', html, re.S)
    assert select is not None
    chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(0))
    return chosen[0] if chosen else ""


def occurred_value(html: str) -> str:
    found = re.search(r'<input[^>]*name="overdose_occurred_at"[^>]*>', html)
    assert found is not None
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


def test_the_overdose_time_starts_at_this_minute_in_the_programs_zone(qrt: Program) -> None:
    html = form_page(staff(qrt, Role.PARAMEDIC))
    assert occurred_value(html) == "2026-11-20T07:34"


def test_a_paramedic_reports_for_ems(qrt: Program) -> None:
    assert chosen_source(form_page(staff(qrt, Role.PARAMEDIC))) == "ems"


def test_an_officer_reports_for_the_police(qrt: Program) -> None:
    assert chosen_source(form_page(staff(qrt, Role.OFFICER))) == "police"


def test_a_clinician_in_a_hospital_reports_for_the_emergency_department(qrt: Program) -> None:
    clinician = staff(qrt, Role.CLINICIAN)
    clinician.organization = Organization.objects.create(
        slug="cabell-ed", name="Cabell Huntington Hospital", kind="hospital"
    )
    clinician.save()
    assert chosen_source(form_page(clinician)) == "hospital"


def test_a_clinician_at_an_ems_agency_reports_for_ems(qrt: Program) -> None:
    clinician = staff(qrt, Role.CLINICIAN)
    clinician.organization = Organization.objects.create(
        slug="cabell-ems", name="Cabell County EMS", kind="ems"
    )
    clinician.save()
    assert chosen_source(form_page(clinician)) == "ems"


def test_a_recovery_coach_at_a_health_department_chooses_the_source(qrt: Program) -> None:
    assert chosen_source(form_page(staff(qrt, Role.RECOVERY_COACH))) == ""


def test_the_defaults_can_be_changed_before_saving(qrt: Program) -> None:
    client = signed_in(staff(qrt, Role.PARAMEDIC))
    response = client.post(
        FORM,
        {
            "received_at": "2026-11-20T07:30",
            "given_name": "Jo",
            "family_name": "Marsh",
            "overdose_occurred_at": "2026-11-20T06:50",
            "overdose_source": "hospital",
        },
    )
    assert response.status_code == 302, response.content.decode()
    overdose = Overdose.objects.get()
    assert overdose.occurred_at == dt.datetime(2026, 11, 20, 11, 50, tzinfo=dt.UTC)
    assert [r.source for r in overdose.reports.all()] == ["hospital"]


def test_the_location_button_waits_for_the_script_that_can_locate(qrt: Program) -> None:
    html = form_page(staff(qrt, Role.PARAMEDIC))
    button = re.search(r"<button[^>]*data-locate-latitude[^>]*>Use my location</button>", html)
    assert button is not None
    assert " hidden" in button.group(0)
    assert 'data-locate-latitude="id_overdose_latitude"' in button.group(0)
    assert "/static/locate.js" in html
    assert "<script>" not in html
