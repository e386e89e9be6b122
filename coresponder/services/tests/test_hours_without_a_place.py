"""A service offered at no place (a phone line) reads its hours, when they name no zone, on
the program's clock: a Longmont warm line open until 18:00 is open at 17:30 in Colorado."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from coresponder.conftest import Clock, member_of
from coresponder.domain.vocabulary import Role
from coresponder.programs.models import Program
from coresponder.services.models import Schedule, Service, ServiceOrganization

pytestmark = pytest.mark.django_db


def warm_line() -> Service:
    org = ServiceOrganization.objects.create(hsds_id="org-wl", name="Longmont Warm Line Inc")
    service = Service.objects.create(hsds_id="svc-wl", organization=org, name="Warm line")
    Schedule.objects.create(
        hsds_id="sch-wl",
        service=service,
        byday="MO,TU,WE,TH,FR",
        opens_at=dt.time(9),
        closes_at=dt.time(18),
    )
    return service


def test_hours_naming_no_zone_are_read_on_the_program_clock(
    programs: dict[str, Program],
    clock: Clock,
    client: Client,
    api_client_for: Callable[..., Client],
) -> None:
    # 23:30 UTC on a Monday: 17:30 in Longmont (open), 19:30 in New York (closed).
    clock.now = dt.datetime(2025, 3, 10, 23, 30, tzinfo=dt.UTC)
    service = warm_line()
    core = programs["core"]
    clinician = member_of(core, Role.CLINICIAN, "core-clinician")
    client.force_login(clinician)

    found = client.get(f"/programs/{core.slug}/services/")
    page = client.get(f"/programs/{core.slug}/services/{service.pk}/")
    api = api_client_for(clinician)
    listed = api.get("/api/v1/services", {"program": core.slug}).json()["items"]

    assert [hit.open for hit in found.context["result"].hits] == [True]
    assert "Open now" in page.content.decode()
    assert "Mountain" in page.content.decode()
    assert [item["open"] for item in listed] == [True]


def test_one_service_reads_such_hours_on_the_clock_of_the_program_named(
    programs: dict[str, Program], clock: Clock, api_client_for: Callable[..., Client]
) -> None:
    # 23:30 UTC on a Monday: 17:30 in Longmont (open), 19:30 in New York (closed).
    clock.now = dt.datetime(2025, 3, 10, 23, 30, tzinfo=dt.UTC)
    service = warm_line()
    api = api_client_for(member_of(programs["core"], Role.CLINICIAN, "core-clinician"))

    named = api.get(f"/api/v1/services/{service.pk}", {"program": "core"})
    unnamed = api.get(f"/api/v1/services/{service.pk}")

    assert named.status_code == 200, named.content
    assert named.json()["open"] is True
    assert named.json()["schedules"][0]["timezone"] == "America/Denver"
    # With no program named, as the list: New York's clock, where the line has closed.
    assert unnamed.json()["open"] is False


def test_one_service_refuses_a_program_unknown_or_not_the_caller_s(
    programs: dict[str, Program], clock: Clock, api_client_for: Callable[..., Client]
) -> None:
    service = warm_line()
    api = api_client_for(member_of(programs["core"], Role.CLINICIAN, "core-clinician"))

    for slug in ("nowhere", "pad"):
        response = api.get(f"/api/v1/services/{service.pk}", {"program": slug})
        assert response.status_code == 422, (slug, response.content)
        assert response.json()["errors"] == {"program": ["Unknown program."]}
        listed = api.get("/api/v1/services", {"program": slug})
        assert listed.status_code == 422
        assert listed.json()["errors"] == response.json()["errors"]


def test_the_schema_documents_the_program_of_one_service(
    programs: dict[str, Program], api_client_for: Callable[..., Client]
) -> None:
    api = api_client_for(member_of(programs["core"], Role.CLINICIAN, "core-clinician"))
    schema = api.get("/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/services/{service_id}"]["get"]
    program = next(p for p in operation["parameters"] if p["name"] == "program")
    assert program["in"] == "query" and not program.get("required")
    assert "clock" in program["description"]
