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


def test_a_night_shift_ends_at_its_wall_clock_time_across_the_change() -> None:
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
    # 22:00 EST to 06:00 EDT: the shift ends when the clock says, an hour was skipped.
    assert (night[0].ends.hour, night[0].ends.minute) == (6, 0)
    assert night[0].elapsed == dt.timedelta(hours=7)


def overnight(timezone: str, night_of: dt.date) -> Occurrence:
    """The 19:00–07:00 shift that starts on `night_of`, worked every night."""
    zone = ZoneInfo(timezone)
    evening = dt.datetime.combine(night_of, dt.time(18), tzinfo=zone)
    [shift] = shift_occurrences(
        "FREQ=DAILY",
        first_day=dt.date(2024, 1, 1),
        starts_at=dt.time(19, 0),
        duration=dt.timedelta(hours=12),
        timezone=timezone,
        window_start=evening,
        window_end=evening + dt.timedelta(hours=2),
    )
    return shift


@pytest.mark.parametrize(
    ("timezone", "night_of", "hours"),
    [
        # Clocks go back on the first Sunday of November in New York...
        ("America/New_York", dt.date(2025, 11, 1), 13),
        # ...and forward on the second Sunday of March.
        ("America/New_York", dt.date(2026, 3, 7), 11),
        # In Auckland they go back on the first Sunday of April...
        ("Pacific/Auckland", dt.date(2026, 4, 4), 13),
        # ...and forward on the last Sunday of September.
        ("Pacific/Auckland", dt.date(2025, 9, 27), 11),
        # Any other night is twelve hours.
        ("America/New_York", dt.date(2025, 11, 2), 12),
        ("Pacific/Auckland", dt.date(2026, 4, 5), 12),
    ],
)
def test_an_overnight_shift_ends_at_seven_local_on_the_nights_the_clocks_change(
    timezone: str, night_of: dt.date, hours: int
) -> None:
    shift = overnight(timezone, night_of)

    assert (shift.starts.date(), shift.starts.hour, shift.starts.minute) == (night_of, 19, 0)
    morning = night_of + dt.timedelta(days=1)
    assert (shift.ends.date(), shift.ends.hour, shift.ends.minute) == (morning, 7, 0)
    seven = dt.datetime.combine(morning, dt.time(7), ZoneInfo(timezone))
    assert shift.ends.utcoffset() == seven.utcoffset()
    assert shift.elapsed == dt.timedelta(hours=hours)


def test_the_overnight_shift_is_still_running_in_the_hour_the_clocks_give_back() -> None:
    # 06:30 EST on 2 November 2025 is thirteen and a half hours after 19:00 EDT.
    at = dt.datetime(2025, 11, 2, 6, 30, tzinfo=NEW_YORK)

    running = shift_occurrences(
        "FREQ=DAILY",
        first_day=dt.date(2024, 1, 1),
        starts_at=dt.time(19, 0),
        duration=dt.timedelta(hours=12),
        timezone="America/New_York",
        window_start=at,
        window_end=at + dt.timedelta(microseconds=1),
    )

    assert [s.starts.date() for s in running] == [dt.date(2025, 11, 1)]


def test_a_shift_ending_in_the_repeated_hour_ends_the_first_time_the_clock_reads_it() -> None:
    [late] = shift_occurrences(
        "FREQ=DAILY",
        first_day=dt.date(2024, 1, 1),
        starts_at=dt.time(22, 0),
        duration=dt.timedelta(hours=3, minutes=30),
        timezone="America/New_York",
        window_start=dt.datetime(2025, 11, 1, 21, tzinfo=NEW_YORK),
        window_end=dt.datetime(2025, 11, 1, 23, tzinfo=NEW_YORK),
    )

    assert (late.ends.hour, late.ends.minute) == (1, 30)
    assert late.ends.utcoffset() == dt.timedelta(hours=-4)
    assert late.elapsed == dt.timedelta(hours=3, minutes=30)


def test_a_shift_that_ended_the_first_time_the_clock_read_half_past_one_is_over_the_second() -> (
    None
):
    # 01:15 EST, the second time the clock reads it: 22:00–01:30 ended at 01:30 EDT.
    at = dt.datetime(2025, 11, 2, 1, 15, tzinfo=NEW_YORK, fold=1)

    running = shift_occurrences(
        "FREQ=DAILY",
        first_day=dt.date(2024, 1, 1),
        starts_at=dt.time(22, 0),
        duration=dt.timedelta(hours=3, minutes=30),
        timezone="America/New_York",
        window_start=at,
        window_end=at + dt.timedelta(microseconds=1),
    )

    assert running == []


def test_a_shift_ending_in_the_skipped_hour_ends_at_the_real_instant() -> None:
    [late] = shift_occurrences(
        "FREQ=DAILY",
        first_day=dt.date(2024, 1, 1),
        starts_at=dt.time(22, 0),
        duration=dt.timedelta(hours=4, minutes=30),
        timezone="America/New_York",
        window_start=dt.datetime(2025, 3, 8, 21, tzinfo=NEW_YORK),
        window_end=dt.datetime(2025, 3, 8, 23, tzinfo=NEW_YORK),
    )

    # 02:30 does not happen that night: the shift ends when the clock reads 03:30.
    assert (late.ends.hour, late.ends.minute) == (3, 30)
    assert late.elapsed == dt.timedelta(hours=4, minutes=30)


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
    # It still ends when the clock reads 06:30, three hours after it could start.
    ends = occurrences[0].ends
    assert (ends.hour, ends.minute) == (6, 30)
    assert occurrences[0].elapsed == dt.timedelta(hours=3)


def test_a_shift_lying_wholly_in_the_skipped_hour_lasts_its_duration_from_its_real_start() -> None:
    [brief] = shift_occurrences(
        "FREQ=DAILY",
        first_day=dt.date(2026, 3, 1),
        starts_at=dt.time(2, 30),
        duration=dt.timedelta(minutes=20),
        timezone="America/New_York",
        window_start=dt.datetime(2026, 3, 8, 0, 0, tzinfo=dt.UTC),
        window_end=dt.datetime(2026, 3, 9, 0, 0, tzinfo=dt.UTC),
    )

    assert (brief.starts.hour, brief.starts.minute) == (3, 30)
    assert brief.elapsed == dt.timedelta(minutes=20)


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
