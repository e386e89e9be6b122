"""Identity resolution: possible matches, the review queue, merging and undoing a merge."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coresponder.care.models import CarePlan
from coresponder.conftest import member_of
from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.errors import ActionError, Forbidden, NotVisible
from coresponder.core.models import AuditEvent
from coresponder.domain.linkage import DEFAULT_PARAMS
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.identity import views
from coresponder.identity.actions import (
    SourceRecordInput,
    decide_match,
    merge_people,
    propose_match,
    record_source,
    unmerge,
)
from coresponder.identity.matching import possible_matches, record_from_query, score_pair
from coresponder.identity.models import MatchCandidate, Merge, PersonKey, SourceRecord
from coresponder.intake.models import Referral
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.people.models import Collateral, Participation, Person
from coresponder.programs.models import Program, User

T0 = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
# The day the probes are read on, as the program's clock shows it.
TODAY = dt.date(2026, 12, 7)
PERSON_FIELDS = ("given_name", "family_name", "birth_date", "sex", "phone", "address", "aliases")


def known_person(program: Program, source: str, seen_at: dt.datetime = T0, **fields: Any) -> Person:
    """A person known to `program` through one source's report."""
    person = Person.objects.create(**fields)
    Participation.objects.create(person=person, program=program, first_seen_at=seen_at)
    record_source(
        SYSTEM,
        person,
        program,
        source,
        SourceRecordInput.from_reported(fields, received_at=seen_at),
    )
    return person


@pytest.fixture
def smiths(pad: Program) -> tuple[Person, Person]:
    """An EMS report of Wm. Smith and a hospital's of Bill Smyth: one man, two records."""
    ems = known_person(
        pad, "ems", given_name="Wm.", family_name="Smith", birth_date=dt.date(1985, 3, 7)
    )
    hospital = known_person(
        pad,
        "hospital",
        seen_at=T0 + dt.timedelta(days=30),
        given_name="Bill",
        family_name="Smyth",
        birth_date=dt.date(1985, 7, 3),
        phone="+12155550199",
    )
    return ems, hospital


def matches(client: Client, **query: str) -> Any:
    return client.get("/api/v1/persons/matches", query)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def candidate_for(pair: tuple[Person, Person]) -> MatchCandidate:
    first, second = pair
    evidence = score_pair(
        record_from_query(
            {"given_name": "Wm.", "family_name": "Smith", "birth_date": "1985-03-07"}, today=TODAY
        )
        or pytest.fail("no probe"),
        record_from_query(
            {"given_name": "Bill", "family_name": "Smyth", "birth_date": "1985-07-03"}, today=TODAY
        )
        or pytest.fail("no probe"),
        DEFAULT_PARAMS,
    )
    candidate = propose_match(SYSTEM, first, second, evidence["probability"], evidence)
    assert candidate is not None
    return candidate


# --- Possible matches --------------------------------------------------------------


def test_it_finds_the_ems_record_for_the_hospitals_bill_smyth_with_its_reasons(
    smiths: tuple[Person, Person], coordinator: User, api_client_for: Any
) -> None:
    ems, hospital = smiths
    response = matches(
        api_client_for(coordinator),
        given_name="Bill",
        family_name="Smyth",
        birth_date="1985-07-03",
    )
    assert response.status_code == 200
    items = response.json()["items"]
    found = {item["person_id"]: item for item in items}
    assert ems.pk in found
    assert hospital.pk in found
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert all(0 <= i["score"] <= 1 for i in items)
    reasons = " ".join(found[ems.pk]["reasons"])
    assert "nickname" in reasons
    assert "day and month swapped" in reasons
    assert found[ems.pk]["score"] > 0.9
    reads = AuditEvent.objects.filter(action="read", fields=["identity"]).order_by("id")
    event = [e for e in reads if e.detail.get("list")][-1]
    assert ems.pk in event.detail["ids"]
    assert reads.filter(person_id=ems.pk, pk__gt=event.pk).exists()  # filed under each found


def test_it_refuses_a_match_query_that_names_nobody(
    pad: Program, coordinator: User, api_client_for: Any
) -> None:
    response = matches(api_client_for(coordinator))
    assert response.status_code == 422
    assert response.json()["errors"]


