"""Retention's one write path: legal holds set and released, and the purge of what expired.

Every purge is one transaction per program with one audit event per kind of record it
deleted: which rule, how many, the cut-off and why, never the records themselves (no
names, no ids of people); a run that deletes nothing writes no event. A hold in force
keeps what it covers; the program row is locked while a purge runs, so a hold set
meanwhile waits for it, and the purge that follows sees the hold.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Model, QuerySet

from coresponder.core.audit import Actor, record_event, record_list_read
from coresponder.core.errors import ActionError
from coresponder.core.models import AuditEvent
from coresponder.core.tracked import save_tracked
from coresponder.operations.models import LegalHold, RetentionRun
from coresponder.operations.retention.expiry import (
    KINDS,
    active_holds,
    audit_events_past_rule,
    cutoff_of,
    days_of,
    holds_in_force,
    split_by_holds,
)
from coresponder.people.models import Person
from coresponder.programs.models import Program

# The audit trail's name for a purge.
PURGE = "retention"
REASON_MAX = 500


@dataclass
class KindResult:
    """One kind of record in one program's run: what expired, what a hold kept, what went."""

    kind: str
    label: str
    rule: str
    days: int
    cutoff: dt.datetime
    expired: int = 0
    held: int = 0
    deleted: int = 0
    # What went with them (attempts with tasks, screenings with encounters), by model.
    with_them: dict[str, int] = field(default_factory=dict)


@dataclass
class RetentionReport:
    program: str
    dry_run: bool
    program_held: bool
    kinds: list[KindResult]
    # Audit events older than the program's rule: kept, and counted so the program knows.
    audit_events_past_rule: int = 0

    @property
    def deleted(self) -> int:
        return sum(result.deleted for result in self.kinds)


