"""Overdoses to count: a quiet fortnight in PAD's districts, and a spike where a test wants one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from coresponder.intake.models import Overdose
from coresponder.programs.models import District, Program

# Thursday 3 December 2026, 15:00 in Philadelphia.
NOW = dt.datetime(2026, 12, 3, 20, 0, tzinfo=dt.UTC)
EASTERN = ZoneInfo("America/New_York")
TODAY = NOW.astimezone(EASTERN).date()

AddOverdoses = Callable[..., None]


@pytest.fixture
def add_overdoses(db: None) -> AddOverdoses:
    """`add_overdoses(program, day, n, district_code=None, hour=10)`: n overdoses that local day."""

    def add(
        program: Program, day: dt.date, n: int, district_code: str | None = None, hour: int = 10
    ) -> None:
        district = (
            District.objects.get(program=program, code=district_code) if district_code else None
        )
        zone = ZoneInfo(program.timezone)
        for k in range(n):
            at = dt.datetime.combine(day, dt.time(hour, k % 60), tzinfo=zone)
            Overdose.objects.create(program=program, occurred_at=at, district=district)

    return add


@pytest.fixture
def quiet_fortnight(pad: Program, add_overdoses: AddOverdoses) -> Program:
    """Each of PAD's districts had one overdose every other day for two weeks before today."""
    for back in range(1, 15):
        day = TODAY - dt.timedelta(days=back)
        for index, code in enumerate(("22", "39", "24")):
            if (back + index) % 2 == 0:
                add_overdoses(pad, day, 1, code)
    return pad
