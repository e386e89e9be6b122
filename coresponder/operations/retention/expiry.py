"""What a program's retention rules let go today, and what a legal hold keeps.

Reading only: the purge itself is `retention.actions.apply_retention`. Each kind names
the preset key it follows, so an audit event can say which rule deleted what.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from coresponder.care.models import CarePlan
from coresponder.core.models import AuditEvent
from coresponder.domain.presets import Retention
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Call, Overdose, Referral, TriageStatus
from coresponder.operations.models import LegalHold
from coresponder.outreach.models import OutreachTask
from coresponder.privacy.models import BreakGlass, Consent, Disclosure
from coresponder.programs.models import Program
from coresponder.services.models import ServiceReferral

FINISHED_TASKS = (
    OutreachTask.Status.CLOSED,
    OutreachTask.Status.CANCELLED,
    OutreachTask.Status.EXPIRED,
)


@dataclass(frozen=True)
class Kind:
    """One kind of record a rule deletes: its key, what people call it and its rule."""

    key: str
    label: str
    rule: str
    reason: str
    records: Callable[[Program, dt.datetime], QuerySet[Model]]
    # Rows that protect these records from deletion and go just before them, if any.
    goes_first: Callable[[list[int]], QuerySet[Model]] | None = None


def _public_requests(program: Program, cutoff: dt.datetime) -> QuerySet[Model]:
    return Referral.objects.filter(
        program=program,
        channel=Referral.Channel.PUBLIC,
        received_at__lt=cutoff,
        tasks__isnull=True,
    ).exclude(triage_status=TriageStatus.ACCEPTED)


def _closed_tasks(program: Program, cutoff: dt.datetime) -> QuerySet[Model]:
    return OutreachTask.objects.filter(
        program=program, status__in=FINISHED_TASKS, closed_at__lt=cutoff
    )


def _expired_tasks_never_closed(program: Program, cutoff: dt.datetime) -> QuerySet[Model]:
    """Finished tasks with no closing time (expired or cancelled ones): their window's end."""
    return OutreachTask.objects.filter(
        program=program, status__in=FINISHED_TASKS, closed_at__isnull=True, window_end__lt=cutoff
    )


def _finished_tasks(program: Program, cutoff: dt.datetime) -> QuerySet[Model]:
    return _closed_tasks(program, cutoff) | _expired_tasks_never_closed(program, cutoff)


def _encounters(program: Program, cutoff: dt.datetime) -> QuerySet[Model]:
    return Encounter.objects.filter(program=program, occurred_at__lt=cutoff)


def _referrals(program: Program, cutoff: dt.datetime) -> QuerySet[Model]:
    return Referral.objects.filter(program=program, received_at__lt=cutoff, tasks__isnull=True)


def _overdoses(program: Program, cutoff: dt.datetime) -> QuerySet[Model]:
    """Overdoses whose referral and outreach tasks are gone: their reports go with them."""
    return Overdose.objects.filter(
        program=program, occurred_at__lt=cutoff, referral__isnull=True, tasks__isnull=True
    )


def _calls(program: Program, cutoff: dt.datetime) -> QuerySet[Model]:
    """Crisis calls whose referral is gone; an encounter that answered one keeps its row."""
    return Call.objects.filter(program=program, received_at__lt=cutoff, referral__isnull=True)


def _day_of(program: Program, cutoff: dt.datetime) -> dt.date:
    """The cut-off's day on the program's clock, against which days it records (a plan's
    closing day, a consent's last day) are compared: a plan closed on a Denver evening
    is not a day older at midnight UTC."""
    return timezone.localtime(cutoff, ZoneInfo(program.timezone or "UTC")).date()


def _care_plans(program: Program, cutoff: dt.datetime) -> QuerySet[Model]:
    """Closed care plans, with their goals, steps and follow-ups; an open plan is kept."""
    return CarePlan.objects.filter(program=program, closed_on__lt=_day_of(program, cutoff))


def _ended_consents(program: Program, cutoff: dt.datetime) -> QuerySet[Model]:
    """Consents revoked or expired before the cut-off; one a service referral names stays.

    A consent without a date to end on (only an event) has not ended as far as the
    records show, and is kept.
    """
    ended = (
        Q(revoked_at__lt=cutoff)
        | Q(expires_at__lt=cutoff)
        | Q(expires_on__lt=_day_of(program, cutoff))
    )
    named = ServiceReferral.objects.filter(consent__isnull=False).values("consent_id")
    return Consent.objects.filter(ended, program=program).exclude(pk__in=named)


