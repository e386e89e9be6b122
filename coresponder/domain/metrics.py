"""Program metrics, defined once: the API, the dashboard and every export read these.

Plain facts in, plain numbers out (docs/api.md, "Metrics"). Each fact carries the
instant it happened and, for breakdowns, the groups it falls in. Periods are
half-open instants [start, end); `now` is a parameter. Nothing here is stored:
every figure is computed from the records.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from coresponder.domain.intake import age_on
from coresponder.domain.referrals import (
    ACCEPTED_OR_LATER,
    OutcomeFact,
    ReferralHistory,
    people_accepted_treatment,
)
from coresponder.domain.sla import TaskRecord, summarize
from coresponder.domain.vocabulary import AttemptOutcome, TaskStatus

Outcome = AttemptOutcome

# docs/api.md, people_engaged: every outcome but these reached the participant.
NOT_ENGAGING: frozenset[AttemptOutcome] = frozenset(
    {Outcome.NOT_LOCATED, Outcome.CONTACTED_COLLATERAL_ONLY, Outcome.DECEASED, Outcome.MOVED_AWAY}
)
# The funnel's "entered treatment": the provider started or finished the work.
IN_TREATMENT: frozenset[TaskStatus] = frozenset({TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED})
PARTICIPANT = "participant"
COLLATERAL = "collateral"

BREAKDOWNS: tuple[str, ...] = (
    "district",
    "source",
    "pathway",
    "race",
    "ethnicity",
    "sex",
    "age_band",
)
PERSON_BREAKDOWNS = frozenset({"race", "ethnicity", "sex", "age_band"})
# Missing values: "none" for what the record did not say (no district, no
# source), "unknown" for what the person did not say (race, age).
NONE = "none"
UNKNOWN = "unknown"
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("<18", 0, 17),
    ("18-24", 18, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45-54", 45, 54),
    ("55-64", 55, 64),
    ("65+", 65, 200),
)
AGE_BAND_KEYS: tuple[str, ...] = (*(band for band, _, _ in AGE_BANDS), UNKNOWN)
ENGAGED_AGAIN_DAYS: tuple[int, ...] = (30, 90)


@dataclass(frozen=True)
class Groups:
    """What a fact is broken down by: its record's district, pathway and source, and its person."""

    district: str = ""
    pathway: str = ""
    source: str = ""
    race: str = ""
    ethnicity: str = ""
    sex: str = ""
    birth_date: dt.date | None = None


NO_GROUPS = Groups()


@dataclass(frozen=True)
class ReferralFact:
    """A referral into the program (one entry on one pathway)."""

    person_id: int | None
    at: dt.datetime
    groups: Groups = NO_GROUPS


@dataclass(frozen=True)
class EncounterFact:
    """A crisis response, visit or drop-in, and how it ended."""

    person_id: int | None
    at: dt.datetime
    disposition: str
    groups: Groups = NO_GROUPS


@dataclass(frozen=True)
class OverdoseFact:
    """One overdose, however many agencies reported it."""

    person_id: int | None
    at: dt.datetime
    fatal: bool
    groups: Groups = NO_GROUPS


@dataclass(frozen=True)
class AttemptFact:
    """One follow-up attempt on a participant's task, and who was reached on it.

    `collaterals` names each family member or friend reached, one key per human
    (their record's id where there is one), so the same mother reached twice
    counts once.
    """

    person_id: int
    at: dt.datetime
    outcome: AttemptOutcome
    reached_roles: frozenset[str] = frozenset()
    collaterals: frozenset[str] = frozenset()
    groups: Groups = NO_GROUPS
    # A task for the family after a fatal overdose: whoever answers is a collateral.
    to_family: bool = False


@dataclass(frozen=True)
class ServiceReferralFact:
    """A service referral made for a participant."""

    person_id: int
    at: dt.datetime
    groups: Groups = NO_GROUPS


@dataclass(frozen=True)
class TaskFact:
    """A participant's outreach task, opened when its window opened."""

    person_id: int
    opened_at: dt.datetime


