"""Programs are data: `load_programs` creates and updates them from the preset files."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.models import AuditEvent
from coresponder.domain.presets import PresetError
from coresponder.programs.actions import load_programs
from coresponder.programs.models import District, Program, Shift

pytestmark = pytest.mark.django_db

SLUGS = ["core", "pad", "pco", "qrt"]


@pytest.fixture
def preset_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped presets a test may edit."""
    target = tmp_path / "presets"
    shutil.copytree(settings.PRESETS_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def io_of_command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, tuple[int, object]]:
    return {p.slug: (p.version, p.modified_at) for p in Program.objects.all()}


def test_it_creates_the_four_seed_programs() -> None:
    result = load_programs(SYSTEM)

    assert result.created == SLUGS
    assert (result.updated, result.unchanged) == ([], [])
    assert sorted(Program.objects.values_list("slug", flat=True)) == SLUGS
    pco = Program.objects.get(slug="pco")
    assert pco.name == "Plymouth County Outreach"
    assert pco.timezone == "America/New_York"
    assert pco.preset["follow_up"]["opens_after_hours"] == 12


def test_it_creates_each_programs_districts_and_shifts() -> None:
    load_programs(SYSTEM)

    pad = Program.objects.get(slug="pad")
    districts = {d.code: d.active for d in pad.districts.all()}
    assert districts == {"22": True, "39": True, "24": True, "25": False}
    shift = Shift.objects.get(program=pad)
    assert (shift.rrule, shift.starts_at.isoformat(), shift.duration_minutes) == (
        "FREQ=WEEKLY;BYDAY=MO,WE,FR",
        "10:00:00",
        480,
    )
    assert sorted(d.code for d in shift.districts.all()) == ["22", "24", "39"]


def test_it_records_a_create_event_per_program_with_the_actor() -> None:
    load_programs(Actor(label="cli:ops", where="cli"))

    events = AuditEvent.objects.filter(object_type="programs.program")
    assert sorted(e.program_slug for e in events) == SLUGS
    assert {(e.action, e.actor_label, e.where) for e in events} == {("create", "cli:ops", "cli")}


def test_a_second_run_changes_nothing() -> None:
    load_programs(SYSTEM)
    before = snapshot()
    events_before = AuditEvent.objects.count()
    district_versions = sorted(District.objects.values_list("id", "version"))

    result = load_programs(SYSTEM)

    assert result.unchanged == SLUGS
    assert (result.created, result.updated) == ([], [])
    assert snapshot() == before
    assert AuditEvent.objects.count() == events_before
    assert sorted(District.objects.values_list("id", "version")) == district_versions


def test_a_changed_preset_updates_just_that_program(preset_dir: Path) -> None:
    load_programs(SYSTEM, preset_dir)
    before = snapshot()
    edit(
        preset_dir / "pco.toml",
        'name = "Plymouth County Outreach"',
        'name = "Plymouth County Outreach Partnership"',
    )

    result = load_programs(SYSTEM, preset_dir)

    assert result.updated == ["pco"]
    assert result.unchanged == ["core", "pad", "qrt"]
    pco = Program.objects.get(slug="pco")
    assert pco.name == "Plymouth County Outreach Partnership"
    assert pco.version == before["pco"][0] + 1
    after = snapshot()
    assert {slug: after[slug] for slug in ("core", "pad", "qrt")} == {
        slug: before[slug] for slug in ("core", "pad", "qrt")
    }
    changes = AuditEvent.objects.filter(action="change", object_type="programs.program")
    assert [e.program_slug for e in changes] == ["pco"]


def test_a_preset_that_activates_a_district_opens_it(preset_dir: Path) -> None:
    load_programs(SYSTEM, preset_dir)
    edit(
        preset_dir / "pad.toml",
        'name = "25th District (planned)"\nname_es = "Distrito 25 (previsto)"\nactive = false',
        'name = "25th District"\nname_es = "Distrito 25"',
    )

    load_programs(SYSTEM, preset_dir)

    district = District.objects.get(program__slug="pad", code="25")
    assert (district.name, district.name_es, district.active, district.version) == (
        "25th District",
        "Distrito 25",
        True,
        2,
    )


def test_a_shift_renamed_in_the_preset_replaces_the_old_one(preset_dir: Path) -> None:
    load_programs(SYSTEM, preset_dir)
    edit(preset_dir / "pad.toml", 'name = "PAD outreach"', 'name = "PAD street outreach"')

    load_programs(SYSTEM, preset_dir)

    shifts = Shift.objects.filter(program__slug="pad")
    assert [s.name for s in shifts] == ["PAD street outreach"]
    assert sorted(d.code for d in shifts[0].districts.all()) == ["22", "24", "39"]