def _disclosures_under(consent_ids: list[int]) -> QuerySet[Model]:
    """Disclosures made under consents that go: made while the consent was in force, so
    older than the six years it is kept, past any accounting of disclosures (HIPAA six
    years, 42 CFR 2.24 three)."""
    return Disclosure.objects.filter(consent_id__in=consent_ids)


def _break_glass_openings(program: Program, cutoff: dt.datetime) -> QuerySet[Model]:
    """Records opened outside policy under the program, closed before the cut-off: every
    disclosure an opening made was made while it was open, so all are older than the six
    years an accounting of disclosures covers (45 CFR 164.528)."""
    return BreakGlass.objects.filter(program=program, expires_at__lt=cutoff)


def _disclosures_under_openings(opening_ids: list[int]) -> QuerySet[Model]:
    """The disclosures the openings that go made: the accounting's rows for them."""
    return Disclosure.objects.filter(break_glass_id__in=opening_ids)


# In the order the purge runs: tasks first, so a referral whose last task goes today
# may go with it, and referrals before the overdoses and calls that wait for them; then
# what only its own age decides.
KINDS: tuple[Kind, ...] = (
    Kind(
        "closed_tasks",
        "Finished outreach tasks, with their attempts",
        "retention.closed_tasks_days",
        "finished longer ago than the program keeps outreach tasks",
        _finished_tasks,
    ),
    Kind(
        "public_requests",
        "Help requests from the public page nobody took up",
        "retention.public_requests_days",
        "received longer ago than the program keeps help requests nobody took up",
        _public_requests,
    ),
    Kind(
        "encounters",
        "Encounters, with their screenings",
        "retention.encounters_days",
        "took place longer ago than the program keeps encounters",
        _encounters,
    ),
    Kind(
        "referrals",
        "Referrals with no outreach task left",
        "retention.referrals_days",
        "received longer ago than the program keeps referrals",
        _referrals,
    ),
    Kind(
        "overdoses",
        "Overdoses with no referral or outreach task left, with their reports",
        "retention.overdoses_days",
        "happened longer ago than the program keeps overdose records",
        _overdoses,
    ),
    Kind(
        "calls",
        "Crisis calls with no referral left",
        "retention.calls_days",
        "received longer ago than the program keeps crisis calls",
        _calls,
    ),
    Kind(
        "care_plans",
        "Closed care plans, with their goals, steps and follow-ups",
        "retention.care_plans_days",
        "closed longer ago than the program keeps care plans",
        _care_plans,
    ),
    Kind(
        "consents",
        "Revoked or expired consents, with the disclosures made under them",
        "retention.consents_days",
        "ended longer ago than the program keeps consents (at least six years)",
        _ended_consents,
        goes_first=_disclosures_under,
    ),
    Kind(
        "break_glass",
        "Records opened outside policy (break-glass), with the disclosures they made",
        "retention.break_glass_days",
        "closed longer ago than the program keeps break-glass openings (at least six years)",
        _break_glass_openings,
        goes_first=_disclosures_under_openings,
    ),
)


def days_of(rules: Retention, kind: Kind) -> int:
    return int(getattr(rules, kind.rule.removeprefix("retention.")))


def cutoff_of(rules: Retention, kind: Kind, now: dt.datetime) -> dt.datetime:
    """Records older than this have outlived the rule."""
    return now - dt.timedelta(days=days_of(rules, kind))


def active_holds(program: Program) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(program=program, released_at__isnull=True)


@dataclass(frozen=True)
class Holds:
    """What the program's holds in force cover: all of it, or these people."""

    whole_program: bool
    person_ids: frozenset[int]


def holds_in_force(program: Program) -> Holds:
    person_ids: set[int] = set()
    whole = False
    for person_id in active_holds(program).values_list("person_id", flat=True):
        if person_id is None:
            whole = True
        else:
            person_ids.add(person_id)
    return Holds(whole_program=whole, person_ids=frozenset(person_ids))


def split_by_holds(
    records: QuerySet[Model], holds: Holds
) -> tuple[QuerySet[Model], QuerySet[Model]]:
    """(what may go, what a hold keeps) of records that have outlived their rule."""
    if holds.whole_program:
        return records.none(), records
    if not holds.person_ids:
        return records, records.none()
    return (
        records.exclude(person_id__in=holds.person_ids),
        records.filter(person_id__in=holds.person_ids),
    )


def audit_events_past_rule(program: Program, rules: Retention, now: dt.datetime) -> int:
    """Events filed under the program, by any slug it had, older than its audit rule:
    counted, never deleted."""
    cutoff = now - dt.timedelta(days=365 * rules.audit_events_years)
    return AuditEvent.objects.filter(program_slug__in=program.filed_as, at__lt=cutoff).count()
