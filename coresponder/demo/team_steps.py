"""The teams' steps on the 911 calls that fit them: which team went, arrived and cleared.

A call is taken only where a team was on shift for its place and time and free then (not
still on a call it had not cleared), as a dispatcher would send it; most such calls are
taken, some go without the team. The team is sent a few minutes after the call came in,
arrives 5 to 20 minutes later and clears 20 to 90 minutes after that, each step after the
one before and none after the demo's end, as `intake.actions.record_team_response` checks
them. A team's latest call is still open when the demo ends (not yet cleared) only if the
team could still be on it: sent within the longest time to arrive and clear before the end.
So the call pages show a team on a recent call and, for a call none could take, that it is
busy; an older call is cleared like the others, or the team would look busy for weeks.

The steps are drawn from their own generator, seeded from the load's seed and the
program, after the program's calls are written: the rest of the demo draws what it drew
before, and a seed still replays exactly.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from coresponder.demo.draw import chance, pick
from coresponder.intake.models import Call, Referral
from coresponder.programs.duty import cover_at, running_shifts
from coresponder.programs.models import Program, Team

# Of the calls a free team on shift could take, the share it takes; dispatch sends the
# rest without the team (police alone, or EMS).
TAKEN_SHARE = 0.8
# Minutes: from the call to the team sent, from sent to arrived, from arrived to cleared.
SENT_AFTER = (1.0, 6.0)
ARRIVED_AFTER = (5.0, 20.0)
CLEARED_AFTER = (20.0, 90.0)
# Of each team's latest call, still open when the demo ends: arrived, or on the way.
STILL_ON_THE_WAY = 0.3
# The longest a team is out on a call, from sent to cleared: a latest call sent longer
# before the demo's end than this was cleared by then.
LONGEST_OUT = dt.timedelta(minutes=ARRIVED_AFTER[1] + CLEARED_AFTER[1])

STEP_FIELDS = ("team", "team_sent_at", "team_arrived_at", "team_cleared_at")


@dataclass
class _Steps:
    team: Team
    sent: dt.datetime
    arrived: dt.datetime | None
    cleared: dt.datetime | None


def _minutes(rng: random.Random, span: tuple[float, float]) -> dt.timedelta:
    return dt.timedelta(minutes=rng.uniform(*span))


def record_team_steps(program: Program, anchor_at: dt.datetime, seed: int) -> int:
    """Give the program's demo calls that fit the team their team's steps, in bulk; how
    many calls a team took."""
    shifts = running_shifts(program)
    teams = {team.pk: team for team in Team.objects.filter(program=program, active=True)}
    if not shifts or not teams:
        return 0
    rng = random.Random(f"{seed}:{program.slug}:team steps")
    calls = list(
        Call.objects.filter(
            program=program,
            co_responders_sent=True,
            referral__channel=Referral.Channel.DEMO,
            received_at__lt=anchor_at,
        )
        .select_related("referral__district")
        .order_by("received_at", "id")
    )
    free_from: dict[int, dt.datetime] = {}
    latest: dict[int, tuple[Call, _Steps]] = {}
    for call in calls:
        referral = call.referral
        district = referral.district.code if referral and referral.district else None
        cover = cover_at(program, call.received_at, district, shifts=shifts)
        on_shift = sorted({d.team_id for d in cover.running if d.team_id in teams})
        # Drawn for every call, taken or not, so one call's fate moves no other's draws.
        takes = chance(rng, TAKEN_SHARE)
        sent = call.received_at + _minutes(rng, SENT_AFTER)
        arrived = sent + _minutes(rng, ARRIVED_AFTER)
        cleared = arrived + _minutes(rng, CLEARED_AFTER)
        free = [pk for pk in on_shift if free_from.get(pk, sent) <= sent]
        if not takes or not free or sent >= anchor_at:
            continue
        steps = _Steps(
            team=teams[pick(rng, free)],
            sent=sent,
            arrived=arrived if arrived < anchor_at else None,
            cleared=cleared if cleared < anchor_at else None,
        )
        free_from[steps.team.pk] = steps.cleared or anchor_at
        latest[steps.team.pk] = (call, steps)
        _set(call, steps)
    for call, steps in latest.values():
        # Drawn for every team, recent call or not, so one team's call moves no other's draws.
        on_the_way = chance(rng, STILL_ON_THE_WAY)
        if steps.sent < anchor_at - LONGEST_OUT:
            continue
        # Still on it when the demo ends: the team is busy on this call.
        steps.cleared = None
        if on_the_way:
            steps.arrived = None
        _set(call, steps)
    taken = [call for call in calls if call.team_sent_at is not None]
    Call.objects.bulk_update(taken, list(STEP_FIELDS), batch_size=2000)
    return len(taken)


def _set(call: Call, steps: _Steps) -> None:
    call.team = steps.team
    call.team_sent_at = steps.sent
    call.team_arrived_at = steps.arrived
    call.team_cleared_at = steps.cleared
