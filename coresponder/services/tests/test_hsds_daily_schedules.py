"""HSDS 3 lists only WEEKLY and MONTHLY for a schedule's `freq`: a DAILY schedule is read
as WEEKLY on all seven days, at the same hours, the import says so, and no export writes DAILY."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.services.actions import import_directory
from coresponder.services.hsds_datapackage import export_datapackage, import_datapackage
from coresponder.services.hsds_export import export_directory
from coresponder.services.hsds_import import DirectoryImportFailed
from coresponder.services.models import Schedule
from coresponder.services.tests.test_hsds import build_directory, snapshot, wipe_directory

pytestmark = pytest.mark.django_db

EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"
READ_AS_WEEKLY = (
    "schedule[sch-1].freq: DAILY is not an HSDS 3 frequency: "
    "read as WEEKLY on all seven days (MO,TU,WE,TH,FR,SA,SU), at the same hours"
)


def daily_directory() -> dict[str, Any]:
    """The test directory as HSDS JSON, its clinic's dosing hours given as DAILY."""
    build_directory()
    data = copy.deepcopy(export_directory())
    clinic = next(s for s in data["schedules"] if s["id"] == "sch-1")
    clinic["freq"] = "DAILY"
    clinic["byday"] = ""
    wipe_directory()
    return data


def test_a_daily_schedule_is_imported_as_weekly_on_all_seven_days_at_the_same_hours() -> None:
    data = daily_directory()

    result = import_directory(SYSTEM, data)

    clinic = Schedule.objects.get(hsds_id="sch-1")
    assert (clinic.freq, clinic.byday) == ("WEEKLY", EVERY_DAY)
    assert (clinic.opens_at, clinic.closes_at) == (dt.time(5, 30), dt.time(13, 0))
    assert [str(note) for note in result.notes] == [READ_AS_WEEKLY]
    assert result.counts["schedule"] == {"created": 2}


def test_the_import_audit_event_keeps_how_a_daily_schedule_was_read() -> None:
    import_directory(SYSTEM, daily_directory(), source="directory.json")

    event = AuditEvent.objects.filter(object_type="services.directory").latest("id")
    assert event.detail["notes"] == [READ_AS_WEEKLY]


def test_the_import_preview_and_report_say_a_daily_schedule_was_read_as_weekly(
    tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(daily_directory()))

    call_command("import_hsds", str(path), "--dry-run")
    preview = capsys.readouterr().out
    assert not Schedule.objects.exists()
    call_command("import_hsds", str(path))
    report = capsys.readouterr().out

    for output in (preview, report):
        assert "Read otherwise than the file wrote it:" in output
        assert f"  {READ_AS_WEEKLY}" in output


def test_a_directory_of_weekly_schedules_imports_without_notes() -> None:
    build_directory()
    exported = export_directory()
    wipe_directory()

    result = import_directory(SYSTEM, exported)

    assert result.notes == []
    assert "notes" not in AuditEvent.objects.latest("id").detail


def test_a_stored_daily_schedule_is_exported_as_weekly_on_all_seven_days() -> None:
    build_directory()
    Schedule.objects.filter(hsds_id="sch-1").update(freq="DAILY", byday="")

    exported = export_directory()

    clinic = next(s for s in exported["schedules"] if s["id"] == "sch-1")
    assert (clinic["freq"], clinic["byday"]) == ("WEEKLY", EVERY_DAY)
    assert (clinic["opens_at"], clinic["closes_at"]) == ("05:30:00", "13:00:00")
    assert {s["freq"] for s in exported["schedules"]} <= {"WEEKLY", "MONTHLY"}


def test_a_daily_schedule_round_trips_as_weekly_through_json_and_the_datapackage(
    tmp_path: Path,
) -> None:
    import_directory(SYSTEM, daily_directory())
    exported = export_directory()
    before = snapshot()

    export_datapackage(tmp_path / "pkg")
    with (tmp_path / "pkg" / "schedules.csv").open(newline="") as table:
        assert {row["freq"] for row in csv.DictReader(table)} == {"WEEKLY", "MONTHLY"}
    wipe_directory()
    again = import_directory(SYSTEM, json.loads(json.dumps(exported)))
    assert again.notes == []
    assert export_directory() == exported
    assert snapshot() == before
    wipe_directory()
    import_datapackage(tmp_path / "pkg", SYSTEM)
    assert snapshot() == before


@pytest.mark.parametrize("freq", ["SECONDLY", "MINUTELY", "HOURLY", "YEARLY", "FORTNIGHTLY"])
def test_a_frequency_hsds_3_does_not_have_is_refused_naming_the_schedule_service_and_value(
    freq: str,
) -> None:
    data = daily_directory()
    clinic = next(s for s in data["schedules"] if s["id"] == "sch-1")
    clinic["freq"] = freq

    with pytest.raises(DirectoryImportFailed) as refused:
        import_directory(SYSTEM, data)

    assert [str(problem) for problem in refused.value.problems] == [
        f"schedule[sch-1].freq: {freq!r} is not an HSDS 3 frequency (the schedule of "
        "service svc-1 at location loc-1): use WEEKLY or MONTHLY, or DAILY (read as WEEKLY "
        "on all seven days)"
    ]


def test_a_file_with_an_hourly_schedule_changes_nothing_already_stored() -> None:
    build_directory()
    data = export_directory()
    data["services"][0]["name"] = "Renamed by the refused file"
    data["schedules"][0]["opens_at"] = "06:00:00"
    data["schedules"][1]["freq"] = "HOURLY"
    before = snapshot()
    events = AuditEvent.objects.count()

    with pytest.raises(DirectoryImportFailed) as refused:
        import_directory(SYSTEM, data)

    assert [problem.field for problem in refused.value.problems] == ["freq"]
    assert snapshot() == before
    assert AuditEvent.objects.count() == events


def test_a_missing_frequency_is_refused() -> None:
    data = daily_directory()
    del next(s for s in data["schedules"] if s["id"] == "sch-1")["freq"]

    with pytest.raises(DirectoryImportFailed) as refused:
        import_directory(SYSTEM, data)

    assert [str(problem) for problem in refused.value.problems] == [
        "schedule[sch-1].freq: is required: WEEKLY or MONTHLY"
    ]
