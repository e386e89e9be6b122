"""The reports room's one write path: the coordinator's quarterly narrative, and the daily facts."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from coresponder.core.audit import SYSTEM, Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.models import AuditEvent
from coresponder.core.tracked import save_tracked
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import role_in
from coresponder.programs.models import Program
from coresponder.reports.fact_build import collect
from coresponder.reports.models import (
    NARRATIVE_FIELDS,
    NARRATIVE_MAX_CHARS,
    MetricBuild,
    MetricDay,
    MetricKey,
    QuarterlyNarrative,
)


def may_write_narrative(user: Any, program: Program) -> bool:
    """Coordinators answer to funders for their program, so they write its narrative."""
    return bool(user is not None and role_in(user, program) is Role.COORDINATOR)


def narrative_of(program: Program, year: int, quarter: int) -> QuarterlyNarrative:
    """The stored narrative, or an unsaved empty one (version 0 means not yet written)."""
    found = QuarterlyNarrative.objects.filter(program=program, year=year, quarter=quarter).first()
    if found is not None:
        return found
    return QuarterlyNarrative(program=program, year=year, quarter=quarter, version=0)


@dataclass(frozen=True)
class NarrativeInput:
    """What a coordinator writes about a quarter, one text per part of the narrative."""

    highlights: str = ""
    challenges: str = ""
    next_steps: str = ""
    success_story: str = ""


def _check(year: int, quarter: int, data: NarrativeInput) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    if not 2000 <= year <= 2100:
        errors["year"] = ["Give a year from 2000 to 2100."]
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = ["Give a quarter from 1 to 4."]
    given = asdict(data)
    values = {}
    for name in NARRATIVE_FIELDS:
        text = str(given[name] or "").replace("\x00", "").strip()
        if len(text) > NARRATIVE_MAX_CHARS:
            errors[name] = [f"Keep this to {NARRATIVE_MAX_CHARS} characters ({len(text)} now)."]
        values[name] = text
    if errors:
        raise ActionError("The narrative was not saved.", errors)
    return values


def save_narrative(
    actor: Actor,
    program: Program,
    year: int,
    quarter: int,
    data: NarrativeInput,
    version: int | None,
) -> QuarterlyNarrative:
    """Write the quarter's narrative against the version the coordinator saw.

    `version` 0 or None writes a first narrative; if someone wrote one meanwhile
    the write is stale, as is any write naming a version that moved on.
    """
    if not may_write_narrative(actor.user_or_none, program):
        raise Forbidden("Only the program's coordinators write the quarterly narrative.")
    values = _check(year, quarter, data)
    expected = version or 0
    with transaction.atomic():
        narrative = (
            QuarterlyNarrative.objects.select_for_update()
            .filter(program=program, year=year, quarter=quarter)
            .first()
        )
        if narrative is None:
            narrative = QuarterlyNarrative(program=program, year=year, quarter=quarter, **values)
            try:
                with transaction.atomic():
                    save_tracked(narrative, actor.user_or_none)
            except IntegrityError as exc:
                # A coordinator wrote the first narrative while this one was being typed.
                current = narrative_of(program, year, quarter)
                raise StaleVersion(current, expected) from exc
            action, changed = "create", sorted(k for k, v in values.items() if v)
        else:
            if expected != narrative.version:
                raise StaleVersion(narrative, expected)
            changed = sorted(k for k, v in values.items() if getattr(narrative, k) != v)
            for name, text in values.items():
                setattr(narrative, name, text)
            save_tracked(narrative, actor.user_or_none, expected_version=expected)
            action = "change"
        record_event(
            actor,
            action,
            obj=narrative,
            program_slug=program.slug,
            detail={"year": year, "quarter": quarter, "changed": changed},
        )
    return narrative


# --- The daily facts the metrics sum (ADR 0012) ---------------------------------

METRIC_DAYS = "reports.metric_days"
# Audit actions that change no record the metrics read.
NOT_WRITES = (
    AuditEvent.Action.READ,
    AuditEvent.Action.LOGON,
    AuditEvent.Action.LOGOFF,
    AuditEvent.Action.EXPORT,
)
# Records no metric counts, written often and filed under no program: reminders, sent by
# the worker's passes and read by staff. Counted as changes, they would rebuild every
# program's daily facts on nearly every pass.
NOT_COUNTED = ("outreach.notice",)
DEFAULT_REFRESH_SECONDS = 300


def build_metric_days(program: Program, actor: Actor = SYSTEM) -> MetricBuild:
    """Rebuild the program's daily facts from its records and replace the old ones at once.

    The records are read first (outside the write, which stays short); the rows
    are then replaced in one transaction with the build's record and one audit
    event, which names no person. Figures read from the rows are as of `as_of`.
    """
    began = time.monotonic()
    watermark = AuditEvent.objects.aggregate(top=Max("id"))["top"] or 0
    collected = collect(program, timezone.now())
    with transaction.atomic():
        # One build of a program writes at a time; the next deletes what this one wrote.
        Program.objects.select_for_update().filter(pk=program.pk).first()
        MetricDay.objects.filter(program=program).delete()
        MetricDay.objects.bulk_create(collected.rows, batch_size=2000)
        # A build running at the same time may have numbered some of these keys: its
        # numbers stay. Each build's rows use its own numbering, and replace all rows.
        MetricKey.objects.bulk_create(collected.new_keys, batch_size=2000, ignore_conflicts=True)
        seconds = round(time.monotonic() - began, 3)
        build, _ = MetricBuild.objects.update_or_create(
            program=program,
            defaults={
                "as_of": collected.as_of,
                "audit_watermark": watermark,
                "seconds": seconds,
                "rows": len(collected.rows),
            },
        )
        record_event(
            actor,
            AuditEvent.Action.CHANGE,
            object_type=METRIC_DAYS,
            object_id=program.pk,
            program_slug=program.slug,
            detail={
                "rows": len(collected.rows),
                "as_of": collected.as_of.isoformat(),
                "seconds": seconds,
            },
        )
    return build


def metric_days_due(program: Program, now: dt.datetime) -> bool:
    """Never built, or records changed since the last build and it is older than the interval.

    A change is an audit event of a write filed under the program, or under no
    program (a merge of people), after the build's watermark; reminders are not.
    """
    build = MetricBuild.objects.filter(program=program).first()
    if build is None:
        return True
    refresh = getattr(settings, "METRIC_DAYS_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS)
    if now - build.as_of < dt.timedelta(seconds=refresh):
        return False
    return (
        AuditEvent.objects.filter(id__gt=build.audit_watermark)
        .filter(Q(program_slug=program.slug) | Q(program_slug=""))
        .exclude(action__in=NOT_WRITES)
        .exclude(object_type__in=(METRIC_DAYS, *NOT_COUNTED))
        .exists()
    )


# Figures older than this many refresh intervals, with records changed since, mean the
# worker that refreshes them is not running.
OVERDUE_INTERVALS = 6


def figures_overdue(program: Program, now: dt.datetime) -> bool:
    """The daily facts should have been rebuilt long ago and were not: records changed
    after a build older than several refresh intervals."""
    build = MetricBuild.objects.filter(program=program).first()
    if build is None:
        return False
    refresh = getattr(settings, "METRIC_DAYS_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS)
    if now - build.as_of < dt.timedelta(seconds=refresh * OVERDUE_INTERVALS):
        return False
    return metric_days_due(program, now)


def refresh_metric_days(now: dt.datetime, actor: Actor = SYSTEM) -> int:
    """Rebuild each program whose daily facts are due (the worker's step); how many were."""
    built = 0
    for program in Program.objects.order_by("pk"):
        if metric_days_due(program, now):
            build_metric_days(program, actor)
            built += 1
    return built
