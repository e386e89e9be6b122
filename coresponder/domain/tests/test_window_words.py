"""The follow-up window said in words, as each program's home page says how it works."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from coresponder.domain.outreach import window_words
from coresponder.domain.presets import FollowUp, load_preset_dir

PRESETS = Path(__file__).resolve().parents[3] / "presets"


def follow_up(slug: str) -> FollowUp:
    preset = next(p for p in load_preset_dir(PRESETS) if p.slug == slug)
    assert preset.follow_up is not None
    return preset.follow_up


ATTEMPTS = ", with up to 3 attempts."


@pytest.mark.parametrize(
    ("slug", "said"),
    [
        # QRT's window opens at the overdose, not "0 h" after it.
        ("qrt", "Outreach opens at the overdose and closes 72 hours after it"),
        ("pco", "Outreach opens 12 hours after the overdose and closes 72 hours after it"),
        ("pad", "Outreach opens when the referral arrives and closes 72 hours after it"),
        ("core", "Outreach opens when the referral arrives and closes 72 hours after it"),
    ],
)
def test_each_shipped_programs_window_reads_as_a_sentence(slug: str, said: str) -> None:
    assert window_words(follow_up(slug)) == said + ATTEMPTS


def test_one_hour_and_one_attempt_are_said_in_the_singular() -> None:
    rule = replace(follow_up("pco"), opens_after_hours=1, closes_after_hours=1.5, max_attempts=1)

    assert window_words(rule) == (
        "Outreach opens 1 hour after the overdose and closes 1.5 hours after it, with one attempt."
    )
