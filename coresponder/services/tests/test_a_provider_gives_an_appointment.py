"""A provider accepting a referral may give the person's appointment, in the program's time,
and change it while the referral stays accepted; whoever may see the referral's status reads
it on the referral, in the inbox, on the person's page, through the API and in FHIR."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.fhir import referral_bundle
from coresponder.services.models import Service, ServiceReferral, ServiceReferralStatusChange

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def requested(world: World) -> ServiceReferral:
    now = timezone.now()
    referral = ServiceReferral.objects.create(
        program=world.program,
        person=world.person,
        service=world.service_referral.service,
        status="requested",
        requested_at=now,
        status_changed_at=now,
    )
    ServiceReferralStatusChange.objects.create(referral=referral, status="requested", at=now)
    return referral


def in_days(days: int, hour: int = 10) -> dt.datetime:
    """A time on the program's clock, `days` from today."""
    day = timezone.now().astimezone(NEW_YORK).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=NEW_YORK)


def accept(client: Any, referral: ServiceReferral, **body: Any) -> Any:
    return client.patch(
        f"/api/v1/service-referrals/{referral.pk}",
        {"status": "accepted", "version": referral.version, **body},
        content_type="application/json",
    )


def said(moment: dt.datetime) -> str:
    """How the pages say it: "Tue 9 Dec, 10:00 EST" (the year when not this one)."""
    local = moment.astimezone(NEW_YORK)
    return f"{local:%a} {local.day} {local:%b}"


def test_a_provider_accepts_with_an_appointment_through_the_api_and_it_is_audited(
    world: World, api_client_for: Any
) -> None:
    referral = requested(world)
    provider = api_client_for(reader(world, Role.PROVIDER))
    at = in_days(2)

    answer = accept(provider, referral, status_reason="Intake nurse", appointment_at=at.isoformat())

    assert answer.status_code == 200, answer.content
    assert dt.datetime.fromisoformat(answer.json()["appointment_at"]) == at
    referral.refresh_from_db()
    assert (referral.status, referral.status_reason) == ("accepted", "Intake nurse")
    assert referral.appointment_at == at
    read = provider.get(f"/api/v1/service-referrals/{referral.pk}").json()
    assert dt.datetime.fromisoformat(read["appointment_at"]) == at
    event = AuditEvent.objects.filter(object_id=str(referral.pk), action="change").last()
    assert event is not None and event.detail["appointment_at"] == at.isoformat()


@pytest.mark.parametrize(
    ("days", "words"),
    [(-3, "more than a day in the past"), (400, "more than a year ahead")],
)
def test_an_appointment_long_past_or_over_a_year_ahead_is_refused_in_a_sentence(
    world: World, api_client_for: Any, days: int, words: str
) -> None:
    referral = requested(world)
    provider = api_client_for(reader(world, Role.PROVIDER))

    answer = accept(provider, referral, appointment_at=in_days(days).isoformat())

    assert answer.status_code == 422, answer.content
    assert words in answer.json()["errors"]["appointment_at"][0]
    referral.refresh_from_db()
    assert (referral.status, referral.appointment_at) == ("requested", None)


def test_an_appointment_goes_only_with_accepting(world: World, api_client_for: Any) -> None:
    referral = requested(world)
    provider = api_client_for(reader(world, Role.PROVIDER))

    answer = provider.patch(
        f"/api/v1/service-referrals/{referral.pk}",
        {
            "status": "rejected",
            "status_reason": "No bed",
            "version": 1,
            "appointment_at": in_days(2).isoformat(),
        },
        content_type="application/json",
    )

    assert answer.status_code == 422, answer.content
    assert "appointment_at" in answer.json()["errors"]


def test_the_appointment_is_changed_over_the_version_read_while_accepted(
    world: World, api_client_for: Any
) -> None:
    referral = requested(world)
    provider = api_client_for(reader(world, Role.PROVIDER))
    version = accept(provider, referral, appointment_at=in_days(2).isoformat()).json()["version"]
    url = f"/api/v1/service-referrals/{referral.pk}/appointment"

    moved = provider.put(
        url,
        {"appointment_at": in_days(3, 14).isoformat(), "version": version},
        content_type="application/json",
    )
    stale = provider.put(
        url,
        {"appointment_at": in_days(5).isoformat(), "version": version},
        content_type="application/json",
    )

    assert moved.status_code == 200, moved.content
    assert stale.status_code == 409, stale.content
    referral.refresh_from_db()
    assert referral.appointment_at == in_days(3, 14)
    assert AuditEvent.objects.filter(
        object_id=str(referral.pk), detail__appointment_at=in_days(3, 14).isoformat()
    ).exists()
    cleared = provider.put(
        url,
        {"appointment_at": None, "version": moved.json()["version"]},
        content_type="application/json",
    )
    assert cleared.status_code == 200, cleared.content
    referral.refresh_from_db()
    assert referral.appointment_at is None


def test_no_appointment_is_set_on_a_referral_not_accepted(
    world: World, api_client_for: Any
) -> None:
    referral = requested(world)
    provider = api_client_for(reader(world, Role.PROVIDER))

    answer = provider.put(
        f"/api/v1/service-referrals/{referral.pk}/appointment",
        {"appointment_at": in_days(2).isoformat(), "version": 1},
        content_type="application/json",
    )

    assert answer.status_code == 422, answer.content
    referral.refresh_from_db()
    assert referral.appointment_at is None


