"""Whether a co-responder team was on shift for a 911 call triage gives it: the call's
result page, the referral API's answer and the CAD push's answer say the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coresponder.intake.models import Call
from coresponder.programs.duty import Cover, cover_at
from coresponder.programs.models import Program, Shift


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


def shift_answer(
    program: Program, call: Call, *, shifts: list[Shift] | None = None
) -> dict[str, Any]:
    """`team_on_shift` and `next_shift_at` (in the program's zone, with its offset) as the
    API answers them; both null where `cover_for_call` can say nothing."""
    cover = cover_for_call(program, call, shifts=shifts)
    next_at: dt.datetime | None = None
    if cover is not None and cover.next_starts is not None:
        next_at = cover.next_starts.starts
    return {
        "team_on_shift": None if cover is None else bool(cover.running),
        "next_shift_at": next_at,
    }
