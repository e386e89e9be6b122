"""Program metrics from the records: the API, the dashboard and the exports all call these.

The definitions live in `coresponder.domain.metrics`; this module only loads the
facts they read. Each load is a fixed number of queries bounded by the period
(and, for the funnel, by the period's cohort), reading only the columns needed,
so a program with a million events answers from its indexes.

Where the worker has built the program's daily facts (ADR 0012,
`reports/fact_build.py`), the figures are summed from those instead
(`reports/fast_metrics.py`): the same numbers as of the build, from a few rows
a day rather than every record of the period. Without a build, or for a period
that begins after it, the records answer.

Breakdown groups: `district`, `pathway` and `source` come from the record (a
referral, or the referral behind an encounter or an outreach task; an overdose's
own district); `race`, `ethnicity`, `sex` and `age_band` from the person, the
age on the record's local date. A referral's `source` is who first reported the
overdose behind it (EMS, police, hospital, family, self), and otherwise the kind
of organisation that referred the person; the channel it arrived by (form, API,
import) says nothing about where people come from, so it is not a source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, CharField, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from coresponder.domain import metrics as definitions
from coresponder.domain.metrics import (
    BREAKDOWNS,
    AttemptFact,
    EncounterFact,
    Facts,
    FunnelFacts,
    Groups,
    OverdoseFact,
    ReferralFact,
    ServiceReferralFact,
    TaskFact,
)
from coresponder.domain.referrals import (
    ACCEPTED_OR_LATER,
    NOT_MADE,
    ReferralHistory,
    StatusStep,
    history_of,
)
from coresponder.domain.vocabulary import (
    ORGANIZATION_KIND_LABELS,
    PATHWAY_LABELS,
    AttemptOutcome,
    Disposition,
    OrganizationKind,
    OverdoseSource,
    Pathway,
    TaskStatus,
    humanize,
    labels_of,
)
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Overdose, OverdoseReport, Referral
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.outreach.sla import task_records
from coresponder.people.models import Ethnicity, Race, Sex
from coresponder.programs.models import District, Program
from coresponder.reports import fast_metrics as fast
from coresponder.reports.models import MetricBuild
from coresponder.services.models import (
    Service,
    ServiceReferral,
    ServiceReferralStatusChange,
    sent_to_provider,
)

__all__ = [
    "BREAKDOWNS",
    "Period",
    "figures_as_of",
    "funnel",
    "metric_breakdown",
    "breakdown_with_headline",
    "monthly_series",
    "percent_change",
    "period_bounds",
    "program_metrics",
]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PERSON_COLUMNS = ("person__race", "person__ethnicity", "person__sex", "person__birth_date")
# The figures small-cell suppression hides when they count 1 to 10 people or records.
COUNT_KEYS = (
    "referrals",
    "people_referred_to_services",
    "people_engaged",
    "people_contacted",
    "people_accepted_treatment",
)


@dataclass(frozen=True)
class Period:
    """Inclusive program-local dates."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period to compare this one with, as a reader would choose it.

        Whole calendar months (a month, a quarter, a year) compare with as many whole
        months just before; a span from 1 January that is not (the year so far) with the
        same dates a year before; any other span with the days of equal length just before.
        """
        if self.start.day == 1 and (self.end + dt.timedelta(days=1)).day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            end = self.start - dt.timedelta(days=1)
            return Period(_months_before(self.start, months), end)
        if (self.start.month, self.start.day) == (1, 1) and self.end.year == self.start.year:
            return Period(self.start.replace(year=self.start.year - 1), _a_year_before(self.end))
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    @property
    def label(self) -> str:
        """ "1 Oct 2026 – 31 Dec 2026"."""
        return f"{_day_label(self.start)} – {_day_label(self.end)}"


def _months_before(first: dt.date, months: int) -> dt.date:
    """The first day of the month `months` before the month `first` begins."""
    index = first.year * 12 + first.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _a_year_before(day: dt.date) -> dt.date:
    """The same date a year before; 29 February's is the 28th."""
    return day.replace(year=day.year - 1, day=min(day.day, 28 if day.month == 2 else day.day))