def test_the_provider_accepts_on_the_page_in_the_programs_time_and_everyone_reads_it(
    world: World,
) -> None:
    referral = requested(world)
    provider = Client()
    provider.force_login(reader(world, Role.PROVIDER))
    at = in_days(2)
    prefix = f"r{referral.pk}"

    sent = provider.post(
        f"/service-referrals/{referral.pk}/status/",
        {
            f"{prefix}-version": "1",
            f"{prefix}-status": "accepted",
            f"{prefix}-status_reason": "",
            f"{prefix}-appointment_at": at.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert sent.status_code == 302, sent.content.decode()
    referral.refresh_from_db()
    assert referral.appointment_at == at
    page = provider.get(f"/service-referrals/{referral.pk}/").content.decode()
    assert "Appointment" in page and said(at) in page and "10:00 E" in page
    inbox = provider.get("/services/inbox/").content.decode()
    row = inbox[inbox.index(f'id="referral-{referral.pk}"') :].split("</li>")[0]
    assert "Appointment" in row and said(at) in row and "10:00" in row
    clinician = Client()
    clinician.force_login(reader(world, Role.CLINICIAN))
    person = clinician.get(f"/people/{world.person.pk}/").content.decode()
    line = person[person.index(f'href="/service-referrals/{referral.pk}/"') :].split("</li>")[0]
    assert "appointment" in line and said(at) in line and "10:00" in line


def test_the_appointment_is_changed_on_the_page_and_a_stale_change_is_409(world: World) -> None:
    referral = requested(world)
    provider = Client()
    provider.force_login(reader(world, Role.PROVIDER))
    prefix = f"r{referral.pk}"
    provider.post(
        f"/service-referrals/{referral.pk}/status/",
        {f"{prefix}-version": "1", f"{prefix}-status": "accepted"},
    )
    referral.refresh_from_db()
    url = f"/service-referrals/{referral.pk}/appointment/"
    page = provider.get(f"/service-referrals/{referral.pk}/").content.decode()
    assert url in page

    moved = provider.post(
        url,
        {
            "appointment-version": str(referral.version),
            "appointment-at": in_days(4, 9).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    stale = provider.post(
        url,
        {
            "appointment-version": str(referral.version),
            "appointment-at": in_days(6, 9).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    too_late = provider.post(
        url,
        {
            "appointment-version": str(referral.version + 1),
            "appointment-at": in_days(500, 9).strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert moved.status_code == 302
    assert stale.status_code == 409
    assert too_late.status_code == 422
    assert "more than a year ahead" in too_late.content.decode()
    referral.refresh_from_db()
    assert referral.appointment_at == in_days(4, 9)


def test_the_appointment_is_withheld_with_a_part2_programs_answer(
    world: World, api_client_for: Any
) -> None:
    referral = requested(world)
    Service.objects.filter(pk=referral.service_id).update(part2_program=True)
    ServiceReferral.objects.filter(pk=referral.pk).update(
        status="accepted", appointment_at=in_days(2)
    )
    officer = reader(world, Role.OFFICER)
    body = api_client_for(officer).get(f"/api/v1/service-referrals/{referral.pk}").json()
    assert body["status"] == "withheld"
    assert body["appointment_at"] is None
    client = Client()
    client.force_login(officer)
    page = client.get(f"/service-referrals/{referral.pk}/").content.decode()
    assert "Appointment" not in page and said(in_days(2)) not in page
    person = client.get(f"/people/{world.person.pk}/").content.decode()
    assert said(in_days(2)) not in person


def test_the_fhir_task_carries_the_appointment_as_an_output(world: World) -> None:
    referral = requested(world)
    ServiceReferral.objects.filter(pk=referral.pk).update(
        status="accepted", appointment_at=in_days(2)
    )
    referral.refresh_from_db()

    task = next(
        e["resource"]
        for e in referral_bundle(referral)["entry"]
        if e["resource"]["resourceType"] == "Task"
    )

    (output,) = task["output"]
    assert output["type"]["text"] == "Appointment"
    assert dt.datetime.fromisoformat(output["valueDateTime"]) == in_days(2)


@pytest.mark.parametrize("part2", [True, False])
def test_a_referral_called_off_keeps_no_appointment_for_anyone_to_read(
    part2: bool, world: World, api_client_for: Any
) -> None:
    referral = requested(world)
    Service.objects.filter(pk=referral.service_id).update(part2_program=part2)
    provider = api_client_for(reader(world, Role.PROVIDER))
    assert accept(provider, referral, appointment_at=in_days(2).isoformat()).status_code == 200
    referral.refresh_from_db()
    coordinator = reader(world, Role.COORDINATOR)
    consent_for(world, coordinator)  # so the sender reads the status and may call it off
    sender = api_client_for(coordinator)
    shown = sender.get(f"/api/v1/service-referrals/{referral.pk}").json()

    called_off = sender.patch(
        f"/api/v1/service-referrals/{referral.pk}",
        {
            "status": "cancelled",
            "status_reason": "Moved out of the county",
            "version": shown["version"],
        },
        content_type="application/json",
    )

    assert called_off.status_code == 200, called_off.content
    referral.refresh_from_db()
    assert (referral.status, referral.appointment_at) == ("cancelled", None)
    # A cancelled status is the referrer's own record, shown to the police: the booking a
    # Part 2 program's acceptance made is not read through it.
    officer = reader(world, Role.OFFICER)
    assert (
        api_client_for(officer)
        .get(f"/api/v1/service-referrals/{referral.pk}")
        .json()["appointment_at"]
        is None
    )
    client = Client()
    client.force_login(officer)
    assert said(in_days(2)) not in client.get(f"/people/{world.person.pk}/").content.decode()
    task = next(
        e["resource"]
        for e in referral_bundle(referral)["entry"]
        if e["resource"]["resourceType"] == "Task"
    )
    assert "output" not in task
