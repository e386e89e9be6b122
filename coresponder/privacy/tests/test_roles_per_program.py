"""A reader with roles in two programs sees each program's records as their role there reads
them: an officer of PAD who is also a clinician of PCO reads PCO's clinical notes of a person
both programs know, and never PAD's, which PAD's police may read only with consent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from coresponder.care.models import CarePlan
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter, Screening
from coresponder.identity.actions import index_person
from coresponder.people.models import Participation
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.models import Membership, Program

pytestmark = pytest.mark.django_db

PAD_NOTE = "Reports daily fentanyl use; open to buprenorphine."
PCO_NOTE = "Seen at the drop-in; wants a detox bed."


@pytest.fixture
def both(pad: Program, pco: Program) -> tuple[World, Any, Encounter]:
    """Dana, known to PAD (with a clinical note, a screening and a Part 2 referral) and to
    PCO (with a note of its own); the reader is PAD's officer and PCO's clinician."""
    world = build_world(pad)
    Participation.objects.create(person=world.person, program=pco, first_seen_at=timezone.now())
    pco_encounter = Encounter.objects.create(
        program=pco,
        person=world.person,
        occurred_at=timezone.now() - dt.timedelta(hours=5),
        kind="outreach_visit",
        disposition="resolved_on_scene",
        clinical_note=PCO_NOTE,
    )
    user = reader(world, Role.OFFICER)
    Membership.objects.create(user=user, program=pco, role=Role.CLINICIAN.value)
    return world, user, pco_encounter


def test_the_person_record_gives_each_programs_clinical_notes_as_that_programs_role_reads_them(
    both: tuple[World, Any, Encounter], api_client_for: Any
) -> None:
    world, user, pco_encounter = both
    body = api_client_for(user).get(f"/api/v1/persons/{world.person.pk}").json()
    assert [n["note"] for n in body["clinical_notes"]] == [PCO_NOTE]
    assert [s["encounter_id"] for s in body["screenings"]] == []
    # The police's own view of PAD's referral stays theirs: the Part 2 status is withheld.
    assert [r["status"] for r in body["service_referrals"]] == ["withheld"]
    assert "clinical" in body["withheld"] and "part2" in body["withheld"]


def test_an_encounter_read_by_id_is_shown_as_its_programs_role_reads_it(
    both: tuple[World, Any, Encounter], api_client_for: Any
) -> None:
    world, user, pco_encounter = both
    client = api_client_for(user)
    pad_encounter = Encounter.objects.get(program=world.program, person=world.person)
    pad = client.get(f"/api/v1/encounters/{pad_encounter.pk}").json()
    pco = client.get(f"/api/v1/encounters/{pco_encounter.pk}").json()
    assert PAD_NOTE not in str(pad) and "dast10" not in str(pad)
    assert pco["clinical_note"] == PCO_NOTE


def test_the_history_and_the_care_plans_keep_each_program_to_its_role(
    both: tuple[World, Any, Encounter], api_client_for: Any, pco: Program
) -> None:
    world, user, _ = both
    for program, title in ((world.program, "PAD plan"), (pco, "PCO plan")):
        CarePlan.objects.create(
            program=program,
            person=world.person,
            title=title,
            opened_on=dt.date(2026, 11, 1),
            owner=user,
        )
    client = api_client_for(user)
    history = client.get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    assert PAD_NOTE not in str(history) and PCO_NOTE in str(history)
    assert not [
        e for e in history["items"] if e["kind"] == "screening" and "answers" in e["detail"]
    ]
    plans = client.get(f"/api/v1/persons/{world.person.pk}/care-plans").json()
    assert [p["title"] for p in plans["items"]] == ["PCO plan"]
    pad_plan = CarePlan.objects.get(title="PAD plan")
    closed = client.patch(
        f"/api/v1/care-plans/{pad_plan.pk}",
        {"version": pad_plan.version, "status": "closed"},
        content_type="application/json",
    )
    assert closed.status_code == 404
    assert CarePlan.objects.get(pk=pad_plan.pk).status == pad_plan.status


def test_the_persons_consent_still_opens_the_polices_copy(
    both: tuple[World, Any, Encounter], api_client_for: Any
) -> None:
    world, user, _ = both
    consent_for(world, user)
    body = api_client_for(user).get(f"/api/v1/persons/{world.person.pk}").json()
    assert sorted(n["note"] for n in body["clinical_notes"]) == sorted([PAD_NOTE, PCO_NOTE])
    assert [r["status"] for r in body["service_referrals"]] == ["in-progress"]


def test_a_program_holding_no_clinical_detail_records_no_refusal(
    both: tuple[World, Any, Encounter], api_client_for: Any
) -> None:
    # PAD holds no clinical detail of Dana; PCO's note is the clinician's to read.
    world, user, _ = both
    Encounter.objects.filter(program=world.program).update(clinical_note="")
    Screening.objects.filter(encounter__program=world.program).delete()
    body = api_client_for(user).get(f"/api/v1/persons/{world.person.pk}").json()
    assert [n["note"] for n in body["clinical_notes"]] == [PCO_NOTE]
    assert "clinical" not in body["withheld"]
    refused = AuditEvent.objects.filter(actor=user, outcome="denied")
    assert not [e for e in refused if "clinical" in e.fields]


def test_care_plans_withheld_in_one_program_are_said_to_be(
    both: tuple[World, Any, Encounter], api_client_for: Any, pco: Program
) -> None:
    world, user, _ = both
    CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="PAD plan",
        opened_on=dt.date(2026, 11, 1),
        owner=user,
    )
    plans = api_client_for(user).get(f"/api/v1/persons/{world.person.pk}/care-plans").json()
    assert (plans["items"], plans["withheld"]) == ([], ["clinical"])


def test_a_role_that_identifies_no_one_does_not_stop_a_phone_lookup(
    both: tuple[World, Any, Encounter], api_client_for: Any
) -> None:
    # An analyst elsewhere reads figures, not people: the officer's phone lookup stands.
    world, user, _ = both
    qrt = Program.objects.get(slug="qrt")
    Membership.objects.create(user=user, program=qrt, role=Role.ANALYST.value)
    index_person(SYSTEM, world.person)
    found = api_client_for(user).get("/api/v1/persons/matches", {"phone": "215-555-0101"})
    assert found.status_code == 200
    assert [i["person_id"] for i in found.json()["items"]] == [world.person.pk]
