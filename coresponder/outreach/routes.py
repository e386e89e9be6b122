"""A team's route for today's shift: the tasks it may visit, where they are, and the order.

The tasks are the queue's live, open ones (not those waiting for a closing checklist:
the visit was made) that nobody else claimed, in the districts the team's shift covers,
of people the reader may see (`privacy.access.visible_people`, the gate the queue uses).
A visit goes to the person's home when it is on record, else to where the overdose
happened. An overdue task still in its grace keeps its place until it expires.
The order is `domain.routing.plan_route`'s, measured against the nearest-first route.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from coresponder.domain.directory import km_to_miles
from coresponder.domain.outreach import expires_at, follow_up_rules
from coresponder.domain.presets import RouteStart
from coresponder.domain.routing import (
    DETOUR_FACTOR,
    SKIP_REASON_LABELS,
    SPEED_KMH,
    Matrix,
    Point,
    Route,
    Shift,
    Visit,
    greedy_route,
    matrix_from_table,
    plan_route,
    route_points,
)
from coresponder.outreach.models import OPEN_STATUSES, OutreachTask
from coresponder.outreach.queue import live_tasks
from coresponder.outreach.tiers import EVERYONE_ELSE, tier_labels
from coresponder.people.contact_requests import asked_tags
from coresponder.privacy.access import role_in, visible_people
from coresponder.programs.duty import Duty, duties_between
from coresponder.programs.models import Program, Team

__all__ = [
    "ShiftChoice",
    "TeamRoute",
    "route_start",
    "server_matrix",
    "team_route",
    "teams_for_route",
    "teams_today",
]

TARGETS = dict(OutreachTask.Target.choices)
logger = logging.getLogger(__name__)
# A route is wanted now: a routing server slower than this is not waited for.
ROUTING_SERVER_SECONDS = 3
ROUTING_SERVER_MAX_BYTES = 5_000_000
# With no shift left today, the route page offers the next day with one, this far ahead.
LOOK_AHEAD_DAYS = 7
ESTIMATED = (
    f"estimated from straight-line distance × {DETOUR_FACTOR:g} at {km_to_miles(SPEED_KMH):.0f} mph"
)
FROM_SERVER = "from the routing server"


@dataclass(frozen=True)
class TeamRoute:
    """A team's route for its shift today, with the nearest-first route's figures beside it."""

    team: Team
    duty: Duty
    start: RouteStart
    starts: dt.datetime
    route: Route
    greedy: Route
    stops: list[dict[str, Any]]  # in order, each with the task's words
    skipped: list[dict[str, Any]]
    task_ids: list[int]
    person_ids: list[int]  # the people the stops name, for the audit
    travel: str  # where driving times come from, in words


def _day(program: Program, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(program.timezone)
    today = now.astimezone(zone).date()
    return (
        dt.datetime.combine(today, dt.time(0), tzinfo=zone),
        dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=zone),
    )


def _duties_left_today(program: Program, now: dt.datetime) -> list[Duty]:
    """Shifts of a team that run today on the program's clock with time left for a visit.

    A shift ending in less time than one visit takes has no route left to plan: the
    page offers the next shift instead of a plan that fits nothing.
    """
    start, end = _day(program, now)
    visit = dt.timedelta(minutes=route_start(program).service_minutes)
    return [
        duty
        for duty in duties_between(program, start, end)
        if duty.team_id is not None
        and duty.ends - max(now, duty.starts) >= visit
        and duty.starts < end
    ]


def _by_team(program: Program, duties: list[Duty]) -> list[tuple[int, str, Duty]]:
    """(team id, name, its first shift of `duties`) for each active team, by name."""
    active = set(program.teams.filter(active=True).values_list("pk", flat=True))
    seen: dict[int, tuple[int, str, Duty]] = {}
    for duty in duties:
        if duty.team_id in active and duty.team_id not in seen:
            seen[duty.team_id] = (duty.team_id, duty.team_name or "", duty)
    return sorted(seen.values(), key=lambda row: (row[1], row[0]))


def teams_today(program: Program, now: dt.datetime) -> list[tuple[int, str, Duty]]:
    """(team id, name, its shift) for each active team on shift now or later today, with
    time left for a visit."""
    return _by_team(program, _duties_left_today(program, now))


@dataclass(frozen=True)
class ShiftChoice:
    """The teams a route can be planned for: on shift today, else on the next day with a shift."""

    teams: list[tuple[int, str, Duty]]
    day: dt.date | None  # the program-local day of those shifts; None when there are none
    today: bool


def teams_for_route(program: Program, now: dt.datetime) -> ShiftChoice:
    """Today's teams with time left for a visit; failing that, the next day's (up to a week
    ahead).

    At a weekend a Monday-to-Friday team still plans Monday's route on Sunday evening.
    """
    zone = ZoneInfo(program.timezone)
    today = teams_today(program, now)
    if today:
        return ShiftChoice(today, now.astimezone(zone).date(), today=True)
    _start, tomorrow = _day(program, now)
    later = [
        duty
        for duty in duties_between(program, tomorrow, tomorrow + dt.timedelta(days=LOOK_AHEAD_DAYS))
        if duty.team_id is not None
    ]
    for day in sorted({duty.starts.astimezone(zone).date() for duty in later}):
        teams = _by_team(
            program, [duty for duty in later if duty.starts.astimezone(zone).date() == day]
        )
        if teams:
            return ShiftChoice(teams, day, today=False)
    return ShiftChoice([], None, today=False)


def route_start(program: Program) -> RouteStart:
    """Where the program's teams set out from: the preset's `[route]`, or the area's centre."""
    rules = program.rules
    area = rules.area
    return rules.route or RouteStart(area.name, area.latitude, area.longitude)


