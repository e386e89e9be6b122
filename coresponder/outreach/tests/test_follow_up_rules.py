"""The follow-up rules each preset sets: which outcomes close a task, and when it expires."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from coresponder.domain.outreach import (
    CLOSING_OUTCOMES,
    EXPIRES_AFTER_HOURS,
    FollowUpRules,
    QueueGroup,
    after_attempt,
    close_reason_problem,
    expires_at,
    follow_up_rules,
    has_expired,
    queue_group,
    queue_order_key,
)
from coresponder.domain.presets import FollowUp, PresetError, load_preset_file, parse_preset
from coresponder.domain.vocabulary import CloseReason

PRESETS = Path(__file__).resolve().parents[3] / "presets"
AT = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def follow_up_of(slug: str) -> FollowUp | None:
    return load_preset_file(PRESETS / f"{slug}.toml").follow_up


def with_follow_up(**changes: Any) -> dict[str, Any]:
    data = tomllib.loads((PRESETS / "pco.toml").read_text(encoding="utf-8"))
    data["follow_up"] = {**data["follow_up"], **changes}
    return data


def test_pco_closes_a_task_when_the_survivor_or_their_family_is_reached() -> None:
    rules = follow_up_rules(follow_up_of("pco"))
    for outcome in ("contacted", "contacted_collateral_only", "declined"):
        assert after_attempt(outcome, 1, 3, 24, AT, rules.closing_outcomes).closes, outcome


def test_qrt_closes_on_reaching_the_patient_but_not_their_family_alone() -> None:
    rules = follow_up_rules(follow_up_of("qrt"))
    assert after_attempt("contacted", 1, 3, 24, AT, rules.closing_outcomes).closes
    assert not after_attempt(
        "contacted_collateral_only", 1, 3, 24, AT, rules.closing_outcomes
    ).closes


def test_pad_keeps_the_defaults_so_reaching_someone_does_not_end_voluntary_services() -> None:
    rules = follow_up_rules(follow_up_of("pad"))
    assert rules.closing_outcomes == CLOSING_OUTCOMES
    assert not after_attempt("contacted", 1, 3, 24, AT, rules.closing_outcomes).closes
    assert rules.expires_after_hours == 168


def test_a_preset_that_says_nothing_gets_the_domain_defaults() -> None:
    assert follow_up_rules(None) == FollowUpRules()
    data = with_follow_up()
    del data["follow_up"]["closing_outcomes"], data["follow_up"]["expires_after_hours"]
    preset = parse_preset(data, "pco.toml")
    assert preset.follow_up is not None
    assert set(preset.follow_up.closing_outcomes) == CLOSING_OUTCOMES
    assert preset.follow_up.expires_after_hours == EXPIRES_AFTER_HOURS
    rules = follow_up_rules(preset.follow_up)
    assert rules.closing_outcomes == CLOSING_OUTCOMES
    assert rules.expires_after_hours == EXPIRES_AFTER_HOURS


def test_not_located_and_interested_later_never_close_even_if_a_rule_lists_them() -> None:
    listed = frozenset({"not_located", "declined_interested_later"})
    assert not after_attempt("not_located", 1, 3, 24, AT, listed).closes
    assert not after_attempt("declined_interested_later", 1, 3, 24, AT, listed).closes
    assert after_attempt("not_located", 3, 3, 24, AT, listed).closes, "attempts ran out"


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"closing_outcomes": ["contacted", "waved"]}, "follow_up.closing_outcomes[1]", "unknown"),
        ({"closing_outcomes": ["not_located"]}, "follow_up.closing_outcomes[0]", "cannot close"),
        ({"closing_outcomes": "contacted"}, "follow_up.closing_outcomes", "list of strings"),
        ({"closing_outcomes": []}, "follow_up.closing_outcomes", "at least one"),
        ({"expires_after_hours": -1}, "follow_up.expires_after_hours", "at least 0"),
        ({"expires_after_hours": "a day"}, "follow_up.expires_after_hours", "number"),
        ({"expires_after_hours": 24 * 365}, "follow_up.expires_after_hours", "at most"),
    ],
)
def test_a_bad_follow_up_rule_is_refused_naming_the_key(
    changes: dict[str, Any], key: str, words: str
) -> None:
    with pytest.raises(PresetError) as raised:
        parse_preset(with_follow_up(**changes), "pco.toml")
    assert any(k == key and words in message for k, message in raised.value.problems), (
        raised.value.problems
    )


def test_a_task_expires_the_preset_s_hours_after_its_window_closes() -> None:
    window_end = AT
    assert expires_at(window_end, 24) == AT + dt.timedelta(hours=24)
    assert not has_expired(window_end, AT + dt.timedelta(hours=23, minutes=59), 24)
    assert has_expired(window_end, AT + dt.timedelta(hours=24), 24)
    assert has_expired(window_end, AT, 0), "no grace: it expires as the window closes"


def test_expiry_compares_instants_so_a_zone_cannot_shift_it() -> None:
    from zoneinfo import ZoneInfo

    local_end = AT.astimezone(ZoneInfo("America/New_York"))
    assert has_expired(local_end, AT + dt.timedelta(hours=24), 24)
    assert not has_expired(local_end, AT + dt.timedelta(hours=23), 24)


def test_the_queue_puts_due_now_before_overdue_before_not_yet_open() -> None:
    hour = dt.timedelta(hours=1)
    due = queue_group(AT - hour, AT + hour, AT)
    overdue = queue_group(AT - 80 * hour, AT - hour, AT)
    waiting = queue_group(AT + hour, AT + 60 * hour, AT)
    assert (due, overdue, waiting) == (
        QueueGroup.DUE_NOW,
        QueueGroup.OVERDUE,
        QueueGroup.NOT_YET_OPEN,
    )
    keys = {
        "waiting-tier1": queue_order_key(waiting, 1, AT + 60 * hour, AT, 1),
        "due-untiered": queue_order_key(due, None, AT + 5 * hour, AT, 2),
        "due-tier1": queue_order_key(due, 1, AT + 9 * hour, AT, 3),
        "overdue-tier1": queue_order_key(overdue, 1, AT - hour, AT, 4),
    }
    assert sorted(keys, key=keys.__getitem__) == [
        "due-tier1",
        "due-untiered",
        "overdue-tier1",
        "waiting-tier1",
    ]


def test_closing_by_hand_needs_a_listed_reason_and_words_for_other() -> None:
    assert close_reason_problem(CloseReason.DUPLICATE, "") is None
    assert close_reason_problem("because", "") == ("reason", "Choose one of the listed reasons.")
    field, _message = close_reason_problem(CloseReason.OTHER, "  ") or ("", "")
    assert field == "note"
    assert close_reason_problem(CloseReason.OTHER, "Family moved the person to Ohio") is None


def test_the_service_levels_count_an_expired_task_as_missed_even_if_it_was_tried_in_time() -> None:
    from coresponder.domain.sla import TaskRecord, summarize

    hour = dt.timedelta(hours=1)
    start, end, now = AT - 100 * hour, AT + hour, AT + 50 * hour
    tried = TaskRecord(AT - 72 * hour, AT, AT - 72 * hour, AT - 10 * hour, expired=True)
    reached = TaskRecord(AT - 72 * hour, AT, AT - 72 * hour, AT - 10 * hour)
    silent = TaskRecord(AT - 72 * hour, AT, AT - 72 * hour, None, expired=True)
    summary = summarize([tried, reached, silent], start, end, now)
    assert (summary.closed_windows, summary.within_window, summary.missed) == (3, 2, 2)
    assert summary.expired == 2
    assert summary.follow_up_within_window_rate == 2 / 3, "the rate is about first attempts"
