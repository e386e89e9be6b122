"""A request to amend a record is answered within 60 days (45 CFR 164.526(b)(2)): each
request shows its due date, overdue ones lead the list, and the coordinator's home counts
them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.people.amendments import ACT_WITHIN_DAYS, due_on, is_overdue
from coresponder.people.models import Amendment
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

# 15:00 UTC on 20 November 2026: 10:00 that morning in Philadelphia.
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)
LATE = "Amendment requests past their due date"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def a_request(world: World, received_on: dt.date, field: str = "phone") -> Amendment:
    return Amendment.objects.create(
        person=world.person,
        program=world.program,
        record_kind=Amendment.RecordKind.PERSON,
        record_id=world.person.pk,
        field=field,
        proposed_value="215-555-0177" if field == "phone" else "Dana Maria",
        original_value="215-555-0101" if field == "phone" else "Dana",
        received_on=received_on,
    )


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def work_item(html: str, label: str) -> int | None:
    work = html.split('id="tools-heading"')[0]
    found = re.search(
        r'cr-work__count">(\d+)</span> <span class="cr-work__label">' + re.escape(label) + "<",
        work,
    )
    return int(found.group(1)) if found else None


def test_a_request_is_due_sixty_days_after_it_was_received() -> None:
    request = Amendment(received_on=dt.date(2026, 9, 20), status=Amendment.Status.OPEN)

    assert ACT_WITHIN_DAYS == 60
    assert due_on(request) == dt.date(2026, 11, 19)
    assert not is_overdue(request, dt.date(2026, 11, 19))
    assert is_overdue(request, dt.date(2026, 11, 20))
    request.status = Amendment.Status.DENIED
    assert not is_overdue(request, dt.date(2027, 1, 1))


def test_the_list_shows_each_due_date_with_overdue_requests_first(world: World) -> None:
    recent = a_request(world, dt.date(2026, 11, 1))
    due_today = a_request(world, dt.date(2026, 9, 21), field="given_name")
    late = a_request(world, dt.date(2026, 9, 20))
    client = signed_in(reader(world, Role.COORDINATOR))

    response = client.get("/people/amendments/open/pad/")

    assert response.status_code == 200
    html = response.content.decode()
    rows = html.split("<tbody>")[1]
    order = [rows.index(f"/people/amendments/{a.pk}/") for a in (late, due_today, recent)]
    assert order == sorted(order)
    assert rows.count("Overdue") == 1 and "1 day late" in rows
    for due in ("19 Nov 2026", "20 Nov 2026", "31 Dec 2026"):
        assert due in rows
    assert "1 request is past its due date" in html


def test_the_decision_page_says_when_the_answer_is_due(world: World) -> None:
    late = a_request(world, dt.date(2026, 9, 20))
    recent = a_request(world, dt.date(2026, 11, 1))
    client = signed_in(reader(world, Role.COORDINATOR))

    late_page = client.get(f"/people/amendments/{late.pk}/").content.decode()
    recent_page = client.get(f"/people/amendments/{recent.pk}/").content.decode()

    assert "Answer due by" in late_page and "19 Nov 2026" in late_page
    assert "Overdue" in late_page
    assert "31 Dec 2026" in recent_page and "Overdue" not in recent_page


def test_the_coordinators_home_counts_overdue_requests_until_they_are_decided(
    world: World,
) -> None:
    late = a_request(world, dt.date(2026, 9, 1))
    a_request(world, dt.date(2026, 9, 20))
    a_request(world, dt.date(2026, 10, 1))
    coordinator = signed_in(reader(world, Role.COORDINATOR))

    html = coordinator.get("/programs/pad/").content.decode()

    assert work_item(html, LATE) == 2
    assert 'href="/people/amendments/open/pad/"' in html.split('id="tools-heading"')[0]
    # Staff who do not decide requests are not shown the count.
    clinician = signed_in(reader(world, Role.CLINICIAN))
    assert work_item(clinician.get("/programs/pad/").content.decode(), LATE) is None

    Amendment.objects.filter(pk=late.pk).update(status=Amendment.Status.DENIED)
    assert work_item(coordinator.get("/programs/pad/").content.decode(), LATE) == 1
