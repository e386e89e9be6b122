"""The consent form releases only what is ticked, and reads times on the program's clock."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.models import Consent
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def form(**overrides: Any) -> dict[str, Any]:
    data = {
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
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(world: World, data: dict[str, Any]) -> Any:
    client = Client()
    client.force_login(reader(world, Role.CLINICIAN))
    return client.post(f"/people/{world.person.pk}/consents/new/", data)


def test_a_consent_that_ticks_nothing_is_refused_and_releases_nothing(world: World) -> None:
    response = post(world, form(covers_clinical=None))
    assert response.status_code == 422
    assert "Tick what this consent releases" in response.content.decode()
    assert not Consent.objects.filter(person=world.person).exists()


def test_it_releases_exactly_what_is_ticked(world: World) -> None:
    assert post(world, form(covers_part2="on", covers_clinical=None)).status_code == 302
    assert Consent.objects.get(person=world.person).covers == ["part2"]


def test_the_signature_time_and_the_expiry_day_are_the_programs(world: World) -> None:
    client = Client()
    client.force_login(reader(world, Role.CLINICIAN))
    url = f"/people/{world.person.pk}/consents/new/"
    page = client.get(url).content.decode()
    assert "Local time (Eastern time)" in page and "(UTC)" not in page
    assert client.post(url, form(expires_on="2027-06-01")).status_code == 302
    consent = Consent.objects.get(person=world.person)
    # 10:00 in Philadelphia on 1 November 2026 (EST), not 10:00 UTC.
    assert consent.signed_at == dt.datetime(2026, 11, 1, 10, 0, tzinfo=NEW_YORK)
    # Good through the whole of 1 June in Philadelphia (EDT), not until 20:00 there.
    assert consent.expires_at == dt.datetime(2027, 6, 2, 0, 0, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("change", "field_words"),
    [
        ({"signed_at": "2090-01-01T10:00"}, "Cannot be in the future"),
        ({"expires_on": "2020-01-01"}, "Must be on or after the day it was signed"),
        ({"expires_on": "9999-12-31"}, "Give a date between 1900 and 2200"),
        ({"signed_at": "0001-01-01T00:00"}, "Give a date between 1900 and 2200"),
    ],
)
def test_impossible_dates_are_refused_with_nothing_recorded(
    world: World, change: dict[str, str], field_words: str
) -> None:
    response = post(world, form(**change))
    assert response.status_code == 422
    assert field_words in response.content.decode()
    assert not Consent.objects.filter(person=world.person).exists()


def test_a_consent_without_an_expiry_says_so_beside_the_expiry_in_words(world: World) -> None:
    response = post(world, form(expires_on=None))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_expires_on_error">Say when it expires: a date, or the event that ends it' in html
    assert "expires_at" not in html


def test_a_consent_signed_before_the_person_was_born_is_refused(world: World) -> None:
    type(world.person).objects.filter(pk=world.person.pk).update(birth_date=dt.date(1982, 5, 1))
    response = post(world, form(signed_at="1970-01-01T10:00", expires_on="2099-01-01"))
    assert response.status_code == 422
    assert 'id="id_signed_at_error">Is before the person was born' in (response.content.decode())
    assert not Consent.objects.filter(person=world.person).exists()


def test_consents_on_file_say_the_last_day_the_person_chose(world: World) -> None:
    client = Client()
    client.force_login(reader(world, Role.CLINICIAN))
    url = f"/people/{world.person.pk}/consents/new/"
    assert client.post(url, form(expires_on="2099-06-01")).status_code == 302
    ended = form(signed_at="2026-01-10T10:00", expires_on="2026-01-31", information="Notes")
    assert client.post(url, ended).status_code == 302

    page = client.get(url).content.decode()

    assert 'in force until <time datetime="2099-06-01">' in page
    assert 'expired <time datetime="2026-01-31">' in page
    assert "2099-06-02" not in page and "2026-02-01" not in page


def test_the_history_gives_a_consents_last_day_once_as_the_person_chose_it(world: World) -> None:
    client = Client()
    client.force_login(reader(world, Role.CLINICIAN))
    url = f"/people/{world.person.pk}/consents/new/"
    assert client.post(url, form(expires_on="2099-06-01")).status_code == 302
    history = client.get(f"/people/{world.person.pk}/timeline/").content.decode()
    assert "Expires on</dt><dd>1 Jun 2099" in history
    assert "Expires at" not in history and "2 Jun 2099" not in history


def test_consents_on_file_name_the_event_they_end_on(world: World) -> None:
    client = Client()
    client.force_login(reader(world, Role.CLINICIAN))
    url = f"/people/{world.person.pk}/consents/new/"
    event = "discharge from the treatment program"
    assert client.post(url, form(expires_on=None, expiry_event=event)).status_code == 302
    both = form(expires_on="2099-06-01", expiry_event="the end of probation", information="Notes")
    assert client.post(url, both).status_code == 302

    page = client.get(url).content.decode()

    assert f"in force until {event} ·" in page
    assert "</time> or until the end of probation ·" in page
