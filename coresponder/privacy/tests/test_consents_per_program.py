"""A person known to two programs: each program keeps its own consents and reviews its own
break-glass openings. Another program's consent, or an opening's reason, tells of what
that program holds (a Part 2 consent names a treatment), so it is not shown across."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.care.models import CarePlan
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import WITHHELD_TEXT
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.people.models import Participation
from coresponder.privacy.models import BreakGlass, Consent, Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.models import Membership, Program, User

pytestmark = pytest.mark.django_db

SECRET = "Methadone maintenance at Brockton OTP; dose and attendance"
REASON = "Unresponsive on arrival; need methadone dose history from PCO"


@pytest.fixture
def world(pad: Program, pco: Program) -> World:
    world = build_world(pad)
    Participation.objects.create(person=world.person, program=pco, first_seen_at=timezone.now())
    return world


def pco_member(pco: Program, role: Role, username: str) -> User:
    user = User.objects.create_user(username=username, password="x" * 16, role=role.value)
    Membership.objects.create(user=user, program=pco, role=role.value)
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pco_consent(world: World, api_client_for: Any, clinician: User) -> Consent:
    now = timezone.now()
    made = api_client_for(clinician).post(
        f"/api/v1/persons/{world.person.pk}/consents",
        {
            "discloser": "PCO clinician",
            "recipients": [{"kind": "provider"}],
            "information": SECRET,
            "covers": ["clinical", "part2"],
            "purpose": "Coordinate MOUD with the OTP",
            "right_to_revoke_explained": True,
            "expires_at": (now + dt.timedelta(days=90)).isoformat(),
            "signed_at": (now - dt.timedelta(minutes=5)).isoformat(),
            "signature_method": "written",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    return Consent.objects.get(pk=made.json()["id"])


def test_another_programs_consent_is_neither_listed_nor_revoked(
    world: World, pco: Program, api_client_for: Any
) -> None:
    consent = pco_consent(world, api_client_for, pco_member(pco, Role.CLINICIAN, "pco-clin"))
    assert consent.program == pco
    pad_coordinator = reader(world, Role.COORDINATOR)  # PAD only
    web = signed_in(pad_coordinator)
    form = web.get(f"/people/{world.person.pk}/consents/new/").content.decode()
    assert SECRET not in form and f"/consents/{consent.pk}/revoke" not in form
    disclosures = web.get(f"/people/{world.person.pk}/disclosures/").content.decode()
    assert SECRET not in disclosures
    assert web.post(f"/people/{world.person.pk}/consents/{consent.pk}/revoke/").status_code == 404
    refused = api_client_for(pad_coordinator).post(f"/api/v1/consents/{consent.pk}/revoke")
    assert refused.status_code == 404 and SECRET not in refused.content.decode()
    consent.refresh_from_db()
    assert consent.revoked_at is None
    # PCO's own coordinator keeps it, and revokes it.
    pco_coordinator = pco_member(pco, Role.COORDINATOR, "pco-coord")
    kept = signed_in(pco_coordinator).get(f"/people/{world.person.pk}/consents/new/")
    assert f"/consents/{consent.pk}/revoke" in kept.content.decode()
    # Revoking asks first, naming the consent; asking changes nothing.
    revoke_url = f"/people/{world.person.pk}/consents/{consent.pk}/revoke/"
    asked = signed_in(pco_coordinator).get(revoke_url).content.decode()
    assert "Revoke this consent?" in asked and "Coordinate MOUD with the OTP" in asked
    consent.refresh_from_db()
    assert consent.revoked_at is None
    assert web.get(revoke_url).status_code == 404  # PAD's coordinator
    revoked = api_client_for(pco_coordinator).post(f"/api/v1/consents/{consent.pk}/revoke")
    assert revoked.status_code == 200


def test_a_consent_is_filed_under_the_program_where_the_role_records_consents(
    world: World, pad: Program, pco: Program, api_client_for: Any
) -> None:
    # An officer in PAD (who records no consents) and a clinician in PCO (who does).
    both = reader(world, Role.OFFICER, username="officer-and-clinician")
    Membership.objects.create(user=both, program=pco, role=Role.CLINICIAN.value)
    consent = pco_consent(world, api_client_for, both)
    assert consent.program == pco


def test_a_coordinator_reviews_only_openings_made_in_their_own_programs(
    world: World, pco: Program, api_client_for: Any
) -> None:
    clinician = pco_member(pco, Role.CLINICIAN, "pco-clin")
    opened = api_client_for(clinician).post(
        f"/api/v1/persons/{world.person.pk}/break-glass",
        {"reason": REASON},
        content_type="application/json",
    )
    assert opened.status_code == 201 and BreakGlass.objects.get().program == pco
    pad_coordinator = api_client_for(reader(world, Role.COORDINATOR))
    queue = pad_coordinator.get("/api/v1/break-glass").json()
    assert queue["count"] == 0 and REASON not in str(queue)
    review = pad_coordinator.post(
        f"/api/v1/break-glass/{opened.json()['id']}/review",
        {"note": "ok"},
        content_type="application/json",
    )
    assert review.status_code == 404
    assert BreakGlass.objects.get().reviewed_at is None
    pco_coordinator = api_client_for(pco_member(pco, Role.COORDINATOR, "pco-coord"))
    assert pco_coordinator.get("/api/v1/break-glass").json()["count"] == 1


def test_another_programs_reads_are_in_its_audit_review_not_in_this_one(
    world: World, pco: Program, api_client_for: Any
) -> None:
    clinician = pco_member(pco, Role.CLINICIAN, "pco-clin")
    pco_api = api_client_for(clinician)
    opened = pco_api.post(
        f"/api/v1/persons/{world.person.pk}/break-glass",
        {"reason": REASON},
        content_type="application/json",
    )
    assert opened.status_code == 201
    assert pco_api.get(f"/api/v1/persons/{world.person.pk}").status_code == 200
    pco_events = AuditEvent.objects.filter(actor=clinician, person_id=world.person.pk)
    assert pco_events.exists() and set(pco_events.values_list("program_slug", flat=True)) == {"pco"}
    # PAD's coordinator reviews PAD's trail: PCO's opening and reads are not in it.
    pad_coordinator = reader(world, Role.COORDINATOR)
    rows = signed_in(pad_coordinator).get("/audit/").context["rows"]
    assert not any(row["actor"] == "pco-clin" for row in rows)
    trail = (
        api_client_for(pad_coordinator)
        .get(f"/api/v1/persons/{world.person.pk}/records-request")
        .json()["audit_trail"]
    )
    assert not any(event["who"] == "pco-clin" for event in trail)
    # PCO's coordinator sees them in PCO's.
    pco_coordinator = pco_member(pco, Role.COORDINATOR, "pco-coord")
    rows = signed_in(pco_coordinator).get("/audit/").context["rows"]
    assert any(row["actor"] == "pco-clin" and row["purpose"] == "break-glass" for row in rows)
    pco_trail = (
        api_client_for(pco_coordinator)
        .get(f"/api/v1/persons/{world.person.pk}/records-request")
        .json()["audit_trail"]
    )
    assert any(event["who"] == "pco-clin" for event in pco_trail)


def test_each_program_accounts_for_its_own_disclosures(
    world: World, pad: Program, pco: Program, api_client_for: Any
) -> None:
    # PAD's officer reads under a consent PAD recorded: a release PAD accounts for.
    officer = reader(world, Role.OFFICER)
    consent_for(world, officer)
    assert api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}").status_code == 200
    released = Disclosure.objects.filter(recipient_user=officer)
    assert released.exists() and set(released.values_list("program__slug", flat=True)) == {"pad"}
    # A release PCO made, and one from before releases were filed under a program.
    now = timezone.now()
    for program, recipient in ((pco, "pco-clin (North Clinic)"), (None, "earlier reader")):
        Disclosure.objects.create(
            person=world.person,
            program=program,
            disclosed_at=now,
            recipient=recipient,
            information="Part 2",
            groups=["part2"],
        )
    pad_rows = (
        api_client_for(reader(world, Role.COORDINATOR))
        .get(f"/api/v1/persons/{world.person.pk}/disclosures")
        .json()["items"]
    )
    recipients = {row["recipient"] for row in pad_rows}
    assert "earlier reader" in recipients and "pco-clin (North Clinic)" not in recipients
    assert any(officer.username in r for r in recipients)
    pco_rows = (
        api_client_for(pco_member(pco, Role.COORDINATOR, "pco-coord"))
        .get(f"/api/v1/persons/{world.person.pk}/disclosures")
        .json()["items"]
    )
    assert "pco-clin (North Clinic)" in {row["recipient"] for row in pco_rows}
    assert not any(officer.username in row["recipient"] for row in pco_rows)


def test_a_release_of_one_programs_record_is_accounted_for_by_that_program(
    world: World, pco: Program, api_client_for: Any
) -> None:
    # An officer in both programs, of the provider's own organisation, reads PAD's service
    # referral: the Part 2 status is released from PAD's record, under neither a consent nor
    # an opening, and PAD accounts for it though the officer sees the person through two.
    officer = reader(world, Role.OFFICER)
    officer.organization = world.provider_org
    officer.save(update_fields=["organization"])
    Membership.objects.create(user=officer, program=pco, role=Role.OFFICER.value)
    body = api_client_for(officer).get(f"/api/v1/service-referrals/{world.service_referral.pk}")
    assert body.json()["status"] == "in-progress"
    (disclosure,) = Disclosure.objects.filter(recipient_user=officer)
    assert disclosure.program == world.program
    filed = AuditEvent.objects.filter(detail__disclosure=True, person_id=world.person.pk)
    assert list(filed.values_list("program_slug", flat=True)) == [world.program.slug]


def test_the_history_holds_only_the_consents_the_reader_keeps(
    world: World, pco: Program, api_client_for: Any
) -> None:
    """PAD's coordinator, who is also an officer in PCO, records consents in PAD only:
    PCO's Part 2 consent (naming a treatment) stays out of the person's history and the
    records request built on it, as it stays out of the consent list."""
    consent = pco_consent(world, api_client_for, pco_member(pco, Role.CLINICIAN, "pco-clin"))
    both = reader(world, Role.COORDINATOR)
    Membership.objects.create(user=both, program=pco, role=Role.OFFICER.value)
    person = world.person.pk
    api = api_client_for(both)
    items = api.get(f"/api/v1/persons/{person}/timeline").json()["items"]
    assert not [item for item in items if item["kind"].startswith("consent")]
    page = signed_in(both).get(f"/people/{person}/timeline/").content.decode()
    assert "Coordinate MOUD with the OTP" not in page
    request = api.get(f"/api/v1/persons/{person}/records-request")
    assert request.status_code == 200
    assert "Coordinate MOUD with the OTP" not in request.content.decode()
    # PCO's clinician keeps it, and reads it in the history.
    kept = api_client_for(pco_member(pco, Role.CLINICIAN, "pco-clin-2"))
    mine = kept.get(f"/api/v1/persons/{person}/timeline").json()["items"]
    assert [item["detail"]["id"] for item in mine if item["kind"] == "consent_signed"] == [
        consent.pk
    ]


def test_a_read_of_one_programs_record_is_filed_under_that_program(
    world: World, pco: Program, api_client_for: Any
) -> None:
    """A PAD officer who is a clinician in PCO reads PCO's care plan and encounter: the
    reads are PCO's to review, not filed under no program, where PAD's coordinators would
    read that someone opened clinical records on their participant elsewhere."""
    owner = pco_member(pco, Role.CLINICIAN, "pco-clin")
    plan = CarePlan.objects.create(
        program=pco,
        person=world.person,
        title="Detox bed",
        opened_on=timezone.localdate(),
        owner=owner,
    )
    encounter = Encounter.objects.create(
        program=pco,
        person=world.person,
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        kind="drop_in",
        disposition="resolved_on_scene",
    )
    both = reader(world, Role.OFFICER)
    Membership.objects.create(user=both, program=pco, role=Role.CLINICIAN.value)
    assert signed_in(both).get(f"/care-plans/{plan.pk}/").status_code == 200
    assert api_client_for(both).get(f"/api/v1/encounters/{encounter.pk}").status_code == 200
    page = signed_in(both).get(f"/programs/pco/encounters/{encounter.pk}/")
    assert page.status_code == 200
    reads = AuditEvent.objects.filter(actor=both, person_id=world.person.pk, action="read")
    assert reads.count() == 3
    assert set(reads.values_list("program_slug", flat=True)) == {"pco"}
    pad_coordinator = reader(world, Role.COORDINATOR)
    trail = (
        api_client_for(pad_coordinator)
        .get(f"/api/v1/persons/{world.person.pk}/records-request")
        .json()["audit_trail"]
    )
    assert not any(event["who"] == both.username for event in trail)


def test_another_programs_consent_does_not_open_this_programs_records(
    world: World, pco: Program, api_client_for: Any
) -> None:
    """PCO's consent lets PCO's team tell the police what PCO holds; it does not let PAD
    release PAD's clinical notes or Part 2 statuses to PAD's officer, a consent PAD's staff
    can neither see in their list nor revoke."""
    officer = reader(world, Role.OFFICER)  # PAD only, of a police department
    # The consent names the officer's department, but PCO keeps it: PCO's team discloses.
    consent = consent_for(world, officer)
    Consent.objects.filter(pk=consent.pk).update(program=pco, discloser="PCO clinical team")
    api = api_client_for(officer)
    body = api.get(f"/api/v1/persons/{world.person.pk}").json()
    assert body["screenings"] == {"withheld": WITHHELD_TEXT}
    assert "clinical_notes" not in body
    assert [r["status"] for r in body["service_referrals"]] == ["withheld"]
    assert {"clinical", "part2"} <= set(body["withheld"])
    encounter = Encounter.objects.get(program=world.program, person=world.person)
    assert "fentanyl" not in api.get(f"/api/v1/encounters/{encounter.pk}").content.decode()
    history = api.get(f"/api/v1/persons/{world.person.pk}/timeline").content.decode()
    assert "fentanyl" not in history and "in-progress" not in history
    page = signed_in(officer).get(f"/people/{world.person.pk}/").content.decode()
    assert "fentanyl" not in page
    assert not Disclosure.objects.filter(recipient_user=officer).exists()
