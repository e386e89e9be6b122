"""Removing demo data before a fresh load (`demo_data --replace`).

Demo people are those with a referral on the demo channel, the pairs the demo
put on the review queue (`demo/review.py`) and the people it added beside a pair (the
shelter's other residents, named in the pair's evidence); everything recorded about them
goes with them (their care plans, records requests, amendments and ways to be reached
too), including what staff added while trying the demo. The county's overdoses from
before the programs began (`demo/history.py`) go too.
The cast (organisations, users, teams, shifts) and the taxonomy stay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from coresponder.care.models import CarePlan
from coresponder.core.audit import Actor, record_event
from coresponder.demo.directory import HSDS_PREFIX
from coresponder.demo.history import history_overdoses
from coresponder.demo.review import DEMO_NEIGHBOURS, DEMO_SOURCE
from coresponder.encounters.models import Encounter
from coresponder.identity.models import MatchCandidate, Merge, SourceRecord
from coresponder.intake.models import Call, Overdose, Referral
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Amendment, ContactRequest, Person, RecordsRequest
from coresponder.privacy.models import Consent, Disclosure
from coresponder.services.models import ServiceOrganization, ServiceReferral

# Deleting a few hundred people at a time keeps each IN list within SQLite's limits.
PEOPLE_PER_BATCH = 500


def records_about(ids: list[int]) -> Iterator[QuerySet]:
    """Everything about these people, children before parents (most links PROTECT)."""
    # A pair merged while trying the review queue: the merge's record goes first.
    yield Merge.objects.filter(Q(kept_id__in=ids) | Q(merged_id__in=ids))
    yield MatchCandidate.objects.filter(person_a_id__in=ids)
    yield MatchCandidate.objects.filter(person_b_id__in=ids)
    yield OutreachTask.objects.filter(person_id__in=ids)
    yield Encounter.objects.filter(person_id__in=ids)
    yield ServiceReferral.objects.filter(person_id__in=ids)
    yield Overdose.objects.filter(person_id__in=ids)
    yield Call.objects.filter(person_id__in=ids)
    yield Referral.objects.filter(person_id__in=ids)
    yield Disclosure.objects.filter(person_id__in=ids)
    yield Consent.objects.filter(person_id__in=ids)
    yield SourceRecord.objects.filter(person_id__in=ids)
    yield CarePlan.objects.filter(person_id__in=ids)
    yield RecordsRequest.objects.filter(person_id__in=ids)
    yield Amendment.objects.filter(person_id__in=ids)
    yield ContactRequest.objects.filter(person_id__in=ids)
    yield Person.objects.filter(pk__in=ids)


def _added_beside(evidence: Any) -> list[int]:
    """The ids of the people the demo added beside a pair, as its evidence names them."""
    ids = evidence.get(DEMO_NEIGHBOURS) if isinstance(evidence, dict) else None
    if not isinstance(ids, list):
        return []
    return [pk for pk in ids if isinstance(pk, int) and not isinstance(pk, bool)]


def delete_demo_data(actor: Actor) -> Counter[str]:
    """Delete demo people, their records and the demo directory; returns rows per model."""
    removed: Counter[str] = Counter()

    def delete(queryset: QuerySet) -> None:
        _, per_model = queryset.delete()
        removed.update({label.lower(): count for label, count in per_model.items() if count})

    with transaction.atomic():
        people = (
            Person.objects.filter(referrals__channel=Referral.Channel.DEMO)
            .values_list("pk", flat=True)
            .distinct()
            .order_by("pk")
        )
        found = set(people)
        pairs = MatchCandidate.objects.filter(evidence__source=DEMO_SOURCE)
        for a, b, evidence in pairs.values_list("person_a_id", "person_b_id", "evidence"):
            found.update((a, b))
            found.update(_added_beside(evidence))
        ids = sorted(found)
        for start in range(0, len(ids), PEOPLE_PER_BATCH):
            # A merged person points at the one kept; both go, so the pointer goes first.
            Person.objects.filter(pk__in=ids[start : start + PEOPLE_PER_BATCH]).exclude(
                merged_into=None
            ).update(merged_into=None)
        for start in range(0, len(ids), PEOPLE_PER_BATCH):
            for queryset in records_about(ids[start : start + PEOPLE_PER_BATCH]):
                delete(queryset)
        history = sorted(history_overdoses().values_list("pk", flat=True))
        for start in range(0, len(history), PEOPLE_PER_BATCH):
            delete(Overdose.objects.filter(pk__in=history[start : start + PEOPLE_PER_BATCH]))
        delete(ServiceReferral.objects.filter(service__hsds_id__startswith=HSDS_PREFIX))
        delete(ServiceOrganization.objects.filter(hsds_id__startswith=HSDS_PREFIX))
        record_event(
            actor,
            "delete",
            object_type="demo_data",
            detail={"counts": dict(sorted(removed.items()))},
        )
    return removed
