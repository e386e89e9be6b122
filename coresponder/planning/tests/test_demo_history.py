"""CORE's demo history is enough to plan from, and the third team 14:00–22:00 shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import QueryDict

from coresponder.core.audit import SYSTEM
from coresponder.demo.generator import generate_demo_data
from coresponder.planning.history import FEWEST_SAMPLES, read_history, todays_teams
from coresponder.planning.plans import compare
from coresponder.planning.scenarios import example_query, read_form, rows_of
from coresponder.programs.models import Program

TODAY = dt.date(2026, 12, 3)


@pytest.mark.django_db
def test_cores_demo_year_plans_today_and_a_third_team(programs: dict[str, Program]) -> None:
    generate_demo_data(SYSTEM, seed=1, scale="small", anchor=TODAY, programs=("core",))
    core = programs["core"]
    history = read_history(core, TODAY)
    assert history.source == "calls"
    assert history.profile.observed > 100
    assert history.on_scene_recorded >= FEWEST_SAMPLES
    assert history.travel_recorded >= FEWEST_SAMPLES
    today_rows = rows_of(todays_teams(core, TODAY))
    assert [row.described for row in today_rows] == ["07:00–19:00, every day"] * 2
    form = read_form(QueryDict(example_query(today_rows)), today_rows)
    assert not form.errors
    comparison = compare(history, today_rows, form)
    before = comparison.today.simulated.answered_share
    after = comparison.scenario.simulated.answered_share
    assert before is not None and after is not None
    assert after > before + 0.05
