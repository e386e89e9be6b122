"""Shift recurrences are expanded in local wall-clock time, across DST changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from coresponder.domain.shifts import Occurrence, shift_occurrences

NEW_YORK = ZoneInfo("America/New_York")
DENVER = ZoneInfo("America/Denver")
PAD_RULE = "FREQ=WEEKLY;BYDAY=MO,WE,FR"


def pad_shifts(
    window_start: dt.datetime, window_end: dt.datetime, exceptions: tuple[dt.date, ...] = ()
) -> list[Occurrence]:
    return shift_occurrences(
        PAD_RULE,
        first_day=dt.date(2024, 1, 1),
        starts_at=dt.time(10, 0),
        duration=dt.timedelta(hours=8),
        timezone="America/New_York",
        window_start=window_start,
        window_end=window_end,
        exceptions=exceptions,
    )


# 2025-03-09 is the Sunday clocks in New York spring forward.
AROUND_MARCH_DST = (
    dt.datetime(2025, 3, 3, tzinfo=NEW_YORK),
    dt.datetime(2025, 3, 15, tzinfo=NEW_YORK),
)


def test_pad_shifts_stay_at_ten_local_across_the_march_dst_change() -> None:
    shifts = pad_shifts(*AROUND_MARCH_DST)

    assert [s.starts.date() for s in shifts] == [
        dt.date(2025, 3, 3),
        dt.date(2025, 3, 5),
        dt.date(2025, 3, 7),
        dt.date(2025, 3, 10),
        dt.date(2025, 3, 12),
        dt.date(2025, 3, 14),
    ]
    assert {(s.starts.hour, s.starts.minute) for s in shifts} == {(10, 0)}
    assert {(s.ends.hour, s.ends.minute) for s in shifts} == {(18, 0)}
    # The same wall-clock time is a different UTC instant once clocks move.
    assert [s.starts.astimezone(dt.UTC).hour for s in shifts] == [15, 15, 15, 14, 14, 14]


def test_a_shift_lasts_its_duration_in_elapsed_time_across_the_change() -> None:
    night = shift_occurrences(
        "FREQ=DAILY",
        first_day=dt.date(2025, 1, 1),
        starts_at=dt.time(22, 0),
        duration=dt.timedelta(hours=8),
        timezone="America/New_York",
        window_start=dt.datetime(2025, 3, 8, 12, tzinfo=NEW_YORK),
        window_end=dt.datetime(2025, 3, 9, 12, tzinfo=NEW_YORK),
    )

    assert len(night) == 1
    elapsed = night[0].ends.astimezone(dt.UTC) - night[0].starts.astimezone(dt.UTC)
    assert elapsed == dt.timedelta(hours=8)
    # Eight hours after 22:00 EST is 07:00 EDT, an hour was skipped.
    assert (night[0].ends.hour, night[0].ends.minute) == (7, 0)


def test_core_day_shifts_stay_at_seven_local_across_the_november_change() -> None:
    shifts = shift_occurrences(
        "FREQ=DAILY",
        first_day=dt.date(2024, 1, 1),
        starts_at=dt.time(7, 0),
        duration=dt.timedelta(hours=12),
        timezone="America/Denver",
        window_start=dt.datetime(2025, 11, 1, tzinfo=DENVER),
        window_end=dt.datetime(2025, 11, 4, tzinfo=DENVER),
    )

    assert [s.starts.day for s in shifts] == [1, 2, 3]
    assert {s.starts.hour for s in shifts} == {7}


def test_it_includes_a_shift_already_running_when_the_window_opens() -> None:
    shifts = pad_shifts(
        dt.datetime(2025, 3, 3, 12, tzinfo=NEW_YORK),
        dt.datetime(2025, 3, 4, tzinfo=NEW_YORK),
    )

    assert [s.starts for s in shifts] == [dt.datetime(2025, 3, 3, 10, tzinfo=NEW_YORK)]


def test_it_excludes_a_shift_that_ended_before_the_window_opens() -> None:
    shifts = pad_shifts(
        dt.datetime(2025, 3, 3, 18, tzinfo=NEW_YORK),
        dt.datetime(2025, 3, 4, tzinfo=NEW_YORK),
    )

    assert shifts == []


def test_it_accepts_window_bounds_in_any_zone() -> None:
    start, end = AROUND_MARCH_DST

    in_utc = pad_shifts(start.astimezone(dt.UTC), end.astimezone(dt.UTC))

    assert in_utc == pad_shifts(*AROUND_MARCH_DST)


def test_it_skips_the_dates_listed_as_exceptions() -> None:
    shifts = pad_shifts(*AROUND_MARCH_DST, exceptions=(dt.date(2025, 3, 5), dt.date(2025, 3, 14)))

    assert [s.starts.day for s in shifts] == [3, 7, 10, 12]


@pytest.mark.parametrize("naive_bound", ["start", "end"])
def test_it_refuses_a_naive_window(naive_bound: str) -> None:
    start, end = AROUND_MARCH_DST
    if naive_bound == "start":
        start = start.replace(tzinfo=None)
    else:
        end = end.replace(tzinfo=None)

    with pytest.raises(ValueError, match="timezone-aware"):
        pad_shifts(start, end)


def test_a_shift_starting_in_the_spring_forward_gap_starts_at_the_real_instant() -> None:
    occurrences = shift_occurrences(
        "FREQ=DAILY",
        first_day=dt.date(2026, 3, 1),
        starts_at=dt.time(2, 30),
        duration=dt.timedelta(hours=4),
        timezone="America/New_York",
        window_start=dt.datetime(2026, 3, 8, 0, 0, tzinfo=dt.UTC),
        window_end=dt.datetime(2026, 3, 9, 0, 0, tzinfo=dt.UTC),
    )
    assert len(occurrences) == 1
    starts = occurrences[0].starts
    assert (starts.hour, starts.minute) == (3, 30)
    assert starts.utcoffset() == dt.timedelta(hours=-4)
    assert occurrences[0].ends - starts == dt.timedelta(hours=4)


def test_a_rule_repeating_every_zero_periods_saved_before_it_was_refused_gives_no_shift() -> None:
    # dateutil would give the first shift again and again without end.
    start = dt.datetime(2025, 3, 3, tzinfo=ZoneInfo("America/Denver"))
    found = shift_occurrences(
        "FREQ=DAILY;INTERVAL=0",
        first_day=dt.date(2025, 3, 3),
        starts_at=dt.time(8),
        duration=dt.timedelta(hours=8),
        timezone="America/Denver",
        window_start=start,
        window_end=start + dt.timedelta(days=7),
    )
    assert found == []