def _day_label(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def period_bounds(program: Program, period: Period) -> tuple[dt.datetime, dt.datetime]:
    """Aware [start, end) instants: local midnight to the midnight after the last day.

    Midnights are taken in the program's zone, so a day across a DST change is
    23 or 25 hours long and still counts whole.
    """
    zone = ZoneInfo(program.timezone)
    start = dt.datetime.combine(period.start, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


# --- Loading facts -----------------------------------------------------------


def _source(referral_path: str) -> Coalesce:
    """Who brought the referral: who first reported its overdose, else the referring
    organisation's kind, else whoever asked by the relationship they gave (the person
    themself on the public page, family or friends, or other), else the person themself
    on the self-referral pathway."""
    prefix = f"{referral_path}__" if referral_path else ""
    first_report = (
        OverdoseReport.objects.filter(overdose__referral_id=OuterRef(referral_path or "pk"))
        .order_by("reported_at", "id")
        .values("source")[:1]
    )
    relationship = f"{prefix}referrer_relationship"
    # A record with no referral (a drop-in, a task of its own) joins none: no one brought it.
    someone = Q(**{f"{relationship}__isnull": False}) & ~Q(**{relationship: ""})
    asked = Case(
        When(**{relationship: "self"}, then=Value(OverdoseSource.SELF.value)),
        When(**{relationship: "other"}, then=Value(OverdoseSource.OTHER.value)),
        When(someone, then=Value(OverdoseSource.FAMILY.value)),
        When(
            **{f"{prefix}pathway": Pathway.SELF_REFERRAL.value},
            then=Value(OverdoseSource.SELF.value),
        ),
        default=None,
        output_field=CharField(),
    )
    return Coalesce(Subquery(first_report), F(f"{prefix}referring_organization__kind"), asked)


def _groups(
    row: tuple[Any, ...], district: Any = "", pathway: Any = "", source: Any = ""
) -> Groups:
    """Groups from a row ending in the person's race, ethnicity, sex and birth date."""
    race, ethnicity, sex, birth_date = row[-4:]
    return Groups(
        district=district or "",
        pathway=pathway or "",
        source=source or "",
        race=race or "",
        ethnicity=ethnicity or "",
        sex=sex or "",
        birth_date=birth_date,
    )


def _collateral_key(collateral_id: int | None, relationship: str, name: str) -> str:
    """One key per collateral: their record, else how they were named on the attempt."""
    if collateral_id is not None:
        return str(collateral_id)
    return f"{relationship.strip().casefold()}|{name.strip().casefold()}"


def _attempts(program: Program, start: dt.datetime, end: dt.datetime) -> list[AttemptFact]:
    """Attempts in the period, with whom each reached (two queries)."""
    rows = (
        Attempt.objects.filter(task__program=program, attempted_at__gte=start, attempted_at__lt=end)
        .annotate(source=_source("task__referral"))
        .values_list(
            "id",
            "task__person_id",
            "attempted_at",
            "outcome",
            "task__target",
            "task__district__code",
            "task__referral__pathway",
            "source",
            "task__person__race",
            "task__person__ethnicity",
            "task__person__sex",
            "task__person__birth_date",
        )
    )
    contacts = AttemptContact.objects.filter(
        attempt__task__program=program,
        attempt__attempted_at__gte=start,
        attempt__attempted_at__lt=end,
    ).values_list("attempt_id", "role", "collateral_id", "relationship", "name")
    roles: dict[int, set[str]] = {}
    collaterals: dict[int, set[str]] = {}
    people: dict[int, int] = {}
    facts_rows = list(rows)
    for row in facts_rows:
        people[row[0]] = row[1]
    for attempt_id, role, collateral_id, relationship, name in contacts:
        roles.setdefault(attempt_id, set()).add(role)
        if role == AttemptContact.Role.COLLATERAL:
            key = _collateral_key(collateral_id, relationship, name)
            if collateral_id is None:
                # An unnamed relative is told apart only within the person's circle.
                key = f"of-{people.get(attempt_id)}|{key}"
            collaterals.setdefault(attempt_id, set()).add(key)
    return [
        AttemptFact(
            person_id=row[1],
            at=row[2],
            outcome=AttemptOutcome(row[3]),
            reached_roles=frozenset(roles.get(row[0], ())),
            collaterals=frozenset(collaterals.get(row[0], ())),
            groups=_groups(row, row[5], row[6], row[7]),
            to_family=row[4] == OutreachTask.Target.FAMILY,
        )
        for row in facts_rows
    ]


def _brought_by(service_referrals: Any) -> Any:
    """Service referrals with `via`: the referral that brought the person, the latest the
    program received of them by the time of the service referral (none for someone
    only met otherwise)."""
    latest = Referral.objects.filter(
        program=OuterRef("program"),
        person=OuterRef("person"),
        received_at__lte=OuterRef("requested_at"),
    ).order_by("-received_at", "-id")
    return service_referrals.annotate(via=Subquery(latest.values("pk")[:1]))


def _referral_groups(ids: Iterable[int | None]) -> dict[int, tuple[str, str, str]]:
    """Referral id -> its district code, pathway and source, for the groups of what came of it."""
    wanted = {pk for pk in ids if pk is not None}
    rows = (
        Referral.objects.filter(pk__in=wanted)
        .annotate(source=_source(""))
        .values_list("pk", "district__code", "pathway", "source")
    )
    return {
        pk: (district or "", pathway or "", source or "") for pk, district, pathway, source in rows
    }


def _treatment_histories(referrals: Any) -> tuple[list[Any], list[Groups]]:
    """Histories of the given service referrals, with their persons' groups (three queries).

    The steps and categories are read with the referrals' query as a subquery, not
    a list of ids, so a year of a busy program stays one statement each.
    """
    rows = list(
        _brought_by(referrals)
        .order_by("pk")
        .values_list(
            "pk",
            "person_id",
            "service_id",
            "service__part2_program",
            "status",
            "status_changed_at",
            "via",
            *PERSON_COLUMNS,
        )
    )
    brought = _referral_groups(row[6] for row in rows)
    steps: dict[int, list[tuple[str, dt.datetime]]] = {}
    for referral_id, status, at in (
        ServiceReferralStatusChange.objects.filter(referral__in=referrals.values("pk"))
        .order_by("at", "id")
        .values_list("referral_id", "status", "at")
    ):
        steps.setdefault(referral_id, []).append((status, at))
    categories: dict[int, list[str]] = {}
    for service_id, code in Service.taxonomy_terms.through.objects.filter(
        service_id__in=referrals.values("service_id")
    ).values_list("service_id", "taxonomyterm__code"):
        categories.setdefault(service_id, []).append(code)
    histories = [
        history_of(person, categories.get(service, []), part2, steps.get(pk, []), status, at)
        for pk, person, service, part2, status, at, *_ in rows
    ]
    groups = [_groups(row, *brought.get(row[6], ("", "", ""))) for row in rows]
    return histories, groups


def _seen_before(program: Program, start: dt.datetime, end: dt.datetime) -> frozenset[int]:
    """People of the period's referrals and encounters who had one in the program before it.

    Record ids stand for humans until identity resolution links records: this is
    where a resolved cluster id would replace `person_id`.
    """
    in_period = Q(
        person_id__in=Referral.objects.filter(
            program=program, received_at__gte=start, received_at__lt=end
        ).values("person_id")
    ) | Q(
        person_id__in=Encounter.objects.filter(
            program=program, occurred_at__gte=start, occurred_at__lt=end
        ).values("person_id")
    )
    earlier = set(
        Referral.objects.filter(in_period, program=program, received_at__lt=start)
        .values_list("person_id", flat=True)
        .distinct()
    )
    earlier |= set(
        Encounter.objects.filter(in_period, program=program, occurred_at__lt=start)
        .values_list("person_id", flat=True)
        .distinct()
    )
    return frozenset(p for p in earlier if p is not None)


# A page that shows one period several ways (headline, breakdowns, months) loads
# its facts once inside `shared_facts()`; outside it every call reads afresh.
_facts_cache: ContextVar[dict[tuple[int, dt.datetime, dt.datetime], Facts] | None] = ContextVar(
    "facts_cache", default=None
)


@contextmanager
def shared_facts() -> Iterator[None]:
    """Within this block, each program and period's facts are loaded once."""
    token = _facts_cache.set({})
    try:
        yield
    finally:
        _facts_cache.reset(token)


def load_facts(program: Program, start: dt.datetime, end: dt.datetime) -> Facts:
    """Every fact the metrics read for [start, end), in a fixed number of queries."""
    cache = _facts_cache.get()
    key = (program.pk, start, end)
    if cache is not None and key in cache:
        return cache[key]
    facts = read_facts(program, start, end)
    if cache is not None:
        cache[key] = facts
    return facts


def read_facts(program: Program, start: dt.datetime, end: dt.datetime) -> Facts:
    """Every fact the metrics read for [start, end), read afresh."""
    referral_rows = (
        Referral.objects.filter(program=program, received_at__gte=start, received_at__lt=end)
        .annotate(source=_source(""))
        .values_list(
            "person_id", "received_at", "district__code", "pathway", "source", *PERSON_COLUMNS
        )
    )
    encounter_rows = (
        Encounter.objects.filter(program=program, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(source=_source("referral"))
        .values_list(
            "person_id",
            "occurred_at",
            "disposition",
            "referral__district__code",
            "referral__pathway",
            "source",
            *PERSON_COLUMNS,
        )
    )
    first_report = (
        OverdoseReport.objects.filter(overdose=OuterRef("pk"))
        .order_by("reported_at", "id")
        .values("source")[:1]
    )
    overdose_rows = (
        Overdose.objects.filter(program=program, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(source=Subquery(first_report))
        .values_list(
            "person_id",
            "occurred_at",
            "fatal",
            "district__code",
            "referral__pathway",
            "source",
            *PERSON_COLUMNS,
        )
    )
    service_rows = list(
        _brought_by(
            ServiceReferral.objects.filter(
                program=program, requested_at__gte=start, requested_at__lt=end
            )
            .exclude(status__in=list(NOT_MADE))
            # A draft called off before it was sent was never made either.
            .filter(sent_to_provider())
        ).values_list("person_id", "requested_at", "via", *PERSON_COLUMNS)
    )
    service_brought = _referral_groups(row[2] for row in service_rows)
    # Treatment referrals with a step to accepted or later in the period; rows
    # without a recorded history count their current status (referral_histories).
    stepped = ServiceReferralStatusChange.objects.filter(
        referral=OuterRef("pk"), status__in=list(ACCEPTED_OR_LATER), at__gte=start, at__lt=end
    )
    histories, history_groups = _treatment_histories(
        ServiceReferral.objects.filter(program=program).filter(
            Exists(stepped)
            | Q(
                status__in=list(ACCEPTED_OR_LATER),
                status_changed_at__gte=start,
                status_changed_at__lt=end,
            )
        )
    )
    return Facts(
        referrals=[
            ReferralFact(row[0], row[1], _groups(row, row[2], row[3], row[4]))
            for row in referral_rows
        ],
        encounters=[
            EncounterFact(row[0], row[1], row[2], _groups(row, row[3], row[4], row[5]))
            for row in encounter_rows
        ],
        overdoses=[
            OverdoseFact(row[0], row[1], row[2], _groups(row, row[3], row[4], row[5]))
            for row in overdose_rows
        ],
        attempts=_attempts(program, start, end),
        service_referrals=[
            ServiceReferralFact(
                row[0], row[1], _groups(row, *service_brought.get(row[2], ("", "", "")))
            )
            for row in service_rows
        ],
        histories=histories,
        history_groups=history_groups,
        tasks=task_records(program, start, end),
        seen_before=_seen_before(program, start, end),
    )


def _built(program: Program, start: dt.datetime) -> bool:
    """The program's daily facts are built, at or after `start`: they answer (ADR 0012)."""
    return MetricBuild.objects.filter(program=program, as_of__gte=start).exists()


def figures_as_of(program: Program, period: Period) -> dt.datetime | None:
    """When the records behind the period's figures were read: the daily facts' build.

    None when the records themselves answer, so the figures are as of now.
    """
    start, _ = period_bounds(program, period)
    return (
        MetricBuild.objects.filter(program=program, as_of__gte=start)
        .values_list("as_of", flat=True)
        .first()
    )


# --- The contract ------------------------------------------------------------

DISPOSITION_CODES: tuple[str, ...] = tuple(d.value for d in Disposition)


def compute_metrics(
    program: Program, period: Period, now: dt.datetime | None = None
) -> definitions.Metrics:
    """The metrics with their bases (what suppression of shares needs).

    Without `now`, from the daily facts where they are built (as of the build).
    """
    start, end = period_bounds(program, period)
    if now is None and _built(program, start):
        return fast.compute(program, period.start, period.end, DISPOSITION_CODES)
    return definitions.compute(
        load_facts(program, start, end), start, end, now or timezone.now(), DISPOSITION_CODES
    )


def program_metrics(program: Program, period: Period) -> dict[str, Any]:
    """Exactly the docs/api.md metrics object for the period (exact numbers, not suppressed)."""
    return compute_metrics(program, period).as_api()


def _labels(program: Program, by: str) -> tuple[list[str], dict[str, str]]:
    """The groups always shown for a breakdown, in order, and every group's label."""
    none = {"none": "Not recorded", "unknown": "Unknown"}
    if by == "district":
        districts = list(
            District.objects.filter(program=program).order_by("code").values_list("code", "name")
        )
        return [code for code, _ in districts], {**none, "none": "No district", **dict(districts)}
    if by == "pathway":
        return [p.value for p in Pathway], {**none, **{p.value: PATHWAY_LABELS[p] for p in Pathway}}
    if by == "source":
        # Who reported it: a source, or the kind of organisation that sent the report; a
        # kind that is also a source (police, hospital, EMS) reads as the source, as the
        # dashboard names it.
        labels = {k.value: ORGANIZATION_KIND_LABELS[k] for k in OrganizationKind}
        labels.update(labels_of("source"))
        return [s.value for s in OverdoseSource], {**none, **labels}
    if by == "age_band":
        bands = {band: band for band, _, _ in definitions.AGE_BANDS}
        return list(definitions.AGE_BAND_KEYS), {**none, **bands, "<18": "Under 18"}
    choices = {"race": Race, "ethnicity": Ethnicity, "sex": Sex}[by]
    return list(choices.values), {**none, **{str(k): str(v) for k, v in choices.choices}}


def metric_breakdown(program: Program, period: Period, by: str) -> list[dict[str, Any]]:
    """One row per group: the count metrics of its records and people (exact numbers).

    Raises ValueError for a `by` not in BREAKDOWNS.
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break metrics down by {by!r}; use one of {', '.join(BREAKDOWNS)}")
    start, end = period_bounds(program, period)
    zone = ZoneInfo(program.timezone)
    known, labels = _labels(program, by)
    if _built(program, start):
        rows = fast.breakdown(program, by, period.start, period.end, known)
    else:
        rows = definitions.breakdown(
            load_facts(program, start, end), by, start, end, known, lambda at: at.astimezone(zone)
        )
    return [
        {"key": key, "label": labels.get(key, humanize(key)), **values}
        for key, values in rows.items()
    ]


def breakdown_with_headline(
    program: Program, period: Period, by: str
) -> tuple[list[dict[str, Any]], definitions.Metrics]:
    """A breakdown's rows and the period's headline figures, whose people are its total
    (a person in more than one row counts once), the records read once for both."""
    if _facts_cache.get() is not None:
        return metric_breakdown(program, period, by), compute_metrics(program, period)
    with shared_facts():
        return metric_breakdown(program, period, by), compute_metrics(program, period)


# The funnel's last stages are read from the records for so many entered people at a time.
ENTERED_BATCH = 500


def funnel(program: Program, period: Period) -> list[tuple[str, str, int]]:
    """(key, label, distinct people) from notified to engaged 90 days on, each within the last.

    The cohort is the people with a participant outreach task whose window opened
    in the period (cancelled tasks aside); what came of it is read from the
    period's start to now. Family tasks after a fatal overdose are not in it.
    Where the daily facts are built, the stages to entered treatment come from
    them (as of the build), and only the entered people's records are read for
    the stages after, which need each person's first contact.
    """
    start, end = period_bounds(program, period)
    labels = dict(definitions.FUNNEL_STAGES)
    if not _built(program, start):
        counted = definitions.funnel(_funnel_facts(program, start, end), start, end)
        return [(key, labels[key], n) for key, n in counted]
    stages = fast.funnel_stages(program, period.start, period.end)
    entered = list(stages.entered)
    engaged = {key: 0 for key in ("engaged_30", "engaged_90")}
    for at in range(0, len(entered), ENTERED_BATCH):
        batch = entered[at : at + ENTERED_BATCH]
        # Each person's stages read only their own records: batches add up.
        facts = _engagement_facts(program, start, batch)
        for key, n in definitions.funnel(facts, start, end):
            if key in engaged:
                engaged[key] += n
    counts = {
        "notified": len(stages.notified),
        "attempted": len(stages.attempted),
        "contacted": len(stages.contacted),
        "accepted": len(stages.accepted),
        "entered_treatment": len(entered),
        **engaged,
    }
    return [(key, label, counts[key]) for key, label in definitions.FUNNEL_STAGES]


def _engagement_facts(program: Program, start: dt.datetime, entered: list[int]) -> FunnelFacts:
    """What the funnel reads for "engaged again" of people who entered treatment.

    The daily facts say these people were notified in the period and entered
    treatment; the funnel is handed them as such (notified and in treatment at
    the period's start), with their own attempts and encounters from the
    period's start on, so it decides only what comes after: each one's first
    contact, and whether they were seen again 30 and 90 days on.
    """
    in_treatment = (StatusStep(TaskStatus.IN_PROGRESS, start),)
    attempts, encounters = _followed_up(program, entered, start)
    return FunnelFacts(
        tasks=[TaskFact(who, start) for who in entered],
        attempts=attempts,
        encounters=encounters,
        histories=[ReferralHistory(who, True, in_treatment) for who in entered],
    )


def _followed_up(
    program: Program, people: Any, start: dt.datetime
) -> tuple[list[AttemptFact], list[EncounterFact]]:
    """The participant attempts and the encounters of `people` (ids, or a query of
    `person_id`s) from `start` on, as the funnel reads them."""
    participant_reached = AttemptContact.objects.filter(
        attempt=OuterRef("pk"), role=AttemptContact.Role.PARTICIPANT
    )
    attempt_rows = (
        Attempt.objects.filter(
            task__program=program,
            task__target=OutreachTask.Target.PARTICIPANT,
            task__person_id__in=people,
            attempted_at__gte=start,
        )
        .annotate(participant=Exists(participant_reached))
        .values_list("task__person_id", "attempted_at", "outcome", "participant")
    )
    encounter_rows = Encounter.objects.filter(
        program=program, person_id__in=people, occurred_at__gte=start
    ).values_list("person_id", "occurred_at", "disposition")
    attempts = [
        AttemptFact(
            p,
            at,
            AttemptOutcome(outcome),
            frozenset({definitions.PARTICIPANT}) if participant else frozenset(),
        )
        for p, at, outcome, participant in attempt_rows
    ]
    return attempts, [EncounterFact(p, at, d) for p, at, d in encounter_rows]


def _funnel_facts(program: Program, start: dt.datetime, end: dt.datetime) -> FunnelFacts:
    """The funnel's facts: the period's cohort, and their records from `start` on."""
    tasks = OutreachTask.objects.filter(
        program=program,
        target=OutreachTask.Target.PARTICIPANT,
        window_start__gte=start,
        window_start__lt=end,
    ).exclude(status=OutreachTask.Status.CANCELLED)
    cohort = tasks.values("person_id")
    attempts, encounters = _followed_up(program, cohort, start)
    histories, _ = _treatment_histories(
        ServiceReferral.objects.filter(program=program, person_id__in=cohort)
    )
    return FunnelFacts(
        tasks=[TaskFact(p, at) for p, at in tasks.values_list("person_id", "window_start")],
        attempts=attempts,
        encounters=encounters,
        histories=histories,
    )


def _months(period: Period) -> list[Period]:
    """The calendar months overlapping the period, each cut to the period."""
    months = []
    first = period.start.replace(day=1)
    while first <= period.end:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        months.append(
            Period(max(first, period.start), min(following - dt.timedelta(days=1), period.end))
        )
        first = following
    return months


def _value(metrics: dict[str, Any], metric: str) -> int | float | None:
    if metric.startswith("overdoses_"):
        return metrics["overdoses"][metric.removeprefix("overdoses_")]  # type: ignore[no-any-return]
    value = metrics.get(metric)
    if metric not in metrics or isinstance(value, dict):
        raise ValueError(f"{metric!r} is not a numeric metric")
    return value  # type: ignore[no-any-return]


def monthly_series(
    program: Program, period: Period, metric: str
) -> list[tuple[dt.date, int | float | None]]:
    """One point per calendar month overlapping the period, dated the month's first day.

    Months at either end count only their days inside the period. The facts are
    loaded once for the whole period (or, where built, its daily facts).
    """
    return [(month, _value(figures, metric)) for month, figures in monthly_figures(program, period)]


def monthly_figures(program: Program, period: Period) -> list[tuple[dt.date, dict[str, Any]]]:
    """Every figure (the metrics object) of each calendar month overlapping the period."""
    start, end = period_bounds(program, period)
    points: list[tuple[dt.date, dict[str, Any]]] = []
    if _built(program, start):
        rows = fast.total_rows(program, period.start, period.end)
        for month in _months(period):
            in_month = [row for row in rows if month.start <= row.day <= month.end]
            counted = fast.metrics_of(in_month, DISPOSITION_CODES)
            points.append((month.start.replace(day=1), counted.as_api()))
        return points
    facts = load_facts(program, start, end)
    now = timezone.now()
    for month in _months(period):
        m_start, m_end = period_bounds(program, month)
        counted = definitions.compute(facts, m_start, m_end, now, DISPOSITION_CODES)
        points.append((month.start.replace(day=1), counted.as_api()))
    return points


def percent_change(now: float | int | None, before: float | int | None) -> float | None:
    """The change in percent from `before` to `now`; None where it cannot be said."""
    return definitions.percent_change(now, before)


def flatten_metrics(values: Mapping[str, Any]) -> dict[str, Any]:
    """The API's metrics object with `overdoses` split into two figures."""
    flat = {key: value for key, value in values.items() if key not in {"overdoses"}}
    overdoses = values.get("overdoses") or {}
    flat["overdoses_fatal"] = overdoses.get("fatal")
    flat["overdoses_nonfatal"] = overdoses.get("nonfatal")
    return flat
