"""A person's history: newest first, and every entry and detail through the gate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import (
    POLICY,
    WITHHELD_TEXT,
    FieldGroup,
    GroupVisibility,
    RecordType,
    Scope,
    decide,
)
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter, Screening
from coresponder.intake.models import Overdose, Referral
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.people.timeline import person_timeline
from coresponder.privacy.access import access_person
from coresponder.privacy.models import Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Program
from coresponder.services.models import Service, ServiceReferral

pytestmark = pytest.mark.django_db

G = FieldGroup
ROLES = [role for role in POLICY if POLICY[role].scope is not Scope.NONE]
# The field groups a timeline tells of; identity, contact and engagement are the record's.
TIMELINE_GROUPS = [G.REFERRAL, G.OUTREACH, G.CLINICAL, G.PART2, G.JUSTICE]


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def signed_in(user: Any) -> Client:
    """A client past both factors (force_login is stamped as a real sign-in is)."""
    client = Client()
    client.force_login(user)
    return client


def timeline_of(user: Any, world: World) -> list[dict[str, Any]]:
    return person_timeline(access_person(user, world.person.pk))


def kinds(items: list[dict[str, Any]]) -> list[str]:
    return [item["kind"] for item in items]


def of_kind(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [item for item in items if item["kind"] == kind]


def timeline_state(
    items: list[dict[str, Any]], group: FieldGroup, withheld: Sequence[str] = ()
) -> str:
    """'shown', 'withheld' or 'hidden': how the timeline presents one field group
    (`withheld`, the groups the answer names as withheld)."""
    if group is G.REFERRAL:
        return "shown" if of_kind(items, "referral") else "hidden"
    if group is G.JUSTICE:
        referrals = of_kind(items, "referral")
        return "shown" if referrals and "offense" in referrals[0]["detail"] else "hidden"
    if group is G.OUTREACH:
        outreach = {"attempt", "encounter", "outreach_task_opened"}
        return "shown" if outreach & set(kinds(items)) else "hidden"
    if group is G.CLINICAL:
        screenings = of_kind(items, "screening")
        if screenings and "answers" in screenings[0]["detail"]:
            return "shown"
        # No entry tells of a screening it withholds: the answer names the group once.
        return "withheld" if "clinical" in withheld else "hidden"
    if group is G.PART2:
        referrals = of_kind(items, "service_referral")
        status = referrals[0]["detail"].get("status") if referrals else None
        if status == "withheld":
            return "withheld"
        return "shown" if status == "in-progress" else "hidden"
    raise AssertionError(group)


def expected_state(role: Role, group: FieldGroup, consented: bool) -> str:
    """What the policy table says the timeline shows of one group."""
    reads = POLICY[role].read

    def shown(g: FieldGroup) -> bool:
        return decide(reads[g], consented) is GroupVisibility.SHOWN

    decision = decide(reads[group], consented)
    if group is G.JUSTICE:
        return "shown" if shown(G.JUSTICE) and shown(G.REFERRAL) else "hidden"
    if group is G.CLINICAL and decision is GroupVisibility.WITHHELD:
        # Without consent only that clinical detail is withheld, named once, as the page's
        # notice names it to everyone it withholds from; no entry tells of a screening.
        return "withheld"
    if group is G.PART2:
        if decision is GroupVisibility.WITHHELD:
            return "withheld" if shown(G.REFERRAL) else "hidden"
        return "shown" if decision is GroupVisibility.SHOWN else "hidden"
    return {
        GroupVisibility.SHOWN: "shown",
        GroupVisibility.WITHHELD: "withheld",
        GroupVisibility.HIDDEN: "hidden",
    }[decision]


@pytest.mark.parametrize("consented", [False, True], ids=["no-consent", "consent"])
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_sees_in_the_timeline_what_the_policy_allows(
    world: World, api_client_for: Any, role: Role, consented: bool
) -> None:
    user = reader(world, role)
    if consented:
        consent_for(world, user)
    response = api_client_for(user).get(f"/api/v1/persons/{world.person.pk}/timeline")
    expected = {group: expected_state(role, group, consented) for group in TIMELINE_GROUPS}
    if set(expected.values()) == {"hidden"}:
        # A role that may read none of a history's facts has no history to open.
        assert response.status_code == 404, response.content
        return
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    withheld = response.json()["withheld"]
    seen = {group: timeline_state(items, group, withheld) for group in TIMELINE_GROUPS}
    assert seen == expected
    # Consents are read by whoever records them.
    may_consent = RecordType.CONSENT in POLICY[role].write
    assert bool(of_kind(items, "consent_signed")) == (consented and may_consent)


def test_entries_come_newest_first_and_same_instant_facts_in_the_order_they_happen(
    world: World,
) -> None:
    now = timezone.now()
    OutreachTask.objects.filter(person=world.person).update(created_at=now - dt.timedelta(days=3))
    Overdose.objects.create(
        program=world.program, person=world.person, occurred_at=now - dt.timedelta(days=4)
    )
    items = timeline_of(reader(world, Role.CLINICIAN), world)
    assert kinds(items) == [
        "service_referral",
        "screening",
        "encounter",
        "attempt",
        "outreach_task_opened",
        "referral",
        "overdose",
    ]
    times = [item["at"] for item in items]
    assert times == sorted(times, reverse=True)
    assert {item["program"] for item in items} == {"pad"}


def test_an_officer_without_consent_learns_an_encounter_took_place_and_no_more(
    world: World,
) -> None:
    officer = reader(world, Role.OFFICER)
    items = timeline_of(officer, world)
    (encounter,) = of_kind(items, "encounter")
    assert encounter["detail"]["kind"] == "outreach_visit"
    assert "note" not in encounter["detail"]
    # Titles speak the vocabulary's labels, as the details under them do.
    Encounter.objects.filter(person=world.person).update(disposition="transported_home")
    Attempt.objects.filter(task__person=world.person).update(outcome="contacted_collateral_only")
    titled = timeline_of(officer, world)
    assert of_kind(titled, "encounter")[0]["title"] == "Outreach visit: Transported home"
    assert of_kind(titled, "attempt")[0]["title"] == "Home visit: Contacted family or friends only"
    # Where the person was taken for care, and their decision about treatment either way,
    # are clinical detail: the withheld words, whichever it was.
    Encounter.objects.filter(person=world.person).update(disposition="transported_hospital")
    Attempt.objects.filter(task__person=world.person).update(outcome="declined_interested_later")
    titled = timeline_of(officer, world)
    assert of_kind(titled, "encounter")[0]["title"] == (
        "Outreach visit: Transported (destination withheld)"
    )
    assert of_kind(titled, "attempt")[0]["title"] == "Home visit: Reached (outcome withheld)"
    # Not even that a screening took place: the history says once that clinical detail
    # is withheld (`withheld`), however many screenings there are.
    assert of_kind(items, "screening") == []
    assert "buprenorphine" not in repr(items).replace("Buprenorphine clinic", "")
    (offense,) = of_kind(items, "referral")
    assert offense["detail"]["offense"]["category"] == "drug_possession"


def more_screenings(world: World) -> None:
    """Two more encounters, each with screenings, as a busy history has."""
    for days in (5, 9):
        encounter = Encounter.objects.create(
            program=world.program,
            person=world.person,
            occurred_at=timezone.now() - dt.timedelta(days=days),
            kind="crisis_response",
            disposition="resolved_on_scene",
        )
        Screening.objects.create(encounter=encounter, instrument="phq2", answers=[1, 1])
        Screening.objects.create(encounter=encounter, instrument="audit_c", answers=[1, 0, 0])


def test_an_officer_reads_one_neutral_line_however_many_screenings_there_are(
    world: World, api_client_for: Any
) -> None:
    more_screenings(world)
    officer = reader(world, Role.OFFICER)
    body = api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    assert of_kind(body["items"], "screening") == []
    assert len(of_kind(body["items"], "encounter")) == 3
    assert body["withheld"] == ["clinical", "part2"]
    html = signed_in(officer).get(f"/people/{world.person.pk}/timeline/").content.decode()
    assert html.count("Some of this history is withheld") == 1
    assert "Clinical detail" in html
    assert "Screening" not in html


def test_an_officer_reads_nothing_of_clinical_detail_where_none_was_recorded(
    world: World, api_client_for: Any
) -> None:
    Screening.objects.filter(encounter__person=world.person).delete()
    Encounter.objects.filter(person=world.person).update(clinical_note="")
    officer = reader(world, Role.OFFICER)
    body = api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    assert body["withheld"] == ["part2"]
    html = signed_in(officer).get(f"/people/{world.person.pk}/timeline/").content.decode()
    assert "Clinical detail" not in html and "Screening" not in html


def test_an_officer_with_consent_sees_the_screening_and_it_is_a_recorded_disclosure(
    world: World, api_client_for: Any
) -> None:
    officer = reader(world, Role.OFFICER)
    consent = consent_for(world, officer)
    body = api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    (screening,) = of_kind(body["items"], "screening")
    assert screening["detail"]["answers"] == [1, 1, 0, 1, 0, 0, 1, 0, 0, 1]
    assert "open to buprenorphine" in of_kind(body["items"], "encounter")[0]["detail"]["note"]
    disclosure = Disclosure.objects.get(person=world.person, groups=["clinical"])
    assert (disclosure.consent, disclosure.recipient_user) == (consent, officer)


def test_a_prosecutor_learns_nothing_of_treatment_from_the_timeline(
    world: World, api_client_for: Any
) -> None:
    prosecutor = reader(world, Role.PROSECUTOR)
    consent_for(world, prosecutor)
    client = api_client_for(prosecutor)
    response = client.get(f"/api/v1/persons/{world.person.pk}/timeline")
    # The same answer as for a person who does not exist: the address tells nothing.
    assert response.status_code == 404
    assert response.json() == client.get("/api/v1/persons/999999/timeline").json()
    assert not AuditEvent.objects.filter(actor=prosecutor, action="read", outcome="success")


def test_a_provider_sees_only_its_own_referral_and_not_the_officers_offense(
    world: World,
) -> None:
    items = timeline_of(reader(world, Role.PROVIDER), world)
    assert kinds(items) == ["service_referral"]
    assert items[0]["detail"]["status"] == "in-progress"


def test_reading_the_timeline_leaves_an_audit_event_like_a_person_read(
    world: World, api_client_for: Any
) -> None:
    officer = reader(world, Role.OFFICER)
    api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}/timeline")
    read = AuditEvent.objects.get(actor=officer, action="read", outcome="success")
    assert read.person_id == world.person.pk
    assert read.detail["channel"] == "api"
    denied = AuditEvent.objects.get(actor=officer, action="read", outcome="denied")
    assert set(denied.fields) == {"clinical", "part2"}


def test_an_outsider_and_a_missing_person_get_the_same_404(
    world: World, api_client_for: Any, outsider: Any
) -> None:
    client = api_client_for(outsider)
    assert client.get(f"/api/v1/persons/{world.person.pk}/timeline").status_code == 404
    clinician = api_client_for(reader(world, Role.CLINICIAN))
    assert clinician.get("/api/v1/persons/999999/timeline").status_code == 404
    assert not AuditEvent.objects.filter(actor=outsider, action="read", outcome="success").exists()
    # The refusal is in the trail, naming the address asked for, not whom it found.
    refused = AuditEvent.objects.get(actor=outsider, action="read", outcome="denied")
    assert refused.person_id is None
    assert refused.detail["path"] == f"/api/v1/persons/{world.person.pk}/timeline"


def add_history(world: World, rounds: int) -> None:
    """More of everything, so a query per row would show."""
    now = timezone.now()
    for n in range(rounds):
        at = now - dt.timedelta(days=10 + n)
        referral = Referral.objects.create(
            program=world.program,
            person=world.person,
            pathway="officer_intervention",
            received_at=at,
            offense_category="retail_theft",
        )
        Overdose.objects.create(
            program=world.program, person=world.person, referral=referral, occurred_at=at
        )
        task = OutreachTask.objects.create(
            program=world.program,
            person=world.person,
            referral=referral,
            window_start=at,
            window_end=at + dt.timedelta(days=2),
            status="closed",
            closed_at=at + dt.timedelta(days=1),
        )
        attempt = Attempt.objects.create(
            task=task, attempted_at=at, channel="phone", outcome="contacted_collateral_only"
        )
        AttemptContact.objects.create(
            attempt=attempt, role="collateral", relationship="sibling", name="Ana"
        )
        encounter = Encounter.objects.create(
            program=world.program,
            person=world.person,
            occurred_at=at,
            kind="drop_in",
            disposition="resolved_on_scene",
            clinical_note="note",
        )
        Screening.objects.create(encounter=encounter, instrument="dast10", answers=[0] * 10)
        ServiceReferral.objects.create(
            program=world.program,
            person=world.person,
            service=world.service_referral.service,
            requested_at=at,
            status_changed_at=at,
        )


def test_the_timeline_costs_the_same_queries_however_long_the_history(world: World) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    consent_for(world, coordinator)

    def queries() -> tuple[int, int]:
        access = access_person(coordinator, world.person.pk)
        with CaptureQueriesContext(connection) as captured:
            items = person_timeline(access)
        return len(captured), len(items)

    short, few = queries()
    add_history(world, 5)
    long, many = queries()
    assert many > few + 30
    assert long == short


def test_the_timeline_costs_the_same_queries_however_many_programs_the_reader_sees_it_in(
    world: World,
) -> None:
    coordinator = reader(world, Role.COORDINATOR)
    consent_for(world, coordinator)
    add_history(world, 2)
    others = list(Program.objects.exclude(pk=world.program.pk).order_by("slug")[:2])

    def queries() -> tuple[int, set[str]]:
        access = access_person(coordinator, world.person.pk)
        with CaptureQueriesContext(connection) as captured:
            items = person_timeline(access)
        return len(captured), {item["program"] for item in items}

    one, seen = queries()
    for program in others:
        # The reader coordinates there too, and the person has a referral there.
        Membership.objects.create(user=coordinator, program=program, role=Role.COORDINATOR)
        world.person.participations.create(program=program, first_seen_at=timezone.now())
        Referral.objects.create(
            program=program,
            person=world.person,
            pathway="self_referral",
            received_at=timezone.now() - dt.timedelta(days=3),
        )
    three, seen_three = queries()
    assert seen_three == seen | {p.slug for p in others}
    assert three == one


def test_the_timeline_is_paged_by_fifty(world: World, api_client_for: Any) -> None:
    add_history(world, 8)
    client = api_client_for(reader(world, Role.CLINICIAN))
    first = client.get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    total = first["count"]
    assert total > 50
    assert len(first["items"]) == 50
    second = client.get(f"/api/v1/persons/{world.person.pk}/timeline?page=2").json()
    assert second["count"] == total
    assert len(second["items"]) == total - 50
    assert first["items"][-1]["at"] >= second["items"][0]["at"]


def test_the_history_page_is_linked_from_the_person_and_shows_what_the_officer_may_see(
    world: World,
) -> None:
    officer = reader(world, Role.OFFICER)
    client = signed_in(officer)
    person_page = client.get(f"/people/{world.person.pk}/").content.decode()
    assert f'href="/people/{world.person.pk}/timeline/"' in person_page
    response = client.get(f"/people/{world.person.pk}/timeline/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "History of Dana Reyes" in html
    assert "usa-process-list" in html
    assert WITHHELD_TEXT in html
    assert "open to buprenorphine" not in html
    assert "style=" not in html
    events = AuditEvent.objects.filter(actor=officer, action="read", outcome="success")
    assert [e.detail["channel"] for e in events] == ["web", "web"]


def test_who_a_visit_reached_reads_in_words_on_the_history_and_the_records_request(
    world: World,
) -> None:
    add_history(world, 1)
    coordinator = reader(world, Role.COORDINATOR)
    client = signed_in(coordinator)
    html = client.get(f"/people/{world.person.pk}/timeline/").content.decode()
    assert "<dd>Ana (Brother or sister)</dd>" in html
    assert "role:" not in html and "relationship:" not in html
    assert "<dd>Retail theft</dd>" in html and "category:" not in html
    consent_for(world, coordinator)
    export = client.get(f"/people/{world.person.pk}/records-request/").content.decode()
    assert "Ana (Brother or sister)" in export
    assert "role:" not in export
    # Screening answers read as items and answers, not option numbers.
    assert "Used drugs other than for medical reasons: No" in export
    assert "0; 0; 0" not in export


def test_the_history_page_is_not_found_for_an_outsider(world: World, outsider: Any) -> None:
    response = signed_in(outsider).get(f"/people/{world.person.pk}/timeline/")
    assert response.status_code == 404


# 15:00 UTC on 1 December 2026: 10:00 in Philadelphia (EST).
APPOINTMENT = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def accepted_with_appointment(world: World, part2: bool = False) -> ServiceReferral:
    """A referral the provider accepted, booking the person for `APPOINTMENT`."""
    service = world.service_referral.service
    if part2:
        Service.objects.filter(pk=service.pk).update(part2_program=True)
        service.refresh_from_db()
    now = timezone.now()
    return ServiceReferral.objects.create(
        program=world.program,
        person=world.person,
        service=service,
        status="accepted",
        requested_at=now - dt.timedelta(hours=2),
        status_changed_at=now,
        appointment_at=APPOINTMENT,
    )


def entry_of(items: list[dict[str, Any]], referral: ServiceReferral) -> dict[str, Any]:
    (entry,) = [
        item for item in of_kind(items, "service_referral") if item["detail"]["id"] == referral.pk
    ]
    return entry


def history_entry(html: str, referral: ServiceReferral) -> str:
    """The history page's entry for the referral: from its title to the next entry."""
    start = html.index(f"Referred to {referral.service.name}")
    return html[start:].split("</li>")[0]


