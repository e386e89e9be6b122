"""A pair on the review queue weighed again (a batch run of `dedupe_registry`, a new report
naming one of the two): with the same evidence nothing is saved, so a coordinator who loaded
the queue decides as they saw it; with new evidence the pair waits at a new version, and a
decision taken on the old one is told the evidence changed, the pair shown again to decide,
never that someone decided about it."""

from __future__ import annotations

import copy
import datetime as dt
import io
from typing import Any, cast

import pytest
from django.core.management import call_command

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.identity.actions import (
    Evidence,
    SourceRecordInput,
    propose_match,
    record_source,
)
from coresponder.identity.models import MatchCandidate
from coresponder.identity.tests.test_identity import candidate_for, signed_in, smiths
from coresponder.identity.views import EVIDENCE_UPDATED, STALE_MESSAGE
from coresponder.people.models import Person
from coresponder.programs.models import User

pytestmark = pytest.mark.django_db
__all__ = ["smiths"]  # the fixture, used by name


def weighed_again(candidate: MatchCandidate, **changed: Any) -> MatchCandidate | None:
    """The pair proposed again, as a batch run or a new report does, with its evidence
    as stored (JSON) and whatever `changed` says."""
    evidence = cast(Evidence, {**copy.deepcopy(candidate.evidence), **changed})
    probability = float(changed.get("probability", candidate.probability))
    return propose_match(SYSTEM, candidate.person_a, candidate.person_b, probability, evidence)


def changes_of(candidate: MatchCandidate) -> int:
    return AuditEvent.objects.filter(
        object_type="people.matchcandidate", object_id=str(candidate.pk), action="change"
    ).count()


def test_a_pair_weighed_again_with_the_same_evidence_is_not_saved_again(
    smiths: tuple[Person, Person],
) -> None:
    candidate = candidate_for(smiths)
    events = AuditEvent.objects.count()

    again = weighed_again(candidate)

    assert again is not None and again.pk == candidate.pk
    stored = MatchCandidate.objects.get(pk=candidate.pk)
    assert (stored.version, stored.evidence, stored.probability) == (
        1,
        candidate.evidence,
        candidate.probability,
    )
    assert AuditEvent.objects.count() == events


def test_a_pair_scored_afresh_with_the_same_result_is_not_saved_again(
    smiths: tuple[Person, Person],
) -> None:
    candidate = candidate_for(smiths)

    candidate_for(smiths)  # the same two records scored again from scratch

    assert MatchCandidate.objects.get(pk=candidate.pk).version == 1
    assert changes_of(candidate) == 0


def test_a_pair_weighed_again_with_new_evidence_is_saved_and_audited(
    smiths: tuple[Person, Person],
) -> None:
    candidate = candidate_for(smiths)

    weighed_again(candidate, overdose_report=["Named in an overdose report"], probability=0.97)

    stored = MatchCandidate.objects.get(pk=candidate.pk)
    assert stored.version == 2 and stored.probability == 0.97
    assert stored.evidence["overdose_report"] == ["Named in an overdose report"]
    assert changes_of(candidate) == 2  # one event under each person


def test_a_decision_on_a_pair_weighed_again_alike_is_taken(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    candidate = candidate_for(smiths)
    client = signed_in(coordinator)
    client.get("/people/matches/")  # the queue, read at version 1
    weighed_again(candidate)

    response = client.post(
        f"/people/matches/{candidate.pk}/decision/", {"decision": "reject", "version": 1}
    )

    assert response.status_code == 302
    assert MatchCandidate.objects.get(pk=candidate.pk).status == "rejected"


def test_a_decision_on_a_pair_whose_evidence_changed_says_so_and_shows_it_again(
    smiths: tuple[Person, Person], coordinator: User
) -> None:
    candidate = candidate_for(smiths)
    client = signed_in(coordinator)
    weighed_again(candidate, overdose_report=["Named in an overdose report"], probability=0.97)

    response = client.post(
        f"/people/matches/{candidate.pk}/decision/", {"decision": "reject", "version": 1}
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert EVIDENCE_UPDATED.format(pair=candidate.pk) in page
    assert STALE_MESSAGE not in page and "decided about this pair" not in page
    # Shown again, at its new version and with its new probability, to decide.
    assert f'id="pair-{candidate.pk}"' in page and "probability 0.970" in page
    assert 'name="version" value="2"' in page
    stored = MatchCandidate.objects.get(pk=candidate.pk)
    assert (stored.status, stored.version) == ("pending", 2)
    decided = client.post(
        f"/people/matches/{candidate.pk}/decision/", {"decision": "reject", "version": 2}
    )
    assert decided.status_code == 302
    assert MatchCandidate.objects.get(pk=candidate.pk).status == "rejected"


def test_a_batch_run_over_unchanged_records_saves_no_pair_again(
    smiths: tuple[Person, Person],
) -> None:
    ems, _hospital = smiths
    # A second report of the EMS patient, weighing against the hospital's another way.
    record_source(
        SYSTEM,
        ems,
        None,
        "police",
        SourceRecordInput(given_name="Bill", family_name="Smith", birth_date=dt.date(1985, 3, 7)),
    )
    call_command("dedupe_registry", stdout=io.StringIO())
    candidate = MatchCandidate.objects.get(status="pending")
    assert candidate.version == 1  # weighed once, on the stronger pair of reports
    events = AuditEvent.objects.count()

    call_command("dedupe_registry", stdout=io.StringIO())

    assert MatchCandidate.objects.get(pk=candidate.pk).version == 1
    assert AuditEvent.objects.filter(object_type="people.matchcandidate").count() == 2
    assert AuditEvent.objects.count() - events <= 1  # the run's own event, if any


def test_a_batch_run_that_finds_what_the_queue_shows_in_other_words_saves_nothing(
    smiths: tuple[Person, Person],
) -> None:
    call_command("dedupe_registry", stdout=io.StringIO())
    candidate = MatchCandidate.objects.get(status="pending")
    # Queued by another proposer, who wrote the same levels with its own words and rounding.
    written = {
        "rows": [
            {**row, "weight": round(row["weight"], 2), "description": "as the scorer said it"}
            for row in candidate.evidence["rows"]
        ],
        "weight": 3.5,
        "probability": candidate.probability,
        "source": "demo data",
    }
    MatchCandidate.objects.filter(pk=candidate.pk).update(evidence=written)

    call_command("dedupe_registry", stdout=io.StringIO())

    stored = MatchCandidate.objects.get(pk=candidate.pk)
    assert (stored.version, stored.evidence["source"]) == (1, "demo data")
