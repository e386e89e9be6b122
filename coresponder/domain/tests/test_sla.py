"""Follow-up service levels, checked against hand-computed values."""

from __future__ import annotations

import datetime as dt

from coresponder.domain.sla import (
    TaskRecord,
    follow_up_within_window_rate,
    median_hours_to_first_contact,
    summarize,
)

T0 = dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.UTC)
START = T0
END = T0 + dt.timedelta(days=30)
NOW = T0 + dt.timedelta(days=31)


def task(
    first_attempt_hours: float | None,
    *,
    opens: float = 0,
    closes: float = 72,
    anchor: float = 0,
    district: str = "North",
    team: str = "A",
) -> TaskRecord:
    """A task on T0's timeline, every time given in hours after T0."""
    return TaskRecord(
        window_start=T0 + dt.timedelta(hours=opens),
        window_end=T0 + dt.timedelta(hours=closes),
        anchor=T0 + dt.timedelta(hours=anchor),
        first_attempt_at=None
        if first_attempt_hours is None
        else T0 + dt.timedelta(hours=first_attempt_hours),
        district=district,
        team=team,
    )


FOUR = [
    task(10, district="North", team="A"),  # inside the window: 10 h
    task(30, district="South", team="B"),  # inside the window: 30 h
    task(80, district="South", team="A"),  # late: 80 h, a miss
    task(None, district="North", team="B"),  # never: a miss
]


def test_two_of_four_attempted_inside_the_window_is_a_rate_of_one_half() -> None:
    assert follow_up_within_window_rate(FOUR, START, END, NOW) == 0.5


def test_the_median_of_three_first_contacts_is_the_middle_one() -> None:
    # 10, 30 and 80 hours: the task never attempted has no time to first contact.
    assert median_hours_to_first_contact(FOUR, START, END, NOW) == 30


def test_the_median_of_four_first_contacts_is_the_mean_of_the_middle_two() -> None:
    tasks = [*FOUR, task(50)]
    # 10, 30, 50 and 80 hours: (30 + 50) / 2.
    assert median_hours_to_first_contact(tasks, START, END, NOW) == 40


def test_hours_to_first_contact_run_from_the_anchor_not_the_window() -> None:
    # The overdose was 12 h before the window opened; the attempt 6 h after it opened.
    tasks = [task(18, opens=12, closes=84, anchor=0)]
    assert median_hours_to_first_contact(tasks, START, END, NOW) == 18


def test_an_attempt_before_the_window_opens_is_not_inside_it() -> None:
    tasks = [task(5, opens=12, closes=84)]
    assert follow_up_within_window_rate(tasks, START, END, NOW) == 0


def test_misses_are_counted_by_district_and_by_team() -> None:
    summary = summarize(FOUR, START, END, NOW)
    assert summary.closed_windows == 4
    assert summary.within_window == 2
    assert summary.missed == 2
    assert summary.missed_by_district == {"North": 1, "South": 1}
    assert summary.missed_by_team == {"A": 1, "B": 1}


def test_only_windows_that_closed_in_the_period_count() -> None:
    before = task(None, opens=-100, closes=-1)
    after = task(None, closes=24 * 30)  # closes at END, which the period excludes
    summary = summarize([*FOUR, before, after], START, END, NOW)
    assert summary.closed_windows == 4


def test_a_window_still_open_at_now_is_not_yet_counted() -> None:
    summary = summarize([task(None, closes=72)], START, END, T0 + dt.timedelta(hours=24))
    assert summary.closed_windows == 0


def test_with_no_closed_windows_both_numbers_are_none() -> None:
    summary = summarize([], START, END, NOW)
    assert summary.follow_up_within_window_rate is None
    assert summary.median_hours_to_first_contact is None
    assert summary.missed_by_district == {}


def test_with_no_attempt_at_all_the_median_is_none() -> None:
    assert median_hours_to_first_contact([task(None)], START, END, NOW) is None
