"""A consent naming a prosecutor is kept as signed, and says it opens nothing to them.

Part 2 records may never be used to investigate or prosecute, and no consent changes what a
prosecutor, an analyst or an administrator reads here: whoever records such a consent is
told so, rather than left believing the prosecutor will now see the person's treatment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.models import Consent
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Organization, Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    office = Organization.objects.create(
        slug="pda", name="Philadelphia District Attorney", kind="prosecutor"
    )
    office.programs.add(world.program)
    return world


def form(recipient_kind: str, recipient: str) -> dict[str, Any]:
    return {
        "discloser": "PAD clinicians",
        "recipient_kind": recipient_kind,
        "recipient": recipient,
        "information": "Treatment status",
        "covers_part2": "on",
        "purpose": "Diversion in lieu of charges",
        "expires_on": "2099-01-01",
        "signed_at": "2026-11-01T10:00",
        "signature_method": "written",
        "right_to_revoke_explained": "on",
    }


@pytest.mark.parametrize(
    ("recipient_kind", "recipient", "named"),
    [
        ("organization", "Philadelphia District Attorney", "Philadelphia District Attorney"),
        ("kind", "prosecutor", "District attorney"),
        ("role", "prosecutor", "Prosecutor"),
        ("role", "analyst", "Analyst"),
    ],
)
def test_the_form_keeps_the_consent_and_says_it_opens_nothing_to_them(
    world: World, recipient_kind: str, recipient: str, named: str
) -> None:
    client = Client()
    client.force_login(reader(world, Role.CLINICIAN))
    url = f"/people/{world.person.pk}/consents/new/"
    response = client.post(url, form(recipient_kind, recipient), follow=True)
    assert response.status_code == 200
    assert Consent.objects.filter(person=world.person).count() == 1
    page = response.content.decode()
    assert "opens nothing to" in page
    assert named.casefold() in page.casefold()


def test_a_consent_naming_the_police_says_nothing_of_the_kind(world: World) -> None:
    client = Client()
    client.force_login(reader(world, Role.CLINICIAN))
    url = f"/people/{world.person.pk}/consents/new/"
    response = client.post(url, form("kind", "police"), follow=True)
    assert response.status_code == 200
    assert "opens nothing to" not in response.content.decode()


def test_the_api_names_the_recipients_it_opens_nothing_to(
    world: World, api_client_for: Any
) -> None:
    now = timezone.now()
    payload = {
        "discloser": "PAD clinicians",
        "recipients": [{"kind": "police"}, {"organization": "pda"}],
        "information": "Treatment status",
        "covers": ["part2"],
        "purpose": "Diversion in lieu of charges",
        "right_to_revoke_explained": True,
        "expires_at": (now + dt.timedelta(days=90)).isoformat(),
        "signed_at": (now - dt.timedelta(minutes=5)).isoformat(),
        "signature_method": "written",
    }
    api = api_client_for(reader(world, Role.CLINICIAN))
    answer = api.post(
        f"/api/v1/persons/{world.person.pk}/consents", payload, content_type="application/json"
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["opens_nothing_to"] == ["Philadelphia District Attorney"]
    revoked = api.post(f"/api/v1/consents/{answer.json()['id']}/revoke")
    assert revoked.json()["opens_nothing_to"] == ["Philadelphia District Attorney"]
