"""The privacy lists page like every list: `count` is the whole list's, `?page=` walks it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.privacy.models import BreakGlass, Disclosure
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def test_the_break_glass_review_list_counts_every_opening_and_pages(
    world: World, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    now = timezone.now()
    BreakGlass.objects.bulk_create(
        BreakGlass(
            user=clinician,
            person=world.person,
            program=world.program,
            reason=f"Unresponsive, opening {n}",
            opened_at=now - dt.timedelta(minutes=n),
            expires_at=now + dt.timedelta(hours=4),
        )
        for n in range(51)
    )
    client = api_client_for(reader(world, Role.COORDINATOR))
    first = client.get("/api/v1/break-glass").json()
    second = client.get("/api/v1/break-glass?page=2").json()
    assert (first["count"], len(first["items"]), second["count"], len(second["items"])) == (
        51,
        50,
        51,
        1,
    )
    # Newest first; the last page holds the oldest.
    assert second["items"][0]["reason"] == "Unresponsive, opening 50"
    # The audit names the openings each page gave, no more.
    reads = AuditEvent.objects.filter(
        object_type="privacy.breakglass", action="read", person_id=None
    )
    assert sorted(len(event.detail["openings"]) for event in reads) == [1, 50]


def test_the_accounting_of_disclosures_pages(world: World, api_client_for: Any) -> None:
    now = timezone.now()
    Disclosure.objects.bulk_create(
        Disclosure(
            person=world.person,
            disclosed_at=now - dt.timedelta(days=n),
            recipient="Clinic",
            information="Screenings",
            purpose="Care",
            channel="api",
        )
        for n in range(60)
    )
    client = api_client_for(reader(world, Role.CLINICIAN))
    url = f"/api/v1/persons/{world.person.pk}/disclosures"
    first, last = client.get(url).json(), client.get(url + "?page=2").json()
    assert (first["count"], len(first["items"]), len(last["items"])) == (60, 50, 10)
    assert {item["id"] for item in first["items"]}.isdisjoint(i["id"] for i in last["items"])
    # Each page read is the accounting's audited read.
    reads = AuditEvent.objects.filter(object_type="privacy.disclosure", action="read")
    assert reads.filter(person_id=world.person.pk).count() == 2


@pytest.mark.parametrize("page", ["0", "-1", "x"])
def test_a_page_before_the_first_is_refused(world: World, api_client_for: Any, page: str) -> None:
    client = api_client_for(reader(world, Role.COORDINATOR))
    for url in ("/api/v1/break-glass", f"/api/v1/persons/{world.person.pk}/disclosures"):
        response = client.get(url, {"page": page})
        assert response.status_code == 422, url
        assert "page" in response.json()["errors"]
