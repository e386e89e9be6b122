"""What the planner reads from a program's records: aggregates only, never a person.

The arrivals are the times of the calls co-responders were sent to (the program's
triage said the call was theirs) over the last 52 weeks, on the program's clock; a
program that takes no 911 calls plans from its eligible referrals instead. A
de-identified reader (an analyst) plans from the last full quarter, the one their
dashboard gives (ADR 0007), and from all of its referrals, as the dashboard counts
them: a span of several quarters less the dashboard's quarters, or the eligible
referrals less the dashboard's, would give a hidden count away. Time on
scene is what crisis responses recorded; travel is the time from a call to the
response's arrival on scene where an encounter answers a call (it includes any wait
for a team, so it leans long). Where a program recorded neither, the planner says so
and uses the stated defaults of `domain/capacity.py`.

Today's teams are the program's active teams with their shifts, laid out over the
coming week (Monday to Sunday on the program's clock); a program whose shifts name
no team counts each shift as one team.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import F

from coresponder.domain.capacity import (
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    WEEKS_PER_YEAR,
    ArrivalProfile,
    ServiceTimes,
    TeamPlan,
    WeeklyShift,
    arrival_profile,
)
from coresponder.domain.suppression import SMALL_CELL_MAX, last_full_quarter
from coresponder.domain.vocabulary import EncounterKind
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Call, Referral
from coresponder.programs.duty import duties_between
from coresponder.programs.models import Program

# Travel longer than this is a late record, not a drive across town.
LONGEST_TRAVEL_MINUTES = 180.0
# Fewer recorded values than this and the default stands in.
FEWEST_SAMPLES = 10


@dataclass(frozen=True)
class History:
    """The program's last 52 weeks, as the planner uses them."""

    profile: ArrivalProfile
    service: ServiceTimes
    source: str  # "calls" or "referrals": what the arrivals are
    first_day: dt.date
    last_day: dt.date
    on_scene_recorded: int
    travel_recorded: int
    # The last full quarter, not the 52 weeks to yesterday: what a de-identified reader is
    # given (ADR 0007), so no day's calls, and no hidden quarter, show by difference.
    whole_quarters: bool = False

    @property
    def fewest(self) -> int:
        """The fewest calls (or recorded times) the plan is built on: for a de-identified
        reader more than a hidden count, so "too few" never tells a count of 1 to 10."""
        return SMALL_CELL_MAX + 1 if self.whole_quarters else FEWEST_SAMPLES

    @property
    def enough(self) -> bool:
        return self.profile.observed >= self.fewest


def history_window(
    program: Program, today: dt.date, whole_quarters: bool = False
) -> tuple[dt.datetime, dt.datetime]:
    """The 52 whole weeks ending with yesterday, on the program's clock; or the last full
    quarter, which no other figure a de-identified reader is given overlaps in part."""
    zone = ZoneInfo(program.timezone)
    if whole_quarters:
        first, last = last_full_quarter(today)
        return (
            dt.datetime.combine(first, dt.time(0), tzinfo=zone),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone),
        )
    end = dt.datetime.combine(today, dt.time(0), tzinfo=zone)
    return end - dt.timedelta(weeks=WEEKS_PER_YEAR), end


