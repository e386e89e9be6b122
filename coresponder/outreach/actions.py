"""The one write path for follow-up: claims, attempts, the closing checklist, closing and expiry."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.outreach import (
    OVERRIDE_REASON_MIN_LENGTH,
    SpacingConflict,
    after_attempt,
    close_reason_problem,
    expiry_cutoff,
    follow_up_rules,
    missing_checklist,
    spacing_conflict,
)
from coresponder.domain.policy import RecordType
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.outreach.tiers import refresh_priority_tiers
from coresponder.privacy.access import PersonAccess
from coresponder.programs.local_time import format_for_message
from coresponder.programs.models import Program, Team

OPEN_STATUSES = (OutreachTask.Status.OPEN, OutreachTask.Status.CLAIMED)
# Staff may close by hand a task still in the queue, or one that expired unworked.
CLOSABLE_STATUSES = (*OPEN_STATUSES, OutreachTask.Status.COLLECTING, OutreachTask.Status.EXPIRED)
# One audit event names at most this many expired tasks; a longer batch takes several.
EXPIRY_EVENT_IDS = 500


def checklist_of(task: OutreachTask) -> list[tuple[str, str]]:
    return [(i.key, i.label) for i in task.program.rules.closing_checklist]


def _must_write(access: PersonAccess) -> None:
    if not access.may_write(RecordType.OUTREACH):
        raise Forbidden("Your role may not record follow-up.")


def claim_task(actor: Actor, access: PersonAccess, task: OutreachTask, team: Team) -> OutreachTask:
    """A team takes a task. Two teams can never both win: the update is conditional."""
    _must_write(access)
    if team.program_id != task.program_id:
        raise ActionError("That team is not in this program.", {"team_id": ["not in this program"]})
    with transaction.atomic():
        won = OutreachTask.objects.filter(
            pk=task.pk, claimed_by__isnull=True, status=OutreachTask.Status.OPEN
        ).update(
            claimed_by=team,
            status=OutreachTask.Status.CLAIMED,
            version=task.version + 1,
            modified_by=actor.user_or_none,
            modified_at=timezone.now(),
        )
        if not won:
            raise StaleVersion(task, task.version)
        task.refresh_from_db()
        record_event(
            actor,
            "change",
            obj=task,
            person_id=task.person_id,
            program_slug=task.program.slug,
            fields=["outreach"],
            detail={"claimed_by": team.pk},
        )
    return task


def record_attempt(
    actor: Actor, access: PersonAccess, task: OutreachTask, data: dict[str, Any]
) -> Attempt:
    """One try at reaching someone, and what it settles for the task."""
    _must_write(access)
    if task.status == OutreachTask.Status.EXPIRED:
        raise ActionError(
            "This task expired unworked and is on the Missed list.",
            {"task": ["expired; close it with a reason, or open a new one"]},
        )
    if task.status not in OPEN_STATUSES:
        raise ActionError("This task is closed.", {"task": ["closed; open a new one instead"]})
    with transaction.atomic():
        task = OutreachTask.objects.select_for_update().select_related("program").get(pk=task.pk)
        # Checked under the task's lock, so two attempts sent at once cannot both pass.
        override = _spacing_override(task, data)
        attempt = Attempt(
            task=task,
            attempted_at=data["attempted_at"],
            channel=data["channel"],
            outcome=data["outcome"],
            recorded_by=actor.user_or_none,
            team=task.claimed_by,
            naloxone_kits_left=data.get("naloxone_kits_left") or 0,
            resource_cards_left=data.get("resource_cards_left") or 0,
            note=data.get("note") or "",
        )
        save_tracked(attempt, actor.user)
        for contact in data.get("contacted", []):
            AttemptContact.objects.create(
                attempt=attempt,
                role=contact["role"],
                relationship=contact.get("relationship") or "",
                name=contact.get("name") or "",
            )
        _settle(actor, task, attempt, data.get("checklist") or {})
        # The attempt is part of the person's history: their queued tasks may change tier.
        refresh_priority_tiers(task.program, [task.person_id])
        record_event(
            actor,
            "create",
            obj=attempt,
            person_id=task.person_id,
            program_slug=task.program.slug,
            fields=["outreach"],
            detail={
                "outcome": attempt.outcome,
                "channel": attempt.channel,
                # What the attempt did to the task: closed it, or left it waiting or open.
                "task_status": task.status,
                **({"spacing_override": override} if override else {}),
            },
        )
    return attempt


def _spacing_override(task: OutreachTask, data: dict[str, Any]) -> dict[str, Any] | None:
    """Refuse a try too soon after (or before) another, unless a reason is given.

    Returns what the audit event records when the reason overrides the spacing.
    """
    hours = follow_up_rules(task.program.rules.follow_up).attempt_spacing_hours
    others = list(task.attempts.values_list("attempted_at", "outcome"))
    conflict = spacing_conflict(data["outcome"], data["attempted_at"], others, hours)
    if conflict is None:
        return None
    reason = str(data.get("spacing_override_reason") or "").strip()
    if len(reason) >= OVERRIDE_REASON_MIN_LENGTH:
        return {
            "reason": reason,
            "too_close_to": conflict.too_close_to.isoformat(),
            "spacing_hours": hours,
        }
    raise ActionError(
        f"Attempts that reach nobody are spaced {_hours(conflict)} apart on this task.",
        _spacing_errors(task, conflict, given=bool(reason)),
    )


def _spacing_errors(
    task: OutreachTask, conflict: SpacingConflict, *, given: bool
) -> dict[str, list[str]]:
    zone = ZoneInfo(task.program.timezone)
    spacing = _hours(conflict)
    short = (
        f"Too short: give at least {OVERRIDE_REASON_MIN_LENGTH} characters."
        if given
        else "Required to record an attempt inside the spacing."
    )
    before, after = _local(conflict.too_close_to, zone), _local(conflict.next_allowed, zone)
    return {
        "attempted_at": [
            f"This time is within {spacing} of the attempt at {before}; attempts"
            f" that reach nobody are spaced {spacing} apart. The next attempt may be made from"
            f" {after}. To record this one anyway, give a reason for recording it inside the"
            f" spacing (at least {OVERRIDE_REASON_MIN_LENGTH} characters)."
        ],
        "spacing_override_reason": [short],
    }


def _hours(conflict: SpacingConflict) -> str:
    return f"{conflict.spacing.total_seconds() / 3600:g} h"


def _local(moment: dt.datetime, zone: ZoneInfo) -> str:
    """A time as the program's staff read it: local wall clock, with the zone named."""
    return f"{format_for_message(moment, zone)} ({zone.key})"


