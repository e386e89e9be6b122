"""Closed-loop referral rules: FHIR Task transitions, reasons, sides, reminders, the metric."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from coresponder.domain.referrals import (
    TERMINAL,
    OutcomeFact,
    ReferralHistory,
    Side,
    StatusStep,
    is_treatment,
    next_statuses,
    people_accepted_treatment,
    response_overdue,
    transition_problems,
)
from coresponder.domain.vocabulary import AttemptOutcome, TaskStatus, label

S = TaskStatus
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


def test_a_provider_may_accept_or_reject_a_requested_referral_but_not_cancel_it() -> None:
    assert next_statuses(S.REQUESTED, Side.PROVIDER) == (S.ACCEPTED, S.REJECTED)


def test_the_referring_team_may_only_cancel_or_withdraw_a_requested_referral() -> None:
    assert next_statuses(S.REQUESTED, Side.REFERRING) == (S.CANCELLED, S.ENTERED_IN_ERROR)
    assert next_statuses(S.IN_PROGRESS, Side.REFERRING) == ()


def test_an_accepted_referral_moves_on_to_work_hold_or_failure() -> None:
    assert next_statuses(S.ACCEPTED, Side.PROVIDER) == (S.IN_PROGRESS, S.ON_HOLD, S.FAILED)
    assert next_statuses(S.IN_PROGRESS, Side.PROVIDER) == (S.COMPLETED, S.FAILED, S.ON_HOLD)
    assert next_statuses(S.ON_HOLD, Side.PROVIDER) == (S.IN_PROGRESS, S.FAILED)


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_a_finished_referral_cannot_change(status: TaskStatus) -> None:
    assert next_statuses(status, Side.PROVIDER) == ()
    problems = transition_problems(status, S.IN_PROGRESS, Side.PROVIDER, "")
    assert "cannot change" in problems["status"][0]


def test_it_refuses_to_skip_from_requested_to_completed() -> None:
    problems = transition_problems(S.REQUESTED, S.COMPLETED, Side.PROVIDER, "")
    assert "cannot go from requested to completed" in problems["status"][0]


@pytest.mark.parametrize("status", [S.REJECTED, S.FAILED, S.ON_HOLD])
def test_a_provider_must_say_why_it_rejects_fails_or_holds(status: TaskStatus) -> None:
    current = S.REQUESTED if status is S.REJECTED else S.ACCEPTED
    assert transition_problems(current, status, Side.PROVIDER, " ") == {
        "status_reason": [f"say why the referral is {label('task_status', status).lower()}"]
    }
    assert transition_problems(current, status, Side.PROVIDER, "No bed") == {}


def test_the_problems_name_statuses_in_words_not_codes() -> None:
    assert transition_problems(S.ACCEPTED, S.ON_HOLD, Side.PROVIDER, "") == {
        "status_reason": ["say why the referral is on hold"]
    }
    problems = transition_problems(S.REQUESTED, S.IN_PROGRESS, Side.PROVIDER, "")
    assert problems["status"] == [
        "cannot go from requested to in progress (allowed: accepted, rejected)"
    ]


def test_the_moves_offered_are_those_the_side_may_make() -> None:
    problems = transition_problems(S.REQUESTED, S.COMPLETED, Side.REFERRING, "Done")
    assert problems["status"] == [
        "cannot go from requested to completed (allowed: cancelled, entered in error)"
    ]


def test_a_cancellation_needs_a_reason_and_the_referring_side() -> None:
    assert "status_reason" in transition_problems(S.REQUESTED, S.CANCELLED, Side.REFERRING, "")
    problems = transition_problems(S.REQUESTED, S.CANCELLED, Side.PROVIDER, "Changed mind")
    assert problems == {"status": ["only the referring team may set it to cancelled"]}


def test_the_referring_team_may_not_accept_on_the_providers_behalf() -> None:
    problems = transition_problems(S.REQUESTED, S.ACCEPTED, Side.REFERRING, "")
    assert problems == {"status": ["only the provider may set it to accepted"]}


def test_a_referral_is_overdue_only_while_still_requested_after_the_hours() -> None:
    assert not response_overdue(T0, S.REQUESTED, T0 + dt.timedelta(hours=23, minutes=59), 24)
    assert response_overdue(T0, S.REQUESTED, T0 + dt.timedelta(hours=24), 24)
    assert not response_overdue(T0, S.ACCEPTED, T0 + dt.timedelta(hours=100), 24)


def test_a_part2_program_or_a_treatment_category_is_treatment() -> None:
    assert is_treatment(["moud_buprenorphine"])
    assert is_treatment(["housing"], part2_program=True)
    assert not is_treatment(["housing", "transportation"])


def history(
    person: int, *steps: tuple[TaskStatus, dt.datetime], treatment: bool = True
) -> ReferralHistory:
    return ReferralHistory(
        person_id=person,
        treatment=treatment,
        steps=tuple(StatusStep(status, at) for status, at in steps),
    )


def test_people_accepted_treatment_counts_a_person_once_when_a_provider_accepts() -> None:
    referrals = [
        history(1, (S.REQUESTED, T0), (S.ACCEPTED, T0 + dt.timedelta(days=1))),
        history(1, (S.REQUESTED, T0), (S.IN_PROGRESS, T0 + dt.timedelta(days=2))),
        history(2, (S.REQUESTED, T0)),
    ]
    assert people_accepted_treatment(referrals, START, END) == 1


def test_people_accepted_treatment_ignores_support_services_rejections_and_other_periods() -> None:
    referrals = [
        history(1, (S.ACCEPTED, T0), treatment=False),
        history(2, (S.REJECTED, T0)),
        history(3, (S.COMPLETED, END)),
        history(4, (S.ACCEPTED, START - dt.timedelta(seconds=1))),
    ]
    assert people_accepted_treatment(referrals, START, END) == 0


def test_people_accepted_treatment_adds_accepted_treatment_outcomes_without_double_counting() -> (
    None
):
    referrals = [history(1, (S.ACCEPTED, T0))]
    outcomes = [
        OutcomeFact(1, AttemptOutcome.ACCEPTED_TREATMENT, T0),
        OutcomeFact(2, AttemptOutcome.ACCEPTED_TREATMENT, T0),
        OutcomeFact(3, AttemptOutcome.DECLINED, T0),
    ]
    assert people_accepted_treatment(referrals, START, END, outcomes) == 2


def test_a_preset_without_response_hours_waits_48_and_a_bad_value_is_named() -> None:
    from pathlib import Path

    from coresponder.domain.presets import PresetError, load_preset_file, parse_preset

    presets = Path(__file__).resolve().parents[3] / "presets"
    assert load_preset_file(presets / "pco.toml").service_referral_response_hours == 24
    data = tomllib.loads((presets / "pad.toml").read_text(encoding="utf-8"))
    del data["service_referral_response_hours"]
    assert parse_preset(data, "pad.toml").service_referral_response_hours == 48
    data["service_referral_response_hours"] = "two days"
    with pytest.raises(PresetError) as bad:
        parse_preset(data, "pad.toml")
    assert "pad.toml: service_referral_response_hours: must be a whole number" in str(bad.value)
