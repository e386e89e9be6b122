"""The service referrals list answers the filters it takes and refuses any other by name.

A filter the list does not take (`?person=`, or `?stauts=` for `?status=`) was read as
no filter at all: the caller got every referral of their programs and took it for the
referrals they asked for.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.models import ServiceReferral

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def another_persons_referral(world: World) -> ServiceReferral:
    other = Person.objects.create(given_name="Jo", family_name="Marsh")
    Participation.objects.create(person=other, program=world.program, first_seen_at=timezone.now())
    now = timezone.now()
    return ServiceReferral.objects.create(
        program=world.program,
        person=other,
        service=world.service_referral.service,
        status="requested",
        requested_at=now,
        status_changed_at=now,
    )


def test_listing_by_person_is_refused_naming_person_not_answered_with_everyone(
    world: World, api_client_for: Any
) -> None:
    another_persons_referral(world)
    client = api_client_for(reader(world, Role.CLINICIAN))
    reads = AuditEvent.objects.filter(action="read").count()

    response = client.get("/api/v1/service-referrals", {"person": world.person.pk})

    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "The request has parameters this operation does not take."
    assert list(body["errors"]) == ["person"]
    assert "program, status, page" in body["errors"]["person"][0]
    assert "items" not in body
    # Nothing was listed, so nobody was read.
    assert AuditEvent.objects.filter(action="read").count() == reads


def test_a_misspelt_filter_is_refused_with_the_one_it_may_mean(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.PROVIDER))

    response = client.get("/api/v1/service-referrals", {"stauts": "accepted", "page": 1})

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "stauts": [
            "is not a parameter of GET /service-referrals, which takes program, status, "
            "page: did you mean status?"
        ]
    }


def test_the_filters_it_takes_still_answer(world: World, api_client_for: Any) -> None:
    theirs = another_persons_referral(world)
    client = api_client_for(reader(world, Role.CLINICIAN))

    listed = client.get(
        "/api/v1/service-referrals", {"program": "pad", "status": "requested", "page": 1}
    )

    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [theirs.pk]


def test_a_caller_without_a_token_is_told_so_first(world: World, client: Any) -> None:
    response = client.get("/api/v1/service-referrals", {"person": world.person.pk})

    assert response.status_code == 401
