"""A warm handoff through the API names the version of the referral it was recorded over:
without it the request is refused (422 naming `version`), with a stale one it is 409, and a
colleague's handoff is never silently replaced."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.models import ServiceReferral


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def handoff(client: Any, referral: ServiceReferral, by: str, **version: int) -> Any:
    at = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10)
    return client.post(
        f"/api/v1/service-referrals/{referral.pk}/warm-handoff",
        {"by": by, "at": at.isoformat(), **version},
        content_type="application/json",
    )


def test_a_handoff_without_the_version_read_is_refused_and_keeps_a_colleagues(
    world: World, api_client_for: Any
) -> None:
    referral = world.service_referral
    provider = api_client_for(reader(world, Role.PROVIDER))
    clinician = api_client_for(reader(world, Role.CLINICIAN))
    read = clinician.get(f"/api/v1/service-referrals/{referral.pk}").json()["version"]
    recorded = handoff(provider, referral, "Peer Jo", version=read)
    assert recorded.status_code == 200, recorded.content

    blind = handoff(clinician, referral, "Recovery coach Sam")
    stale = handoff(clinician, referral, "Recovery coach Sam", version=read)

    assert blind.status_code == 422, blind.content
    assert list(blind.json()["errors"]) == ["version"]
    assert stale.status_code == 409, stale.content
    assert stale.json()["your_version"] == read
    referral.refresh_from_db()
    assert referral.warm_handoff_by == "Peer Jo"
