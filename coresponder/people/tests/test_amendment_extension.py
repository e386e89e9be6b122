"""The API gives each amendment request its due date as the pages do, and a coordinator may
extend the time to answer once, by 30 days, saying why (45 CFR 164.526(b)(2))."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.people.amendments import EXTENSION_DAYS, due_on, is_overdue, overdue_amendments
from coresponder.people.models import Amendment
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import FormToken, Program

pytestmark = pytest.mark.django_db

# 15:00 UTC on 20 November 2026: 10:00 that morning in Philadelphia.
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)
WHY = "The clinician who saw the person is on leave until December; we need her account."
TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def a_request(world: World, received_on: dt.date, **extra: Any) -> Amendment:
    return Amendment.objects.create(
        person=world.person,
        program=world.program,
        record_kind=Amendment.RecordKind.PERSON,
        record_id=world.person.pk,
        field="phone",
        proposed_value="215-555-0177",
        original_value="215-555-0101",
        received_on=received_on,
        **extra,
    )


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def extend(client: Client, amendment: Amendment, **body: Any) -> Any:
    payload = {"reason": WHY, "version": amendment.version, **body}
    return client.post(
        f"/api/v1/amendments/{amendment.pk}/extension", payload, content_type="application/json"
    )


def extensions() -> int:
    return AuditEvent.objects.filter(
        object_type="people.amendment", action="change", detail__extension=True
    ).count()


def test_an_extended_request_is_due_ninety_days_after_it_was_received() -> None:
    request = Amendment(received_on=dt.date(2026, 9, 20), status=Amendment.Status.OPEN)
    request.extended_at = NOW

    assert EXTENSION_DAYS == 30
    assert due_on(request) == dt.date(2026, 12, 19)
    assert not is_overdue(request, dt.date(2026, 12, 19))
    assert is_overdue(request, dt.date(2026, 12, 20))


def test_the_api_gives_each_request_its_due_date_and_lists_overdue_ones_first(
    world: World, api_client_for: Any
) -> None:
    recent = a_request(world, dt.date(2026, 11, 1))
    late = a_request(world, dt.date(2026, 9, 20))
    # Received before `recent` but extended: due after it, and not overdue.
    extended = a_request(world, dt.date(2026, 10, 5), extended_at=NOW, extension_reason=WHY)
    client = api_client_for(reader(world, Role.COORDINATOR))

    response = client.get("/api/v1/programs/pad/amendments")

    assert response.status_code == 200
    rows = response.json()["items"]
    assert response.json()["count"] == 3
    assert [row["id"] for row in rows] == [late.pk, recent.pk, extended.pk]
    facts = {row["id"]: (row["due_on"], row["overdue"]) for row in rows}
    assert facts == {
        late.pk: ("2026-11-19", True),
        recent.pk: ("2026-12-31", False),
        extended.pk: ("2027-01-03", False),
    }
    # The same dates the coordinator's page shows, from the same rule.
    for row in rows:
        amendment = Amendment.objects.get(pk=row["id"])
        assert row["due_on"] == due_on(amendment).isoformat()
        assert row["overdue"] == is_overdue(amendment, TODAY)
    assert rows[2]["extension_reason"] == WHY


def test_a_coordinator_extends_an_open_request_once_with_the_reasons(
    world: World, api_client_for: Any
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    request = a_request(world, dt.date(2026, 10, 1))
    client = api_client_for(coordinator)

    response = extend(client, request)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["due_on"], body["overdue"], body["extension_reason"]) == (
        "2026-12-30",
        False,
        WHY,
    )
    assert body["version"] == 2 and body["status"] == "open"
    request.refresh_from_db()
    assert (request.extended_at, request.extended_by, request.extension_reason) == (
        NOW,
        coordinator,
        WHY,
    )
    event = AuditEvent.objects.get(object_type="people.amendment", detail__extension=True)
    assert (event.person_id, event.purpose, event.fields) == (
        world.person.pk,
        "amendment request",
        ["contact"],
    )
    assert event.detail["due_on"] == "2026-12-30"

    again = extend(client, request)
    assert again.status_code == 422
    assert "already extended once" in again.json()["detail"]
    assert extensions() == 1


def test_an_extension_is_refused_on_a_decided_request_a_late_one_or_without_reasons(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))
    decided = a_request(world, dt.date(2026, 10, 1), status=Amendment.Status.DENIED)
    late = a_request(world, dt.date(2026, 9, 20))
    fresh = a_request(world, dt.date(2026, 11, 1))

    refused_decided = extend(client, decided)
    refused_late = extend(client, late)
    no_reason = extend(client, fresh, reason="   ")

    assert refused_decided.status_code == 422
    assert "already decided" in refused_decided.json()["detail"]
    assert refused_late.status_code == 422
    assert "60 days have passed" in refused_late.json()["detail"]
    assert no_reason.status_code == 422
    assert "extension_reason" in no_reason.json()["errors"]
    assert extensions() == 0
    assert not Amendment.objects.filter(extended_at__isnull=False).exists()


def test_a_stale_extension_gets_409(world: World, api_client_for: Any) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))
    request = a_request(world, dt.date(2026, 10, 1))
    decided = client.post(
        f"/api/v1/amendments/{request.pk}/decision",
        {
            "decision": "deny",
            "denial_grounds": "accurate_and_complete",
            "reason": "Confirmed with EMS",
            "version": 1,
        },
        content_type="application/json",
    )
    assert decided.status_code == 200

    stale = extend(client, request, version=1)

    assert stale.status_code == 409
    request.refresh_from_db()
    assert request.extended_at is None and request.status == Amendment.Status.DENIED


def test_only_a_coordinator_extends(world: World, api_client_for: Any) -> None:
    request = a_request(world, dt.date(2026, 10, 1))

    for role in (Role.OFFICER, Role.CLINICIAN):
        response = extend(api_client_for(reader(world, role)), request)
        assert response.status_code == 403, role

    request.refresh_from_db()
    assert request.extended_at is None and request.version == 1


def test_the_home_counts_an_extended_request_only_after_its_ninety_days(world: World) -> None:
    a_request(world, dt.date(2026, 9, 1), extended_at=NOW)  # due 30 Nov: not late
    late = a_request(world, dt.date(2026, 8, 21), extended_at=NOW)  # due 19 Nov: late
    plain = a_request(world, dt.date(2026, 9, 20))  # due 19 Nov: late

    assert set(overdue_amendments(world.program, TODAY)) == {late, plain}
    html = signed_in(reader(world, Role.COORDINATOR)).get("/programs/pad/").content.decode()
    assert "Amendment requests past their due date" in html


def test_the_page_extends_once_with_its_form_token_and_says_the_new_date(world: World) -> None:
    request = a_request(world, dt.date(2026, 10, 1))
    client = signed_in(reader(world, Role.COORDINATOR))
    url = f"/people/amendments/{request.pk}/"
    page = client.get(url).content.decode()
    assert "Extend by 30 days" in page and 'name="form_token"' in page
    posted = {"extension_reason": WHY, "version": 1, "form_token": TOKEN}

    first = client.post(url, posted)
    again = client.post(url, posted)

    assert first.status_code == 302 and again.status_code == 302
    assert again["Location"] == url
    assert extensions() == 1
    assert FormToken.objects.filter(kind=FormToken.Kind.AMENDMENT_EXTENSION).count() == 1
    page = client.get(url).content.decode()
    assert "30 Dec 2026" in page and "90 days, extended once" in page and WHY in page
    assert "Extend by 30 days" not in page
    # Without a token, a second extension from a page drawn before the first is stale.
    stale = client.post(url, {"extension_reason": WHY, "version": 1})
    assert stale.status_code == 409
    assert extensions() == 1


def test_the_page_offers_no_extension_to_a_clinician_and_refuses_one_posted(
    world: World,
) -> None:
    request = a_request(world, dt.date(2026, 10, 1))
    client = signed_in(reader(world, Role.CLINICIAN))
    url = f"/people/amendments/{request.pk}/"

    page = client.get(url)
    posted = client.post(url, {"extension_reason": WHY, "version": 1, "form_token": TOKEN})

    assert page.status_code == 200 and "Extend by 30 days" not in page.content.decode()
    assert posted.status_code == 404
    assert extensions() == 0


def test_the_page_shows_why_an_extension_was_refused(world: World) -> None:
    request = a_request(world, dt.date(2026, 10, 1), extended_at=NOW, extension_reason=WHY)
    client = signed_in(reader(world, Role.COORDINATOR))
    url = f"/people/amendments/{request.pk}/"

    refused = client.post(url, {"extension_reason": "Again", "version": 1, "form_token": TOKEN})

    assert refused.status_code == 422
    assert "already extended once" in refused.content.decode()
    assert extensions() == 0


def test_the_day_an_extension_was_made_is_the_programs_day_not_utcs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 22:30 on 1 November in Longmont is 05:30 on 2 November in UTC: the request's page
    # said it was extended on the 2nd, a day the coordinator had not yet seen.
    late = dt.datetime(2026, 11, 2, 5, 30, tzinfo=dt.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: late)
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="core"))
    amendment = a_request(world, dt.date(2026, 10, 1), extended_at=late, extension_reason=WHY)

    page = signed_in(reader(world, Role.COORDINATOR)).get(f"/people/amendments/{amendment.pk}/")

    assert page.status_code == 200
    text = page.content.decode()
    extended = text[text.index("<dt>Extended on</dt>") :].split("</dd>", 1)[0]
    assert "1 Nov" in extended and "2 Nov" not in extended
