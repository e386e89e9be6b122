"""`Program.rules`: the program's stored preset, checked and typed, read once per program."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from coresponder.core.audit import SYSTEM
from coresponder.domain import presets
from coresponder.domain.presets import Preset, PresetError, load_preset_file
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program


@pytest.fixture
def preset_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped presets a test may edit."""
    target = tmp_path / "presets"
    shutil.copytree(settings.PRESETS_DIR, target)
    return target


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources of every preset checked from now on."""
    seen: list[str] = []
    real = presets.parse_preset

    def counting(data: Mapping[str, Any], source: str, **options: Any) -> Preset:
        seen.append(source)
        return real(data, source, **options)

    monkeypatch.setattr(presets, "parse_preset", counting)
    return seen


@pytest.mark.django_db
def test_a_programs_rules_are_its_preset_file_checked_and_typed() -> None:
    load_programs(SYSTEM)
    for slug in ("core", "pad", "pco", "qrt"):
        program = Program.objects.get(slug=slug)
        assert program.rules == load_preset_file(settings.PRESETS_DIR / f"{slug}.toml")
    pco = Program.objects.get(slug="pco")
    assert pco.rules.follow_up is not None
    assert pco.rules.follow_up.opens_after_hours == 12


@pytest.mark.django_db
def test_the_stored_preset_is_checked_once_however_often_the_rules_are_read(
    parses: list[str],
) -> None:
    load_programs(SYSTEM)
    program = Program.objects.get(slug="pad")
    parses.clear()

    first = program.rules
    for _ in range(5):
        assert program.rules is first
    assert len(parses) == 1
    assert "'pad'" in parses[0]


@pytest.mark.django_db
def test_the_rules_follow_the_preset_when_load_programs_changes_it(
    preset_dir: Path, parses: list[str]
) -> None:
    load_programs(SYSTEM, preset_dir)
    program = Program.objects.get(slug="pco")
    assert program.rules.follow_up is not None
    assert program.rules.follow_up.closes_after_hours == 72
    pco = preset_dir / "pco.toml"
    pco.write_text(
        pco.read_text(encoding="utf-8").replace(
            "closes_after_hours = 72", "closes_after_hours = 96", 1
        ),
        encoding="utf-8",
    )

    assert load_programs(SYSTEM, preset_dir).updated == ["pco"]
    program.refresh_from_db()

    assert program.rules.follow_up is not None
    assert program.rules.follow_up.closes_after_hours == 96


def test_giving_a_program_a_new_preset_gives_it_new_rules() -> None:
    stored = load_preset_file(settings.PRESETS_DIR / "pad.toml").as_dict()
    program = Program(slug="pad", preset=stored)
    assert program.rules.public_dashboard is True

    program.preset = {**stored, "public_dashboard": False}

    assert program.rules.public_dashboard is False


def test_a_stored_preset_that_no_longer_checks_names_its_program() -> None:
    program = Program(slug="broken", preset={"slug": "broken", "name": "Broken"})

    with pytest.raises(PresetError) as refused:
        _ = program.rules

    assert "program 'broken'" in str(refused.value)
    assert "timezone: is required" in str(refused.value)