ROW_FIELDS = (
    "pk",
    "person_id",
    "window_start",
    "window_end",
    "priority_tier",
    "target",
    "claimed_by_id",
    "next_attempt_after",
    "recontact_on",
    "overdose__latitude",
    "overdose__longitude",
    "overdose__place",
)


def _tasks(user: Any, program: Program, team: Team, duty: Duty, now: dt.datetime) -> list[Any]:
    """The tasks the team may visit on this shift, of people the reader may see: not one
    whose next try is due only after the shift (the preset's attempt spacing), nor one of a
    person who asked to be contacted again on a later day than the shift's, on the
    program's calendar."""
    last_day = (duty.ends - dt.timedelta(microseconds=1)).astimezone(ZoneInfo(program.timezone))
    tasks = (
        live_tasks(program, now)
        .filter(status__in=OPEN_STATUSES, window_start__lt=duty.ends)
        .filter(Q(claimed_by__isnull=True) | Q(claimed_by=team))
        .filter(Q(next_attempt_after__isnull=True) | Q(next_attempt_after__lt=duty.ends))
        .filter(Q(recontact_on__isnull=True) | Q(recontact_on__lte=last_day.date()))
        .filter(person_id__in=visible_people(user).values("pk"))
    )
    if duty.district_codes:
        tasks = tasks.filter(district__code__in=list(duty.district_codes))
    return list(tasks.order_by("window_end", "id").values(*ROW_FIELDS))


def _people(user: Any, person_ids: list[int]) -> dict[int, tuple[str, str, Any, Any]]:
    """Name, address and home coordinates through the gate's scope, in one query."""
    rows = (
        visible_people(user)
        .filter(pk__in=person_ids)
        .values_list("pk", "given_name", "family_name", "address", "latitude", "longitude")
    )
    return {
        pk: (f"{given} {family}".strip(), address, lat, lon)
        for pk, given, family, address, lat, lon in rows
    }


def _place(row: dict[str, Any], person: tuple[str, str, Any, Any]) -> tuple[Point | None, str]:
    """The home on record, else where the overdose happened; the words to read at the door."""
    _name, address, lat, lon = person
    if lat is not None and lon is not None:
        return Point(lat, lon), address or "Home (no street address on record)"
    lat, lon = row["overdose__latitude"], row["overdose__longitude"]
    if lat is not None and lon is not None:
        return Point(lat, lon), row["overdose__place"] or "Where the overdose happened"
    return None, address or row["overdose__place"] or ""


def _not_before(row: dict[str, Any], zone: ZoneInfo) -> dt.datetime | None:
    """When the task says its next visit may be made: after the preset's spacing since a
    try that reached nobody, and not before the day the person asked to be contacted
    again (from its start, on the program's calendar)."""
    moments = [row["next_attempt_after"]] if row["next_attempt_after"] else []
    if row["recontact_on"] is not None:
        moments.append(dt.datetime.combine(row["recontact_on"], dt.time(0), tzinfo=zone))
    return max(moments, key=lambda t: t.astimezone(dt.UTC)) if moments else None


