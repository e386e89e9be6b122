"""Backfill source records and blocking keys for people known before identity resolution."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Min

from coresponder.core.audit import SYSTEM, record_event
from coresponder.people.identity_actions import keys_for, own_record_for
from coresponder.people.models import Participation, Person, PersonKey, SourceRecord
from coresponder.programs.models import Program

BATCH = 1000


class Command(BaseCommand):
    help = "Index people without a source record, so online matching can find them; idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        todo = Person.objects.filter(
            merged_into__isnull=True, source_records__isnull=True
        ).order_by("pk")
        ids = list(todo.values_list("pk", flat=True))
        programs = Program.objects.in_bulk()
        indexed = 0
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            indexed += self._index(batch, programs)
        with transaction.atomic():
            record_event(
                SYSTEM,
                "create",
                object_type="people.sourcerecord",
                fields=["identity", "contact"],
                detail={"backfill": True, "people": indexed},
            )
        self.stdout.write(f"indexed {indexed} people")

    def _index(self, person_ids: list[int], programs: dict[Any, Program]) -> int:
        first = {
            row["person_id"]: (row["first"], row["program"])
            for row in Participation.objects.filter(person_id__in=person_ids)
            .values("person_id")
            .annotate(first=Min("first_seen_at"), program=Min("program_id"))
        }
        records = []
        for person in Person.objects.filter(pk__in=person_ids).order_by("pk"):
            seen_at, program_id = first.get(person.pk, (person.created_at, None))
            # The same own record a person added today gets, so later edits move it on.
            records.append(own_record_for(person, programs.get(program_id), seen_at))
        with transaction.atomic():
            saved = SourceRecord.objects.bulk_create(records)
            PersonKey.objects.bulk_create([key for record in saved for key in keys_for(record)])
        return len(saved)
