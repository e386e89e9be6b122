"""HSDS 3.0 gives a schedule's time zone as a UTC offset (a number); its name travels beside it."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.services.actions import import_directory
from coresponder.services.hsds_datapackage import export_datapackage, import_datapackage
from coresponder.services.hsds_export import export_directory
from coresponder.services.hsds_import import validate_directory
from coresponder.services.models import Schedule
from coresponder.services.tests.test_hsds import build_directory, snapshot, wipe_directory

pytestmark = pytest.mark.django_db

WINTER = dt.date(2025, 1, 15)
SUMMER = dt.date(2025, 7, 15)


def schedules(directory: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {schedule["id"]: schedule for schedule in directory["schedules"]}


def test_a_schedule_s_timezone_is_the_utc_offset_in_effect_and_its_name_an_extension() -> None:
    build_directory()
    winter = schedules(export_directory(today=WINTER))
    summer = schedules(export_directory(today=SUMMER))
    # sch-1 is the Quincy clinic's, in New York's zone, valid through 2025.
    assert (winter["sch-1"]["timezone"], summer["sch-1"]["timezone"]) == (-5, -4)
    assert winter["sch-1"]["x_coresponder_timezone"] == "America/New_York"
    # sch-2 names no zone of its own: it is read in its service's place's (Chicago's).
    assert (winter["sch-2"]["timezone"], summer["sch-2"]["timezone"]) == (-6, -5)
    assert winter["sch-2"]["x_coresponder_timezone"] == ""
    assert all(
        isinstance(s["timezone"], int | float) and not isinstance(s["timezone"], bool)
        for s in winter.values()
    )


def test_a_schedule_valid_only_in_the_past_gives_the_offset_of_its_last_day() -> None:
    build_directory()
    # sch-1 ends on 2025-12-31, in winter: New York is 5 hours behind UTC then.
    assert schedules(export_directory(today=dt.date(2026, 7, 1)))["sch-1"]["timezone"] == -5


def test_an_offset_round_trips_through_json_and_the_datapackage(tmp_path: Path) -> None:
    build_directory()
    exported = export_directory(today=SUMMER)
    before = snapshot()
    wipe_directory()
    import_directory(SYSTEM, json.loads(json.dumps(exported)))
    assert snapshot() == before
    assert export_directory(today=SUMMER) == exported

    export_datapackage(tmp_path / "pkg")
    wipe_directory()
    import_datapackage(tmp_path / "pkg", SYSTEM)
    assert snapshot() == before


def test_a_file_from_another_program_with_only_an_offset_is_read_at_that_offset() -> None:
    build_directory()
    exported = export_directory(today=WINTER)
    other = copy.deepcopy(exported)
    for schedule in other["schedules"]:
        del schedule["x_coresponder_timezone"]
    other["schedules"][0]["timezone"] = -5
    other["schedules"][1]["timezone"] = 0
    wipe_directory()
    assert validate_directory(other) == []
    import_directory(SYSTEM, other)
    zones = dict(Schedule.objects.values_list("hsds_id", "timezone"))
    assert zones == {"sch-1": "Etc/GMT+5", "sch-2": "UTC"}


def test_an_offset_that_is_not_whole_hours_and_has_no_name_is_named_as_a_problem() -> None:
    build_directory()
    other = copy.deepcopy(export_directory(today=WINTER))
    del other["schedules"][0]["x_coresponder_timezone"]
    other["schedules"][0]["timezone"] = 5.5
    other["schedules"][1]["timezone"] = -30
    problems = {str(problem) for problem in validate_directory(other)}
    assert any(p.startswith("schedule[sch-1].timezone:") and "whole hours" in p for p in problems)
    assert any(p.startswith("schedule[sch-2].timezone:") for p in problems)


def test_a_zone_name_in_timezone_as_earlier_exports_wrote_it_is_still_read() -> None:
    build_directory()
    old = copy.deepcopy(export_directory(today=WINTER))
    for schedule in old["schedules"]:
        del schedule["x_coresponder_timezone"]
    old["schedules"][0]["timezone"] = "America/New_York"
    old["schedules"][1]["timezone"] = ""
    wipe_directory()
    import_directory(SYSTEM, old)
    zones = dict(Schedule.objects.values_list("hsds_id", "timezone"))
    assert zones == {"sch-1": "America/New_York", "sch-2": ""}
