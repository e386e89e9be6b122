"""Care plans: which needs keep coming back for a person.

Longmont's CORE follows people up with peer support and case managers and
tracks repeat need: a need that recurs across plans, or a goal opened again
after it was met or dropped, tells the team the person needs longer support.
And why a plan's owner may no longer own it, so the program can hand it over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# A need counts as repeat from its second occurrence.
REPEAT_FROM = 2


@dataclass(frozen=True)
class GoalFact:
    """One goal of one plan: its need, and how many times it was opened again."""

    need: str
    plan_id: int
    times_reopened: int = 0


@dataclass(frozen=True)
class RepeatNeed:
    need: str
    times: int  # goals with this need, plus each time one was opened again
    plans: int  # distinct plans naming the need


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st."""
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def repeat_needs(goals: Iterable[GoalFact]) -> list[RepeatNeed]:
    """Needs that recur for one person, most frequent first, then by name."""
    times: dict[str, int] = {}
    plans: dict[str, set[int]] = {}
    for goal in goals:
        times[goal.need] = times.get(goal.need, 0) + 1 + max(goal.times_reopened, 0)
        plans.setdefault(goal.need, set()).add(goal.plan_id)
    found = [
        RepeatNeed(need=need, times=count, plans=len(plans[need]))
        for need, count in times.items()
        if count >= REPEAT_FROM
    ]
    return sorted(found, key=lambda r: (-r.times, r.need))


def repeat_label(need_label: str, times: int) -> str:
    """'Housing: 3rd time'."""
    return f"{need_label}: {ordinal(times)} time"


class OwnerGone(StrEnum):
    """Why a care plan's owner may no longer own care in the plan's program."""

    ACCOUNT_DISABLED = "account_disabled"
    LEFT_PROGRAM = "left_program"
    ROLE_CHANGED = "role_changed"


OWNER_GONE_LABELS: dict[OwnerGone, str] = {
    OwnerGone.ACCOUNT_DISABLED: "Account disabled",
    OwnerGone.LEFT_PROGRAM: "Left the program",
    OwnerGone.ROLE_CHANGED: "Role no longer owns care",
}


def owner_gone(*, account_active: bool, member: bool, role_owns_care: bool) -> OwnerGone | None:
    """Why the owner no longer owns care, or None while they may. A disabled account comes
    first: it ends every membership at once, so it is what the program needs to know."""
    if not account_active:
        return OwnerGone.ACCOUNT_DISABLED
    if not member:
        return OwnerGone.LEFT_PROGRAM
    if not role_owns_care:
        return OwnerGone.ROLE_CHANGED
    return None
