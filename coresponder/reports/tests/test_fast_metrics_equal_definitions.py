"""The figures summed from the daily facts equal the definitions, exactly, on random worlds.

Each example makes a small PAD world (America/New_York, so days of 23 and 25
hours) through the real models on the real test database: people with several
referrals, encounters with dispositions, overdoses fatal and not, tasks for the
person and for the family with attempts of every outcome reaching the person and
their collaterals, treatment and other service referrals with status steps,
many of them at local midnights and on the days the clocks change. The facts are
built once, then the world changes after the fact (an encounter moved to
another day, a person's race and birth date corrected, two people merged and
perhaps the merge undone), and the facts are built again. For several periods
(one day, across a clock change, across months, a year and more), every figure
the records give (every metric with its bases, every breakdown's rows in order,
the funnel, the monthly series of every metric) equals the figure the daily
facts give, with the records read at the build's instant.

new_person_share counts, over the daily facts, the cases at their person's first
case in the program; the definition counts the cases of people not seen before
the period that are at their first case within it. The periods here begin
before, inside and after people's first cases, so their equality is tested too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coresponder.conftest import Clock
from coresponder.core.audit import Actor
from coresponder.domain.metrics import BREAKDOWNS
from coresponder.domain.vocabulary import AttemptOutcome, Disposition
from coresponder.encounters.models import Encounter
from coresponder.identity.actions import merge_people, unmerge
from coresponder.intake.models import Overdose, OverdoseReport, Referral
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.people.models import Ethnicity, Person, Race, Sex
from coresponder.people.tests.factories import CollateralFactory, PersonFactory
from coresponder.programs.models import District, Program
from coresponder.reports.actions import build_metric_days
from coresponder.reports.metrics import (
    Period,
    compute_metrics,
    funnel,
    metric_breakdown,
    monthly_series,
    shared_facts,
)
from coresponder.reports.models import MetricBuild, MetricDay
from coresponder.services.models import (
    Service,
    ServiceOrganization,
    ServiceReferral,
    ServiceReferralStatusChange,
)

NY = ZoneInfo("America/New_York")
FIRST_DAY = dt.date(2025, 12, 1)
DAYS = 420  # to late January 2027
NOW = dt.datetime(2027, 1, 10, 17, tzinfo=dt.UTC)  # some windows close after it
SPECIAL_DAYS = (
    dt.date(2026, 3, 8),  # clocks go forward at 02:00
    dt.date(2026, 11, 1),  # clocks go back at 02:00
    dt.date(2026, 1, 1),
    dt.date(2026, 2, 28),
    dt.date(2026, 3, 1),
    dt.date(2026, 10, 31),
    dt.date(2026, 12, 31),
    dt.date(2027, 1, 9),  # windows of a day from here close at the build's instant
    dt.date(2027, 1, 10),
)
SPECIAL_TIMES = (
    dt.time(0, 0),
    dt.time(0, 30),
    dt.time(1, 30),
    dt.time(2, 30),
    dt.time(12, 0),
    dt.time(23, 30),
    dt.time(23, 59, 59, 999999),
)
PERIODS = (
    Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),  # a year
    Period(dt.date(2026, 10, 15), dt.date(2026, 11, 15)),  # across the clocks going back
    Period(dt.date(2026, 3, 8), dt.date(2026, 3, 8)),  # the 23-hour day
    Period(dt.date(2026, 11, 1), dt.date(2026, 11, 1)),  # the 25-hour day
    Period(dt.date(2026, 2, 20), dt.date(2026, 3, 10)),  # across months and a clock change
    Period(dt.date(2026, 2, 1), dt.date(2026, 3, 31)),  # two whole months
    Period(FIRST_DAY, FIRST_DAY + dt.timedelta(days=DAYS)),  # everything
)
METRICS = (
    "referrals",
    "people_referred_to_services",
    "people_engaged",
    "people_contacted",
    "people_accepted_treatment",
    "overdoses_fatal",
    "overdoses_nonfatal",
    "new_person_share",
    "follow_up_within_window_rate",
    "median_hours_to_first_contact",
)
ACTOR = Actor(label="records clerk", where="test")
STATUS_STEPS = ("requested", "accepted", "in-progress", "completed", "rejected", "on-hold")

days = st.one_of(
    st.sampled_from(SPECIAL_DAYS),
    st.integers(0, DAYS).map(lambda n: FIRST_DAY + dt.timedelta(days=n)),
)
times = st.one_of(st.sampled_from(SPECIAL_TIMES), st.times())


@st.composite
def instants(draw: Any) -> dt.datetime:
    local = dt.datetime.combine(draw(days), draw(times), tzinfo=NY)
    return local.replace(fold=draw(st.integers(0, 1)))


index = st.integers(0, 7)
maybe_index = st.one_of(st.none(), index)
people_specs = st.tuples(
    st.sampled_from(["", *Race.values]),
    st.sampled_from(["", *Ethnicity.values]),
    st.sampled_from(list(Sex.values)),
    st.one_of(
        st.none(),
        st.sampled_from([dt.date(2008, 3, 8), dt.date(1961, 11, 1), dt.date(2001, 10, 20)]),
        st.dates(dt.date(1930, 1, 1), dt.date(2026, 6, 1)),
    ),
)
contacts = st.lists(
    st.sampled_from(["participant", "record", "mother", "Mother ", "brother"]), max_size=3
)


@dataclass(frozen=True)
class Plan:
    people: list[Any]
    referrals: list[Any]
    overdoses: list[Any]
    encounters: list[Any]
    tasks: list[Any]
    attempts: list[Any]
    services: list[Any]
    journeys: list[Any]
    moves: list[Any]
    corrections: list[Any]
    merge: tuple[int, int] | None
    undo_merge: bool
    period: Period


@st.composite
def periods(draw: Any) -> Period:
    start = draw(days)
    return Period(start, start + dt.timedelta(days=draw(st.sampled_from([0, 1, 6, 30, 45, 200]))))


plans = st.builds(
    Plan,
    people=st.lists(people_specs, min_size=1, max_size=4),
    # person, at, pathway, district, from the police
    referrals=st.lists(
        st.tuples(
            maybe_index,
            instants(),
            st.sampled_from(["self_referral", "officer_intervention", "naloxone_plus"]),
            maybe_index,
            st.booleans(),
        ),
        max_size=6,
    ),
    # person, at, fatal, first reporter, referral, district
    overdoses=st.lists(
        st.tuples(
            maybe_index,
            instants(),
            st.booleans(),
            st.sampled_from([None, "ems", "police", "hospital"]),
            maybe_index,
            maybe_index,
        ),
        max_size=3,
    ),
    # person, at, disposition, referral
    encounters=st.lists(
        st.tuples(
            maybe_index,
            instants(),
            st.sampled_from([*(d.value for d in Disposition), "left_before_help"]),
            maybe_index,
        ),
        max_size=5,
    ),
    # person, for the family, status, opens, hours open, referral, overdose, district
    tasks=st.lists(
        st.tuples(
            index,
            st.booleans(),
            st.sampled_from(list(OutreachTask.Status.values)),
            instants(),
            st.sampled_from([1, 24, 72, 200]),
            maybe_index,
            maybe_index,
            maybe_index,
        ),
        max_size=4,
    ),
    # task, at, outcome, who was reached
    attempts=st.lists(
        st.tuples(index, instants(), st.sampled_from(list(AttemptOutcome)), contacts),
        max_size=8,
    ),
    # person, to treatment, requested, status, status changed, recorded steps
    services=st.lists(
        st.tuples(
            index,
            st.booleans(),
            instants(),
            st.sampled_from(STATUS_STEPS),
            instants(),
            st.lists(st.tuples(st.sampled_from(STATUS_STEPS), instants()), max_size=3),
        ),
        max_size=3,
    ),
    # person, notified, days until seen again, entered by their own word (else by the provider)
    journeys=st.lists(
        st.tuples(index, instants(), st.sampled_from([1, 20, 40, 100]), st.booleans()),
        max_size=2,
    ),
    moves=st.lists(st.tuples(index, instants()), max_size=1),  # encounter, new instant
    corrections=st.lists(st.tuples(index, people_specs), max_size=1),
    merge=st.one_of(st.none(), st.tuples(index, index)),
    undo_merge=st.booleans(),
    period=periods(),
)


def pick(items: list[Any], at: int | None) -> Any:
    """The item an index names (wrapping), or None for no index or no items."""
    if at is None or not items:
        return None
    return items[at % len(items)]


def make_world(program: Program, plan: Plan, police: Any) -> list[Person]:
    districts = list(District.objects.filter(program=program).order_by("code"))
    people = [
        PersonFactory.create(race=race, ethnicity=ethnicity, sex=sex, birth_date=born)
        for race, ethnicity, sex, born in plan.people
    ]
    collaterals = {p.pk: CollateralFactory.create(person=p) for p in people}
    referrals = [
        Referral.objects.create(
            program=program,
            person=pick(people, who),
            received_at=at,
            pathway=pathway,
            district=pick(districts, district),
            referring_organization=police if by_police else None,
        )
        for who, at, pathway, district, by_police in plan.referrals
    ]
    overdoses = []
    linked: set[int] = set()
    for who, at, fatal, source, referral, district in plan.overdoses:
        link = pick(referrals, referral)
        if link is not None and link.pk in linked:
            link = None  # one overdose per referral
        if link is not None:
            linked.add(link.pk)
        overdose = Overdose.objects.create(
            program=program,
            person=pick(people, who),
            occurred_at=at,
            fatal=fatal,
            referral=link,
            district=pick(districts, district),
        )
        if source is not None:
            OverdoseReport.objects.create(overdose=overdose, source=source, reported_at=at)
            OverdoseReport.objects.create(
                overdose=overdose, source="hospital", reported_at=at + dt.timedelta(hours=1)
            )
        overdoses.append(overdose)
    for who, at, disposition, referral in plan.encounters:
        Encounter.objects.create(
            program=program,
            person=pick(people, who),
            occurred_at=at,
            kind="drop_in",
            disposition=disposition,
            referral=pick(referrals, referral),
        )
    tasks = []
    for who, family, status, opens, hours, referral, overdose, district in plan.tasks:
        tasks.append(
            OutreachTask.objects.create(
                program=program,
                person=pick(people, who),
                target="family" if family else "participant",
                status=status,
                window_start=opens,
                window_end=opens + dt.timedelta(hours=hours),
                referral=pick(referrals, referral),
                overdose=pick(overdoses, overdose),
                district=pick(districts, district),
            )
        )
    for task, at, outcome, reached in plan.attempts:
        on = pick(tasks, task)
        if on is None:
            continue
        made = Attempt.objects.create(
            task=on, attempted_at=at, channel="home_visit", outcome=outcome.value
        )
        for who in reached:
            if who == "participant":
                AttemptContact.objects.create(attempt=made, role="participant")
            elif who == "record":
                AttemptContact.objects.create(
                    attempt=made,
                    role="collateral",
                    collateral=collaterals[on.person_id],
                    relationship="mother",
                )
            else:
                AttemptContact.objects.create(
                    attempt=made, role="collateral", relationship=who, name=" Pat "
                )
    organization = ServiceOrganization.objects.create(hsds_id="org-fm", name="Recovery")
    treatment = Service.objects.create(
        hsds_id="svc-fm-1", organization=organization, name="OUD", part2_program=True
    )
    other = Service.objects.create(hsds_id="svc-fm-2", organization=organization, name="Food")
    for who, to_treatment, requested, status, changed, steps in plan.services:
        referral = ServiceReferral.objects.create(
            program=program,
            person=pick(people, who),
            service=treatment if to_treatment else other,
            status=status,
            requested_at=requested,
            status_changed_at=changed,
        )
        for step, at in steps:
            ServiceReferralStatusChange.objects.create(referral=referral, status=step, at=at)
    for who, notified, later, own_word in plan.journeys:
        journey(program, pick(people, who), notified, later, own_word, treatment)
    return people


def journey(
    program: Program,
    person: Person,
    notified: dt.datetime,
    later: int,
    own_word: bool,
    treatment: Service,
) -> None:
    """Notified, reached, accepting treatment, in it, and seen again `later` days on."""
    task = OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=notified,
        window_end=notified + dt.timedelta(hours=72),
    )
    reached = Attempt.objects.create(
        task=task,
        attempted_at=notified + dt.timedelta(hours=5),
        channel="home_visit",
        outcome="already_in_treatment" if own_word else "accepted_treatment",
    )
    AttemptContact.objects.create(attempt=reached, role="participant")
    referral = ServiceReferral.objects.create(
        program=program,
        person=person,
        service=treatment,
        status="in-progress",
        requested_at=notified + dt.timedelta(days=1),
        status_changed_at=notified + dt.timedelta(days=3),
    )
    if not own_word:
        for step, days_on in (("accepted", 2), ("in-progress", 3)):
            ServiceReferralStatusChange.objects.create(
                referral=referral, status=step, at=notified + dt.timedelta(days=days_on)
            )
    Encounter.objects.create(
        program=program,
        person=person,
        occurred_at=notified + dt.timedelta(days=later),
        kind="drop_in",
        disposition="resolved_on_scene",
    )


def change_after_the_fact(plan: Plan, people: list[Person], program: Program) -> None:
    encounters = list(Encounter.objects.filter(program=program).order_by("pk"))
    for which, at in plan.moves:
        moved = pick(encounters, which)
        if moved is not None:
            Encounter.objects.filter(pk=moved.pk).update(occurred_at=at)
    for which, (race, ethnicity, sex, born) in plan.corrections:
        Person.objects.filter(pk=pick(people, which).pk).update(
            race=race, ethnicity=ethnicity, sex=sex, birth_date=born
        )
    if plan.merge is not None:
        keep, other = pick(people, plan.merge[0]), pick(people, plan.merge[1])
        if keep.pk != other.pk:
            merge = merge_people(ACTOR, keep, other, {})
            if plan.undo_merge:
                unmerge(ACTOR, merge)


def figures(program: Program, periods: list[Period]) -> list[Any]:
    """Every figure of every period, as the public functions give them."""
    found: list[Any] = []
    for period in periods:
        with shared_facts():
            found.append(("metrics", period, compute_metrics(program, period)))
            for by in BREAKDOWNS:
                found.append((by, period, metric_breakdown(program, period, by)))
            found.append(("funnel", period, funnel(program, period)))
            for metric in METRICS:
                found.append((metric, period, monthly_series(program, period, metric)))
    return found


def describe(found: list[Any]) -> None:
    """What the example exercised (pytest --hypothesis-show-statistics)."""
    for name, _, value in found:
        if name == "metrics":
            share = value.new_person_share
            event(f"new share strictly between 0 and 1: {share is not None and 0 < share < 1}")
            event(f"median: {value.median_hours_to_first_contact is not None}")
            event(f"contacted > engaged: {value.people_contacted > value.people_engaged}")
            event(f"accepted: {value.people_accepted_treatment > 0}")
        if name == "funnel":
            event(f"funnel reaches engaged_30: {value[-2][2] > 0}")
            event(f"funnel reaches entered: {value[-3][2] > 0}")
        if name == "age_band":
            event(f"age bands: {min(len(value), 9)}")


class _Rollback(Exception):
    """Ends an example, undoing its world."""


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(plan=plans)
def test_the_daily_facts_give_exactly_the_figures_the_definitions_give(
    plan: Plan, pad: Program, clock: Clock, police_department: Any
) -> None:
    clock.now = NOW
    periods = [*PERIODS, plan.period]
    try:
        with transaction.atomic():
            people = make_world(pad, plan, police_department)
            build_metric_days(pad)
            change_after_the_fact(plan, people, pad)
            MetricBuild.objects.filter(program=pad).delete()
            from_records = figures(pad, periods)
            build = build_metric_days(pad)
            assert build.as_of == NOW
            assert MetricDay.objects.filter(program=pad).count() == build.rows
            from_days = figures(pad, periods)
            for (name, period, expected), (_, _, got) in zip(from_records, from_days, strict=True):
                assert got == expected, (name, period)
            describe(from_records)
            raise _Rollback
    except _Rollback:
        pass


def test_a_period_beginning_after_the_build_is_read_from_the_records(
    pad: Program, clock: Clock
) -> None:
    clock.now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    person = PersonFactory.create()
    build_metric_days(pad)
    Referral.objects.create(
        program=pad,
        person=person,
        received_at=dt.datetime(2026, 6, 2, 12, tzinfo=NY),
        pathway="self_referral",
    )
    june = Period(dt.date(2026, 6, 2), dt.date(2026, 6, 30))
    assert compute_metrics(pad, june).referrals == 1  # the records: the build is older
    may_on = Period(dt.date(2026, 5, 1), dt.date(2026, 6, 30))
    assert compute_metrics(pad, may_on).referrals == 0  # the daily facts, as of the build
    build_metric_days(pad)
    assert compute_metrics(pad, may_on).referrals == 1