def _settle(actor: Actor, task: OutreachTask, attempt: Attempt, checklist: dict[str, Any]) -> None:
    rules = follow_up_rules(task.program.rules.follow_up)
    effect = after_attempt(
        attempt.outcome,
        task.attempts.count(),
        rules.max_attempts,
        rules.attempt_spacing_hours,
        # On the program's clock, so a re-contact date is the staff's day, not UTC's.
        attempt.attempted_at.astimezone(ZoneInfo(task.program.timezone)),
        rules.closing_outcomes,
    )
    task.checklist = {**task.checklist, "outcome": attempt.outcome, **checklist}
    # A visit recorded late, earlier than one already made, cannot pull the next try forward.
    next_try = effect.next_attempt_after
    if next_try is not None and task.next_attempt_after is not None:
        next_try = max(next_try, task.next_attempt_after)
    task.next_attempt_after = next_try
    task.recontact_on = effect.recontact_on or task.recontact_on
    if effect.closes:
        task.close_reason = attempt.outcome
        _close_when_complete(task)
    save_tracked(task, actor.user)


def _close_when_complete(task: OutreachTask) -> None:
    """Close, or wait for the data-collection step when the checklist is incomplete."""
    if missing_checklist(checklist_of(task), task.checklist):
        task.status = OutreachTask.Status.COLLECTING
    else:
        task.status = OutreachTask.Status.CLOSED
        task.closed_at = timezone.now()


