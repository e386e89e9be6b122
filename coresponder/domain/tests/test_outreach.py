"""Follow-up rules: due states across DST, QRT tiers and what an attempt settles."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from coresponder.domain.intake import outreach_window
from coresponder.domain.outreach import (
    DueState,
    after_attempt,
    died_on_problem,
    due_state,
    expiry_due,
    missing_checklist,
    priority_tier,
    spacing_conflict,
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


FIRST_TRY = dt.datetime(2026, 11, 20, 10, 0, tzinfo=NEW_YORK)


def test_a_second_not_located_try_a_minute_later_is_too_close() -> None:
    conflict = spacing_conflict(
        "not_located", FIRST_TRY + dt.timedelta(minutes=1), [(FIRST_TRY, "not_located")], 24
    )
    assert conflict is not None
    assert conflict.too_close_to == FIRST_TRY
    assert conflict.next_allowed == FIRST_TRY + dt.timedelta(hours=24)


def test_a_not_located_try_exactly_the_spacing_later_is_allowed() -> None:
    others = [(FIRST_TRY, "not_located")]
    assert spacing_conflict("not_located", FIRST_TRY + dt.timedelta(hours=24), others, 24) is None
    assert spacing_conflict("not_located", FIRST_TRY + dt.timedelta(hours=23.99), others, 24)


def test_outcomes_that_reach_someone_are_never_spaced() -> None:
    others = [(FIRST_TRY, "not_located")]
    soon = FIRST_TRY + dt.timedelta(minutes=5)
    for outcome in ("contacted", "contacted_collateral_only", "declined", "accepted_treatment"):
        assert spacing_conflict(outcome, soon, others, 24) is None


def test_earlier_tries_that_reached_someone_do_not_count() -> None:
    others = [(FIRST_TRY, "contacted"), (FIRST_TRY, "declined_interested_later")]
    later = FIRST_TRY + dt.timedelta(minutes=30)
    assert spacing_conflict("not_located", later, others, 24) is None


def test_a_back_dated_try_is_checked_against_the_tries_after_it() -> None:
    recorded = [(FIRST_TRY, "not_located"), (FIRST_TRY + dt.timedelta(days=2), "not_located")]
    # Entered after both, but made two hours before the second: too close.
    conflict = spacing_conflict(
        "not_located", FIRST_TRY + dt.timedelta(days=2, hours=-2), recorded, 24
    )
    assert conflict is not None
    assert conflict.too_close_to == FIRST_TRY + dt.timedelta(days=2)
    assert conflict.next_allowed == FIRST_TRY + dt.timedelta(days=3)
    # Made a day after the first and a day before the second: it fits between them.
    assert spacing_conflict("not_located", FIRST_TRY + dt.timedelta(days=1), recorded, 24) is None


def test_spacing_counts_real_hours_across_the_autumn_dst_change() -> None:
    # 1 November 2026: New York's clocks fall back from 02:00 to 01:00, a 25-hour day.
    first = dt.datetime(2026, 10, 31, 9, 0, tzinfo=NEW_YORK)
    same_wall_clock_next_day = dt.datetime(2026, 11, 1, 9, 0, tzinfo=NEW_YORK)
    others = [(first, "not_located")]
    assert spacing_conflict("not_located", same_wall_clock_next_day, others, 24) is None
    # 24 real hours after 09:00 EDT is 08:00 EST, so 07:59 EST is still too close.
    assert spacing_conflict(
        "not_located", same_wall_clock_next_day.replace(hour=7, minute=59), others, 24
    )
    conflict = spacing_conflict("not_located", first + dt.timedelta(hours=1), others, 24)
    assert conflict is not None
    assert conflict.next_allowed.astimezone(NEW_YORK).hour == 8


def test_spacing_counts_real_hours_across_the_spring_dst_change() -> None:
    # 8 March 2026: clocks jump forward, a 23-hour day; 09:00 the next day is only 23 h on.
    first = dt.datetime(2026, 3, 7, 9, 0, tzinfo=NEW_YORK)
    next_day = dt.datetime(2026, 3, 8, 9, 0, tzinfo=NEW_YORK)
    conflict = spacing_conflict("not_located", next_day, [(first, "not_located")], 24)
    assert conflict is not None
    assert conflict.next_allowed.astimezone(NEW_YORK) == dt.datetime(
        2026, 3, 8, 10, 0, tzinfo=NEW_YORK
    )


def test_no_spacing_when_the_preset_sets_none() -> None:
    others = [(FIRST_TRY, "not_located")]
    assert spacing_conflict("not_located", FIRST_TRY, others, 0) is None


def test_the_next_try_an_attempt_sets_is_one_the_spacing_allows_across_the_spring_dst_change() -> (
    None
):
    # 09:00 EST on 7 March; the next day has 23 hours, so 24 real hours on is 10:00 EDT.
    first = dt.datetime(2026, 3, 7, 9, 0, tzinfo=NEW_YORK)
    effect = after_attempt("not_located", 1, 3, 24, first)
    assert effect.next_attempt_after is not None
    elapsed = effect.next_attempt_after.astimezone(dt.UTC) - first.astimezone(dt.UTC)
    assert elapsed == dt.timedelta(hours=24)
    assert effect.next_attempt_after.astimezone(NEW_YORK).hour == 10
    others = [(first, "not_located")]
    assert spacing_conflict("not_located", effect.next_attempt_after, others, 24) is None


def test_a_task_expires_from_its_window_end_unless_a_later_recontact_keeps_it() -> None:
    window_end = dt.datetime(2026, 6, 10, 22, 0, tzinfo=NEW_YORK)
    later = dt.datetime(2026, 7, 10, 9, 0, tzinfo=dt.UTC)
    assert expiry_due(window_end, None, later) == window_end
    assert expiry_due(window_end, later.date(), later) == later
    earlier = dt.datetime(2026, 6, 9, 9, 0, tzinfo=dt.UTC)
    assert expiry_due(window_end, earlier.date(), earlier) == window_end


def test_a_date_of_death_goes_with_deceased_alone_and_falls_between_birth_and_the_visit() -> None:
    today, born = dt.date(2026, 11, 20), dt.date(1990, 5, 1)

    def problem(outcome: str, died_on: dt.date | None, visit: dt.date = today) -> str | None:
        return died_on_problem(outcome, died_on, today=today, attempted_on=visit, born_on=born)

    assert problem("deceased", dt.date(2026, 11, 18)) is None
    assert problem("deceased", today) is None
    assert problem("contacted", None) is None
    assert problem("deceased", None) == "Give the date of death."
    assert "only with the outcome Deceased" in str(problem("contacted", dt.date(2026, 11, 18)))
    assert "in the future" in str(problem("deceased", dt.date(2026, 11, 21)))
    assert "after this attempt" in str(problem("deceased", today, dt.date(2026, 11, 19)))
    assert "birth date" in str(problem("deceased", dt.date(1990, 4, 30)))
    assert "between" in str(problem("deceased", dt.date(1, 1, 1)))


def test_a_date_of_death_falls_no_earlier_than_the_year_of_birth_when_only_the_year_is_known() -> (
    None
):
    today = dt.date(2026, 11, 20)

    def problem(died_on: dt.date) -> str | None:
        return died_on_problem(
            "deceased", died_on, today=today, attempted_on=today, born_on=None, born_in=1990
        )

    assert problem(dt.date(1990, 1, 1)) is None
    assert problem(dt.date(2026, 11, 18)) is None
    assert problem(dt.date(1989, 12, 31)) == (
        "The date of death cannot be before 1990, the year the person was born."
    )