@dataclass(frozen=True)
class Facts:
    """Everything the metrics read for one period (and, for the funnel, after it).

    `seen_before` holds the people with a referral or encounter in the program
    before the period began. `histories` are the service referrals whose steps
    may fall in the period; `history_groups` gives each history's person groups.
    """

    referrals: Sequence[ReferralFact] = ()
    encounters: Sequence[EncounterFact] = ()
    overdoses: Sequence[OverdoseFact] = ()
    attempts: Sequence[AttemptFact] = ()
    service_referrals: Sequence[ServiceReferralFact] = ()
    histories: Sequence[ReferralHistory] = ()
    history_groups: Sequence[Groups] = ()
    tasks: Sequence[TaskRecord] = ()
    seen_before: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Metrics:
    """The docs/api.md metrics object, with the bases its shares and median rest on."""

    referrals: int
    people_referred_to_services: int
    people_engaged: int
    people_contacted: int
    people_accepted_treatment: int
    overdoses_fatal: int
    overdoses_nonfatal: int
    new_person_share: float | None
    follow_up_within_window_rate: float | None
    median_hours_to_first_contact: float | None
    dispositions: dict[str, int]
    cases: int = 0  # referrals and encounters with a person: new_person_share's base
    closed_windows: int = 0  # the follow-up rate's base
    timed_tasks: int = 0  # tasks with a first attempt: the median's base

    def as_api(self) -> dict[str, Any]:
        """Exactly the object docs/api.md names, keys and types."""
        return {
            "referrals": self.referrals,
            "people_referred_to_services": self.people_referred_to_services,
            "people_engaged": self.people_engaged,
            "people_contacted": self.people_contacted,
            "people_accepted_treatment": self.people_accepted_treatment,
            "overdoses": {"fatal": self.overdoses_fatal, "nonfatal": self.overdoses_nonfatal},
            "new_person_share": self.new_person_share,
            "follow_up_within_window_rate": self.follow_up_within_window_rate,
            "median_hours_to_first_contact": self.median_hours_to_first_contact,
            "dispositions": dict(self.dispositions),
        }

    def bases(self) -> dict[str, int]:
        """How many records each share or median rests on, for small-cell suppression."""
        return {
            "new_person_share": self.cases,
            "follow_up_within_window_rate": self.closed_windows,
            "median_hours_to_first_contact": self.timed_tasks,
        }


def _within(at: dt.datetime, start: dt.datetime, end: dt.datetime) -> bool:
    return start <= at < end


# --- One function per metric (docs/api.md, word for word) -------------------


def referrals(facts: Iterable[ReferralFact], start: dt.datetime, end: dt.datetime) -> int:
    """Referrals received in the period."""
    return sum(1 for fact in facts if _within(fact.at, start, end))


def people_referred_to_services(
    facts: Iterable[ServiceReferralFact], start: dt.datetime, end: dt.datetime
) -> int:
    """Distinct participants with a service referral made in the period."""
    return len({fact.person_id for fact in facts if _within(fact.at, start, end)})


def engages(outcome: AttemptOutcome) -> bool:
    """The attempt reached the participant themself (docs/api.md, people_engaged)."""
    return outcome not in NOT_ENGAGING


def engaged_by(attempt: AttemptFact) -> bool:
    """The attempt engaged the participant (docs/api.md, people_engaged)."""
    return not attempt.to_family and engages(attempt.outcome)


def reached_participant(attempt: AttemptFact) -> bool:
    """The participant was reached: the outcome says so, or they are named among those reached."""
    return not attempt.to_family and (
        engages(attempt.outcome) or PARTICIPANT in attempt.reached_roles
    )


def people_engaged(
    attempts: Iterable[AttemptFact],
    encounters: Iterable[EncounterFact],
    start: dt.datetime,
    end: dt.datetime,
) -> int:
    """Distinct participants reached in person or by phone in the period.

    An attempt outcome other than not located, collateral only, deceased or moved
    away, or an encounter.
    """
    people = {a.person_id for a in attempts if _within(a.at, start, end) and engaged_by(a)}
    people |= {
        e.person_id for e in encounters if e.person_id is not None and _within(e.at, start, end)
    }
    return len(people)


def humans_reached(attempt: AttemptFact) -> set[str]:
    """Keys of the humans one attempt reached: the participant, and each collateral."""
    keys = {f"{COLLATERAL}:{key}" for key in attempt.collaterals}
    if reached_participant(attempt):
        keys.add(f"{PARTICIPANT}:{attempt.person_id}")
    if not attempt.collaterals and (
        COLLATERAL in attempt.reached_roles
        or attempt.outcome is Outcome.CONTACTED_COLLATERAL_ONLY
        or (attempt.to_family and engages(attempt.outcome))
    ):
        # Someone close to the person was reached but not named: one human.
        keys.add(f"{COLLATERAL}:of-{attempt.person_id}")
    return keys


