"""The consent form sent twice with one token records one consent."""

from __future__ import annotations

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.models import Consent
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.programs.tests.saving_once import assert_second_shows_first, post_twice

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def test_a_consent_sent_twice_is_recorded_once(world: World) -> None:
    client = Client()
    client.force_login(reader(world, Role.CLINICIAN))
    before = Consent.objects.filter(person=world.person).count()
    first, second = post_twice(
        client,
        f"/people/{world.person.pk}/consents/new/",
        {
            "discloser": "PAD clinicians",
            "recipient_kind": "kind",
            "recipient": "police",
            "information": "Screenings",
            "covers_clinical": "on",
            "purpose": "Coordinate care",
            "expires_on": "2099-01-01",
            "signed_at": "2026-11-01T10:00",
            "signature_method": "written",
            "right_to_revoke_explained": "on",
        },
    )
    assert_second_shows_first(first, second)
    assert first["Location"] == f"/people/{world.person.pk}/disclosures/"
    assert Consent.objects.filter(person=world.person).count() == before + 1


def test_a_recipient_organisation_no_one_knows_is_said_beside_the_field(world: World) -> None:
    client = Client()
    client.force_login(reader(world, Role.CLINICIAN))
    response = client.post(
        f"/people/{world.person.pk}/consents/new/",
        {
            "form_token": "0123456789abcdef0123456789abcdef",
            "discloser": "PAD clinicians",
            "recipient_kind": "organization",
            "recipient": "phila-polce",
            "information": "Screenings",
            "covers_clinical": "on",
            "purpose": "Coordinate care",
            "expires_on": "2099-01-01",
            "signed_at": "2026-11-01T10:00",
            "signature_method": "written",
            "right_to_revoke_explained": "on",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_recipient_error"' in html
    assert "no organisation called &#x27;phila-polce&#x27; works with this person" in html
    assert 'value="phila-polce"' in html
    assert not Consent.objects.filter(person=world.person, discloser="PAD clinicians").exists()
