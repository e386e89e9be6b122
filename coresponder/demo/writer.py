"""Batched inserts for the bulk records, parents before children.

Saving row by row through the actions would take hours at the large scale, so
the generator collects unsaved rows and inserts them with `bulk_create` a few
thousand at a time. Children point at parent objects; Django copies the
parent's new primary key into the child's foreign key at insert time.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import models

from coresponder.encounters.models import Encounter, Screening
from coresponder.intake.models import Call, Overdose, OverdoseReport, Referral
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.people.models import Collateral, Participation, Person
from coresponder.privacy.models import Consent, Disclosure
from coresponder.services.models import ServiceReferral, ServiceReferralStatusChange

# Insert order: every model after the models it points to.
BULK_MODELS: tuple[type[models.Model], ...] = (
    Person,
    Collateral,
    Participation,
    Consent,
    Referral,
    Call,
    Overdose,
    OverdoseReport,
    OutreachTask,
    Attempt,
    AttemptContact,
    Encounter,
    Screening,
    ServiceReferral,
    ServiceReferralStatusChange,
    Disclosure,
)

BATCH_SIZE = 2000


def label_of(model: type[models.Model]) -> str:
    return model._meta.label_lower


class BulkWriter:
    """Collects unsaved rows by model; `flush` inserts them in dependency order."""

    def __init__(self) -> None:
        self.pending: dict[type[models.Model], list[Any]] = {model: [] for model in BULK_MODELS}
        # Rows recorded when their story says, not when the demo was loaded.
        self.dated: dict[type[models.Model], list[tuple[Any, dt.datetime]]] = {
            model: [] for model in BULK_MODELS
        }
        self.counts: Counter[str] = Counter()
        # Fields known only once a parent is inserted (its id, said in a text), set then.
        self.finishing: dict[int, Callable[[], None]] = {}

    def add(
        self,
        obj: models.Model,
        *,
        created_at: dt.datetime | None = None,
        finish: Callable[[], None] | None = None,
    ) -> Any:
        self.pending[type(obj)].append(obj)
        if created_at is not None:
            self.dated[type(obj)].append((obj, created_at))
        if finish is not None:
            self.finishing[id(obj)] = finish
        return obj

    def record_at(self, obj: models.Model, when: dt.datetime) -> None:
        """`obj`, added already, was recorded at `when` in the story (known only later)."""
        self.dated[type(obj)].append((obj, when))

    def flush(self) -> None:
        for model in BULK_MODELS:
            rows = self.pending[model]
            if not rows:
                continue
            for row in rows:
                prepare = getattr(row, "prepare_save", None)
                if prepare is not None:
                    prepare()  # bulk inserts skip save(): derived fields set here
                finish = self.finishing.pop(id(row), None)
                if finish is not None:
                    finish()
            model._default_manager.bulk_create(rows, batch_size=BATCH_SIZE)
            self.counts[label_of(model)] += len(rows)
            self.pending[model] = []
            self._backdate(model)

    def _backdate(self, model: type[models.Model]) -> None:
        """An insert stamps `created_at` with the loading time; the story's time replaces it."""
        dated = self.dated[model]
        if not dated:
            return
        for obj, when in dated:
            obj.created_at = when
        model._default_manager.bulk_update(
            [obj for obj, _ in dated], ["created_at"], batch_size=BATCH_SIZE
        )
        self.dated[model] = []
