"""An encounter's disposition that says the person was taken for care (to a hospital's
emergency department, detox, a crisis center, or on an involuntary hold), and the
destination it names, are clinical detail: an officer without a consent naming them reads
that the person was transported, the destination withheld, the same words wherever it was,
so the words never tell that it was treatment; a consent naming the officer, and the
clinical team, show where. Other endings (home, arrested, resolved on scene) read as they
are."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.privacy.tests.world import World, consent_for, reader

pytestmark = pytest.mark.django_db

DESTINATION = "Gosnold detox, Falmouth"
TREATMENT_WORDS = ("transported_detox", "transported to detox", DESTINATION.lower())


def taken_to_detox(world: World) -> Encounter:
    encounter = Encounter.objects.get(person=world.person)
    encounter.disposition = "transported_detox"
    encounter.destination = DESTINATION
    encounter.save()
    return encounter


def everything_read(user: Any, api: Client, world: World, encounter: Encounter) -> dict[str, str]:
    web = Client()
    web.force_login(user)
    person = world.person.pk
    slug = world.program.slug
    return {
        "encounter page": web.get(f"/programs/{slug}/encounters/{encounter.pk}/").content.decode(),
        "encounter api": api.get(f"/api/v1/encounters/{encounter.pk}").content.decode(),
        "person page": web.get(f"/people/{person}/").content.decode(),
        "history page": web.get(f"/people/{person}/timeline/").content.decode(),
        "person api": api.get(f"/api/v1/persons/{person}").content.decode(),
        "history api": api.get(f"/api/v1/persons/{person}/timeline").content.decode(),
    }


def test_an_officer_without_consent_reads_transported_with_the_destination_withheld(
    world: World, api_client_for: Any
) -> None:
    encounter = taken_to_detox(world)
    officer = reader(world, Role.OFFICER)
    api = api_client_for(officer)
    read = everything_read(officer, api, world, encounter)
    leaked = {
        where: word
        for where, text in read.items()
        for word in TREATMENT_WORDS
        if word in text.lower()
    }
    assert leaked == {}
    for where in ("encounter page", "person page", "history page"):
        assert "Transported (destination withheld)" in read[where], where
    body = api.get(f"/api/v1/encounters/{encounter.pk}").json()
    assert body["disposition"] == "withheld"
    assert body["destination"] == ""


@pytest.mark.parametrize(
    ("disposition", "destination"),
    [
        ("transported_hospital", "Longmont United ER"),
        ("involuntary_hold", "Longmont United ER"),
        ("transported_crisis_center", "Longmont crisis center"),
        ("transported_detox", DESTINATION),
    ],
)
def test_an_officer_reads_the_same_words_wherever_the_person_was_taken_for_care(
    world: World, api_client_for: Any, disposition: str, destination: str
) -> None:
    encounter = taken_to_detox(world)
    encounter.disposition = disposition
    encounter.destination = destination
    encounter.save()
    officer = reader(world, Role.OFFICER)
    api = api_client_for(officer)
    read = everything_read(officer, api, world, encounter)
    for where, text in read.items():
        assert destination not in text, where
        assert disposition not in text, where
    for where in ("encounter page", "person page", "history page"):
        assert "Transported (destination withheld)" in read[where], where
    body = api.get(f"/api/v1/encounters/{encounter.pk}").json()
    assert (body["disposition"], body["destination"]) == ("withheld", "")
    clinician = api_client_for(reader(world, Role.CLINICIAN))
    seen = clinician.get(f"/api/v1/encounters/{encounter.pk}").json()
    assert (seen["disposition"], seen["destination"]) == (disposition, destination)


def test_a_disposition_that_names_no_place_of_care_reads_as_before(
    world: World, api_client_for: Any
) -> None:
    encounter = taken_to_detox(world)
    encounter.disposition = "transported_home"
    encounter.destination = "Home"
    encounter.save()
    officer = reader(world, Role.OFFICER)
    body = api_client_for(officer).get(f"/api/v1/encounters/{encounter.pk}").json()
    assert (body["disposition"], body["destination"]) == ("transported_home", "Home")


@pytest.mark.parametrize("role", [Role.OFFICER, Role.CLINICIAN])
def test_a_consent_naming_the_officer_or_the_clinical_team_reads_where(
    world: World, api_client_for: Any, role: Role
) -> None:
    encounter = taken_to_detox(world)
    user = reader(world, role)
    if role is Role.OFFICER:
        consent_for(world, user)
    api = api_client_for(user)
    read = everything_read(user, api, world, encounter)
    for where in ("encounter page", "person page", "history page"):
        assert "Transported to detox" in read[where], where
        assert DESTINATION in read[where], where
    for where in ("encounter api", "person api", "history api"):
        assert "transported_detox" in read[where], where
        assert DESTINATION in read[where], where
    assert "destination withheld" not in str(read)
