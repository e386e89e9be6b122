"""Earlier contacts on the staff referral form without a script: checked in place, then picked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import SourceRecordInput, record_source
from coresponder.intake.models import Referral
from coresponder.intake.tests.test_referral_forms import NOW, PERSON, programs, signed_in, staff
from coresponder.people.models import Participation, Person
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db
__all__ = ["programs"]

FORM = "/programs/pad/referrals/new/officer_intervention/"
# Typed so far: the person, nothing about the offense yet.
TYPED = {"received_at": "2026-11-20T06:45", **PERSON, "phone": "215-555-0142"}
# What the diversion says besides the person.
DIVERSION = {"district": "22", "offense_category": "retail_theft", "case_number": "CR-0142"}


def known_to(program: Program) -> Person:
    """Jo Marsh as one source reported her to `program`."""
    fields = {"given_name": "Jo", "family_name": "Marsh", "birth_date": dt.date(1991, 3, 2)}
    person = Person.objects.create(**fields)
    Participation.objects.create(person=person, program=program, first_seen_at=NOW)
    record_source(
        SYSTEM, person, program, "ems", SourceRecordInput.from_reported(fields, received_at=NOW)
    )
    return person


@pytest.fixture
def client(programs: dict[str, Program]) -> Any:
    return signed_in(staff(programs["pad"], Role.OFFICER))


def test_checking_for_earlier_contacts_keeps_what_was_typed_and_saves_nothing(
    programs: dict[str, Program], client: Any
) -> None:
    ours = known_to(programs["pad"])
    theirs = known_to(programs["core"])
    before = AuditEvent.objects.count()
    page = client.post(FORM, {**TYPED, "check_earlier": "1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert Referral.objects.count() == 0
    assert Person.objects.count() == 2
    assert 'name="given_name" value="Jo"' in html
    assert 'name="family_name" value="Marsh"' in html
    assert 'name="birth_date" value="1991-03-02"' in html
    assert 'value="215-555-0142"' in html
    assert 'value="2026-11-20T06:45"' in html
    # Fields not yet filled are not marked as errors.
    assert "The referral was not saved" not in html
    assert "usa-input--error" not in html
    assert f'name="existing_person" value="{ours.pk}"' in html
    assert f"/people/{theirs.pk}/" not in html
    assert f'value="{theirs.pk}"' not in html
    assert 'id="existing-person-none" name="existing_person" value="" checked' in html
    assert 'name="check_earlier" value="1"' in html
    read = AuditEvent.objects.filter(pk__gt=before, action="read", object_type="people.person")
    assert [e.detail["ids"] for e in read if e.detail.get("list")] == [[ours.pk]]
    assert [e.person_id for e in read if not e.detail.get("list")] == [ours.pk]


def test_the_check_button_posts_back_to_the_form_itself(client: Any) -> None:
    html = client.get(FORM).content.decode()
    assert 'name="check_earlier" value="1"' in html
    assert "formaction" not in html


def test_picking_an_earlier_contact_links_the_referral_to_that_person(
    programs: dict[str, Program], client: Any
) -> None:
    ours = known_to(programs["pad"])
    response = client.post(FORM, {**TYPED, **DIVERSION, "existing_person": str(ours.pk)})
    assert response.status_code == 302, response.content.decode()
    referral = Referral.objects.get()
    assert referral.person_id == ours.pk
    assert Person.objects.count() == 1
    assert AuditEvent.objects.filter(
        action="create", object_type="intake.referral", object_id=str(referral.pk)
    ).exists()


def test_a_person_of_another_program_cannot_be_picked(
    programs: dict[str, Program], client: Any
) -> None:
    theirs = known_to(programs["core"])
    response = client.post(FORM, {**TYPED, **DIVERSION, "existing_person": str(theirs.pk)})
    assert response.status_code == 422
    assert "Unknown person" in response.content.decode() or "no such person" in (
        response.content.decode()
    )
    assert Referral.objects.count() == 0
    assert not Participation.objects.filter(person=theirs, program=programs["pad"]).exists()


def test_the_overdose_facility_and_night_on_the_form_find_the_patient_the_hospital_kept(
    programs: dict[str, Program],
) -> None:
    # The emergency department kept him as "Trauma Alpha", sex not given, that night.
    pco = programs["pco"]
    patient = Person.objects.create(given_name="Trauma", family_name="Alpha")
    Participation.objects.create(person=patient, program=pco, first_seen_at=NOW)
    seen = SourceRecordInput(
        given_name="Trauma",
        family_name="Alpha",
        facility="Beth Israel Deaconess Hospital Plymouth",
        event_date=dt.date(2026, 11, 19),
        received_at=NOW,
    )
    record_source(SYSTEM, patient, pco, "hospital", seen)
    client = signed_in(staff(pco, Role.COORDINATOR))
    form = {"overdose_facility": "Beth Israel Deaconess Plymouth", "sex": "male"}
    after_midnight = {**form, "overdose_occurred_at": "2026-11-20T00:40"}
    html = client.get(
        "/people/matches/suggest/", {"program": "pco", **after_midnight}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'value="{patient.pk}"' in html
    assert "Place and date seen" in html
    # Without the night, a facility names no one.
    nothing = client.get(
        "/people/matches/suggest/", {"program": "pco", **form}, HTTP_HX_REQUEST="true"
    )
    assert f'value="{patient.pk}"' not in nothing.content.decode()
