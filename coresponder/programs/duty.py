"""Who is on duty when: a program's shifts expanded into occurrences, and team completeness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from coresponder.domain.presets import TeamSlot
from coresponder.domain.shifts import Occurrence, shift_occurrences
from coresponder.domain.teams import missing_slots, team_roles
from coresponder.domain.vocabulary import ROLE_LABELS, Role
from coresponder.programs.models import Membership, Program, Shift, Team, TeamMember


@dataclass(frozen=True)
class Duty:
    """One occurrence of a shift."""

    shift_id: int
    shift_name: str
    team_id: int | None
    team_name: str | None
    starts: dt.datetime  # aware, in the program's zone
    ends: dt.datetime
    district_codes: tuple[str, ...]


def shift_exception_dates(shift: Shift) -> list[dt.date]:
    """The dates a shift does not run, as stored (ISO dates)."""
    return [dt.date.fromisoformat(str(day)) for day in shift.exceptions or []]


def district_codes_of(shift: Shift) -> tuple[str, ...]:
    """The codes of the districts a shift covers; uses the prefetched districts."""
    return tuple(sorted(d.code for d in shift.districts.all()))


def occurrences_of(
    shift: Shift, timezone: str, start: dt.datetime, end: dt.datetime
) -> list[Occurrence]:
    """The shift's occurrences overlapping [start, end), each ending at its wall-clock end."""
    return shift_occurrences(
        shift.rrule,
        first_day=shift.starts_on,
        starts_at=shift.starts_at,
        duration=dt.timedelta(minutes=shift.duration_minutes),
        timezone=timezone,
        window_start=start,
        window_end=end,
        exceptions=shift_exception_dates(shift),
        last_day=shift.ends_on,
    )


def _duties(
    shifts: Iterable[Shift], timezone: str, start: dt.datetime, end: dt.datetime
) -> list[Duty]:
    duties: list[Duty] = []
    for shift in shifts:
        codes = district_codes_of(shift)
        team = shift.team
        for occurrence in occurrences_of(shift, timezone, start, end):
            duties.append(
                Duty(
                    shift_id=shift.pk,
                    shift_name=shift.name,
                    team_id=team.pk if team is not None else None,
                    team_name=team.name if team is not None else None,
                    starts=occurrence.starts,
                    ends=occurrence.ends,
                    district_codes=codes,
                )
            )
    duties.sort(key=lambda d: (d.starts, d.shift_name, d.shift_id))
    return duties


def _program_shifts(program: Program) -> Any:
    """The program's shifts that run: those of no team, and those of teams still active (a
    team stood down works no shift, though its shifts stay on record)."""
    return (
        Shift.objects.filter(program=program)
        .exclude(team__active=False)
        .select_related("team")
        .prefetch_related("districts")
        .order_by("name", "id")
    )


def duties_between(program: Program, start: dt.datetime, end: dt.datetime) -> list[Duty]:
    """Shift occurrences overlapping [start, end), sorted by start."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    return _duties(_program_shifts(program), program.timezone, start, end)


def on_duty(program: Program, at: dt.datetime) -> list[Duty]:
    """The shifts running at `at`."""
    return duties_between(program, at, at + dt.timedelta(microseconds=1))


def _covers(duty: Duty, district_code: str | None) -> bool:
    """A shift naming no district covers the whole area; a place in no district, any shift."""
    return not district_code or not duty.district_codes or district_code in duty.district_codes


# How far ahead a call-taker is told of the next shift: a schedule with a gap longer than
# this (a program that stood its teams down) has no "next shift" worth waiting for.
NEXT_SHIFT_HORIZON = dt.timedelta(days=14)


@dataclass(frozen=True)
class Cover:
    """Whether the program's teams were on shift where and when a call came in."""

    scheduled: bool  # False: the program keeps no shifts, so nothing can be said
    running: tuple[Duty, ...]  # the shifts then covering the place
    next_starts: Duty | None  # with none running, the first to start after, if soon


def running_shifts(program: Program) -> list[Shift]:
    """The program's shifts that run, read once for many calls' `cover_at`."""
    return list(_program_shifts(program))


def cover_at(
    program: Program,
    at: dt.datetime,
    district_code: str | None,
    *,
    shifts: list[Shift] | None = None,
) -> Cover:
    """The shifts covering a district (or the whole area) at `at`, else the next to start;
    `shifts` are the program's `running_shifts`, when read already."""
    if shifts is None:
        shifts = running_shifts(program)
    if not shifts:
        return Cover(scheduled=False, running=(), next_starts=None)
    moment = at + dt.timedelta(microseconds=1)
    running = tuple(
        d for d in _duties(shifts, program.timezone, at, moment) if _covers(d, district_code)
    )
    if running:
        return Cover(scheduled=True, running=running, next_starts=None)
    later = _duties(shifts, program.timezone, at, at + NEXT_SHIFT_HORIZON)
    coming = [d for d in later if d.starts > at and _covers(d, district_code)]
    return Cover(scheduled=True, running=(), next_starts=coming[0] if coming else None)


def team_districts_on_duty(team: Team, at: dt.datetime) -> tuple[str, ...] | None:
    """None when the team is not on shift at `at`; else the districts its running shifts cover."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    shifts = Shift.objects.filter(team=team).select_related("team").prefetch_related("districts")
    running = _duties(shifts, team.program.timezone, at, at + dt.timedelta(microseconds=1))
    if not running:
        return None
    return tuple(sorted({code for duty in running for code in duty.district_codes}))


def team_slots(program: Program) -> list[TeamSlot]:
    """The places a full team fills, from the program's preset."""
    return list(program.rules.team)


