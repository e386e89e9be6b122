"""A read of the possible-duplicates queue is filed under the program the queue belongs to,
so that program's coordinators find it in their audit log and another program sharing one
of the people does not."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.conftest import member_of
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.identity.models import MatchCandidate
from coresponder.people.models import Participation, Person
from coresponder.privacy.audit_log import audit_scope, reviewable_events
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared() -> dict[str, Any]:
    """A PAD pair whose first person PCO has met too, with each program's coordinator."""
    load_programs(SYSTEM)
    pad, pco = Program.objects.get(slug="pad"), Program.objects.get(slug="pco")
    dana = Person.objects.create(given_name="Dana", family_name="Reyes")
    dane = Person.objects.create(given_name="Dane", family_name="Reyes")
    now = timezone.now()
    for person in (dana, dane):
        Participation.objects.create(person=person, program=pad, first_seen_at=now)
    Participation.objects.create(person=dana, program=pco, first_seen_at=now)
    candidate = MatchCandidate.objects.create(person_a=dana, person_b=dane, probability=0.9)
    return {
        "dana": dana,
        "candidate": candidate,
        "pad_lead": member_of(pad, Role.COORDINATOR, "pad-lead"),
        "pco_lead": member_of(pco, Role.COORDINATOR, "pco-lead"),
    }


def queue_reads(reviewer: Any, by: Any) -> list[AuditEvent]:
    """The reads of the queue by `by` that `reviewer`'s audit log lists."""
    scope = audit_scope(reviewer)
    assert scope is not None
    return list(reviewable_events(scope, {}).filter(actor=by, object_type="people.matchcandidate"))


def test_a_read_of_the_review_page_is_filed_under_the_queues_program(
    shared: dict[str, Any],
) -> None:
    client = Client()
    client.force_login(shared["pad_lead"])

    assert client.get("/people/matches/").status_code == 200

    events = AuditEvent.objects.filter(
        actor=shared["pad_lead"], object_type="people.matchcandidate"
    )
    assert {e.program_slug for e in events} == {"pad"}
    listed = events.get(person_id__isnull=True)
    assert listed.detail["candidates"] == [shared["candidate"].pk]
    # The reading program's coordinator sees the list and each person it showed...
    assert len(queue_reads(shared["pad_lead"], shared["pad_lead"])) == 3
    # ...and PCO's, who shares Dana but not this queue, sees none of it.
    assert queue_reads(shared["pco_lead"], shared["pad_lead"]) == []


def test_a_read_of_the_queue_through_the_api_is_filed_under_the_queues_program(
    shared: dict[str, Any], api_client_for: Any
) -> None:
    answer = api_client_for(shared["pad_lead"]).get("/api/v1/match-candidates")

    assert [i["id"] for i in answer.json()["items"]] == [shared["candidate"].pk]
    events = AuditEvent.objects.filter(
        actor=shared["pad_lead"], object_type="people.matchcandidate"
    )
    assert {e.program_slug for e in events} == {"pad"}
    assert len(queue_reads(shared["pad_lead"], shared["pad_lead"])) == 3
    assert queue_reads(shared["pco_lead"], shared["pad_lead"]) == []


def test_an_empty_queue_is_filed_under_the_one_program_its_reader_decides_in(
    shared: dict[str, Any],
) -> None:
    client = Client()
    client.force_login(shared["pco_lead"])

    assert client.get("/people/matches/").status_code == 200

    listed = AuditEvent.objects.get(actor=shared["pco_lead"], object_type="people.matchcandidate")
    assert listed.program_slug == "pco"
    assert listed.detail["candidates"] == []
