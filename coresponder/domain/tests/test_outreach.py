"""Follow-up rules: due states across DST, QRT tiers and what an attempt settles."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from coresponder.domain.intake import outreach_window
from coresponder.domain.outreach import (
    DueState,
    after_attempt,
    due_state,
    missing_checklist,
    priority_tier,
    work_order_key,
)

NEW_YORK = ZoneInfo("America/New_York")
QRT_TIERS = [(1, "never_contacted"), (2, "not_located_before"), (3, "declined_interested_later")]


def pco_state(overdose: dt.datetime, hours_later: float) -> DueState:
    start, end = outreach_window(overdose, 12, 72)
    elapsed = overdose.astimezone(dt.UTC) + dt.timedelta(hours=hours_later)
    return due_state(start, end, elapsed.astimezone(NEW_YORK), 12)


def test_a_pco_task_is_not_yet_open_at_11_hours_open_at_13_and_overdue_after_72() -> None:
    overdose = dt.datetime(2026, 6, 10, 22, 0, tzinfo=NEW_YORK)
    assert pco_state(overdose, 11) is DueState.NOT_YET_OPEN
    assert pco_state(overdose, 13) is DueState.OPEN
    assert pco_state(overdose, 61) is DueState.CLOSING_SOON
    assert pco_state(overdose, 72.01) is DueState.OVERDUE


def test_the_pco_window_holds_across_the_spring_dst_change() -> None:
    # 8 March 2026: clocks jump from 02:00 to 03:00 in New York.
    overdose = dt.datetime(2026, 3, 7, 20, 0, tzinfo=NEW_YORK)
    start, end = outreach_window(overdose, 12, 72)
    assert end - overdose.astimezone(dt.UTC) == dt.timedelta(hours=72)
    assert start.astimezone(NEW_YORK).hour == 9  # 12 elapsed hours, one clock hour lost
    assert pco_state(overdose, 11) is DueState.NOT_YET_OPEN
    assert pco_state(overdose, 13) is DueState.OPEN
    assert pco_state(overdose, 72.5) is DueState.OVERDUE


def test_the_pco_window_holds_across_the_autumn_dst_change() -> None:
    overdose = dt.datetime(2026, 10, 31, 23, 0, tzinfo=NEW_YORK)
    assert pco_state(overdose, 11.9) is DueState.NOT_YET_OPEN
    assert pco_state(overdose, 12) is DueState.OPEN
    assert pco_state(overdose, 72) is DueState.OVERDUE


def test_qrt_tiers_come_from_the_whole_history() -> None:
    assert priority_tier(QRT_TIERS, []) == 1
    assert priority_tier(QRT_TIERS, ["not_located", "not_located"]) == 2
    assert priority_tier(QRT_TIERS, ["not_located", "declined_interested_later"]) == 3
    assert priority_tier(QRT_TIERS, ["declined_interested_later", "contacted"]) is None
    assert priority_tier(QRT_TIERS, ["contacted"]) is None


def test_the_work_order_puts_tiers_first_then_the_earliest_closing_window() -> None:
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    keys = {
        "untiered-closing-first": work_order_key(None, base, base, 1),
        "tier3": work_order_key(3, base + dt.timedelta(hours=5), base, 2),
        "tier1-late": work_order_key(1, base + dt.timedelta(hours=9), base, 3),
        "tier1-early": work_order_key(1, base + dt.timedelta(hours=1), base, 4),
    }
    order = sorted(keys, key=keys.__getitem__)
    assert order == ["tier1-early", "tier1-late", "tier3", "untiered-closing-first"]


def test_not_located_schedules_the_next_attempt_until_attempts_run_out() -> None:
    at = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    first = after_attempt("not_located", 1, 3, 24, at)
    assert not first.closes and first.next_attempt_after == at + dt.timedelta(hours=24)
    assert after_attempt("not_located", 3, 3, 24, at).closes


def test_closing_and_later_outcomes() -> None:
    at = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    for outcome in (
        "accepted_treatment",
        "already_in_treatment",
        "deceased",
        "moved_away",
        "declined",
    ):
        assert after_attempt(outcome, 1, 3, 24, at).closes
    later = after_attempt("declined_interested_later", 1, 3, 24, at)
    assert not later.closes and later.recontact_on == dt.date(2026, 1, 31)
    assert not after_attempt("contacted", 1, 3, 24, at).closes


def test_missing_checklist_lists_the_labels_left_to_fill() -> None:
    checklist = [("outcome", "Outcome"), ("treatment_plan", "Treatment plan")]
    assert missing_checklist(checklist, {"outcome": "declined"}) == ["Treatment plan"]
    assert missing_checklist(checklist, {"outcome": "x", "treatment_plan": "y"}) == []