def seat_roles(program: Program) -> frozenset[Role]:
    """The roles that may sit on the program's teams (`domain/teams.team_roles`)."""
    return team_roles(program.rules.team)


def working_seats(team: Team, may_sit: frozenset[Role] | None = None) -> list[TeamMember]:
    """The team's seats held by someone who still works in the program in a role that may
    sit on its teams: a disabled account, a role in the program taken away (someone who
    left), or a seat or role that does no field work (a prosecutor, an analyst) keeps its
    seat, so what they did still names the team, but fills no place, hears of no task and
    gives none back.

    Uses prefetched `members__user__memberships` when the caller prefetched them, and
    `may_sit`, the program's `seat_roles`, when the caller has them.
    """
    may_sit = seat_roles(team.program) if may_sit is None else may_sit
    return [
        member for member in team.members.all() if not seat_note(member, team.program_id, may_sit)
    ]


def seat_note(member: TeamMember, program_id: int, may_sit: frozenset[Role]) -> str:
    """Why the seat is not a working one, in words; "" when it is.

    Uses prefetched `user__memberships` when the caller prefetched them.
    """
    if not member.user.is_active:
        return "account disabled"
    held = [m for m in member.user.memberships.all() if m.program_id == program_id]
    if any(not m.active for m in held):
        return "no longer in the program"
    for role in [member.role, *(m.role for m in held)]:
        if role not in may_sit:
            label = ROLE_LABELS.get(Role(role), role)
            return f"{label}: this role does not sit on a team, so hears of none of its tasks"
    return ""


def seats_still_working(program: Program, seats: QuerySet[TeamMember]) -> QuerySet[TeamMember]:
    """`working_seats` as a query, over seats on the program's teams: the seats of those
    told of their team's tasks."""
    may_sit = [role.value for role in seat_roles(program)]
    left = Membership.objects.filter(user=OuterRef("user"), program=OuterRef("team__program"))
    left = left.filter(Q(active=False) | ~Q(role__in=may_sit))
    return seats.filter(user__is_active=True, role__in=may_sit).exclude(Exists(left))


def teams_sat_on(program: Program, user: Any) -> QuerySet[Team]:
    """The program's teams on which the user holds a working seat (`seats_still_working`):
    the teams that are theirs wherever a page or a feed says "your team" or "mine"."""
    if user is None or user.pk is None:
        return Team.objects.none()
    seats = seats_still_working(
        program, TeamMember.objects.filter(team__program=program, user=user)
    )
    return Team.objects.filter(program=program, pk__in=seats.values("team_id"))


def seats_held_by(user: Any) -> QuerySet[TeamMember]:
    """The user's working seats in every program, each by its own program's rule."""
    if user is None or user.pk is None:
        return TeamMember.objects.none()
    theirs = TeamMember.objects.filter(user=user)
    working = Q(pk__in=[])
    for program in Program.objects.filter(teams__members__user=user).distinct():
        seats = seats_still_working(program, theirs.filter(team__program=program))
        working |= Q(pk__in=seats.values("pk"))
    return theirs.filter(working)


def sits_on(team: Team, user: Any) -> bool:
    """Whether the user holds a working seat on the team: one of its members, who are told
    of its tasks, claim them for it and give them back."""
    return teams_sat_on(team.program, user).filter(pk=team.pk).exists()


def missing_for_team(team: Team) -> list[str]:
    """Labels of the preset's team slots the working members cannot fill; [] when the team
    is complete.

    Uses prefetched `members__user__memberships` when the caller prefetched them.
    """
    roles = [Role(member.role) for member in working_seats(team)]
    return [slot.label for slot in missing_slots(team_slots(team.program), roles)]


WEEKDAY_NAMES = {
    "MO": "Mon",
    "TU": "Tue",
    "WE": "Wed",
    "TH": "Thu",
    "FR": "Fri",
    "SA": "Sat",
    "SU": "Sun",
}
WEEKDAY_ORDER = tuple(WEEKDAY_NAMES)


def describe_schedule(rrule: str, starts_at: dt.time, duration_minutes: int) -> str:
    """A person's reading of a shift's rule: "Mon, Wed, Fri 10:00–18:00"; odd rules stay raw."""
    parts = dict(part.split("=", 1) for part in rrule.upper().split(";") if "=" in part)
    start = dt.datetime.combine(dt.date(2024, 1, 1), starts_at)
    end = start + dt.timedelta(minutes=duration_minutes)
    next_day = " (next day)" if end.date() > start.date() else ""
    hours = f"{start:%H:%M}–{end:%H:%M}{next_day}"
    interval = parts.get("INTERVAL", "1")
    extra = set(parts) - {"FREQ", "BYDAY", "INTERVAL", "WKST"}
    days = parts.get("BYDAY", "").split(",") if parts.get("BYDAY") else []
    if extra or not all(day in WEEKDAY_NAMES for day in days):
        return f"{rrule}, {hours}"
    if parts.get("FREQ") == "DAILY" and not days:
        every = "Every day" if interval == "1" else f"Every {interval} days"
        return f"{every} {hours}"
    if parts.get("FREQ") == "WEEKLY" and days:
        names = ", ".join(WEEKDAY_NAMES[d] for d in WEEKDAY_ORDER if d in days)
        every = "" if interval == "1" else f"Every {interval} weeks: "
        return f"{every}{names} {hours}"
    return f"{rrule}, {hours}"