def test_a_changed_shift_time_is_updated_in_place(preset_dir: Path) -> None:
    load_programs(SYSTEM, preset_dir)
    shift_id = Shift.objects.get(program__slug="pad").pk
    edit(preset_dir / "pad.toml", 'starts_at = "10:00"', 'starts_at = "09:30"')

    load_programs(SYSTEM, preset_dir)

    shift = Shift.objects.get(program__slug="pad")
    assert (shift.pk, shift.starts_at.isoformat(), shift.version) == (shift_id, "09:30:00", 2)


def test_a_bad_preset_stops_the_load_before_anything_is_written(preset_dir: Path) -> None:
    edit(preset_dir / "qrt.toml", 'roles = ["faith_leader"]', 'roles = ["chaplain"]')

    with pytest.raises(PresetError):
        load_programs(SYSTEM, preset_dir)

    assert Program.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_the_command_reports_what_it_created_then_that_nothing_changed() -> None:
    first, second = io_of_command("load_programs"), io_of_command("load_programs")

    assert first == "created: core, pad, pco, qrt\n"
    assert second == "unchanged: core, pad, pco, qrt\n"


def test_the_command_writes_as_the_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "ops")

    io_of_command("load_programs")

    events = AuditEvent.objects.filter(object_type="programs.program")
    assert {(e.action, e.actor_label, e.where) for e in events} == {("create", "cli:ops", "cli")}


def test_the_command_names_the_file_and_key_of_a_bad_preset(preset_dir: Path) -> None:
    edit(preset_dir / "pad.toml", 'timezone = "America/New_York"', 'timezone = "Atlantis/Central"')

    with pytest.raises(CommandError) as caught:
        call_command("load_programs", "--presets", str(preset_dir))

    message = str(caught.value)
    assert f"{preset_dir / 'pad.toml'}: timezone: " in message
    assert "Atlantis/Central" in message
    assert Program.objects.count() == 0


def test_a_fifth_program_whose_districts_have_no_spanish_name_reads_back(
    preset_dir: Path,
) -> None:
    text = (preset_dir / "pco.toml").read_text(encoding="utf-8")
    text = text.replace('slug = "pco"', 'slug = "brockton"', 1).replace(
        "districts = []", 'districts = ["north"]', 1
    )
    text += '\n[[districts]]\ncode = "north"\nname = "North side"\n'
    (preset_dir / "brockton.toml").write_text(text, encoding="utf-8")

    assert load_programs(SYSTEM, preset_dir).created == ["brockton", *SLUGS]

    brockton = Program.objects.get(slug="brockton")
    assert [(d.code, d.name, d.name_es) for d in brockton.rules.districts] == [
        ("north", "North side", "")
    ]
    assert io_of_command("load_programs", "--presets", str(preset_dir)).startswith("unchanged:")


def test_the_command_names_every_bad_file_and_changes_nothing(preset_dir: Path) -> None:
    load_programs(SYSTEM, preset_dir)
    before = snapshot()
    events_before = AuditEvent.objects.count()
    edit(
        preset_dir / "core.toml",
        'name = "Longmont Crisis Outreach Response and Engagement"',
        'name = "Longmont CORE"',
    )
    edit(preset_dir / "pad.toml", 'timezone = "America/New_York"', 'timezone = "Atlantis/Central"')
    edit(preset_dir / "qrt.toml", 'roles = ["faith_leader"]', 'roles = ["chaplain"]')

    with pytest.raises(CommandError) as caught:
        call_command("load_programs", "--presets", str(preset_dir))

    message = str(caught.value)
    assert f"{preset_dir / 'pad.toml'}: timezone: " in message
    assert f"{preset_dir / 'qrt.toml'}: " in message
    assert "chaplain" in message
    assert "core.toml" not in message
    assert snapshot() == before
    assert Program.objects.get(slug="core").name.startswith("Longmont Crisis")
    assert AuditEvent.objects.count() == events_before


def test_a_failed_load_exits_with_a_non_zero_status(preset_dir: Path) -> None:
    edit(preset_dir / "pad.toml", 'timezone = "America/New_York"', 'timezone = "Atlantis/Central"')
    edit(preset_dir / "qrt.toml", 'roles = ["faith_leader"]', 'roles = ["chaplain"]')

    result = subprocess.run(  # noqa: S603 - the test's own interpreter and command
        [sys.executable, "-m", "coresponder", "load_programs", "--presets", str(preset_dir)],
        env={**os.environ, "CORESPONDER_VAR_DIR": str(preset_dir.parent / "var")},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "pad.toml: timezone: " in result.stderr
    assert "qrt.toml: team" in result.stderr
