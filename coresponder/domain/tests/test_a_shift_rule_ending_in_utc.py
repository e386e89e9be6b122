"""A shift rule's end (UNTIL) as calendar tools export it, an instant in UTC, or as a day:
read on the program's clock, across daylight-saving changes, and exactly the shifts of the
same rule without an end that start by then."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coresponder.domain.recurrence import rule_problem, wall_clock_rule
from coresponder.domain.shifts import Occurrence, shift_occurrences

LONDON = ZoneInfo("Europe/London")
ZONES = ["America/New_York", "Europe/London", "Pacific/Auckland", "Australia/Lord_Howe", "UTC"]
WINDOW = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2029, 1, 1, tzinfo=dt.UTC))


def shifts(rule: str, zone: str, starts_at: dt.time, first_day: dt.date) -> list[Occurrence]:
    return shift_occurrences(
        rule,
        first_day=first_day,
        starts_at=starts_at,
        duration=dt.timedelta(hours=8),
        timezone=zone,
        window_start=WINDOW[0],
        window_end=WINDOW[1],
    )


def test_a_weekly_rule_ending_in_utc_runs_to_the_last_monday_before_the_instant() -> None:
    found = shifts(
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20271231T000000Z",
        "America/New_York",
        dt.time(9),
        dt.date(2027, 11, 1),
    )

    assert [o.starts.date() for o in found][-1] == dt.date(2027, 12, 27)
    assert len(found) == 9


def test_an_end_in_utc_is_read_at_the_zones_offset_of_that_day() -> None:
    # 13:00 UTC on Monday 15 March 2027 is 09:00 in New York, clocks forward since the 14th
    # (08:00 by the winter offset): that Monday's 09:00 shift is the last.
    found = shifts(
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270315T130000Z",
        "America/New_York",
        dt.time(9),
        dt.date(2027, 3, 1),
    )

    assert [o.starts for o in found] == [
        dt.datetime(2027, 3, day, 9, tzinfo=ZoneInfo("America/New_York")) for day in (1, 8, 15)
    ]


def test_an_end_given_as_a_day_keeps_that_days_shift() -> None:
    found = shifts(
        "FREQ=DAILY;UNTIL=20271103", "America/New_York", dt.time(19), dt.date(2027, 11, 1)
    )

    assert [o.starts.date() for o in found] == [dt.date(2027, 11, d) for d in (1, 2, 3)]


def test_an_end_written_without_z_is_the_wall_clock_time_written() -> None:
    found = shifts(
        "FREQ=DAILY;UNTIL=20271103T190000", "Pacific/Auckland", dt.time(19), dt.date(2027, 11, 1)
    )

    assert len(found) == 3


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    freq=st.sampled_from(["DAILY", "WEEKLY;BYDAY=MO,TH", "WEEKLY;INTERVAL=2;BYDAY=SU"]),
    starts_at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    first_day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
    until=st.datetimes(
        dt.datetime.combine(dt.date(2026, 1, 1), dt.time()),
        dt.datetime.combine(dt.date(2028, 12, 31), dt.time()),
        timezones=st.just(dt.UTC),
    ).map(lambda t: t.replace(microsecond=0)),
)
def test_an_end_in_utc_keeps_exactly_the_shifts_starting_by_that_instant(
    zone: str, freq: str, starts_at: dt.time, first_day: dt.date, until: dt.datetime
) -> None:
    endless = shifts(f"FREQ={freq}", zone, starts_at, first_day)
    ended = shifts(f"FREQ={freq};UNTIL={until:%Y%m%dT%H%M%SZ}", zone, starts_at, first_day)

    assert ended == [o for o in endless if o.starts <= until]


@settings(max_examples=100, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    starts_at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    first_day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
    last_day=st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)),
)
def test_an_end_given_as_a_day_keeps_exactly_the_shifts_starting_that_day_or_before(
    zone: str, starts_at: dt.time, first_day: dt.date, last_day: dt.date
) -> None:
    endless = shifts("FREQ=WEEKLY;BYDAY=MO,WE,FR", zone, starts_at, first_day)
    ended = shifts(
        f"FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL={last_day:%Y%m%d}", zone, starts_at, first_day
    )

    # These zones change their clocks in the small hours, so a start keeps its local day.
    assert ended == [o for o in endless if o.starts.date() <= last_day]


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY lists days as MO, TU, WE, TH, FR, SA, SU; XX is not one"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT must be a whole number of shifts, 1 or more"),
        ("FREQ=DAILY;UNTIL=20270231", "UNTIL=20270231 is not a day and time on the calendar"),
        ("FREQ=DAILY;UNTIL=2027-12-31", "Write its end as a day, such as UNTIL=20271231"),
        ("FREQ=DAILY;UNTIL=20271231T24", "UNTIL=20271231T24 is not a day or a time"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20271231", "give one of them"),
        ("FREQ=DAILY;BYDAY=MO;BYDAY=TU", "gives BYDAY twice"),
        ("FREQ=DAILY;DTSTART=20270101", "a part it cannot use, DTSTART"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY lists days of the month"),
        ("FREQ=MONTHLY;BYDAY=6MO", "goes with FREQ=MONTHLY, from 1 to 5"),
        ("FREQ=MONTHLY;BYMONTH=13", "BYMONTH lists months, 1 to 12"),
        ("FREQ=DAILY;WKST=XX", "WKST names the day a week starts"),
    ],
)
def test_a_rule_that_cannot_be_used_is_said_in_a_coordinators_words(rule: str, said: str) -> None:
    problem = rule_problem(rule)

    assert problem is not None and said in problem
    assert "DTSTART is timezone-aware" not in problem and "invalid literal" not in problem


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20271231T000000Z",
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20271231",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=SU",
        "FREQ=DAILY;COUNT=10",
    ],
)
def test_rules_calendar_tools_write_are_read(rule: str) -> None:
    assert rule_problem(rule) is None
    assert wall_clock_rule(rule, dt.datetime.combine(dt.date(2027, 1, 4), dt.time(9)), LONDON)
