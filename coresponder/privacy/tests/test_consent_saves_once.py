"""The consent form sent twice with one token records one consent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.models import Consent
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
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
    assert first["Location"] == f"/people/{world.person.pk}/consents/new/#on-file"
    assert Consent.objects.filter(person=world.person).count() == before + 1
    # It lands where the new consent is listed with the others on file.
    landed = client.get(first["Location"]).content.decode()
    on_file = landed[landed.index('id="on-file"') :]
    signed = '<time datetime="2026-11-01">'  # "1 Nov", with its year once that is past
    assert signed in on_file and "in force until" in on_file and "2099" in on_file


def test_an_expired_consent_reads_expired_and_offers_no_revoking(world: World) -> None:
    clinician = reader(world, Role.CLINICIAN)
    client = Client()
    client.force_login(clinician)
    consent = consent_for(world, reader(world, Role.OFFICER))
    Consent.objects.filter(pk=consent.pk).update(expires_at=timezone.now() - dt.timedelta(days=2))
    html = client.get(f"/people/{world.person.pk}/consents/new/").content.decode()
    on_file = html[html.index('id="on-file"') :]
    assert "expired " in on_file
    assert f"/consents/{consent.pk}/revoke" not in on_file


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
    assert "No organisation called &#x27;phila-polce&#x27; works with this person" in html
    assert 'value="phila-polce"' in html
    assert not Consent.objects.filter(person=world.person, discloser="PAD clinicians").exists()
