"""The metrics summed from the daily facts the worker keeps (ADR 0012), equal to the definitions.

`reports/fact_build.py` reads the records once and stores, per program-local day,
what each definition in `domain/metrics.py` counts: counts that add across days,
and sets of ids (roaring bitmaps) for the figures that count distinct people, which
union exactly across days. Here those rows are read back for a period and summed,
so a year of a busy program reads a few hundred small rows (whole months are
rolled up), not every record.

A period of whole local days covers exactly the facts whose local date falls in it:
the period's bounds are the local midnights `period_bounds` gives. The figures are
as of the build (`MetricBuild.as_of`); without a build the records answer.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from pyroaring import BitMap64

from coresponder.domain import metrics as definitions
from coresponder.programs.models import Program
from coresponder.reports.models import MetricDay, unpack_hours

# --- The kinds of daily facts -------------------------------------------------

REFERRALS = "referrals"
OVERDOSES_FATAL = "overdoses_fatal"
OVERDOSES_NONFATAL = "overdoses_nonfatal"
SERVICE_PEOPLE = "service_people"  # people_referred_to_services
ENGAGED = "engaged"  # people_engaged
CONTACTED_PEOPLE = "contacted_people"  # people_contacted: the participants reached
CONTACTED_OTHERS = "contacted_others"  # people_contacted: everyone else (interned keys)
ACCEPTED = "accepted"  # people_accepted_treatment
DISPOSITION = "disposition"  # encounters by disposition: the key is the code
CASES = "cases"  # referrals and encounters with a person (new_person_share's base)
NEW_CASES = "new_cases"  # cases at their person's first case in the program
SLA = "sla"  # tasks whose window closed that day by the build: count, hours to first contact
SLA_WITHIN = "sla_within"  # of those, first attempted inside the window
PRESENT = "present"  # facts a breakdown lists its groups by

FUNNEL_NOTIFIED = "funnel_notified"
FUNNEL_ATTEMPTED = "funnel_attempted"
FUNNEL_REACHED = "funnel_reached"
FUNNEL_ACCEPT_OUTCOME = "funnel_accept_outcome"
FUNNEL_IN_TREATMENT_OUTCOME = "funnel_in_treatment_outcome"
FUNNEL_ACCEPTING_STEP = "funnel_accepting_step"
FUNNEL_TREATMENT_STEP = "funnel_treatment_step"

TOTAL_KINDS: tuple[str, ...] = (
    REFERRALS,
    OVERDOSES_FATAL,
    OVERDOSES_NONFATAL,
    SERVICE_PEOPLE,
    ENGAGED,
    CONTACTED_PEOPLE,
    CONTACTED_OTHERS,
    ACCEPTED,
    DISPOSITION,
    CASES,
    NEW_CASES,
    SLA,
    SLA_WITHIN,
)
BREAKDOWN_KINDS: tuple[str, ...] = (
    REFERRALS,
    OVERDOSES_FATAL,
    OVERDOSES_NONFATAL,
    SERVICE_PEOPLE,
    ENGAGED,
    CONTACTED_PEOPLE,
    CONTACTED_OTHERS,
    ACCEPTED,
    PRESENT,
)
FUNNEL_KINDS: tuple[str, ...] = (
    FUNNEL_NOTIFIED,
    FUNNEL_ATTEMPTED,
    FUNNEL_REACHED,
    FUNNEL_ACCEPT_OUTCOME,
    FUNNEL_IN_TREATMENT_OUTCOME,
    FUNNEL_ACCEPTING_STEP,
    FUNNEL_TREATMENT_STEP,
)
# The kinds whose rows hold a set of ids rather than a count.
SET_KINDS: frozenset[str] = frozenset(
    {SERVICE_PEOPLE, ENGAGED, CONTACTED_PEOPLE, CONTACTED_OTHERS, ACCEPTED, *FUNNEL_KINDS}
)

DAY = MetricDay.Grain.DAY
MONTH = MetricDay.Grain.MONTH


@dataclass
class DayRow:
    day: dt.date
    kind: str
    key: str
    count: int
    people: BitMap64 | None = None
    hours: list[float] = field(default_factory=list)


def _bitmap(stored: Any) -> BitMap64 | None:
    if stored is None:
        return None
    return BitMap64.deserialize(bytes(stored))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _days_and_months(first: dt.date, last: dt.date | None) -> Q:
    """The rows covering the local days [first, last] (no end: every day from `first` on).

    A calendar month wholly inside is read as its month row, the days of the
    months cut by either end as day rows: a year reads about a dozen rows a kind.
    """
    full_from = first if first.day == 1 else next_month(first)
    if last is None:
        return Q(grain=MONTH, day__gte=full_from) | Q(grain=DAY, day__gte=first, day__lt=full_from)
    after = last + dt.timedelta(days=1)
    full_to = after if after.day == 1 else month_start(last)  # months [full_from, full_to)
    if full_from >= full_to:
        return Q(grain=DAY, day__gte=first, day__lte=last)
    return (
        Q(grain=MONTH, day__gte=full_from, day__lt=full_to)
        | Q(grain=DAY, day__gte=first, day__lt=full_from)
        | Q(grain=DAY, day__gte=full_to, day__lte=last)
    )


def _rows(
    program: Program,
    by: str,
    kinds: Sequence[str],
    first: dt.date,
    last: dt.date | None,
) -> list[DayRow]:
    rows = MetricDay.objects.filter(program=program, by=by, kind__in=list(kinds)).filter(
        _days_and_months(first, last)
    )
    return [
        DayRow(day, kind, key, count, _bitmap(people), unpack_hours(hours))
        for day, kind, key, count, people, hours in rows.values_list(
            "day", "kind", "key", "count", "people", "hours"
        )
    ]


def total_rows(program: Program, first: dt.date, last: dt.date) -> list[DayRow]:
    """The program's daily totals over the local days [first, last]."""
    return _rows(program, "", TOTAL_KINDS, first, last)