def people_contacted(attempts: Iterable[AttemptFact], start: dt.datetime, end: dt.datetime) -> int:
    """Distinct humans reached in follow-up in the period, participants and collaterals both."""
    keys: set[str] = set()
    for attempt in attempts:
        if _within(attempt.at, start, end):
            keys |= humans_reached(attempt)
    return len(keys)


def outcome_facts(attempts: Iterable[AttemptFact]) -> list[OutcomeFact]:
    """The participants' own outcomes, as `people_accepted_treatment` reads them."""
    return [OutcomeFact(a.person_id, a.outcome, a.at) for a in attempts if not a.to_family]


def overdoses(facts: Iterable[OverdoseFact], start: dt.datetime, end: dt.datetime) -> Counter[bool]:
    """Overdoses that occurred in the period, counted by fatal (True) or not (False)."""
    return Counter(fact.fatal for fact in facts if _within(fact.at, start, end))


# "Jail and the ER avoided" counts the encounters that ended any way but these.
JAIL_OR_ER: frozenset[str] = frozenset({"arrested", "transported_hospital"})


def dispositions(
    facts: Iterable[EncounterFact], start: dt.datetime, end: dt.datetime, codes: Sequence[str] = ()
) -> dict[str, int]:
    """Encounters in the period by disposition; every code in `codes` appears, zero or not."""
    counts = Counter(fact.disposition for fact in facts if _within(fact.at, start, end))
    ordered = {code: counts.get(code, 0) for code in codes}
    ordered.update({code: counts[code] for code in sorted(counts) if code not in ordered})
    return ordered


@dataclass(frozen=True)
class Case:
    """A referral or an encounter: the things `new_person_share` counts."""

    person_id: int
    at: dt.datetime


def cases_of(
    referral_facts: Iterable[ReferralFact], encounter_facts: Iterable[EncounterFact]
) -> list[Case]:
    """Referrals and encounters with a person; without one, newness cannot be known."""
    cases = [Case(f.person_id, f.at) for f in referral_facts if f.person_id is not None]
    cases += [Case(f.person_id, f.at) for f in encounter_facts if f.person_id is not None]
    return cases


def new_person_share(
    cases: Sequence[Case],
    seen_before: frozenset[int],
    start: dt.datetime,
    end: dt.datetime,
    identity: Callable[[int], int] = int,
) -> tuple[float | None, int]:
    """Of the referrals and encounters in the period, the share whose person had none before.

    "Before" is before that referral or encounter: a person's first case in the
    program is new, their later ones are not, and cases at the same instant are
    alike. `cases` must hold every case from `seen_before`'s cut-off on.

    Identity resolution is not built yet, so one Person record is one human;
    `identity` maps a record to its resolved cluster when it is (all of
    `seen_before` must then be cluster ids too). Returns the share and its base.
    """
    first_at: dict[int, dt.datetime] = {}
    for case in cases:
        who = identity(case.person_id)
        if who not in first_at or case.at < first_at[who]:
            first_at[who] = case.at
    counted = [c for c in cases if _within(c.at, start, end)]
    if not counted:
        return None, 0
    new = sum(
        1
        for c in counted
        if identity(c.person_id) not in seen_before and c.at == first_at[identity(c.person_id)]
    )
    return new / len(counted), len(counted)


def compute(
    facts: Facts,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    disposition_codes: Sequence[str] = (),
) -> Metrics:
    """Every docs/api.md metric over [start, end) from one set of facts."""
    by_fatal = overdoses(facts.overdoses, start, end)
    share, cases = new_person_share(
        cases_of(facts.referrals, facts.encounters), facts.seen_before, start, end
    )
    sla = summarize(facts.tasks, start, end, now)
    return Metrics(
        referrals=referrals(facts.referrals, start, end),
        people_referred_to_services=people_referred_to_services(
            facts.service_referrals, start, end
        ),
        people_engaged=people_engaged(facts.attempts, facts.encounters, start, end),
        people_contacted=people_contacted(facts.attempts, start, end),
        people_accepted_treatment=people_accepted_treatment(
            facts.histories, start, end, outcome_facts(facts.attempts)
        ),
        overdoses_fatal=by_fatal[True],
        overdoses_nonfatal=by_fatal[False],
        new_person_share=share,
        follow_up_within_window_rate=sla.follow_up_within_window_rate,
        median_hours_to_first_contact=sla.median_hours_to_first_contact,
        dispositions=dispositions(facts.encounters, start, end, disposition_codes),
        cases=cases,
        closed_windows=sla.closed_windows,
        timed_tasks=sum(
            1
            for t in facts.tasks
            if t.first_attempt_at is not None
            and start <= t.window_end < end
            and t.window_end <= now
        ),
    )


