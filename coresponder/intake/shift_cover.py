"""Whether a co-responder team was on shift for a 911 call triage gives it, whether the
teams on shift are busy on other calls, and which team took it: the call's result page, the
referral API's answer and the CAD push's answer say the same."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Min
from django.utils import timezone

from coresponder.intake.models import Call
from coresponder.programs.duty import Cover, cover_at, on_duty, teams_sat_on
from coresponder.programs.models import Program, Shift, Team


def cover_for_call(
    program: Program, call: Call | None, *, shifts: list[Shift] | None = None
) -> Cover | None:
    """For a call that fits the co-responder team: whether a team was on shift then, where it
    came from, so nobody is told the team goes when nobody is working. None for a call the
    team does not take, or a program that keeps no shifts (nothing can be said)."""
    if call is None or not call.co_responders_sent:
        return None
    referral = call.referral
    district = referral.district.code if referral and referral.district else None
    cover = cover_at(program, call.received_at, district, shifts=shifts)
    return cover if cover.scheduled else None


@dataclass(frozen=True)
class Busy:
    """Every team on shift for a call is on another call it has not cleared."""

    since: dt.datetime  # when the last of them was sent to its other call
    teams: tuple[tuple[str, dt.datetime], ...]  # each team's name, and since when


def busy_for_call(program: Program, call: Call, cover: Cover | None) -> Busy | None:
    """For a call no team has taken yet, with teams on shift where and when it came in:
    whether each of those teams is still on a call it was sent to before this one came in,
    not yet cleared, so the dispatcher knows the call waits. A team free when the call came
    in, though on a later call now, does not make it wait: the call is not said to wait for
    calls that came after it. None when one is free, or a shift no team works covers the
    call (nobody records that shift's calls, so nobody can say it is busy)."""
    if cover is None or not cover.running or call.team_id is not None:
        return None
    if any(duty.team_id is None for duty in cover.running):
        return None
    team_ids = {duty.team_id for duty in cover.running if duty.team_id is not None}
    engaged = (
        Call.objects.filter(
            program=program,
            team_id__in=team_ids,
            team_sent_at__lte=call.received_at,
            team_cleared_at__isnull=True,
        )
        .exclude(pk=call.pk)
        .values("team_id", "team__name")
        .annotate(since=Min("team_sent_at"))
        .order_by("team__name")
    )
    rows = list(engaged)
    if {row["team_id"] for row in rows} != team_ids:
        return None
    teams = tuple((row["team__name"], row["since"]) for row in rows)
    return Busy(since=max(since for _name, since in teams), teams=teams)


def shift_answer(
    program: Program, call: Call, *, shifts: list[Shift] | None = None
) -> dict[str, Any]:
    """`team_on_shift`, `next_shift_at`, `team_busy` and `team_busy_since` (times in the
    program's zone, with its offset) as the API answers them; all null where
    `cover_for_call` can say nothing, and busy only where a team is on shift."""
    cover = cover_for_call(program, call, shifts=shifts)
    next_at: dt.datetime | None = None
    if cover is not None and cover.next_starts is not None:
        next_at = cover.next_starts.starts
    on_shift = None if cover is None else bool(cover.running)
    busy = busy_for_call(program, call, cover) if on_shift else None
    return {
        "team_on_shift": on_shift,
        "next_shift_at": next_at,
        "team_busy": (busy is not None) if on_shift and call.team_id is None else None,
        "team_busy_since": in_zone(program, busy.since) if busy else None,
        "taken_by": taken_by_answer(program, call),
    }


def in_zone(program: Program, value: dt.datetime | None) -> dt.datetime | None:
    """A stored time on the program's clock, as the API answers it."""
    return None if value is None else timezone.localtime(value, ZoneInfo(program.timezone))


def taken_by_answer(program: Program, call: Call) -> dict[str, Any] | None:
    """The team that took the call and its steps, in the program's time; None until one
    takes it."""
    if call.team_id is None:
        return None
    team = call.team
    return {
        "team_id": call.team_id,
        "team": team.name if team is not None else "",
        "sent_at": in_zone(program, call.team_sent_at),
        "arrived_at": in_zone(program, call.team_arrived_at),
        "cleared_at": in_zone(program, call.team_cleared_at),
    }


def teams_to_take(program: Program) -> list[Team]:
    """The program's teams that may take a call: those not stood down."""
    return list(Team.objects.filter(program=program, active=True).order_by("name", "id"))


def team_on_duty_of(user: Any, program: Program, now: dt.datetime) -> int | None:
    """The team the user sits on that is on shift now, if there is one (the first by name
    when several are)."""
    running = {duty.team_id for duty in on_duty(program, now) if duty.team_id is not None}
    if not running:
        return None
    mine = (
        teams_sat_on(program, user)
        .filter(pk__in=running, active=True)
        .order_by("name", "id")
        .values_list("pk", flat=True)
        .first()
    )
    return mine
