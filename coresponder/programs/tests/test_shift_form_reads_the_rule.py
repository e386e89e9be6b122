"""The shift change form reads a shift's rule back into its own fields: "every day" is seven
ticked days, never FREQ=DAILY; only a rule the days cannot say stays in the advanced field."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from coresponder.conftest import member_of, sign_in
from coresponder.core.audit import SYSTEM
from coresponder.demo.cast import CastBuilder
from coresponder.domain.vocabulary import Role
from coresponder.programs.models import Program, Shift, User
from coresponder.programs.shift_forms import weekdays_of
from coresponder.programs.tests.factories import TeamFactory

EVERY_DAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
TUESDAY = dt.date(2025, 3, 4)


@pytest.fixture
def core(programs: dict[str, Program]) -> Program:
    return programs["core"]


@pytest.fixture
def day_unit(core: Program) -> Shift:
    """A CORE team's copy of the preset's "CORE day unit" (FREQ=DAILY), as the demo makes it."""
    team = TeamFactory.create(program=core, name="CORE Team 1")
    CastBuilder(SYSTEM, Counter()).ensure_team_shifts(core, team)
    return Shift.objects.get(program=core, team=team)


@pytest.fixture
def scheduler(client: Client, core: Program) -> User:
    user = member_of(core, Role.COORDINATOR, "core-coordinator")
    sign_in(client, user)
    return user


def ticked(page: str) -> list[str]:
    return re.findall(r'name="weekdays" value="(\w\w)"[^>]* checked', page)


def rule_box(page: str) -> str:
    return re.search(r'<input type="text" name="rrule"[^>]*>', page).group(0)  # type: ignore[union-attr]


def as_shown(shift: Shift, **changes: object) -> dict[str, object]:
    """The change form sent as it opens, with `changes`."""
    data: dict[str, object] = {
        "name": shift.name,
        "team": shift.team_id or "",
        "weekdays": EVERY_DAY,
        "rrule": "",
        "starts_on": shift.starts_on.isoformat(),
        "starts_at": shift.starts_at.strftime("%H:%M"),
        "duration_hours": "12.00",
        "districts": sorted(d.code for d in shift.districts.all()),
        "ends_on": "",
        "version": shift.version,
    }
    return data | changes


def test_an_every_day_shift_opens_with_every_day_ticked_and_no_rule_syntax(
    client: Client, core: Program, day_unit: Shift, scheduler: User
) -> None:
    assert day_unit.rrule == "FREQ=DAILY"
    teams = client.get(reverse("program-teams", args=[core.slug])).content.decode()
    assert "CORE day unit (CORE Team 1)</strong>: Every day 07:00–19:00" in teams

    page = client.get(reverse("shift-change", args=[core.slug, day_unit.pk])).content.decode()

    assert ticked(page) == EVERY_DAY
    assert "value=" not in rule_box(page)
    assert "FREQ=DAILY" not in page
    assert "Or another pattern (advanced)" in page


def test_saving_it_unchanged_keeps_the_rule_and_unticking_a_day_says_the_days(
    client: Client, core: Program, day_unit: Shift, scheduler: User
) -> None:
    url = reverse("shift-change", args=[core.slug, day_unit.pk])
    assert client.post(url, as_shown(day_unit)).status_code == 302
    day_unit.refresh_from_db()
    assert day_unit.rrule == "FREQ=DAILY"  # the same days: the rule as written
    teams = client.get(reverse("program-teams", args=[core.slug])).content.decode()
    assert "Every day 07:00–19:00" in teams

    weekdays_only = as_shown(day_unit, weekdays=EVERY_DAY[:5])
    assert client.post(url, weekdays_only).status_code == 302
    day_unit.refresh_from_db()
    assert day_unit.rrule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    page = client.get(url).content.decode()
    assert ticked(page) == EVERY_DAY[:5]


def test_a_rule_the_days_cannot_say_stays_in_the_advanced_field_said_in_words(
    client: Client, core: Program, day_unit: Shift, scheduler: User
) -> None:
    url = reverse("shift-change", args=[core.slug, day_unit.pk])
    fortnightly = as_shown(day_unit, weekdays=[], rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")
    assert client.post(url, fortnightly).status_code == 302

    page = client.get(url).content.decode()

    assert ticked(page) == []
    assert 'value="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"' in rule_box(page)
    assert "This shift now runs: Every 2 weeks: Tue 07:00–19:00." in page


@pytest.mark.parametrize(
    ("rule", "days"),
    [
        ("FREQ=DAILY", EVERY_DAY),
        ("FREQ=DAILY;INTERVAL=1", EVERY_DAY),
        ("FREQ=DAILY;BYDAY=SA,SU", ["SA", "SU"]),
        ("FREQ=WEEKLY;BYDAY=FR,MO,WE", ["MO", "WE", "FR"]),
        ("FREQ=WEEKLY;WKST=SU;BYDAY=TU", ["TU"]),
        ("freq=weekly;byday=th", ["TH"]),
        ("FREQ=WEEKLY", ["TU"]),  # no days: the first day's weekday
        ("FREQ=DAILY;INTERVAL=2", None),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", None),
        ("FREQ=WEEKLY;BYDAY=MO;COUNT=10", None),
        ("FREQ=DAILY;UNTIL=20260101", None),
        ("FREQ=MONTHLY;BYDAY=1MO", None),
        ("FREQ=WEEKLY;BYDAY=1MO", None),
    ],
)
def test_the_days_a_rule_runs_on_where_the_boxes_can_say_it(
    rule: str, days: list[str] | None
) -> None:
    assert weekdays_of(rule, TUESDAY) == days