# --- Breakdowns --------------------------------------------------------------


def age_band(birth_date: dt.date | None, day: dt.date) -> str:
    """The age band on `day` (for a referral, its date); "unknown" without a birth date."""
    age = age_on(birth_date, day)
    if age is None or age < 0:
        return UNKNOWN
    return next(band for band, low, high in AGE_BANDS if low <= age <= high)


def group_of(groups: Groups, by: str, at: dt.datetime) -> str:
    """The group key a fact falls in; `at` should be in the program's zone (age bands)."""
    if by == "age_band":
        return age_band(groups.birth_date, at.date())
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break metrics down by {by!r}")
    value: str = getattr(groups, by)
    if value:
        return value
    return UNKNOWN if by in PERSON_BREAKDOWNS else NONE


BREAKDOWN_FIELDS: tuple[str, ...] = (
    "referrals",
    "people_referred_to_services",
    "people_engaged",
    "people_contacted",
    "people_accepted_treatment",
    "overdoses_fatal",
    "overdoses_nonfatal",
)


# The breakdown's figures that count distinct people: a person may fall in more than one
# row, so their total is the period's own figure, where the person counts once.
BREAKDOWN_PEOPLE: frozenset[str] = frozenset(
    {
        "people_referred_to_services",
        "people_engaged",
        "people_contacted",
        "people_accepted_treatment",
    }
)


def breakdown_total(
    rows: Iterable[Mapping[str, int]], counted: Metrics, fields: Sequence[str] = BREAKDOWN_FIELDS
) -> dict[str, int]:
    """A breakdown's total row: records (referrals, overdoses) add up the rows, each in one
    row; people are the period's distinct count (`counted`, its headline figures), so a
    person in more than one row counts once."""
    listed = list(rows)
    return {
        name: getattr(counted, name)
        if name in BREAKDOWN_PEOPLE
        else sum(int(row[name]) for row in listed)
        for name in fields
    }


def breakdown(
    facts: Facts,
    by: str,
    start: dt.datetime,
    end: dt.datetime,
    known: Sequence[str] = (),
    local: Callable[[dt.datetime], dt.datetime] = lambda at: at,
) -> dict[str, dict[str, int]]:
    """The count metrics per group: {group key: {metric: value}}, known groups first.

    Each fact falls in the group of its own record (a referral's district, an
    attempt's task's district) or of its person; the same functions as the
    totals count each group, so the referral rows add up to the total. A person
    may count in two groups (two districts, or a birthday within the period), and
    once in the total (`breakdown_total`).
    A service referral carries the district, pathway and source of the referral that
    brought the person, as the facts give them. `local` turns an instant into the
    program's zone for ages.
    """

    def key(groups: Groups, at: dt.datetime) -> str:
        return group_of(groups, by, local(at))

    present: set[str] = set()
    for items in (
        facts.referrals,
        facts.encounters,
        facts.overdoses,
        facts.attempts,
        facts.service_referrals,
    ):
        present |= {key(f.groups, f.at) for f in items if _within(f.at, start, end)}
    for history, groups in zip(facts.histories, facts.history_groups, strict=True):
        present |= {
            key(groups, step.at)
            for step in history.steps
            if history.treatment
            and step.status in ACCEPTED_OR_LATER
            and _within(step.at, start, end)
        }
    order = list(known) + sorted(present - set(known))
    rows: dict[str, dict[str, int]] = {}
    for group in order:
        in_group = _facts_in_group(facts, group, key, by)
        counted = compute(in_group, start, end, start)
        rows[group] = {name: getattr(counted, name) for name in BREAKDOWN_FIELDS}
    return rows


