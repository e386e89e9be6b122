"""Deduplicate the whole registry: merge the near-certain pairs, queue the doubtful ones."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from coresponder.core.audit import Actor
from coresponder.domain.linkage import Params, explain, merge_caution, params_from_json
from coresponder.identity.actions import (
    Evidence,
    EvidenceRow,
    decided_apart,
    merge_people,
    propose_match,
)
from coresponder.identity.linkage_model import ScoredPair, load_source_records, predict_pairs
from coresponder.identity.models import LinkageModel
from coresponder.people.models import Person
from coresponder.privacy.access import people_may_link

JOB = Actor(label="dedupe_registry", where="cli")


def evidence_for(pair: ScoredPair, params: Params, held_back: str | None = None) -> Evidence:
    """What the review screen shows: each comparison's level and match weight, and why a
    pair sure enough to merge was held back for a person to look at."""
    # Stored under "rows", as online matching stores its evidence, so the review queue
    # shows them (`identity.actions.evidence_rows`).
    rows: list[EvidenceRow] = [
        {"comparison": name, "level": level, "weight": round(weight, 3)}
        for name, level, weight in explain(pair.vector, params)
    ]
    evidence: Evidence = {
        "probability": pair.probability,
        "records": [pair.a, pair.b],
        "rows": rows,
    }
    if held_back is not None:
        evidence["held_back"] = held_back
    return evidence


class Command(BaseCommand):
    help = "Score every pair of source records sharing a blocking key; merge or queue for review."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--merge-threshold",
            type=float,
            default=getattr(settings, "LINKAGE_MERGE_THRESHOLD", 0.99),
        )
        parser.add_argument(
            "--review-threshold",
            type=float,
            default=getattr(settings, "LINKAGE_REVIEW_THRESHOLD", 0.5),
        )
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        merge_at, review_at = options["merge_threshold"], options["review_threshold"]
        active = LinkageModel.objects.filter(active=True).first()
        params = params_from_json(active.params if active else None)
        rows = load_source_records()
        person_of = {rid: person_id for rid, _, person_id in rows}
        record_of = {rid: record for rid, record, _ in rows}
        pairs = predict_pairs(((rid, rec) for rid, rec, _ in rows), params, review_at)
        # Most certain first, so a chain of merges follows the strongest evidence.
        pairs.sort(key=lambda p: -p.probability)
        merged = proposed = apart = guarded = decided = 0
        # Two people with several reports each are weighed once a run, on the strongest
        # pair of their reports (pairs come most certain first): weighing them again on a
        # weaker one would change the pair's evidence back and forth on every run.
        queued: set[tuple[int, int]] = set()
        for pair in pairs:
            a = Person.objects.filter(pk=person_of[pair.a]).first()
            b = Person.objects.filter(pk=person_of[pair.b]).first()
            if a is None or b is None:
                continue
            # Follow earlier merges to the person each record now belongs to.
            while a.merged_into_id is not None:
                a = Person.objects.get(pk=a.merged_into_id)
            while b.merged_into_id is not None:
                b = Person.objects.get(pk=b.merged_into_id)
            if a.pk == b.pk:
                continue
            if not people_may_link(a, b):
                # Programs without a data-sharing agreement keep their people apart.
                apart += 1
                continue
            if decided_apart(a, b):
                # A coordinator said two people (a pair rejected, a merge undone).
                decided += 1
                continue
            keep, other = (a, b) if a.pk < b.pk else (b, a)
            sure = pair.probability >= merge_at
            # Twins, a father and son, a placeholder name: sure by the weights, yet a
            # person decides.
            caution = merge_caution(record_of[pair.a], record_of[pair.b], pair.vector)
            held_back = caution if sure else None
            evidence = evidence_for(pair, params, held_back)
            if options["dry_run"]:
                continue
            if sure and held_back is None:
                merge_people(JOB, keep, other, evidence)
                merged += 1
            elif (keep.pk, other.pk) not in queued:
                propose_match(JOB, keep, other, pair.probability, evidence)
                queued.add((keep.pk, other.pk))
                proposed += 1
                guarded += held_back is not None
        self.stdout.write(
            f"{len(pairs)} pairs at or above {review_at}: {merged} merged, {proposed} for review "
            f"({guarded} of them sure but held back: twins, suffixes, placeholders), "
            f"{apart} kept apart (programs that do not share data), {decided} a coordinator "
            "decided are two people."
        )