def team_route(user: Any, program: Program, team: Team, duty: Duty, now: dt.datetime) -> TeamRoute:
    """The route for `team`'s shift `duty`, from now (or the shift's start, if later)."""
    start = route_start(program)
    starts = max(now, duty.starts)
    shift = Shift(
        start=Point(start.latitude, start.longitude),
        starts=starts,
        ends=duty.ends,
        service=dt.timedelta(minutes=start.service_minutes),
    )
    grace = follow_up_rules(program.rules.follow_up).expires_after_hours
    rows = _tasks(user, program, team, duty, now)
    people = _people(user, [row["person_id"] for row in rows])
    asked = asked_tags(user, program, list(people))
    tiers = tier_labels(program, role_in(user, program))
    facts: dict[int, dict[str, Any]] = {}
    visits: list[Visit] = []
    zone = ZoneInfo(program.timezone)
    for row in rows:
        person = people.get(row["person_id"], ("", "", None, None))
        point, place = _place(row, person)
        not_before = _not_before(row, zone)
        opens = max(row["window_start"], not_before) if not_before else row["window_start"]
        # Overdue by the time it may be visited: from the route's start, or from its next try
        # where that comes later. It may still be visited until it expires, the sooner the
        # better; a task whose next try comes only once it has expired is not on the route.
        overdue = row["window_end"] <= max(starts, opens)
        closes = expires_at(row["window_end"], grace) if overdue else row["window_end"]
        if opens >= closes:
            continue
        visits.append(Visit(row["pk"], point, opens, closes, row["priority_tier"]))
        facts[row["pk"]] = {
            "task_id": row["pk"],
            "name": person[0] or "Name not shown",
            "place": place,
            "window_start": row["window_start"],
            "window_end": row["window_end"],
            "overdue": overdue,
            "visit_by": closes,
            "tier_label": tiers.get(row["priority_tier"], EVERYONE_ELSE) if tiers else "",
            "target": row["target"],
            "target_label": TARGETS.get(row["target"], ""),
            "claimed": row["claimed_by_id"] == team.pk,
            # The visit waits for the task's next try, not for its window to open.
            "not_before": bool(not_before and not_before > row["window_start"]),
            "asked": asked.get(row["person_id"]),
        }
    matrix = None
    if settings.ROUTING_TABLE_URL and len(visits) > 0:
        matrix = server_matrix(settings.ROUTING_TABLE_URL, route_points(shift.start, visits))
    route = plan_route(shift, visits, matrix)
    greedy = greedy_route(shift, visits, matrix)
    stops = [
        {
            **facts[stop.key],
            "number": number,
            "arrives": stop.arrives,
            "starts": stop.starts,
            "waits": stop.starts > stop.arrives,
            "leaves": stop.leaves,
            "km": round(stop.km_from_previous, 1),
        }
        for number, stop in enumerate(route.stops, start=1)
    ]
    skipped = [
        {**facts[item.key], "reason": SKIP_REASON_LABELS[item.reason]} for item in route.skipped
    ]
    skipped.sort(key=lambda item: (item["window_end"], item["task_id"]))
    return TeamRoute(
        team=team,
        duty=duty,
        start=start,
        starts=starts,
        route=route,
        greedy=greedy,
        stops=stops,
        skipped=skipped,
        task_ids=[row["pk"] for row in rows],
        person_ids=sorted({row["person_id"] for row in rows if row["person_id"] is not None}),
        travel=FROM_SERVER if matrix is not None else ESTIMATED,
    )


def server_matrix(base_url: str, points: list[Point]) -> Matrix | None:
    """Road times and distances from an OSRM-compatible table service (`ROUTING_TABLE_URL`);
    None when it cannot answer, and the route is estimated from coordinates instead."""
    if urlsplit(base_url).scheme not in {"http", "https"}:
        return None
    places = ";".join(f"{p.longitude:.6f},{p.latitude:.6f}" for p in points)
    url = f"{base_url.rstrip('/')}/{places}?annotations=duration,distance"
    try:
        # The operator's own address, http(s) only (checked above and at start-up).
        with urllib.request.urlopen(url, timeout=ROUTING_SERVER_SECONDS) as answer:  # noqa: S310  # nosec B310
            body = json.loads(answer.read(ROUTING_SERVER_MAX_BYTES))
        return matrix_from_table(body, len(points))
    except (OSError, ValueError) as exc:
        logger.warning("routing server gave no table, estimating instead: %s", exc)
        return None
