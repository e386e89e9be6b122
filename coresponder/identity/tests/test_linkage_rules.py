"""Field-data rules at work: twins, a father and son and placeholder names go to review."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.linkage import COUNTED_ONCE, Record, blocking_keys, normalise
from coresponder.identity.actions import Evidence, SourceRecordInput, propose_match, record_source
from coresponder.identity.apps import use_deployment_placeholder_names
from coresponder.identity.models import MatchCandidate, Merge, PersonKey
from coresponder.people.models import Participation, Person
from coresponder.programs.models import Program, User

T0 = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
HOME = {
    "family_name": "Lopez",
    "birth_date": dt.date(1990, 7, 8),
    "phone": "2155550100",
    "address": "12 Main St",
}


def known(program: Program, source: str, **fields: Any) -> Person:
    person = Person.objects.create(**fields)
    Participation.objects.create(person=person, program=program, first_seen_at=T0)
    record_source(
        SYSTEM, person, program, source, SourceRecordInput.from_reported(fields, received_at=T0)
    )
    return person


def dedupe() -> str:
    out = io.StringIO()
    call_command("dedupe_registry", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_dedupe_merges_a_sure_pair_and_holds_back_twins_with_the_reason(pad: Program) -> None:
    maria = known(pad, "ems", given_name="Maria", sex="female", **HOME)
    maria_again = known(pad, "hospital", given_name="Maria", sex="female", **HOME)
    teresa = known(pad, "ems", given_name="Teresa", sex="female", **HOME)
    out = dedupe()
    assert "held back" in out
    merge = Merge.objects.get()
    assert {merge.kept_id, merge.merged_id} == {maria.pk, maria_again.pk}
    candidate = MatchCandidate.objects.get()
    assert teresa.pk in {candidate.person_a_id, candidate.person_b_id}
    assert candidate.probability >= 0.99
    assert candidate.evidence["held_back"] == "Given names differ: could be twins or siblings"
    levels = {row["comparison"]: row["level"] for row in candidate.evidence["rows"]}
    assert levels["given_name"] == "else" and levels["birth_date"] == "exact"


@pytest.mark.django_db
def test_dedupe_never_merges_a_father_and_son_or_two_john_does(pad: Program) -> None:
    known(pad, "ems", given_name="John", sex="male", **{**HOME, "family_name": "Smith Sr"})
    known(pad, "ems", given_name="John Jr", sex="male", **{**HOME, "family_name": "Smith"})
    doe = {"given_name": "John", "family_name": "Doe", "sex": "male", "address": "1 Broad St"}
    known(pad, "ems", **doe, phone="2675550111", birth_date=dt.date(1900, 1, 1))
    known(pad, "hospital", **doe, phone="2675550111", birth_date=dt.date(1900, 1, 1))
    dedupe()
    assert not Merge.objects.exists()
    reasons = {c.evidence.get("held_back", "") for c in MatchCandidate.objects.all()}
    assert any("Jr and Sr" in reason for reason in reasons), reasons


@pytest.mark.django_db
def test_the_review_queue_says_why_in_words_a_coordinator_reads(
    pad: Program, coordinator: User
) -> None:
    ems = known(pad, "ems", given_name="Unknown", family_name="Unknown", phone="2155550100")
    hospital = known(
        pad, "hospital", given_name="Ana", family_name="Reyes", phone="2155550100", birth_year=1971
    )
    evidence: Evidence = {
        "probability": 0.93,
        "rows": [
            {"comparison": "given_name", "level": "placeholder", "weight": 0.0},
            {"comparison": "family_name", "level": "placeholder", "weight": 0.0},
            {"comparison": "name_suffix", "level": "else", "weight": -7.0},
            {"comparison": "birth_date", "level": "year_same", "weight": 5.1},
            {"comparison": "phone", "level": "shared", "weight": 3.3},
        ],
    }
    propose_match(SYSTEM, ems, hospital, 0.93, evidence)
    client = Client()
    client.force_login(coordinator)
    html = client.get("/people/matches/").content.decode()
    assert "Look closely before merging. Placeholder name" in html
    assert "a placeholder name, such as John Doe or Unknown, which says nothing" in html
    assert "different suffixes, such as Jr and Sr" in html
    assert "born the same year, only a year known" in html
    assert "1971 (year only)" in html
    assert "one many people give" in html
    for code in ("year_same", "placeholder<", "name_suffix", ">shared<", "swapped_close"):
        assert code not in html, code


@pytest.mark.django_db
def test_a_household_counts_once_so_a_spouse_is_not_proposed_and_the_screen_says_why(
    pad: Program, coordinator: User, api_client_for: Any
) -> None:
    maria = known(pad, "ems", given_name="Maria", sex="female", **HOME)
    twin_brother = known(pad, "hospital", given_name="Pedro", sex="male", **HOME)
    husband = known(
        pad,
        "ems",
        given_name="Jorge",
        sex="male",
        **{**HOME, "birth_date": dt.date(1986, 11, 30)},
    )
    dedupe()
    pairs = {frozenset((c.person_a_id, c.person_b_id)): c for c in MatchCandidate.objects.all()}
    # The husband shares only the home; a twin also shares the birth date, so a person looks.
    assert frozenset((maria.pk, husband.pk)) not in pairs
    twins = pairs[frozenset((maria.pk, twin_brother.pk))]
    weights = {row["comparison"]: row["weight"] for row in twins.evidence["rows"]}
    assert weights["phone"] > 0 and weights["family_name"] == weights["address"] == 0
    client = Client()
    client.force_login(coordinator)
    html = client.get("/people/matches/").content.decode()
    assert f"same address ({COUNTED_ONCE})" in html
    assert "Look closely before merging. Given names differ: could be twins or siblings" in html
    # The API gives the same words beside the codes.
    listed = api_client_for(coordinator).get("/api/v1/match-candidates").json()
    (item,) = [i for i in listed["items"] if i["id"] == twins.pk]
    rows = {row["comparison"]: row for row in item["evidence"]}
    assert rows["address"]["description"] == f"same address ({COUNTED_ONCE})"
    assert rows["phone"]["description"] == "same phone number"


def test_a_deployment_names_its_own_placeholders_in_a_setting(settings: Any) -> None:
    test_patient = Record(given="Zztest", family="Lopez", birth_date=dt.date(1980, 5, 6))
    assert normalise(test_patient).given == "zztest"
    settings.LINKAGE_PLACEHOLDER_NAMES = ["ZZTEST"]
    try:
        use_deployment_placeholder_names()
        assert normalise(test_patient).given_placeholder
        assert not any(key.startswith("gf:") for key in blocking_keys(test_patient))
    finally:
        settings.LINKAGE_PLACEHOLDER_NAMES = []
        use_deployment_placeholder_names()
    assert normalise(test_patient).given == "zztest"


@pytest.mark.django_db
def test_rekeying_the_registry_drops_keys_the_rules_no_longer_give(pad: Program) -> None:
    doe = known(pad, "ems", given_name="John", family_name="Doe", phone="2675550111")
    record = doe.source_records.get()
    PersonKey.objects.create(key="gf:john:D000", person=doe, source_record=record)
    out = io.StringIO()
    call_command("rekey_registry", stdout=out)
    assert "rekeyed 1 source records" in out.getvalue()
    keys = set(PersonKey.objects.filter(source_record=record).values_list("key", flat=True))
    assert keys == {"ph:5550111"}
    event = AuditEvent.objects.filter(detail__rekeyed=True).get()
    assert event.detail["keys_before"] == 2 and event.detail["keys_after"] == 1