def read_history(program: Program, today: dt.date, *, whole_quarters: bool = False) -> History:
    start, end = history_window(program, today, whole_quarters)
    weeks = (end - start) / dt.timedelta(weeks=1)
    zone = ZoneInfo(program.timezone)
    calls = Call.objects.filter(program=program, received_at__gte=start, received_at__lt=end)
    source = "calls"
    times = list(calls.filter(co_responders_sent=True).values_list("received_at", flat=True))
    if not calls.exists():
        source = "referrals"
        referrals = Referral.objects.filter(
            program=program, received_at__gte=start, received_at__lt=end
        )
        if not whole_quarters:
            referrals = referrals.filter(eligible=True)
        times = list(referrals.values_list("received_at", flat=True))
    profile = arrival_profile((moment.astimezone(zone) for moment in times), weeks)
    on_scene = _on_scene_minutes(program, start, end)
    travel = _travel_minutes(program, start, end)
    fewest = SMALL_CELL_MAX + 1 if whole_quarters else FEWEST_SAMPLES
    service = ServiceTimes(
        on_scene_minutes=on_scene if len(on_scene) >= fewest else (),
        travel_minutes=travel if len(travel) >= fewest else (),
    )
    return History(
        profile=profile,
        service=service,
        source=source,
        first_day=start.date(),
        last_day=(end - dt.timedelta(days=1)).date(),
        on_scene_recorded=len(on_scene),
        travel_recorded=len(travel),
        whole_quarters=whole_quarters,
    )


def _on_scene_minutes(program: Program, start: dt.datetime, end: dt.datetime) -> tuple[float, ...]:
    rows = Encounter.objects.filter(
        program=program,
        kind=EncounterKind.CRISIS_RESPONSE.value,
        occurred_at__gte=start,
        occurred_at__lt=end,
        minutes_on_scene__gt=0,
    ).values_list("minutes_on_scene", flat=True)
    return tuple(float(minutes) for minutes in rows if minutes is not None)


def _travel_minutes(program: Program, start: dt.datetime, end: dt.datetime) -> tuple[float, ...]:
    rows = (
        Encounter.objects.filter(
            program=program,
            call__isnull=False,
            occurred_at__gte=start,
            occurred_at__lt=end,
            occurred_at__gt=F("call__received_at"),
        )
        .values_list("occurred_at", "call__received_at")
        .order_by("occurred_at", "id")
    )
    minutes = ((arrived - called).total_seconds() / 60 for arrived, called in rows)
    return tuple(value for value in minutes if 0 < value <= LONGEST_TRAVEL_MINUTES)


def week_start(program: Program, today: dt.date) -> dt.datetime:
    """Monday 00:00 of the coming week on the program's clock (today, when a Monday)."""
    monday = today + dt.timedelta(days=(7 - today.weekday()) % 7)
    return dt.datetime.combine(monday, dt.time(0), tzinfo=ZoneInfo(program.timezone))


def todays_teams(program: Program, today: dt.date) -> tuple[TeamPlan, ...]:
    """The program's teams and their shifts over the coming week, as weekly shifts."""
    start = week_start(program, today)
    monday = start.date()
    zone = ZoneInfo(program.timezone)
    active = set(
        program.teams.filter(active=True, shifts__isnull=False).values_list("pk", flat=True)
    )
    by_team: dict[str, list[WeeklyShift]] = defaultdict(list)
    for duty in duties_between(program, start, start + dt.timedelta(days=7)):
        if active and duty.team_id not in active:
            continue  # the program's own shift templates, worked by its teams
        name = duty.team_name if active and duty.team_name else duty.shift_name
        local = duty.starts.astimezone(zone)
        # The week is laid out on the wall clock, and a shift ends at its wall-clock time:
        # 19:00–07:00 is 12 hours here even on the night the clocks change.
        wall = duty.ends.astimezone(zone).replace(tzinfo=None) - local.replace(tzinfo=None)
        minutes = int(wall.total_seconds() // 60)
        offset = (local.date() - monday).days * MINUTES_PER_DAY + local.hour * 60 + local.minute
        if offset < 0:  # began the Sunday before: the part inside this week
            minutes, offset = minutes + offset, 0
        if minutes <= 0 or offset >= MINUTES_PER_WEEK:
            continue
        day, minute = divmod(offset, MINUTES_PER_DAY)
        by_team[name].append(WeeklyShift(day=day, start_minute=minute, minutes=minutes))
    return tuple(TeamPlan(name=name, shifts=tuple(shifts)) for name, shifts in by_team.items())