def _reason(reason: str, key: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("Give the reason for the hold.", {key: ["Give the reason."]})
    if len(reason) > REASON_MAX:
        raise ActionError(
            f"The reason is longer than {REASON_MAX} characters.",
            {key: [f"At most {REASON_MAX} characters."]},
        )
    return reason


@transaction.atomic
def set_legal_hold(
    actor: Actor, program: Program, reason: str, now: dt.datetime, person: Person | None = None
) -> tuple[LegalHold, bool]:
    """Hold a person's records in the program, or the whole program's; audited.

    Returns (the hold, whether it is new): a hold already in force on the same person or
    program is returned as it is, so a form sent twice sets one hold.
    """
    reason = _reason(reason)
    Program.objects.select_for_update().filter(pk=program.pk).first()
    existing = active_holds(program).filter(person=person).first()
    if existing is not None:
        return existing, False
    hold = LegalHold(
        program=program,
        person=person,
        reason=reason,
        set_by=actor.user_or_none,
        set_at=now,
    )
    save_tracked(hold, actor.user_or_none)
    record_event(
        actor,
        AuditEvent.Action.CREATE,
        obj=hold,
        person_id=person.pk if person is not None else None,
        program_slug=program.slug,
        purpose="legal hold",
        detail={"covers": "person" if person is not None else "program", "reason": reason},
    )
    return hold, True


@transaction.atomic
def release_legal_hold(
    actor: Actor, hold: LegalHold, reason: str, now: dt.datetime, expected_version: int
) -> LegalHold:
    """Release a hold in force: what it kept follows the program's rules again; audited."""
    reason = _reason(reason, "release_reason")
    if hold.released_at is not None:
        raise ActionError("This hold was already released.", {"hold": ["Already released."]})
    hold.released_at = now
    hold.released_by = actor.user_or_none
    hold.release_reason = reason
    save_tracked(hold, actor.user_or_none, expected_version=expected_version)
    record_event(
        actor,
        AuditEvent.Action.CHANGE,
        obj=hold,
        person_id=hold.person_id,
        program_slug=hold.program.slug,
        purpose="legal hold released",
        fields=["released_at"],
        detail={"covers": "person" if hold.person_id else "program", "reason": reason},
    )
    return hold


def record_holds_read(actor: Actor, program: Program, holds: Iterable[LegalHold]) -> None:
    """A list of holds names who is held: an audited read of those people."""
    people = sorted({hold.person_id for hold in holds if hold.person_id is not None})
    # Filed under each person held too, so their audit trail shows who read the reason.
    record_list_read(
        actor,
        object_type="operations.legalhold",
        ids=people,
        program_slug=program.slug,
        detail={"list": "legal holds", "people": people},
    )


def apply_retention(
    actor: Actor, program: Program, now: dt.datetime, dry_run: bool = False
) -> RetentionReport:
    """Delete what the program's rules let go and no hold keeps, in one transaction.

    A dry run counts the same and writes nothing, not even its audit event.
    """
    with transaction.atomic():
        # Locked: a hold set during the purge waits for it, then holds what is left.
        Program.objects.select_for_update().filter(pk=program.pk).first()
        rules = program.rules.retention
        holds = holds_in_force(program)
        run = RetentionReport(
            program=program.slug,
            dry_run=dry_run,
            program_held=holds.whole_program,
            kinds=[],
            audit_events_past_rule=audit_events_past_rule(program, rules, now),
        )
        for kind in KINDS:
            result = KindResult(
                kind=kind.key,
                label=kind.label,
                rule=kind.rule,
                days=days_of(rules, kind),
                cutoff=cutoff_of(rules, kind, now),
            )
            expired = kind.records(program, result.cutoff)
            going, kept = split_by_holds(expired, holds)
            result.held = kept.count()
            if dry_run:
                result.expired = going.count() + result.held
            else:
                result.deleted, result.with_them = _delete(going, kind.goes_first)
                result.expired = result.deleted + result.held
                if result.deleted:
                    _record_purge(actor, program, result, kind.reason)
            run.kinds.append(result)
        if not dry_run:
            _record_run(program, now)
    return run


def _delete(
    records: QuerySet[Model], goes_first: Callable[[list[int]], QuerySet[Model]] | None = None
) -> tuple[int, dict[str, int]]:
    """Delete the records; (how many of them, what went with them by model)."""
    model_label = records.model._meta.label
    ids = list(records.values_list("pk", flat=True))
    if not ids:
        return 0, {}
    with_them: Counter[str] = Counter()
    if goes_first is not None:
        # Rows that protect the records (a consent's disclosures) go first, counted.
        _total, before = goes_first(ids).delete()
        with_them.update(before)
    # By primary key: a delete over the rules' joins and unions is not portable.
    _total, by_model = records.model._base_manager.filter(pk__in=ids).delete()
    deleted = int(by_model.get(model_label, 0))
    with_them.update({label: n for label, n in by_model.items() if label != model_label})
    return deleted, {label: n for label, n in with_them.items() if n}


def _record_purge(actor: Actor, program: Program, result: KindResult, reason: str) -> None:
    record_event(
        actor,
        AuditEvent.Action.DELETE,
        object_type=PURGE,
        object_id=result.kind,
        program_slug=program.slug,
        purpose="retention",
        detail={
            "kind": result.label,
            "deleted": result.deleted,
            "with_them": result.with_them,
            "rule": f"{result.rule} = {result.days}",
            "cutoff": result.cutoff.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "why": reason,
            "kept_under_legal_hold": result.held,
        },
    )


def _record_run(program: Program, now: dt.datetime) -> None:
    """When the rules were last applied: one UPDATE, the row made the first time; not audited."""
    if RetentionRun.objects.filter(program=program).update(ran_at=now):
        return
    RetentionRun.objects.bulk_create(
        [RetentionRun(program=program, ran_at=now)], ignore_conflicts=True
    )


def apply_retention_everywhere(
    actor: Actor,
    now: dt.datetime,
    programs: Iterable[Program] | None = None,
    dry_run: bool = False,
) -> list[RetentionReport]:
    """Each program's rules in turn, one transaction each: one that fails undoes only its own."""
    chosen = list(programs) if programs is not None else list(Program.objects.order_by("slug"))
    return [apply_retention(actor, program, now, dry_run=dry_run) for program in chosen]


def apply_retention_daily(actor: Actor, now: dt.datetime) -> int:
    """The worker's step: each program whose rules were last applied a day ago or more.

    Returns how many records went.
    """
    recent = RetentionRun.objects.filter(ran_at__gt=now - dt.timedelta(days=1))
    due = Program.objects.exclude(pk__in=recent.values("program_id")).order_by("slug")
    return sum(run.deleted for run in apply_retention_everywhere(actor, now, due))
