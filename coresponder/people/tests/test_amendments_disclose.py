"""An amendment request shows a field's values (as it was, as proposed): where a consent is
what shows them (a clinical note, to an officer), that is a release the accounting of
disclosures lists, with its notice; and every list of requests is in each person's trail."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import REDISCLOSURE_NOTICE
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.people.models import Amendment
from coresponder.privacy.models import Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def note_amendment(world: World) -> Amendment:
    encounter = Encounter.objects.get(person=world.person)
    return Amendment.objects.create(
        person=world.person,
        program=world.program,
        record_kind="encounter",
        record_id=encounter.pk,
        field="clinical_note",
        proposed_value="Reports occasional use only.",
        original_value=encounter.clinical_note,
        received_on=timezone.now().date(),
    )


def test_a_note_listed_under_consent_is_a_disclosure_with_its_notice(
    world: World, api_client_for: Any
) -> None:
    amendment = note_amendment(world)
    officer = reader(world, Role.OFFICER)
    consent = consent_for(world, officer)
    body = api_client_for(officer).get("/api/v1/programs/pad/amendments").json()
    (item,) = [i for i in body["items"] if i["id"] == amendment.pk]
    assert item["original_value"] == amendment.original_value
    assert body["redisclosure_notice"] == REDISCLOSURE_NOTICE
    (released,) = Disclosure.objects.filter(person=world.person, recipient_user=officer)
    assert released.consent == consent and released.groups == ["clinical"]
    assert released.notice_included


def test_the_clinical_team_listing_its_own_notes_discloses_nothing(
    world: World, api_client_for: Any
) -> None:
    note_amendment(world)
    body = api_client_for(reader(world, Role.CLINICIAN)).get("/api/v1/programs/pad/amendments")
    assert body.json()["items"] and body.json()["redisclosure_notice"] is None
    assert not Disclosure.objects.exists()


def test_the_request_page_under_consent_is_a_disclosure_with_its_notice(world: World) -> None:
    amendment = note_amendment(world)
    officer = reader(world, Role.OFFICER)
    consent_for(world, officer)
    web = Client()
    web.force_login(officer)
    page = web.get(f"/people/amendments/{amendment.pk}/")
    assert page.status_code == 200
    assert REDISCLOSURE_NOTICE in page.content.decode()
    assert Disclosure.objects.filter(person=world.person, recipient_user=officer).count() == 1


def test_lists_of_requests_are_filed_under_each_person_listed(
    world: World, api_client_for: Any
) -> None:
    note_amendment(world)
    clinician = reader(world, Role.CLINICIAN)
    api_client_for(clinician).get("/api/v1/programs/pad/amendments")
    web = Client()
    web.force_login(clinician)
    assert web.get("/people/amendments/open/pad/").status_code == 200
    filed = AuditEvent.objects.filter(
        actor=clinician, person_id=world.person.pk, object_type="people.amendment"
    )
    assert filed.count() == 2