def _facts_in_group(
    facts: Facts, group: str, key: Callable[[Groups, dt.datetime], str], by: str
) -> Facts:
    histories: list[ReferralHistory] = []
    for history, groups in zip(facts.histories, facts.history_groups, strict=True):
        steps = tuple(step for step in history.steps if key(groups, step.at) == group)
        if steps:
            histories.append(replace(history, steps=steps))
    return Facts(
        referrals=[f for f in facts.referrals if key(f.groups, f.at) == group],
        encounters=[f for f in facts.encounters if key(f.groups, f.at) == group],
        overdoses=[f for f in facts.overdoses if key(f.groups, f.at) == group],
        attempts=[f for f in facts.attempts if key(f.groups, f.at) == group],
        service_referrals=[f for f in facts.service_referrals if key(f.groups, f.at) == group],
        histories=histories,
        history_groups=[NO_GROUPS] * len(histories),
    )


# --- The funnel --------------------------------------------------------------

FUNNEL_STAGES: tuple[tuple[str, str], ...] = (
    ("notified", "Notified"),
    ("attempted", "Attempted"),
    ("contacted", "Contacted"),
    ("accepted", "Accepted treatment"),
    ("entered_treatment", "Entered treatment"),
    ("engaged_30", "Engaged again after 30 days"),
    ("engaged_90", "Engaged again after 90 days"),
)


@dataclass(frozen=True)
class FunnelFacts:
    """The people notified in a period, and what their records say from the period's start on."""

    tasks: Sequence[TaskFact] = ()
    attempts: Sequence[AttemptFact] = ()
    encounters: Sequence[EncounterFact] = ()
    histories: Sequence[ReferralHistory] = ()


def funnel(facts: FunnelFacts, start: dt.datetime, end: dt.datetime) -> list[tuple[str, int]]:
    """Distinct people at each stage; each stage is a subset of the one before.

    The cohort is the people with a participant task opened in [start, end);
    their follow-up is read from `start` on, past the period's end, so a task
    opened on its last day still shows what came of it.
    """
    notified = {t.person_id for t in facts.tasks if _within(t.opened_at, start, end)}
    attempts = [a for a in facts.attempts if a.at >= start and a.person_id in notified]
    attempted = {a.person_id for a in attempts}
    contacts = [a for a in attempts if reached_participant(a)]
    contacted = {a.person_id for a in contacts}
    accepted_by_referral = {
        h.person_id
        for h in facts.histories
        if h.treatment and any(s.status in ACCEPTED_OR_LATER and s.at >= start for s in h.steps)
    }
    accepted = contacted & (
        accepted_by_referral
        | {a.person_id for a in contacts if a.outcome is Outcome.ACCEPTED_TREATMENT}
    )
    in_treatment = {
        h.person_id
        for h in facts.histories
        if h.treatment and any(s.status in IN_TREATMENT and s.at >= start for s in h.steps)
    } | {a.person_id for a in contacts if a.outcome is Outcome.ALREADY_IN_TREATMENT}
    entered = accepted & in_treatment
    first_contact: dict[int, dt.datetime] = {}
    for a in contacts:
        if a.person_id not in first_contact or a.at < first_contact[a.person_id]:
            first_contact[a.person_id] = a.at
    engagements = [(a.person_id, a.at) for a in contacts] + [
        (e.person_id, e.at) for e in facts.encounters if e.person_id is not None and e.at >= start
    ]
    stages = [notified, attempted, contacted, accepted, entered]
    previous = entered
    for days in ENGAGED_AGAIN_DAYS:
        later = {
            who
            for who, at in engagements
            if who in first_contact and at >= first_contact[who] + dt.timedelta(days=days)
        }
        previous = previous & later
        stages.append(previous)
    return [(key, len(people)) for (key, _), people in zip(FUNNEL_STAGES, stages, strict=True)]


# --- Comparisons -------------------------------------------------------------


def percent_change(now: float | None, before: float | None) -> float | None:
    """The change from `before` to `now` in percent; None where either is missing or before is 0."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / abs(before) * 100


# Figures a program wants to fall: deaths and overdoses, and the wait for a first contact.
LOWER_IS_BETTER = frozenset(
    {"overdoses_fatal", "overdoses_nonfatal", "median_hours_to_first_contact"}
)


def change_is_good(key: str, now: float | None, before: float | None) -> bool | None:
    """True when the move from `before` to `now` is good for the program; None when no move."""
    if now is None or before is None or now == before:
        return None
    rose = now > before
    return not rose if key in LOWER_IS_BETTER else rose