class _Sums:
    """Counts summed and sets unioned over some day rows, by (kind, key)."""

    def __init__(self, rows: Iterable[DayRow]) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.sets: dict[tuple[str, str], list[BitMap64]] = {}
        self.hours: list[float] = []
        for row in rows:
            self.counts[row.kind, row.key] += row.count
            if row.people is not None:
                self.sets.setdefault((row.kind, row.key), []).append(row.people)
            if row.kind == SLA:
                self.hours.extend(row.hours)

    def count(self, kind: str, key: str = "") -> int:
        return self.counts[kind, key]

    def union(self, kind: str, key: str = "") -> BitMap64:
        found = self.sets.get((kind, key), [])
        return BitMap64.union(*found) if found else BitMap64()

    def distinct(self, kind: str, key: str = "") -> int:
        return len(self.union(kind, key))


def metrics_of(rows: Iterable[DayRow], disposition_codes: Sequence[str]) -> definitions.Metrics:
    """`domain.metrics.compute` over the days of `rows` (the program's totals)."""
    sums = _Sums(rows)
    cases = sums.count(CASES)
    closed = sums.count(SLA)
    hours = sums.hours
    found = Counter({key: n for (kind, key), n in sums.counts.items() if kind == DISPOSITION and n})
    dispositions = {code: found.get(code, 0) for code in disposition_codes}
    dispositions.update({code: found[code] for code in sorted(found) if code not in dispositions})
    return definitions.Metrics(
        referrals=sums.count(REFERRALS),
        people_referred_to_services=sums.distinct(SERVICE_PEOPLE),
        people_engaged=sums.distinct(ENGAGED),
        people_contacted=sums.distinct(CONTACTED_PEOPLE) + sums.distinct(CONTACTED_OTHERS),
        people_accepted_treatment=sums.distinct(ACCEPTED),
        overdoses_fatal=sums.count(OVERDOSES_FATAL),
        overdoses_nonfatal=sums.count(OVERDOSES_NONFATAL),
        new_person_share=sums.count(NEW_CASES) / cases if cases else None,
        follow_up_within_window_rate=sums.count(SLA_WITHIN) / closed if closed else None,
        median_hours_to_first_contact=statistics.median(hours) if hours else None,
        dispositions=dispositions,
        cases=cases,
        closed_windows=closed,
        timed_tasks=len(hours),
    )


def compute(
    program: Program, first: dt.date, last: dt.date, disposition_codes: Sequence[str]
) -> definitions.Metrics:
    """Every metric over the local days [first, last], as of the program's build."""
    return metrics_of(total_rows(program, first, last), disposition_codes)


def breakdown(
    program: Program, by: str, first: dt.date, last: dt.date, known: Sequence[str]
) -> dict[str, dict[str, int]]:
    """`domain.metrics.breakdown` over the local days [first, last], groups in its order."""
    sums = _Sums(_rows(program, by, BREAKDOWN_KINDS, first, last))
    present = {key for (kind, key), n in sums.counts.items() if kind == PRESENT and n}
    order = list(known) + sorted(present - set(known))
    rows: dict[str, dict[str, int]] = {}
    for group in order:
        values = {
            "referrals": sums.count(REFERRALS, group),
            "people_referred_to_services": sums.distinct(SERVICE_PEOPLE, group),
            "people_engaged": sums.distinct(ENGAGED, group),
            "people_contacted": sums.distinct(CONTACTED_PEOPLE, group)
            + sums.distinct(CONTACTED_OTHERS, group),
            "people_accepted_treatment": sums.distinct(ACCEPTED, group),
            "overdoses_fatal": sums.count(OVERDOSES_FATAL, group),
            "overdoses_nonfatal": sums.count(OVERDOSES_NONFATAL, group),
        }
        rows[group] = {name: values[name] for name in definitions.BREAKDOWN_FIELDS}
    return rows


@dataclass(frozen=True)
class FunnelStages:
    """The funnel's first five stages, as sets of person ids."""

    notified: BitMap64
    attempted: BitMap64
    contacted: BitMap64
    accepted: BitMap64
    entered: BitMap64


def funnel_stages(program: Program, first: dt.date, last: dt.date) -> FunnelStages:
    """`domain.metrics.funnel`'s stages to entered treatment, from the period's first day on.

    The cohort is notified in [first, last]; what came of it is read from `first`
    to the build. The stages after (engaged again) need each person's instants and
    are read from the records for the entered people only.
    """
    later_kinds = [kind for kind in FUNNEL_KINDS if kind != FUNNEL_NOTIFIED]
    notified = _Sums(_rows(program, "", [FUNNEL_NOTIFIED], first, last))
    later = _Sums(_rows(program, "", later_kinds, first, None))
    cohort = notified.union(FUNNEL_NOTIFIED)
    attempted = cohort & later.union(FUNNEL_ATTEMPTED)
    contacted = cohort & later.union(FUNNEL_REACHED)
    accepted = contacted & (later.union(FUNNEL_ACCEPTING_STEP) | later.union(FUNNEL_ACCEPT_OUTCOME))
    in_treatment = later.union(FUNNEL_TREATMENT_STEP) | (
        contacted & later.union(FUNNEL_IN_TREATMENT_OUTCOME)
    )
    return FunnelStages(cohort, attempted, contacted, accepted, accepted & in_treatment)
