"""A records request is kept from its receipt to its answer: due 30 days after it came in on
the program's calendar, 60 once extended (once, within the first 30, with the reasons),
listed for coordinators with the overdue ones first (45 CFR 164.524(b)(2))."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.people.models import Participation, RecordsRequest
from coresponder.people.records_request_log import due_on, is_overdue
from coresponder.people.tests.records_request_world import (
    NOW,
    a_request,
    api_post,
    pad_world,
    signed_in,
)
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import Membership, Program
from coresponder.programs.tests.factories import ProgramFactory, preset_for

pytestmark = pytest.mark.django_db

WHY = "The records are in off-site storage until December; we will answer by 9 January."
TOKEN = "0123456789abcdef0123456789abcdef"


def waianae() -> Program:
    """A second program of the coordinator's, on Oahu's clock, set up as programs are."""
    name, zone = "Waianae Crisis Outreach", "Pacific/Honolulu"
    return ProgramFactory.create(
        slug="oahu",
        name=name,
        timezone=zone,
        preset=preset_for("oahu", name=name, timezone=zone),
    )


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    return pad_world(monkeypatch)


def test_a_request_is_due_thirty_days_after_receipt_and_sixty_once_extended() -> None:
    request = RecordsRequest(received_on=dt.date(2026, 10, 21), status=RecordsRequest.Status.OPEN)

    assert due_on(request) == dt.date(2026, 11, 20)
    assert not is_overdue(request, dt.date(2026, 11, 20))
    assert is_overdue(request, dt.date(2026, 11, 21))
    request.extended_at = NOW
    assert due_on(request) == dt.date(2026, 12, 20)
    request.status = RecordsRequest.Status.FULFILLED
    assert not is_overdue(request, dt.date(2027, 1, 1))


def test_a_coordinator_logs_a_request_through_the_api_due_on_the_programs_calendar(
    world: World, api_client_for: Any
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    client = api_client_for(coordinator)

    response = api_post(
        client,
        f"/persons/{world.person.pk}/records-requests",
        {"received_on": "2026-11-20", "requested_by": "Her daughter, with power of attorney"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["program"], body["status"], body["due_on"], body["overdue"]) == (
        "pad",
        "open",
        "2026-12-20",
        False,
    )
    logged = RecordsRequest.objects.get()
    assert (logged.person, logged.created_by, logged.version) == (world.person, coordinator, 1)
    event = AuditEvent.objects.get(object_type="people.recordsrequest", action="create")
    assert (event.person_id, event.purpose, event.detail["due_on"]) == (
        world.person.pk,
        "records request",
        "2026-12-20",
    )


def test_a_request_received_in_the_future_or_by_a_role_that_does_not_answer_is_refused(
    world: World, api_client_for: Any
) -> None:
    path = f"/persons/{world.person.pk}/records-requests"
    coordinator = api_client_for(reader(world, Role.COORDINATOR))

    # 21 November is tomorrow in Philadelphia, though it is already the 21st in UTC.
    future = api_post(coordinator, path, {"received_on": "2026-11-21"})
    officer = api_post(
        api_client_for(reader(world, Role.OFFICER)), path, {"received_on": "2026-11-20"}
    )
    bad_day = api_post(coordinator, path, {"received_on": "2026-02-30"})

    assert future.status_code == 422
    assert "received_on" in future.json()["errors"]
    assert officer.status_code == 403
    assert bad_day.status_code == 422
    assert not RecordsRequest.objects.exists()


def test_the_list_puts_overdue_requests_first_then_by_due_date(
    world: World, api_client_for: Any
) -> None:
    recent = a_request(world, dt.date(2026, 11, 10))
    late = a_request(world, dt.date(2026, 10, 15))
    # Received before `recent` but extended: due after it, and not overdue.
    extended = a_request(world, dt.date(2026, 10, 25), extended_at=NOW, extension_reason=WHY)
    a_request(world, dt.date(2026, 10, 1), status=RecordsRequest.Status.FULFILLED)
    client = api_client_for(reader(world, Role.COORDINATOR))

    response = client.get("/api/v1/programs/pad/records-requests")

    assert response.status_code == 200
    rows = response.json()["items"]
    assert response.json()["count"] == 3
    assert [row["id"] for row in rows] == [late.pk, recent.pk, extended.pk]
    assert [(row["due_on"], row["overdue"]) for row in rows] == [
        ("2026-11-14", True),
        ("2026-12-10", False),
        ("2026-12-24", False),
    ]
    officer = api_client_for(reader(world, Role.OFFICER))
    assert officer.get("/api/v1/programs/pad/records-requests").status_code == 404


def test_a_request_is_extended_once_within_the_first_thirty_days(
    world: World, api_client_for: Any
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    client = api_client_for(coordinator)
    request = a_request(world, dt.date(2026, 11, 1))
    path = f"/records-requests/{request.pk}/extension"

    response = api_post(client, path, {"reason": WHY, "version": 1})

    assert response.status_code == 200, response.content
    assert (response.json()["due_on"], response.json()["version"]) == ("2026-12-31", 2)
    request.refresh_from_db()
    assert (request.extended_at, request.extended_by, request.extension_reason) == (
        NOW,
        coordinator,
        WHY,
    )
    again = api_post(client, path, {"reason": WHY, "version": 2})
    assert again.status_code == 422
    assert "already extended once" in again.json()["detail"]

    late = a_request(world, dt.date(2026, 10, 20))  # due 19 November: the 30 days are past
    refused = api_post(
        client, f"/records-requests/{late.pk}/extension", {"reason": WHY, "version": 1}
    )
    assert refused.status_code == 422
    assert "30 days have passed" in refused.json()["detail"]
    assert AuditEvent.objects.filter(detail__extension=True).count() == 1


def test_a_stale_extension_gets_409_and_a_fulfilment_sent_twice_stands(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))
    request = a_request(world, dt.date(2026, 11, 1))
    fulfil = f"/records-requests/{request.pk}/fulfilment"

    first = api_post(client, fulfil, {"version": 1})
    twice = api_post(client, fulfil, {"version": 1})
    extend = api_post(
        client, f"/records-requests/{request.pk}/extension", {"reason": WHY, "version": 1}
    )

    assert first.status_code == 200, first.content
    assert (first.json()["status"], first.json()["overdue"]) == ("fulfilled", False)
    assert twice.status_code == 200, twice.content
    assert twice.json() == first.json()
    assert extend.status_code == 409
    request.refresh_from_db()
    assert (request.status, request.fulfilled_at, request.extended_at) == ("fulfilled", NOW, None)
    assert AuditEvent.objects.filter(detail__fulfilled=True).count() == 1


def test_the_log_form_sent_twice_logs_one_request(world: World) -> None:
    client = signed_in(reader(world, Role.COORDINATOR))
    url = f"/people/{world.person.pk}/records-requests/new/"
    form = {"form_token": TOKEN, "program": "pad", "received_on": "2026-11-19", "notes": "By mail"}

    page = client.get(url)
    first = client.post(url, form)
    second = client.post(url, form, follow=True)

    assert page.status_code == 200
    assert first.status_code == 302
    logged = RecordsRequest.objects.get()
    assert first["Location"] == f"/people/records-requests/{logged.pk}/"
    assert second.status_code == 200
    assert "already saved" in second.content.decode()
    detail = client.get(first["Location"]).content.decode()
    assert "Awaiting an answer" in detail and ">open<" not in detail
    assert "19 Dec 2026" in detail  # due 30 days after, on the program's calendar
    assert signed_in(reader(world, Role.OFFICER)).get(url).status_code == 404


def test_the_page_refuses_a_second_extension_saying_why(world: World) -> None:
    client = signed_in(reader(world, Role.COORDINATOR))
    request = a_request(world, dt.date(2026, 11, 1), extended_at=NOW, extension_reason=WHY)
    url = f"/people/records-requests/{request.pk}/"

    page = client.get(url).content.decode()
    response = client.post(url, {"extension_reason": "More time", "version": request.version})

    assert "Extend by 30 days" not in page
    assert "31 Dec 2026" in page
    assert response.status_code == 422
    assert "already extended once" in response.content.decode()
    request.refresh_from_db()
    assert request.extension_reason == WHY


def test_the_export_page_offers_to_mark_the_request_fulfilled(world: World) -> None:
    client = signed_in(reader(world, Role.COORDINATOR))
    request = a_request(world, dt.date(2026, 10, 15))  # due 14 November: overdue

    export = client.get(f"/people/{world.person.pk}/records-request/").content.decode()
    person = client.get(f"/people/{world.person.pk}/").content.decode()
    listed = client.get("/people/records-requests/open/pad/").content.decode()
    marked = client.post(f"/people/records-requests/{request.pk}/", {"fulfil": "1", "version": 1})
    again = client.post(
        f"/people/records-requests/{request.pk}/", {"fulfil": "1", "version": 1}, follow=True
    )

    assert "Mark fulfilled" in export and "Overdue" in export
    assert f"/people/{world.person.pk}/records-requests/new/" in export
    assert f"/people/{world.person.pk}/records-requests/new/" in person
    assert "Overdue" in listed and "6 days late" in listed
    assert marked.status_code == 302
    assert "saved already" in again.content.decode()
    request.refresh_from_db()
    assert request.status == RecordsRequest.Status.FULFILLED
    assert (
        "No request is waiting" in client.get("/people/records-requests/open/pad/").content.decode()
    )


def test_a_role_that_does_not_answer_cannot_tell_a_logged_request_from_none(
    world: World, api_client_for: Any
) -> None:
    logged = a_request(world, dt.date(2026, 11, 1))
    missing = logged.pk + 1000
    for role in (Role.OFFICER, Role.CLINICIAN, Role.PROSECUTOR, Role.PROVIDER):
        client = api_client_for(reader(world, role, username=f"reader-{role}"))
        for pk in (logged.pk, missing):
            answers = [
                client.get(f"/api/v1/records-requests/{pk}").status_code,
                api_post(client, f"/records-requests/{pk}/fulfilment", {"version": 1}).status_code,
                api_post(
                    client, f"/records-requests/{pk}/extension", {"reason": WHY, "version": 1}
                ).status_code,
            ]
            assert answers == [404, 404, 404], (role, pk)
    logged.refresh_from_db()
    assert (logged.status, logged.version) == (RecordsRequest.Status.OPEN, 1)


def test_a_request_typed_as_received_over_a_year_ago_is_asked_about_before_it_is_logged(
    world: World,
) -> None:
    client = signed_in(reader(world, Role.COORDINATOR))
    url = f"/people/{world.person.pk}/records-requests/new/"
    form = {"form_token": TOKEN, "program": "pad", "received_on": "2025-11-19"}

    asked = client.post(url, form)
    confirmed = client.post(url, {**form, "received_long_ago": "on"})

    assert asked.status_code == 422
    page = asked.content.decode()
    assert "more than a year ago" in page
    assert 'name="received_long_ago"' in page
    assert confirmed.status_code == 302
    assert RecordsRequest.objects.get().received_on == dt.date(2025, 11, 19)
    # A year ago to the day is not asked about.
    recent = client.post(url, {**form, "form_token": "f" * 32, "received_on": "2025-11-20"})
    assert recent.status_code == 302


def test_the_log_form_offers_a_day_every_program_of_the_person_has_reached(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 05:30 UTC on 21 November 2026: already the 21st in Philadelphia (00:30), still the
    # evening of the 20th on Oahu (19:30).
    late = dt.datetime(2026, 11, 21, 5, 30, tzinfo=dt.UTC)
    oahu = waianae()
    Participation.objects.create(person=world.person, program=oahu, first_seen_at=late)
    coordinator = reader(world, Role.COORDINATOR)
    Membership.objects.create(user=coordinator, program=oahu, role=Role.COORDINATOR.value)
    monkeypatch.setattr("django.utils.timezone.now", lambda: late)
    client = signed_in(coordinator)
    url = f"/people/{world.person.pk}/records-requests/new/"

    page = client.get(url).content.decode()
    named = client.get(f"{url}?program=pad").content.decode()
    form = {"program": "oahu", "received_on": "2026-11-21"}
    future = client.post(url, {**form, "form_token": TOKEN})
    taken = client.post(url, {**form, "form_token": "f" * 32, "received_on": "2026-11-20"})

    # Nowhere is the 20th in the future; the 21st is on Oahu.
    assert 'value="2026-11-20"' in page
    # The page that says which program offers that program's today.
    assert 'value="2026-11-21"' in named
    assert '<option value="pad" selected>' in named
    assert taken.status_code == 302
    assert future.status_code == 422
    assert "cannot be received in the future" in future.content.decode()
    assert [r.program.slug for r in RecordsRequest.objects.all()] == ["oahu"]


def test_pages_of_a_program_link_to_the_log_form_offering_that_programs_today(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 05:30 UTC on 21 November 2026: already the 21st in Philadelphia, the 20th on Oahu.
    late = dt.datetime(2026, 11, 21, 5, 30, tzinfo=dt.UTC)
    oahu = waianae()
    Participation.objects.create(person=world.person, program=oahu, first_seen_at=late)
    coordinator = reader(world, Role.COORDINATOR)
    Membership.objects.create(user=coordinator, program=oahu, role=Role.COORDINATOR.value)
    monkeypatch.setattr("django.utils.timezone.now", lambda: late)
    logged = a_request(world, dt.date(2026, 11, 10))
    client = signed_in(coordinator)
    person = world.person.pk
    export = f"/people/{person}/records-request/"
    log_form = f"/people/{person}/records-requests/new/"

    listed = client.get("/people/records-requests/open/pad/").content.decode()
    detail = client.get(f"/people/records-requests/{logged.pk}/").content.decode()
    from_list = client.get(f"{export}?program=pad").content.decode()
    unnamed = client.get(export).content.decode()
    person_page = client.get(f"/people/{person}/").content.decode()

    # The list and a request's page name their program to the records they link to, ...
    assert f'href="{export}?program=pad"' in listed
    assert f'href="{export}?program=pad"' in detail
    # ... whose page then logs a request to that program alone.
    assert f'href="{log_form}?program=pad"' in from_list
    assert f"{log_form}?program=oahu" not in from_list
    # Without a program named, each of the person's programs has its own link.
    for page in (unnamed, person_page):
        assert f'href="{log_form}?program=pad"' in page
        assert f'href="{log_form}?program=oahu"' in page
        assert f'href="{log_form}"' not in page
    pad_form = client.get(f"{log_form}?program=pad").content.decode()
    oahu_form = client.get(f"{log_form}?program=oahu").content.decode()
    assert 'value="2026-11-21"' in pad_form
    assert '<option value="pad" selected>' in pad_form
    assert 'value="2026-11-20"' in oahu_form
    assert '<option value="oahu" selected>' in oahu_form
