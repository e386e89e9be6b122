"""The daily facts the metrics sum (ADR 0012): read from the records, bucketed by local day.

`collect` reads a program's whole history through the same loader the metrics
use for a period (`reports.metrics.load_facts`'s reader), a local calendar year
at a time, and derives every fact's day, group and flags with the same domain
functions the definitions use (`group_of`, `engaged_by`, `reached_participant`,
`humans_reached`, the service referral histories, the SLA's task records). What
it returns is written by `reports.actions.build_metric_days`, which replaces the
program's rows in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Max, Min
from pyroaring import BitMap64

from coresponder.domain.metrics import (
    BREAKDOWNS,
    IN_TREATMENT,
    PARTICIPANT,
    Facts,
    Groups,
    engaged_by,
    group_of,
    humans_reached,
    reached_participant,
)
from coresponder.domain.referrals import ACCEPTED_OR_LATER
from coresponder.domain.sla import attempted_within_window, hours_to_first_contact
from coresponder.domain.vocabulary import AttemptOutcome
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Overdose, Referral
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.programs.models import Program
from coresponder.reports import fast_metrics as kinds
from coresponder.reports.metrics import Period, period_bounds, read_facts
from coresponder.reports.models import MetricDay, MetricKey, pack_hours
from coresponder.services.models import ServiceReferral, ServiceReferralStatusChange

Figure = tuple[dt.date, str, str, str]  # day, kind, by, key


@dataclass
class Collected:
    """A program's daily facts, ready to write, and the collateral keys first seen."""

    rows: list[MetricDay]
    new_keys: list[MetricKey]
    as_of: dt.datetime


@dataclass
class _Figures:
    counts: dict[Figure, int] = field(default_factory=dict)
    sets: dict[Figure, BitMap64] = field(default_factory=dict)
    hours: dict[dt.date, list[float]] = field(default_factory=dict)

    def add(self, day: dt.date, kind: str, by: str = "", key: str = "", n: int = 1) -> None:
        figure = (day, kind, by, key)
        self.counts[figure] = self.counts.get(figure, 0) + n

    def person(self, day: dt.date, kind: str, who: int, by: str = "", key: str = "") -> None:
        figure = (day, kind, by, key)
        found = self.sets.get(figure)
        if found is None:
            found = self.sets[figure] = BitMap64()
        found.add(who)