def complete_checklist(
    actor: Actor, access: PersonAccess, task: OutreachTask, values: dict[str, Any], version: int
) -> OutreachTask:
    """The data-collection step: fill checklist items; a waiting task closes when complete."""
    _must_write(access)
    known = {key for key, _label in checklist_of(task)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ActionError(
            "Unknown checklist items.",
            {"values": [f"{k!r} is not on the checklist" for k in unknown]},
        )
    with transaction.atomic():
        task.checklist = {**task.checklist, **values}
        if task.status == OutreachTask.Status.COLLECTING:
            _close_when_complete(task)
        save_tracked(task, actor.user, expected_version=version)
        record_event(
            actor,
            "change",
            obj=task,
            person_id=task.person_id,
            program_slug=task.program.slug,
            fields=["outreach"],
            detail={"checklist": sorted(values)},
        )
    return task


def close_task(
    actor: Actor,
    access: PersonAccess,
    task: OutreachTask,
    reason: str,
    note: str,
    version: int,
) -> OutreachTask:
    """Close a task by hand, for one of the listed reasons, against the version the user saw."""
    _must_write(access)
    note = (note or "").strip()
    problem = close_reason_problem(reason, note)
    if problem is not None:
        field, message = problem
        raise ActionError(message, {field: [message]})
    if task.status not in CLOSABLE_STATUSES:
        raise ActionError("This task is already closed.", {"task": ["already closed"]})
    with transaction.atomic():
        task.status = OutreachTask.Status.CLOSED
        task.closed_at = timezone.now()
        task.close_reason = reason
        task.close_note = note
        task.next_attempt_after = None
        save_tracked(task, actor.user, expected_version=version)
        record_event(
            actor,
            "change",
            obj=task,
            person_id=task.person_id,
            program_slug=task.program.slug,
            fields=["outreach"],
            detail={"closed": reason, **({"note": note} if note else {})},
        )
    return task


def expirable_tasks(program: Program, now: dt.datetime) -> Any:
    """Tasks nobody closed whose window closed longer ago than the program's preset allows."""
    hours = follow_up_rules(program.rules.follow_up).expires_after_hours
    return OutreachTask.objects.filter(
        program=program,
        status__in=OPEN_STATUSES,
        window_end__lte=expiry_cutoff(now, hours),
    )


def expire_tasks(actor: Actor, now: dt.datetime, program: Program | None = None) -> int:
    """Move expired tasks out of the queue, one program at a time; returns how many moved.

    The update is conditional on the status, so two workers never expire a task twice
    and an attempt recorded meanwhile keeps its task. Each batch is one audit event per
    program naming the tasks; a pass with nothing to expire writes nothing.
    """
    programs = [program] if program is not None else list(Program.objects.order_by("slug"))
    moved = 0
    for each in programs:
        with transaction.atomic():
            ids = list(
                expirable_tasks(each, now)
                .select_for_update()
                .order_by("window_end", "id")
                .values_list("pk", flat=True)
            )
            if not ids:
                continue
            for start in range(0, len(ids), EXPIRY_EVENT_IDS):
                batch = ids[start : start + EXPIRY_EVENT_IDS]
                done = list(
                    OutreachTask.objects.filter(pk__in=batch, status__in=OPEN_STATUSES)
                    .order_by("id")
                    .values_list("pk", flat=True)
                )
                OutreachTask.objects.filter(pk__in=done, status__in=OPEN_STATUSES).update(
                    status=OutreachTask.Status.EXPIRED,
                    closed_at=now,
                    next_attempt_after=None,
                    version=F("version") + 1,
                    modified_by=None,
                    modified_at=timezone.now(),
                )
                if done:
                    record_event(
                        actor,
                        "change",
                        object_type="outreach.outreachtask",
                        program_slug=each.slug,
                        fields=["outreach"],
                        detail={"expired": done},
                    )
                moved += len(done)
    return moved
