"""Pages that list a person's consents name each recipient organisation by its name, and
read those names at once: twenty consents cost the queries two do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.models import Consent
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Organization, Program


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def add_consents(world: World, count: int, start: int = 0) -> None:
    """Consents each naming an organisation of its own, besides a kind and a role."""
    now = timezone.now()
    for n in range(start, start + count):
        Organization.objects.create(slug=f"clinic-{n}", name=f"Clinic number {n}", kind="provider")
        Consent.objects.create(
            person=world.person,
            program=world.program,
            discloser=world.program.name,
            recipients=[
                {"organization": f"clinic-{n}"},
                {"kind": "provider"},
                {"role": "clinician"},
            ],
            information="Treatment status",
            covers=["part2"],
            purpose="Coordinate care",
            right_to_revoke_explained=True,
            expires_at=now + dt.timedelta(days=30),
            signed_at=now - dt.timedelta(hours=1, minutes=n),
            signature_method="written",
        )


def queries_for(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries), response.content.decode()


@pytest.mark.parametrize(
    "page",
    ["/people/{pk}/consents/new/", "/people/{pk}/timeline/", "/people/{pk}/records-request/"],
)
def test_a_page_listing_consents_reads_as_many_queries_for_twenty_as_for_two(
    world: World, page: str
) -> None:
    client = Client()
    client.force_login(reader(world, Role.COORDINATOR))
    url = page.format(pk=world.person.pk)
    add_consents(world, 2)
    few, _ = queries_for(client, url)

    add_consents(world, 18, start=2)
    many, text = queries_for(client, url)

    assert "Clinic number 19" in text and "clinic-19" not in text
    assert many == few
