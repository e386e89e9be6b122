"""The one write path for the feeds: a NEMSIS file's overdoses and a CAD system's calls.

Both record through intake's own write path (`intake.imports.commit_import` and
`intake.actions.record_referral`), all or nothing, and audit what came in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.tracked import save_tracked
from coresponder.feeds.cad import CadCall, call_errors
from coresponder.feeds.models import NemsisImport
from coresponder.feeds.nemsis import NemsisFile, qualifying_table
from coresponder.feeds.nemsis_import import already_imported, import_options, preview_nemsis
from coresponder.intake.actions import CallAlreadyRecorded, record_referral
from coresponder.intake.imports import ImportCounts, ImportFailed, commit_import, may_import
from coresponder.intake.models import Call, Referral
from coresponder.programs.models import Program


class FeedRefused(ActionError):
    """Some reports or calls are bad, so nothing was written; `errors` names each one."""

    def __init__(self, message: str, errors: dict[str, list[str]], lines: list[str]) -> None:
        super().__init__(message, errors)
        self.lines = lines


def _refused(what: str, count: int, errors: dict[str, list[str]], lines: list[str]) -> FeedRefused:
    which = f"{count} {what}s have" if count != 1 else f"1 {what} has"
    return FeedRefused(f"Nothing was imported: {which} errors.", errors, lines)


def import_nemsis(
    actor: Actor, program: Program, parsed: NemsisFile, *, file_name: str, channel: str
) -> NemsisImport:
    """Record every qualifying report of a NEMSIS file as an overdose report, or none.

    Reports that are not opioid overdoses are counted, never stored. Raises
    FeedRefused naming each bad report and element; Forbidden when the actor's
    role may not record referrals.
    """
    if actor.user is None or not may_import(actor.user, program):
        raise Forbidden("Your role may not record referrals in this program.")
    preview = preview_nemsis(program, parsed)
    if not preview.ok:
        lines = preview.error_lines()
        bad = {key.split("]", 1)[0] for key in preview.errors()}
        raise _refused("patient care report", len(bad), preview.errors(), lines)
    counts = ImportCounts()
    with transaction.atomic():
        # One file of the program at a time: a second sending of the same file waits here,
        # then finds the reports the first recorded, as imported before.
        Program.objects.select_for_update().filter(pk=program.pk).first()
        known_now = already_imported(program, preview.fresh)
        fresh = [report for report in preview.fresh if report.position not in known_now]
        if fresh:
            try:
                counts = commit_import(
                    actor,
                    program,
                    qualifying_table(fresh),
                    import_options(program),
                    file_name=file_name,
                )
            except ImportFailed as exc:
                raise FeedRefused(str(exc), {"file": [str(exc)]}, [str(exc)]) from exc
        record = NemsisImport(
            program=program,
            channel=channel,
            file_name=file_name[:200],
            reports=preview.reports,
            qualifying=preview.qualifying,
            not_qualifying=preview.not_qualifying,
            # With the reports another sending of the file recorded while this one waited.
            already_imported=preview.already + len(known_now) + counts.sent_before,
            by_reason=parsed.by_reason(),
            referrals=counts.referrals,
            overdoses_created=counts.overdoses_created,
            overdoses_merged=counts.overdoses_merged,
            tasks_opened=counts.tasks_opened,
            deaths_held=counts.deaths_held,
            unnamed=sum(1 for report in fresh if report.unnamed),
        )
        save_tracked(record, actor.user)
        record_event(
            actor,
            "create",
            obj=record,
            program_slug=program.slug,
            detail={
                "file_name": record.file_name,
                "channel": channel,
                "reports": record.reports,
                "qualifying": record.qualifying,
                "not_qualifying": record.not_qualifying,
                "already_imported": record.already_imported,
                "by_reason": record.by_reason,
                "unnamed": record.unnamed,
                "counts": counts.as_dict(),
            },
        )
    return record


@dataclass
class CadOutcome:
    """One call of a batch: its call record, and whether this batch recorded it."""

    call: CadCall
    record: Call
    created: bool


def record_cad_calls(actor: Actor, program: Program, calls: list[CadCall]) -> list[CadOutcome]:
    """Record every new call of a batch as a community_response referral, or none.

    A call whose CAD number the program has already is answered with that record.
    Raises FeedRefused naming each bad call and field; Forbidden for a role that
    may not record referrals.
    """
    if actor.user is None or not may_import(actor.user, program):
        raise Forbidden("Your role may not record referrals in this program.")
    bad = [call for call in calls if call.errors or call.referral is None]
    if bad:
        lines = [f"{c.label}, {k}: {m}" for c in bad for k, ms in c.errors.items() for m in ms]
        raise _refused("call", len(bad), call_errors(bad), lines)
    outcomes: list[CadOutcome] = []
    with transaction.atomic():
        # One batch at a time per program, so two pushes of the same call look it up in
        # turn; the database's one call per CAD number holds against every other path.
        Program.objects.select_for_update().filter(pk=program.pk).first()
        numbers = [call.cad_number for call in calls]
        existing = {
            c.cad_number: c
            for c in Call.objects.filter(program=program, cad_number__in=numbers).order_by("-id")
        }
        created = 0
        for call in calls:
            known = existing.get(call.cad_number)
            if known is not None:
                outcomes.append(CadOutcome(call=call, record=known, created=False))
                continue
            if call.referral is None:
                raise ValueError("a checked call has its referral")
            try:
                result = record_referral(
                    actor, program, call.referral, channel=Referral.Channel.API
                )
            except CallAlreadyRecorded as exc:
                # Entered through another path since the lookup above: the same call.
                outcomes.append(CadOutcome(call=call, record=exc.call, created=False))
                continue
            if result.call is None:
                raise ValueError("a community_response referral records its call")
            outcomes.append(CadOutcome(call=call, record=result.call, created=True))
            created += 1
        record_event(
            actor,
            "create",
            object_type="feeds.cad_batch",
            program_slug=program.slug,
            detail={
                "calls": len(calls),
                "created": created,
                "existing": len(calls) - created,
            },
        )
    return outcomes