def test_a_service_referral_in_the_history_carries_its_appointment_on_the_programs_clock(
    world: World, api_client_for: Any
) -> None:
    referral = accepted_with_appointment(world)
    clinician = reader(world, Role.CLINICIAN)

    entry = entry_of(timeline_of(clinician, world), referral)
    assert entry["detail"]["status"] == "accepted"
    assert entry["detail"]["appointment_at"] == APPOINTMENT
    assert entry["detail"]["appointment_at"].utcoffset() == dt.timedelta(hours=-5)

    body = api_client_for(clinician).get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    shown = entry_of(body["items"], referral)["detail"]
    assert dt.datetime.fromisoformat(shown["appointment_at"]) == APPOINTMENT
    assert shown["appointment_at"].startswith("2026-12-01T10:00:00")

    html = signed_in(clinician).get(f"/people/{world.person.pk}/timeline/").content.decode()
    said = history_entry(html, referral)
    assert "<dt>Appointment</dt>" in said
    assert "1 Dec" in said and "10:00 EST" in said


def test_the_appointment_is_not_in_the_history_where_the_status_is_withheld(
    world: World, api_client_for: Any
) -> None:
    # A Part 2 program's acceptance is its own record: withheld without a consent, and
    # the appointment with it.
    referral = accepted_with_appointment(world, part2=True)
    officer = reader(world, Role.OFFICER)

    entry = entry_of(timeline_of(officer, world), referral)
    assert entry["detail"]["status"] == "withheld"
    assert "appointment_at" not in entry["detail"]
    body = api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    assert "appointment_at" not in entry_of(body["items"], referral)["detail"]
    html = signed_in(officer).get(f"/people/{world.person.pk}/timeline/").content.decode()
    assert "Appointment" not in html and "10:00 EST" not in html

    # With a consent naming the officer, the status is shown and the appointment with it.
    consent_for(world, officer)
    entry = entry_of(timeline_of(officer, world), referral)
    assert entry["detail"]["status"] == "accepted"
    assert entry["detail"]["appointment_at"] == APPOINTMENT