def test_a_user_in_another_program_does_not_learn_of_the_match(
    smiths: tuple[Person, Person], programs: dict[str, Program], api_client_for: Any
) -> None:
    elsewhere = member_of(programs["pco"], Role.COORDINATOR, "pco-coordinator")
    response = matches(
        api_client_for(elsewhere), given_name="Bill", family_name="Smyth", birth_date="1985-07-03"
    )
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_merged_people_are_not_offered_as_matches(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    ems, hospital = smiths
    merge_people(Actor(user=coordinator), ems, hospital, {})
    probe = record_from_query(
        {"given_name": "Bill", "family_name": "Smyth", "phone": "2155550199"}, today=TODAY
    )
    assert probe is not None
    found = [m.person_id for m in possible_matches(coordinator, probe)]
    assert hospital.pk not in found
    assert ems.pk in found  # the hospital's record now belongs to him


def test_the_match_query_count_stays_constant_as_the_registry_grows(
    pad: Program, smiths: tuple[Person, Person], coordinator: User, api_client_for: Any
) -> None:
    client = api_client_for(coordinator)
    query = {"given_name": "Bill", "family_name": "Smyth", "birth_date": "1985-07-03"}
    matches(client, **query)
    with CaptureQueriesContext(connection) as small:
        assert matches(client, **query).status_code == 200
    for n in range(12):
        known_person(
            pad,
            "police",
            given_name=("William", "Billy", "Will")[n % 3],
            family_name=("Smith", "Smyth", "Smithe")[n % 3],
            birth_date=dt.date(1985, 3, 7) + dt.timedelta(days=n * 31),
        )
        known_person(pad, "ems", given_name=f"Other{n}", family_name="Jones")
    with CaptureQueriesContext(connection) as large:
        response = matches(client, **query)
    assert len(response.json()["items"]) > 3
    assert len(large) == len(small)


def test_intake_keeps_each_sources_account_and_indexes_it(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    qrt = programs["qrt"]
    client = api_client_for(member_of(qrt, Role.COORDINATOR, "qrt-coordinator"))
    body = {
        "program": "qrt",
        "pathway": "naloxone_plus",
        "received_at": (T0 + dt.timedelta(hours=1)).isoformat(),
        "person": {"given_name": "Wm.", "family_name": "Smith", "birth_date": "1985-03-07"},
        "overdose": {"occurred_at": T0.isoformat(), "source": "ems", "fatal": False},
    }
    response = client.post("/api/v1/referrals", body, content_type="application/json")
    assert response.status_code == 201, response.content
    record = SourceRecord.objects.get(person_id=response.json()["person_id"])
    assert (record.source, record.given_name, record.program) == ("ems", "Wm.", qrt)
    assert record.event_date == T0.date()
    assert PersonKey.objects.filter(source_record=record, key="dmy:1985:0307").exists()


# --- Review, merge and undo ----------------------------------------------------------


def test_the_review_page_shows_the_pair_with_its_evidence(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    candidate = candidate_for(smiths)
    client = signed_in(coordinator)
    page = client.get("/people/matches/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Smyth" in html and "Smith" in html
    assert "nickname of the same name" in html
    assert "day and month swapped" in html
    # Birth dates read as every page writes them, not in the server's own format.
    assert "7 Mar 1985" in html and "3 Jul 1985" in html and "Mar. 7, 1985" not in html
    assert f"{candidate.probability:.3f}" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_evidence_adds_up_to_its_total_with_the_models_starting_point(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    candidate = candidate_for(smiths)
    rows = sum(row["weight"] for row in candidate.evidence["rows"])
    evidence = {**candidate.evidence, "weight": rows - 13.3}
    MatchCandidate.objects.filter(pk=candidate.pk).update(evidence=evidence)
    html = signed_in(coordinator).get("/people/matches/").content.decode()
    assert "Before any comparison" in html and ">-13.3<" in html


def test_a_pair_the_job_weighed_shows_the_reports_it_compared_beside_the_people_now(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    ems, hospital = smiths
    # Since the reports, the EMS person's record took the phone a worker wrote down.
    Person.objects.filter(pk=ems.pk).update(phone="+12155550100")
    compared = [ems.source_records.get().pk, hospital.source_records.get().pk]
    # Named as the matching job names them, as text.
    evidence = {**candidate_for(smiths).evidence, "records": [str(i) for i in reversed(compared)]}
    MatchCandidate.objects.filter(person_a=ems).update(evidence=evidence)
    html = signed_in(coordinator).get("/people/matches/").content.decode()
    reports = html[html.index("The two reports compared") : html.index("The two people as")]
    assert "EMS, " in reports and "Hospital, " in reports
    # Each report beside its own person: the EMS one first, though listed second.
    assert reports.index("EMS, ") < reports.index("Hospital, ")
    assert "(215) 555-0100" not in reports and "215-555-0100" not in reports
    assert reports.count("—") >= 2  # the EMS report gave no phone, no address
    people = html[html.index("The two people as recorded now") :]
    assert "+1 (215) 555-0100" in people
    event = AuditEvent.objects.filter(
        object_type="people.matchcandidate", person_id__isnull=True
    ).latest("id")
    assert event.detail["source_record_ids"] == sorted(compared)


def test_the_review_page_groups_a_phone_kept_as_bare_digits(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    ems, hospital = smiths
    Person.objects.filter(pk=ems.pk).update(phone="2155550100")
    SourceRecord.objects.filter(person=hospital).update(phone="2155550100")
    evidence = {
        **candidate_for(smiths).evidence,
        "records": [str(r.source_records.get().pk) for r in smiths],
    }
    MatchCandidate.objects.filter(person_a=ems).update(evidence=evidence)
    html = signed_in(coordinator).get("/people/matches/").content.decode()
    assert "2155550100" not in html
    reports = html[html.index("The two reports compared") : html.index("The two people as")]
    people = html[html.index("The two people as recorded now") :]
    assert "(215) 555-0100" in reports and "(215) 555-0100" in people


def test_a_report_another_program_holds_is_not_shown_on_the_review(
    smiths: tuple[Person, Person], coordinator: User, pco: Program
) -> None:
    ems, hospital = smiths
    record = hospital.source_records.get()
    SourceRecord.objects.filter(pk=record.pk).update(program=pco)  # PCO's hospital report
    compared = [str(ems.source_records.get().pk), str(record.pk)]
    evidence = {**candidate_for(smiths).evidence, "records": compared}
    MatchCandidate.objects.filter(person_a=ems).update(evidence=evidence)
    html = signed_in(coordinator).get("/people/matches/").content.decode()
    assert "The two reports compared" not in html
    assert "The two records side by side" in html


def test_the_review_page_says_when_a_pair_may_be_written_family_name_first(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    # Proposed as a report's join proposes it: the evidence as weighed, no batch hold.
    home = {"birth_date": "1990-02-03", "phone": "2155550123", "address": "9 Elm St"}
    mary_thomas = record_from_query(
        {"given_name": "Mary", "family_name": "Thomas", **home}, today=TODAY
    )
    mary_james = record_from_query(
        {"given_name": "Mary", "family_name": "James", **home}, today=TODAY
    )
    assert mary_thomas is not None and mary_james is not None
    evidence = score_pair(mary_thomas, mary_james, DEFAULT_PARAMS)
    assert "held_back" not in evidence
    propose_match(SYSTEM, *smiths, evidence["probability"], evidence)
    html = signed_in(coordinator).get("/people/matches/").content.decode()
    assert "Both records may write the family name first" in html
    assert "Given names differ: could be twins or siblings" not in html


def test_a_coordinator_merges_from_the_review_page_and_a_stale_decision_says_so(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    ems, hospital = smiths
    candidate = candidate_for(smiths)
    client = signed_in(coordinator)
    url = f"/people/matches/{candidate.pk}/decision/"
    response = client.post(url, {"decision": "merge", "version": candidate.version})
    assert response.status_code == 302
    hospital.refresh_from_db()
    assert hospital.merged_into == ems
    again = client.post(url, {"decision": "reject", "version": candidate.version})
    # Refused as stale, with the queue as it is now: the pair is gone from it.
    assert again.status_code == 409
    page = again.content.decode()
    assert "decided about this pair already" in page
    assert "No possible duplicates wait for review." in page
    candidate.refresh_from_db()
    assert candidate.status == "merged"
    merge = Merge.objects.get()
    client.post(f"/people/matches/merges/{merge.pk}/undo/")
    hospital.refresh_from_db()
    assert hospital.merged_into is None
    # Undone, the pair waits on the queue again: nothing to put back by hand.
    page = client.get("/people/matches/").content.decode()
    assert "the pair waits for review above" in page and "back for review</button>" not in page


def test_an_automatic_merge_undone_by_mistake_is_put_back_for_review_and_merged_again(
    smiths: tuple[Person, Person], coordinator: User, officer: User
) -> None:
    ems, hospital = smiths
    # Merged by the matching job, sure enough: no pair was ever on the queue.
    merge = merge_people(SYSTEM, ems, hospital, {"probability": 0.999, "rows": []})
    client = signed_in(coordinator)
    url = f"/people/matches/merges/{merge.pk}/ask-again/"
    # Only an undone merge goes back; and only a coordinator puts it back.
    standing = client.post(url, follow=True)
    assert "This merge stands: undo it first." in standing.content.decode()
    client.post(f"/people/matches/merges/{merge.pk}/undo/")
    assert signed_in(officer).post(url).status_code == 404
    assert not MatchCandidate.objects.filter(status="pending").exists()

    back = client.post(url, follow=True)
    again = MatchCandidate.objects.get(status="pending")
    assert f"back on the queue as pair {again.pk}" in back.content.decode()
    assert again.evidence["asked_again_after_undo"] == merge.pk
    client.post(
        f"/people/matches/{again.pk}/decision/", {"decision": "merge", "version": again.version}
    )
    hospital.refresh_from_db()
    assert hospital.merged_into == ems


def test_an_unknown_decision_is_refused_on_the_review_page_and_changes_nothing(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    candidate = candidate_for(smiths)
    client = signed_in(coordinator)
    url = f"/people/matches/{candidate.pk}/decision/"
    for decision in ("approve", ""):
        response = client.post(url, {"decision": decision, "version": candidate.version})
        assert response.status_code == 422
        page = response.content.decode()
        assert "Unknown decision." in page
        assert url in page  # the pair, still waiting, with its decision forms
        # Its page links lead to the queue, not to the decision's address.
        assert 'href="?page=' not in page
    candidate.refresh_from_db()
    assert candidate.status == "pending"
    assert not Merge.objects.exists()
    versionless = client.post(url, {"decision": "merge", "version": "x"})
    assert versionless.status_code == 422
    assert "nothing was decided" in versionless.content.decode()
    assert "Someone decided about this pair already" not in versionless.content.decode()
    assert not Merge.objects.exists()


def test_a_refused_decision_shows_the_queue_at_the_page_it_was_made_on(
    smiths: tuple[Person, Person], pad: Program, coordinator: User, monkeypatch: Any
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    first = candidate_for(smiths)
    second = candidate_for(
        (
            known_person(pad, "ems", given_name="Ana", family_name="Reyes"),
            known_person(pad, "hospital", given_name="Ana", family_name="Reyes"),
        )
    )
    client = signed_in(coordinator)
    on_second_page = client.get("/people/matches/", {"page": 2}).content.decode()
    shown = first if f"/people/matches/{first.pk}/decision/" in on_second_page else second
    url = f"/people/matches/{shown.pk}/decision/"
    assert url in on_second_page and 'name="page" value="2"' in on_second_page
    refused = client.post(url, {"decision": "approve", "version": shown.version, "page": "2"})
    assert refused.status_code == 422
    page = refused.content.decode()
    assert url in page and "Page 2 of 2" in page
    # Its links lead to the queue's pages, not to the decision's address.
    assert 'href="/people/matches/?page=1"' in page


def test_a_decision_made_further_down_the_queue_comes_back_to_that_page(
    smiths: tuple[Person, Person], pad: Program, coordinator: User, monkeypatch: Any
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    candidate_for(smiths)
    for given in ("Ana", "Luz"):
        candidate_for(
            (
                known_person(pad, "ems", given_name=given, family_name="Reyes"),
                known_person(pad, "hospital", given_name=given, family_name="Reyes"),
            )
        )
    client = signed_in(coordinator)
    on_second_page = client.get("/people/matches/", {"page": 2}).content.decode()
    shown = next(
        c
        for c in MatchCandidate.objects.filter(status="pending")
        if f"/people/matches/{c.pk}/decision/" in on_second_page
    )
    decided = client.post(
        f"/people/matches/{shown.pk}/decision/",
        {"decision": "reject", "version": shown.version, "page": "2"},
    )
    assert decided.status_code == 302
    assert decided["Location"] == "/people/matches/?page=2"
    page = client.get(decided["Location"]).content.decode()
    assert "Noted: these are different people." in page and "Page 2 of 2" in page


def test_only_a_coordinator_is_answered_on_the_review_page_whatever_the_decision(
    smiths: tuple[Person, Person], clinician: User
) -> None:
    candidate = candidate_for(smiths)
    client = signed_in(clinician)
    assert client.get("/people/matches/").status_code == 404
    url = f"/people/matches/{candidate.pk}/decision/"
    for decision, version in (("approve", candidate.version), ("reject", 99), ("merge", 1)):
        response = client.post(url, {"decision": decision, "version": version})
        assert response.status_code == 404
        assert "Smyth" not in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == "pending"


def test_merge_then_unmerge_restores_both_people_exactly(
    smiths: tuple[Person, Person], pad: Program, coordinator: User
) -> None:
    ems, hospital = smiths
    referral = Referral.objects.create(
        program=pad, person=hospital, pathway="officer_intervention", received_at=T0
    )
    encounter = Encounter.objects.create(
        program=pad,
        person=hospital,
        occurred_at=T0,
        kind="outreach_visit",
        disposition="resolved_on_scene",
    )
    collateral = Collateral.objects.create(person=hospital, relationship="sister", name="Jo")
    hospital_participation = Participation.objects.get(person=hospital)
    ems_participation = Participation.objects.get(person=ems)
    before = {f: getattr(hospital, f) for f in PERSON_FIELDS}
    records = set(SourceRecord.objects.filter(person=hospital).values_list("pk", flat=True))

    actor = Actor(user=coordinator, where="test")
    merge = merge_people(actor, ems, hospital, {"rows": []})

    hospital.refresh_from_db()
    assert hospital.merged_into == ems
    for row in (referral, encounter, collateral):
        row.refresh_from_db()
        assert row.person_id == ems.pk
    # One participation per person and program: his earlier one stays.
    assert list(Participation.objects.filter(person=ems).values_list("pk", flat=True)) == [
        ems_participation.pk
    ]
    assert not Participation.objects.filter(person=hospital).exists()
    assert set(SourceRecord.objects.filter(person=ems).values_list("pk", flat=True)) >= records
    assert AuditEvent.objects.filter(action="merge", detail__merged=hospital.pk).exists()

    kept, restored = unmerge(actor, Merge.objects.get(pk=merge.pk))

    assert (kept, restored) == (ems, hospital)
    restored.refresh_from_db()
    assert restored.merged_into is None
    assert {f: getattr(restored, f) for f in PERSON_FIELDS} == before
    for row in (referral, encounter, collateral):
        row.refresh_from_db()
        assert row.person_id == hospital.pk
    again = Participation.objects.get(person=hospital)
    assert (again.pk, again.program_id, again.first_seen_at) == (
        hospital_participation.pk,
        pad.pk,
        hospital_participation.first_seen_at,
    )
    assert Participation.objects.get(person=ems).first_seen_at == ems_participation.first_seen_at
    assert set(SourceRecord.objects.filter(person=hospital).values_list("pk", flat=True)) == records
    assert set(
        PersonKey.objects.filter(source_record_id__in=records).values_list("person_id", flat=True)
    ) == {hospital.pk}
    assert AuditEvent.objects.filter(action="unmerge", detail__merged=hospital.pk).exists()


def test_each_step_of_a_pair_is_in_both_peoples_trails(
    smiths: tuple[Person, Person], pad: Program, coordinator: User
) -> None:
    """Queued, merged and the merge undone: the person merged away was written each time, so
    a review of their record (filtered by their number) finds every step, not only the kept
    person's."""
    ems, hospital = smiths
    actor = Actor(user=coordinator, where="test")
    candidate = propose_match(actor, ems, hospital, 0.9, {"rows": []})
    assert candidate is not None
    merge = decide_match(actor, candidate, "merge", candidate.version)
    assert merge is not None
    unmerge(actor, Merge.objects.get(pk=merge.pk))

    def trail(person: Person) -> list[str]:
        return list(
            AuditEvent.objects.filter(person_id=person.pk, actor=coordinator)
            .order_by("id")
            .values_list("action", flat=True)
        )

    steps = ["create", "change", "merge", "unmerge"]
    assert [a for a in trail(ems) if a in steps] == steps
    assert [a for a in trail(hospital) if a in steps] == steps


def test_a_pair_kept_apart_is_in_both_peoples_trails(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    ems, hospital = smiths
    actor = Actor(user=coordinator, where="test")
    candidate = propose_match(actor, ems, hospital, 0.9, {"rows": []})
    assert candidate is not None
    decide_match(actor, candidate, "reject", candidate.version)
    for person in (ems, hospital):
        decided = AuditEvent.objects.filter(
            person_id=person.pk, action="change", detail__decision="reject"
        )
        assert decided.count() == 1, person


def test_a_merge_recorded_before_care_plans_had_their_own_app_is_undone(
    smiths: tuple[Person, Person], pad: Program, coordinator: User
) -> None:
    ems, hospital = smiths
    plan = CarePlan.objects.create(
        program=pad, person=hospital, title="Housing first", opened_on=T0.date(), owner=coordinator
    )
    actor = Actor(user=coordinator, where="test")
    merge = merge_people(actor, ems, hospital, {"rows": []})
    assert "care.careplan" in merge.moved
    # As stored before the move: the same tables, named by the app they were in then.
    old_names = {
        label.replace("identity.", "people.").replace("care.", "encounters."): fields
        for label, fields in merge.moved.items()
    }
    Merge.objects.filter(pk=merge.pk).update(moved=old_names)

    unmerge(actor, Merge.objects.get(pk=merge.pk))

    plan.refresh_from_db()
    assert plan.person_id == hospital.pk


def test_an_undo_pressed_twice_at_once_puts_the_rows_back_once(
    smiths: tuple[Person, Person], pad: Program, coordinator: User
) -> None:
    ems, hospital = smiths
    Collateral.objects.create(person=hospital, relationship="sister", name="Jo")
    actor = Actor(user=coordinator, where="test")
    merge = merge_people(actor, ems, hospital, {"rows": []})
    # Both presses read the merge before either undid it, as two requests sent at once do.
    first, second = Merge.objects.get(pk=merge.pk), Merge.objects.get(pk=merge.pk)
    unmerge(actor, first)
    with pytest.raises(ActionError, match="undone already"):
        unmerge(actor, second)
    assert Participation.objects.filter(person=hospital).count() == 1
    assert Collateral.objects.filter(person=hospital).count() == 1
    undone = AuditEvent.objects.filter(action="unmerge", person_id=hospital.pk)
    assert undone.count() == 1


def test_a_merge_keeps_the_earlier_first_seen_of_a_shared_program(
    pad: Program, coordinator: User
) -> None:
    later = known_person(pad, "ems", given_name="Ann", family_name="Lee")
    earlier = known_person(
        pad, "police", seen_at=T0 - dt.timedelta(days=9), given_name="Anne", family_name="Lee"
    )
    merge = merge_people(Actor(user=coordinator), later, earlier, {})
    assert Participation.objects.get(person=later).first_seen_at == T0 - dt.timedelta(days=9)
    unmerge(Actor(user=coordinator), merge)
    assert Participation.objects.get(person=later).first_seen_at == T0
    assert Participation.objects.get(person=earlier).first_seen_at == T0 - dt.timedelta(days=9)


# --- Decisions through the API -------------------------------------------------------


def test_only_a_coordinator_decides_and_a_stale_decision_is_409(
    smiths: tuple[Person, Person], coordinator: User, officer: User, api_client_for: Any
) -> None:
    ems, hospital = smiths
    candidate = candidate_for(smiths)
    url = f"/api/v1/match-candidates/{candidate.pk}/decision"
    body = {"decision": "merge", "version": candidate.version}
    as_officer = api_client_for(officer).post(url, body, content_type="application/json")
    assert as_officer.status_code in (403, 404)
    assert api_client_for(officer).get("/api/v1/match-candidates").status_code == 403
    hospital.refresh_from_db()
    assert hospital.merged_into is None

    client = api_client_for(coordinator)
    listed = client.get("/api/v1/match-candidates").json()
    assert [i["id"] for i in listed["items"]] == [candidate.pk]
    assert {r["level"] for r in listed["items"][0]["evidence"]} >= {"nickname"}
    stale = client.post(
        url,
        {"decision": "merge", "version": candidate.version + 1},
        content_type="application/json",
    )
    assert stale.status_code == 409
    decided = client.post(url, body, content_type="application/json")
    assert decided.status_code == 200
    merge_id = decided.json()["merge_id"]
    assert decided.json()["status"] == "merged"
    again = client.post(url, body, content_type="application/json")
    assert again.status_code == 409
    undone = client.post(f"/api/v1/merges/{merge_id}/undo")
    assert undone.status_code == 200
    assert undone.json()["restored_person_id"] == hospital.pk
    assert client.post(f"/api/v1/merges/{merge_id}/undo").status_code == 422


def test_an_officer_may_not_merge_even_with_the_action(
    smiths: tuple[Person, Person], officer: User
) -> None:
    ems, hospital = smiths
    with pytest.raises((Forbidden, NotVisible)):
        decide_match(Actor(user=officer), candidate_for(smiths), "merge", 1)


# --- Follow-up after a merge ---------------------------------------------------------


def _task(program: Program, person: Person, **fields: Any) -> OutreachTask:
    referral = Referral.objects.create(
        program=program, person=person, pathway="naloxone_plus", received_at=T0
    )
    return OutreachTask.objects.create(
        program=program,
        person=person,
        referral=referral,
        window_start=fields.pop("window_start", T0),
        window_end=T0 + dt.timedelta(hours=72),
        **fields,
    )


def test_a_merge_recomputes_qrt_tiers_and_escalates_one_of_two_open_tasks(
    programs: dict[str, Program],
) -> None:
    qrt = programs["qrt"]
    coordinator = member_of(qrt, Role.COORDINATOR, "qrt-coordinator")
    ems = known_person(qrt, "ems", given_name="Wm.", family_name="Smith")
    hospital = known_person(qrt, "hospital", given_name="Bill", family_name="Smyth")
    ems_task = _task(qrt, ems, priority_tier=1)
    earlier = _task(qrt, hospital, status="closed", window_start=T0 - dt.timedelta(days=20))
    Attempt.objects.create(
        task=earlier,
        attempted_at=T0 - dt.timedelta(days=19),
        channel="home_visit",
        outcome="not_located",
    )
    hospital_task = _task(qrt, hospital, priority_tier=2, window_start=T0 + dt.timedelta(hours=5))

    actor = Actor(user=coordinator)
    merge = merge_people(actor, ems, hospital, {})

    ems_task.refresh_from_db()
    hospital_task.refresh_from_db()
    # Not located on an earlier response: now his history too.
    assert ems_task.priority_tier == 2
    assert (ems_task.status, ems_task.escalations) == ("open", 1)
    assert hospital_task.status == "cancelled"

    unmerge(actor, merge)
    ems_task.refresh_from_db()
    hospital_task.refresh_from_db()
    assert (ems_task.priority_tier, ems_task.escalations, ems_task.status) == (1, 0, "open")
    assert (hospital_task.person_id, hospital_task.status) == (hospital.pk, "open")
    assert hospital_task.priority_tier == 2
    restored = AuditEvent.objects.filter(detail__restored="merge undone")
    assert sorted(restored.values_list("object_id", flat=True)) == sorted(
        [str(ems_task.pk), str(hospital_task.pk)]
    )


# --- Earlier contacts on the referral form -------------------------------------------


def test_the_referral_form_offers_earlier_contacts_as_the_user_types(
    smiths: tuple[Person, Person], coordinator: User, pad: Program
) -> None:
    ems, _hospital = smiths
    client = Client()
    client.force_login(coordinator)
    form = client.get("/programs/pad/referrals/new/officer_intervention/")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'hx-get="/people/matches/suggest/?program=pad"' in html
    for name in ("given_name", "family_name", "birth_date", "phone"):
        assert f'id="id_{name}"' in html
    assert 'aria-live="polite"' in html
    assert "Check for earlier contacts" in html
    query = {"given_name": "Bill", "family_name": "Smyth", "birth_date": "1985-07-03"}
    fragment = client.get("/people/matches/suggest/", query, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert "<html" not in text
    assert "Smith, Wm." in text
    assert "day and month swapped (a strong sign of one person)" in text
    assert not re.search(r"\([+-]\d", text)  # weights are for the review queue, not here
    assert "Police Assisted Diversion" in text or pad.name in text
    page = client.get("/people/matches/suggest/", query)
    assert "<html" in page.content.decode()
    assert "Smith, Wm." in page.content.decode()


def test_an_earlier_contact_the_guard_holds_back_reads_look_first_and_why(
    coordinator: User, pad: Program
) -> None:
    # A father known to the program; his son, reported without a birth date, scores high
    # for him on name, phone and address: the suggestion says what tells them apart.
    home: dict[str, Any] = {"phone": "508-555-0142", "address": "9 Oak Street"}
    known_person(pad, "police", given_name="John", family_name="Smith Sr", **home)
    client = Client()
    client.force_login(coordinator)
    query = {"given_name": "John", "family_name": "Smith Jr", **home}
    text = client.get("/people/matches/suggest/", query, headers={"HX-Request": "true"})
    html = text.content.decode()
    assert "Smith Sr, John" in html
    assert (
        "Look first</span> Name suffixes differ (such as Jr and Sr): could be father and son."
        in html
    )


def test_someone_sharing_only_a_birth_date_is_not_offered_as_an_earlier_contact(
    coordinator: User, pad: Program
) -> None:
    known_person(
        pad, "police", given_name="Quentin", family_name="Abara", birth_date=dt.date(1985, 7, 3)
    )
    client = Client()
    client.force_login(coordinator)
    query = {"given_name": "Bill", "family_name": "Smyth", "birth_date": "1985-07-03"}
    html = client.get("/people/matches/suggest/", query, headers={"HX-Request": "true"})
    assert "Abara" not in html.content.decode()


def test_index_people_backfills_people_known_before_identity_resolution(pad: Program) -> None:
    from django.core.management import call_command

    old = Person.objects.create(
        given_name="Rita", family_name="Moreno", birth_date=dt.date(1980, 2, 1)
    )
    Participation.objects.create(person=old, program=pad, first_seen_at=T0)
    indexed = known_person(pad, "ems", given_name="Ann", family_name="Lee")
    call_command("index_people", stdout=io.StringIO())
    call_command("index_people", stdout=io.StringIO())
    record = SourceRecord.objects.get(person=old)
    assert (record.program, record.received_at, record.given_name) == (pad, T0, "Rita")
    assert PersonKey.objects.filter(person=old, key="dob:1980-02-01").exists()
    assert SourceRecord.objects.filter(person=indexed).count() == 1


def test_the_no_script_check_posts_so_the_form_token_stays_out_of_urls(
    coordinator: User, client: Any
) -> None:
    user = coordinator
    client.force_login(user)
    page = client.post("/people/matches/suggest/", {"given_name": "Nobody", "family_name": "Known"})
    assert page.status_code == 200
    form = Client(enforce_csrf_checks=True)
    form.force_login(user)
    assert form.post("/people/matches/suggest/", {"given_name": "X"}).status_code == 403


def test_a_reported_date_or_year_of_another_type_is_not_reported() -> None:
    given = SourceRecordInput.from_reported(
        {
            "given_name": "Ana",
            "birth_date": "1985-03-07",
            "birth_year": "1985",
            "event_date": dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC),
        }
    )
    assert (given.birth_date, given.birth_year, given.event_date) == (None, None, None)
    assert SourceRecordInput.from_reported({"birth_year": True}).birth_year is None
    typed = SourceRecordInput.from_reported(
        {"birth_date": dt.date(1985, 3, 7), "event_date": dt.date(2026, 3, 1)}
    )
    assert typed.birth_date == dt.date(1985, 3, 7) and typed.event_date == dt.date(2026, 3, 1)
    assert SourceRecordInput.from_reported({"birth_year": 1985}).birth_year == 1985


def test_recent_merges_name_both_records_for_a_reader_of_identity_and_the_read_is_audited(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    ems, hospital = smiths
    merge = merge_people(SYSTEM, ems, hospital, {"probability": 0.999, "rows": []})
    page = signed_in(coordinator).get("/people/matches/").content.decode()
    recent = page.split("<h2>Recent merges</h2>", 1)[1]
    assert f"Wm. Smith (person {merge.kept_id})" in recent
    assert f"Bill Smyth (person {merge.merged_id})" in recent
    assert f"Undo merge of Bill Smyth (person {merge.merged_id})" in recent
    read = AuditEvent.objects.filter(
        action="read", object_type="people.matchcandidate", actor=coordinator, person_id=None
    ).latest("id")
    assert {ems.pk, hospital.pk} <= set(read.detail["person_ids"])


def weighed_pairs(program: Program, count: int) -> list[MatchCandidate]:
    """`count` pending pairs the matching job weighed, each naming the two reports it compared
    and a report of a death naming the first record."""
    candidates = []
    for n in range(count):
        first = known_person(program, "ems", given_name="Wm.", family_name=f"Smith{n}")
        second = known_person(program, "hospital", given_name="Bill", family_name=f"Smyth{n}")
        candidate = candidate_for((first, second))
        records = [first.source_records.get().pk, second.source_records.get().pk]
        death = {
            "overdose": n + 1,
            "program": program.slug,
            "on": "2026-01-02",
            "named": first.pk,
            "reported_by": "ems",
        }
        evidence = {**candidate.evidence, "records": records, "death_reported": death}
        MatchCandidate.objects.filter(pk=candidate.pk).update(evidence=evidence)
        candidates.append(candidate)
    return candidates


def test_the_review_page_costs_the_same_queries_for_more_pairs(
    pad: Program, coordinator: User
) -> None:
    weighed_pairs(pad, 2)
    client = signed_in(coordinator)
    client.get("/people/matches/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/people/matches/").status_code == 200
    weighed_pairs(pad, 6)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/people/matches/").content.decode()
    assert page.count("The two reports compared") == 8
    assert page.count("A report of a fatal overdose") == 8
    assert len(many) == len(few)


def test_the_candidate_list_costs_the_same_queries_for_more_pairs(
    pad: Program, coordinator: User, api_client_for: Any
) -> None:
    weighed_pairs(pad, 2)
    client = api_client_for(coordinator)
    client.get("/api/v1/match-candidates")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/match-candidates").status_code == 200
    weighed_pairs(pad, 6)
    with CaptureQueriesContext(connection) as many:
        items = client.get("/api/v1/match-candidates").json()["items"]
    assert len(items) == 8
    assert all(item["death_reported"] for item in items)
    assert len(many) == len(few)


def review_rows(html: str, caption: str) -> dict[str, str]:
    """Each row of the review table under `caption`, by its field, as the row's HTML."""
    table = html[html.index(caption) :]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<tr[^>]*>\s*<th scope="row">(.*?)</tr>', table, re.S)
    return {re.sub(r"<.*", "", row, flags=re.S).strip(): row for row in rows}


def test_the_review_page_marks_the_fields_where_the_two_records_differ(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    ems, hospital = smiths
    Person.objects.filter(pk=ems.pk).update(address="9 Elm St", family_name="SMYTH ")
    Person.objects.filter(pk=hospital.pk).update(address="9 Elm St")
    candidate_for(smiths)
    html = signed_in(coordinator).get("/people/matches/").content.decode()
    rows = review_rows(html, "The two records side by side")
    differ = {field for field, row in rows.items() if "Differs" in row}
    # Wm. and Bill, and two birth dates; the same name written in capitals agrees, a
    # phone only one record gives and a sex neither gives are not a difference.
    assert differ == {"Given name", "Birth date"}
    assert set(rows) == {"Given name", "Family name", "Birth date", "Sex", "Phone", "Address"}


def test_a_year_of_birth_alone_differs_only_from_a_birth_date_in_another_year(
    pad: Program, coordinator: User
) -> None:
    rosa: dict[str, Any] = {"given_name": "Rosa", "family_name": "Delgado"}
    dated = known_person(pad, "ems", birth_date=dt.date(1979, 11, 2), **rosa)
    for year in (1979, 1981):
        propose_match(SYSTEM, dated, known_person(pad, "police", birth_year=year, **rosa), 0.8, {})
    html = signed_in(coordinator).get("/people/matches/").content.decode()
    pairs = html.split('<section class="margin-bottom-5')[1:]
    marked = {
        "1981" in pair: "Differs" in review_rows(pair, "The two records side by side")["Birth date"]
        for pair in pairs
    }
    assert marked == {False: False, True: True}


@pytest.mark.parametrize(
    ("decision", "said"),
    [
        ("merge", "These two were merged already"),
        ("reject", "These two were kept apart already"),
    ],
)
def test_a_decision_sent_twice_from_the_review_page_stands_once_and_says_so(
    smiths: tuple[Person, Person], coordinator: User, decision: str, said: str
) -> None:
    candidate = candidate_for(smiths)
    client = signed_in(coordinator)
    url = f"/people/matches/{candidate.pk}/decision/"
    sent = {"decision": decision, "version": candidate.version, "page": "1"}
    assert client.post(url, sent).status_code == 302
    events = AuditEvent.objects.latest("id").pk
    # A double tap, or Back and the same button again: the pair stands as decided.
    again = client.post(url, sent, follow=True)
    assert again.redirect_chain == [("/people/matches/", 302)]
    page = again.content.decode()
    assert said in page and "Someone decided about this pair already" not in page
    assert Merge.objects.count() == (1 if decision == "merge" else 0)
    candidate.refresh_from_db()
    assert candidate.version == 2
    assert not AuditEvent.objects.filter(pk__gt=events).exclude(action="read").exists()


def test_the_review_page_says_what_each_weight_of_the_evidence_means(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    candidate = candidate_for(smiths)
    html = signed_in(coordinator).get("/people/matches/").content.decode()
    rows = review_rows(html, "Evidence: how each comparison came out")
    nickname = next(r for r in candidate.evidence["rows"] if r["level"] == "nickname")
    assert nickname["weight"] > 0
    assert "sign of one person" in rows["Given name"]
    assert "Above 0 points to one person, below 0 to two" in html
