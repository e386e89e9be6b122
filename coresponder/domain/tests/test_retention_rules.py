"""A preset's [retention] table: typed, with documented defaults; a bad value is refused by
file and key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from coresponder.domain.presets import (
    AUDIT_EVENTS_YEARS,
    CLOSED_TASKS_DAYS,
    ENCOUNTERS_DAYS,
    PUBLIC_REQUESTS_DAYS,
    REFERRALS_DAYS,
    PresetError,
    Retention,
    load_preset_dir,
    load_preset_file,
    parse_preset,
    preset_from_stored,
)

PRESETS = Path(__file__).resolve().parents[3] / "presets"


def pad_with_retention(tmp_path: Path, table: str) -> Path:
    """PAD's preset with its [retention] table replaced by `table`."""
    text = (PRESETS / "pad.toml").read_text(encoding="utf-8")
    start = text.index("[retention]")
    path = tmp_path / "pad.toml"
    path.write_text(text[:start] + table, encoding="utf-8")
    return path


def problems_of(path: Path) -> PresetError:
    with pytest.raises(PresetError) as caught:
        load_preset_file(path)
    return caught.value


def test_every_shipped_preset_declares_its_retention() -> None:
    for preset in load_preset_dir(PRESETS):
        raw = tomllib.loads((PRESETS / f"{preset.slug}.toml").read_text(encoding="utf-8"))
        assert "retention" in raw, preset.slug
        assert preset.retention.audit_events_years >= 6
        assert preset.retention.public_requests_days < preset.retention.referrals_days


def test_a_preset_without_the_table_keeps_the_defaults() -> None:
    data = tomllib.loads((PRESETS / "pad.toml").read_text(encoding="utf-8"))
    del data["retention"]

    rules = parse_preset(data, "pad.toml").retention

    assert rules == Retention(
        public_requests_days=PUBLIC_REQUESTS_DAYS,
        closed_tasks_days=CLOSED_TASKS_DAYS,
        encounters_days=ENCOUNTERS_DAYS,
        referrals_days=REFERRALS_DAYS,
        audit_events_years=AUDIT_EVENTS_YEARS,
    )


def test_a_key_left_out_takes_its_default(tmp_path: Path) -> None:
    path = pad_with_retention(tmp_path, "[retention]\nencounters_days = 4000\n")

    rules = load_preset_file(path).retention

    assert rules.encounters_days == 4000 and rules.referrals_days == REFERRALS_DAYS


def test_the_rules_survive_the_stored_copy() -> None:
    preset = load_preset_file(PRESETS / "pco.toml")

    assert preset_from_stored(preset.as_dict(), "stored").retention == preset.retention


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ("encounters_days = 0", "retention.encounters_days", "must be from 1 to"),
        ("closed_tasks_days = -5", "retention.closed_tasks_days", "must be from 1 to"),
        ("referrals_days = 99999", "retention.referrals_days", "must be from 1 to"),
        ('public_requests_days = "90"', "retention.public_requests_days", "whole number"),
        ("public_requests_days = 90.5", "retention.public_requests_days", "whole number"),
        ("audit_events_years = 5", "retention.audit_events_years", "164.316(b)(2)"),
        ("break_glass_days = 2189", "retention.break_glass_days", "164.528"),
        ("audit_events_years = true", "retention.audit_events_years", "whole number"),
        ("encounter_days = 10", "retention.encounter_days", "is not a known key"),
    ],
)
def test_a_bad_rule_is_refused_by_file_and_key(
    tmp_path: Path, table: str, key: str, words: str
) -> None:
    path = pad_with_retention(tmp_path, f"[retention]\n{table}\n")

    error = problems_of(path)

    messages = dict(error.problems)
    assert key in messages, f"{key!r} not among {list(messages)}"
    assert words in messages[key]
    assert f"{path}: {key}: " in str(error)


def test_retention_must_be_a_table(tmp_path: Path) -> None:
    path = pad_with_retention(tmp_path, "")
    path.write_text("retention = 30\n" + path.read_text(encoding="utf-8"), encoding="utf-8")

    assert "retention" in dict(problems_of(path).problems)
