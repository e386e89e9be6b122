"""Follow-up service levels: the share reached within the window, time to first contact, misses.

A task is missed when its window closed with no attempt inside it, or when it expired
from the queue unworked (nobody closed it in the time the preset allows).

Plain records in, plain numbers out; `now` is always a parameter.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TaskRecord:
    """One outreach task as the service levels see it."""

    window_start: dt.datetime
    window_end: dt.datetime
    anchor: dt.datetime  # the overdose, or the window's start where there is none
    first_attempt_at: dt.datetime | None
    district: str = ""
    team: str = ""
    # Left the queue unworked: nobody closed it in the time the preset allows.
    expired: bool = False
    # Learned of after the anchor's window had closed: the window opened then.
    window_from_report: bool = False


@dataclass(frozen=True)
class SlaSummary:
    closed_windows: int
    within_window: int
    follow_up_within_window_rate: float | None
    median_hours_to_first_contact: float | None
    missed_by_district: dict[str, int] = field(default_factory=dict)
    missed_by_team: dict[str, int] = field(default_factory=dict)
    missed: int = 0
    # Of the missed, those that expired from the queue unworked.
    expired: int = 0
    # Of the windows closed, those that opened when the program learned of the overdose,
    # after the window it gave had closed.
    from_late_reports: int = 0


def attempted_within_window(task: TaskRecord) -> bool:
    first = task.first_attempt_at
    return first is not None and task.window_start <= first < task.window_end


def is_missed(task: TaskRecord) -> bool:
    """No attempt inside the window, or the task expired unworked."""
    return task.expired or not attempted_within_window(task)


def window_closed_in(
    task: TaskRecord, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> bool:
    """The window closed in [start, end), and has closed by `now`."""
    return start <= task.window_end < end and task.window_end <= now


def hours_to_first_contact(task: TaskRecord) -> float | None:
    if task.first_attempt_at is None:
        return None
    return (task.first_attempt_at - task.anchor).total_seconds() / 3600


def summarize(
    tasks: Iterable[TaskRecord], start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> SlaSummary:
    """Service levels over the tasks whose window closed in [start, end) by `now`.

    The median covers the same tasks, those with a first attempt.
    """
    closed = [t for t in tasks if window_closed_in(t, start, end, now)]
    within = [t for t in closed if attempted_within_window(t)]
    missed = [t for t in closed if is_missed(t)]
    hours = [h for h in (hours_to_first_contact(t) for t in closed) if h is not None]
    return SlaSummary(
        closed_windows=len(closed),
        within_window=len(within),
        follow_up_within_window_rate=len(within) / len(closed) if closed else None,
        median_hours_to_first_contact=statistics.median(hours) if hours else None,
        missed_by_district=dict(sorted(Counter(t.district for t in missed).items())),
        missed_by_team=dict(sorted(Counter(t.team for t in missed).items())),
        missed=len(missed),
        expired=sum(1 for t in closed if t.expired),
        from_late_reports=sum(1 for t in closed if t.window_from_report),
    )


def follow_up_within_window_rate(
    tasks: Iterable[TaskRecord], start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> float | None:
    """Of the tasks whose window closed in [start, end), the share first attempted inside it."""
    return summarize(tasks, start, end, now).follow_up_within_window_rate


def median_hours_to_first_contact(
    tasks: Iterable[TaskRecord], start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> float | None:
    """Median hours from the anchor to the first attempt, over those tasks with one."""
    return summarize(tasks, start, end, now).median_hours_to_first_contact