class _Interner:
    """Numbers for collateral keys, kept per program so the same human keeps one number."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.numbers = dict(MetricKey.objects.filter(program=program).values_list("key", "number"))
        self.next = max(self.numbers.values(), default=0) + 1
        self.new: list[MetricKey] = []

    def __call__(self, key: str) -> int:
        number = self.numbers.get(key)
        if number is None:
            number = self.numbers[key] = self.next
            self.next += 1
            self.new.append(MetricKey(program=self.program, key=key, number=number))
        return number


def _span(program: Program) -> tuple[dt.datetime, dt.datetime] | None:
    """The earliest and latest instants any fact of the program happened at."""
    found: list[dt.datetime] = []
    for rows, column in (
        (Referral.objects.filter(program=program), "received_at"),
        (Encounter.objects.filter(program=program), "occurred_at"),
        (Overdose.objects.filter(program=program), "occurred_at"),
        (Attempt.objects.filter(task__program=program), "attempted_at"),
        (ServiceReferral.objects.filter(program=program), "requested_at"),
        (ServiceReferral.objects.filter(program=program), "status_changed_at"),
        (ServiceReferralStatusChange.objects.filter(referral__program=program), "at"),
        (OutreachTask.objects.filter(program=program), "window_end"),
    ):
        low_high = rows.aggregate(low=Min(column), high=Max(column))
        found += [at for at in low_high.values() if at is not None]
    if not found:
        return None
    return min(found), max(found)


def _years(program: Program, zone: ZoneInfo) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """[start, end) of each local calendar year holding a fact, oldest first."""
    span = _span(program)
    if span is None:
        return
    first, last = (at.astimezone(zone).year for at in span)
    for year in range(first, last + 1):
        yield period_bounds(program, Period(dt.date(year, 1, 1), dt.date(year, 12, 31)))


class _Bucketer:
    """Puts one chunk of facts into day figures, totals and every breakdown."""

    def __init__(self, program: Program, as_of: dt.datetime) -> None:
        self.zone = ZoneInfo(program.timezone)
        self.as_of = as_of
        self.figures = _Figures()
        self.first_case: dict[int, dt.datetime] = {}
        self.keys = _Interner(program)

    def day(self, at: dt.datetime) -> dt.date:
        return at.astimezone(self.zone).date()

    def groups(self, groups: Groups, at: dt.datetime) -> list[tuple[str, str]]:
        local = at.astimezone(self.zone)
        return [(by, group_of(groups, by, local)) for by in BREAKDOWNS]

    def count(self, at: dt.datetime, kind: str, groups: Groups | None = None) -> None:
        """One more of `kind` on the day of `at`, in the totals and (with groups) each group."""
        day = self.day(at)
        self.figures.add(day, kind)
        if groups is not None:
            for by, key in self.groups(groups, at):
                self.figures.add(day, kind, by, key)

    def person(self, at: dt.datetime, kind: str, who: int, groups: Groups | None = None) -> None:
        day = self.day(at)
        self.figures.person(day, kind, who)
        if groups is not None:
            for by, key in self.groups(groups, at):
                self.figures.person(day, kind, who, by, key)

    def present(self, at: dt.datetime, groups: Groups) -> None:
        """A fact a breakdown lists its group for (counted in the groups only)."""
        day = self.day(at)
        for by, key in self.groups(groups, at):
            self.figures.add(day, kinds.PRESENT, by, key)

    def chunk(self, facts: Facts, start: dt.datetime, end: dt.datetime) -> None:
        """The facts of [start, end); chunks come oldest first (a person's first case)."""
        self._cases(facts)
        for referral in facts.referrals:
            self.count(referral.at, kinds.REFERRALS, referral.groups)
            self.present(referral.at, referral.groups)
        for encounter in facts.encounters:
            self.figures.add(self.day(encounter.at), kinds.DISPOSITION, "", encounter.disposition)
            if encounter.person_id is not None:
                self.person(encounter.at, kinds.ENGAGED, encounter.person_id, encounter.groups)
            self.present(encounter.at, encounter.groups)
        for overdose in facts.overdoses:
            kind = kinds.OVERDOSES_FATAL if overdose.fatal else kinds.OVERDOSES_NONFATAL
            self.count(overdose.at, kind, overdose.groups)
            self.present(overdose.at, overdose.groups)
        for service in facts.service_referrals:
            self.person(service.at, kinds.SERVICE_PEOPLE, service.person_id, service.groups)
            self.present(service.at, service.groups)
        self._attempts(facts)
        self._histories(facts, start, end)
        self._tasks(facts)

    def _cases(self, facts: Facts) -> None:
        """Cases, and those at their person's first case in the program (new_person_share)."""
        cases = [(f.person_id, f.at) for f in facts.referrals if f.person_id is not None]
        cases += [(f.person_id, f.at) for f in facts.encounters if f.person_id is not None]
        earliest: dict[int, dt.datetime] = {}
        for who, at in cases:
            if who not in self.first_case and (who not in earliest or at < earliest[who]):
                earliest[who] = at
        self.first_case.update(earliest)
        for who, at in cases:
            self.count(at, kinds.CASES)
            if at == self.first_case[who]:
                self.count(at, kinds.NEW_CASES)

    def _attempts(self, facts: Facts) -> None:
        participant_key = f"{PARTICIPANT}:"
        for attempt in facts.attempts:
            at, who, groups = attempt.at, attempt.person_id, attempt.groups
            self.present(at, groups)
            if engaged_by(attempt):
                self.person(at, kinds.ENGAGED, who, groups)
            reached = reached_participant(attempt)
            if reached:
                self.person(at, kinds.CONTACTED_PEOPLE, who, groups)
            for key in sorted(humans_reached(attempt)):
                if key != f"{participant_key}{who}":
                    self.person(at, kinds.CONTACTED_OTHERS, self.keys(key), groups)
            accepted = attempt.outcome is AttemptOutcome.ACCEPTED_TREATMENT
            if accepted and not attempt.to_family:
                self.person(at, kinds.ACCEPTED, who, groups)
            if attempt.to_family:
                continue
            # The funnel reads participants' tasks only.
            self.person(at, kinds.FUNNEL_ATTEMPTED, who)
            if reached:
                self.person(at, kinds.FUNNEL_REACHED, who)
                if accepted:
                    self.person(at, kinds.FUNNEL_ACCEPT_OUTCOME, who)
                if attempt.outcome is AttemptOutcome.ALREADY_IN_TREATMENT:
                    self.person(at, kinds.FUNNEL_IN_TREATMENT_OUTCOME, who)

    def _histories(self, facts: Facts, start: dt.datetime, end: dt.datetime) -> None:
        """Treatment referrals' steps in this chunk (a referral may be read in several)."""
        for history, groups in zip(facts.histories, facts.history_groups, strict=True):
            if not history.treatment:
                continue
            for step in history.steps:
                if not start <= step.at < end or step.status not in ACCEPTED_OR_LATER:
                    continue
                self.person(step.at, kinds.ACCEPTED, history.person_id, groups)
                self.present(step.at, groups)
                self.person(step.at, kinds.FUNNEL_ACCEPTING_STEP, history.person_id)
                if step.status in IN_TREATMENT:
                    self.person(step.at, kinds.FUNNEL_TREATMENT_STEP, history.person_id)

    def _tasks(self, facts: Facts) -> None:
        """Tasks whose window closed by the build, on the day it closed (domain.sla.summarize)."""
        for task in facts.tasks:
            if task.window_end > self.as_of:
                continue
            day = self.day(task.window_end)
            self.figures.add(day, kinds.SLA)
            if attempted_within_window(task):
                self.figures.add(day, kinds.SLA_WITHIN)
            hours = hours_to_first_contact(task)
            if hours is not None:
                self.figures.hours.setdefault(day, []).append(hours)

    def notified(self, tasks: Iterable[tuple[int, dt.datetime]]) -> None:
        """The funnel's cohort: participants' tasks (not cancelled) by the day they opened."""
        for who, opened_at in tasks:
            self.person(opened_at, kinds.FUNNEL_NOTIFIED, who)

    def rows(self, program: Program) -> list[MetricDay]:
        """A row per day figure, and per month figure (each month's days rolled up)."""
        figures = self.figures
        months = _Figures()
        for (day, kind, by, key), n in figures.counts.items():
            months.add(kinds.month_start(day), kind, by, key, n)
        for (day, kind, by, key), people in figures.sets.items():
            month = (kinds.month_start(day), kind, by, key)
            if month in months.sets:
                months.sets[month] |= people
            else:
                months.sets[month] = BitMap64(people)
        for day in sorted(figures.hours):
            months.hours.setdefault(kinds.month_start(day), []).extend(figures.hours[day])
        return [
            *_rows_of(program, figures, MetricDay.Grain.DAY),
            *_rows_of(program, months, MetricDay.Grain.MONTH),
        ]


def _rows_of(program: Program, figures: _Figures, grain: str) -> list[MetricDay]:
    rows: list[MetricDay] = []
    for (day, kind, by, key), n in figures.counts.items():
        hours = pack_hours(figures.hours.get(day, [])) if kind == kinds.SLA and not by else None
        rows.append(
            MetricDay(
                program=program,
                grain=grain,
                day=day,
                kind=kind,
                by=by,
                key=key,
                count=n,
                hours=hours,
            )
        )
    for (day, kind, by, key), people in figures.sets.items():
        people.run_optimize()
        rows.append(
            MetricDay(
                program=program,
                grain=grain,
                day=day,
                kind=kind,
                by=by,
                key=key,
                count=len(people),
                people=people.serialize(),
            )
        )
    return rows


def collect(program: Program, as_of: dt.datetime) -> Collected:
    """Every daily fact of the program from its records, as of `as_of` (for the SLA)."""
    bucketer = _Bucketer(program, as_of)
    for start, end in _years(program, bucketer.zone):
        bucketer.chunk(read_facts(program, start, end), start, end)
    bucketer.notified(
        OutreachTask.objects.filter(program=program, target=OutreachTask.Target.PARTICIPANT)
        .exclude(status=OutreachTask.Status.CANCELLED)
        .values_list("person_id", "window_start")
    )
    return Collected(bucketer.rows(program), bucketer.keys.new, as_of)
