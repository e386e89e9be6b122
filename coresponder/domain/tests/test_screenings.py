"""Screening scores, bands and escalations match each instrument's published scoring."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coresponder.domain.screenings import (
    SUICIDAL_IDEATION_ITEM9,
    Instrument,
    InvalidAnswers,
    ScreeningResult,
    answer_options,
    answers_in_words,
    item_count,
    item_texts,
    score_screening,
    steps_now,
)

MAX_SCORE = {
    Instrument.DAST_10: 10,
    Instrument.AUDIT_C: 12,
    Instrument.CSSRS_SCREENER: 6,
    Instrument.PHQ_2: 6,
    Instrument.PHQ_9: 27,
}

MAX_SCORE_PER_ITEM = {
    Instrument.DAST_10: 1,
    Instrument.AUDIT_C: 4,
    Instrument.CSSRS_SCREENER: 1,
    Instrument.PHQ_2: 3,
    Instrument.PHQ_9: 3,
}


def dast(problems: int) -> ScreeningResult:
    """A DAST-10 with `problems` problem answers: item 3 "no" first, then yeses."""
    answers = [0] * 10
    answers[2] = 1  # "can stop when you want": yes, no point
    if problems:
        answers[2] = 0
        for item in range(problems - 1):
            answers[item if item < 2 else item + 1] = 1
    return score_screening(Instrument.DAST_10, answers)


def phq9(total: int, item9: int = 0) -> ScreeningResult:
    answers = [0] * 9
    answers[8] = item9
    remaining = total - item9
    for item in range(8):
        answers[item] = min(3, remaining)
        remaining -= answers[item]
    assert remaining == 0
    return score_screening(Instrument.PHQ_9, answers)


def cssrs(*answers: int) -> ScreeningResult:
    return score_screening(Instrument.CSSRS_SCREENER, list(answers))


# DAST-10


def test_it_scores_a_dast_10_all_yes_as_9_because_item_3_yes_is_no_problem() -> None:
    result = score_screening(Instrument.DAST_10, [1] * 10)
    assert (result.score, result.band, result.positive) == (9, "severe", True)


def test_it_scores_a_dast_10_all_no_as_1_because_item_3_is_reverse_scored() -> None:
    result = score_screening(Instrument.DAST_10, [0] * 10)
    assert (result.score, result.band, result.positive) == (1, "low", False)


@pytest.mark.parametrize(
    ("problems", "band", "positive"),
    [
        (0, "none", False),
        (1, "low", False),
        (2, "low", False),
        (3, "moderate", True),
        (5, "moderate", True),
        (6, "substantial", True),
        (8, "substantial", True),
        (9, "severe", True),
        (10, "severe", True),
    ],
)
def test_it_bands_the_dast_10_at_every_boundary(problems: int, band: str, positive: bool) -> None:
    result = dast(problems)
    assert (result.score, result.band, result.positive) == (problems, band, positive)
    assert bool(result.escalation) == positive


def test_it_gives_a_point_for_saying_no_to_being_able_to_stop() -> None:
    only_item_3_no = [0] * 10
    assert score_screening(Instrument.DAST_10, only_item_3_no).score == 1
    only_item_3_yes = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert score_screening(Instrument.DAST_10, only_item_3_yes).score == 0


# AUDIT-C


@pytest.mark.parametrize(
    ("answers", "sex", "positive"),
    [
        ([1, 1, 1], "male", False),
        ([2, 1, 1], "male", True),
        ([1, 1, 0], "female", False),
        ([1, 1, 1], "female", True),
        ([1, 1, 1], None, True),
        ([1, 1, 1], "other", True),
        ([1, 1, 1], "unknown", True),
        ([1, 1, 0], None, False),
    ],
)
def test_it_uses_4_for_men_and_3_for_everyone_else_on_the_audit_c(
    answers: list[int], sex: str | None, positive: bool
) -> None:
    result = score_screening(Instrument.AUDIT_C, answers, sex=sex)
    assert result.positive is positive
    assert result.band == ("positive" if positive else "negative")


def test_it_scores_the_audit_c_from_0_to_12() -> None:
    assert score_screening(Instrument.AUDIT_C, [0, 0, 0]).score == 0
    assert score_screening(Instrument.AUDIT_C, [4, 4, 4], sex="male").score == 12


def test_it_ignores_the_case_of_sex_on_the_audit_c() -> None:
    assert not score_screening(Instrument.AUDIT_C, [1, 1, 1], sex=" Male ").positive


# PHQ-2


@pytest.mark.parametrize(
    ("answers", "score", "positive"),
    [([0, 0], 0, False), ([1, 1], 2, False), ([2, 1], 3, True), ([3, 3], 6, True)],
)
def test_it_calls_a_phq_2_of_3_or_more_positive(
    answers: list[int], score: int, positive: bool
) -> None:
    result = score_screening(Instrument.PHQ_2, answers)
    assert (result.score, result.positive) == (score, positive)
    assert result.band == ("positive" if positive else "negative")


# PHQ-9


@pytest.mark.parametrize(
    ("total", "band", "positive"),
    [
        (0, "minimal", False),
        (4, "minimal", False),
        (5, "mild", False),
        (9, "mild", False),
        (10, "moderate", True),
        (14, "moderate", True),
        (15, "moderately_severe", True),
        (19, "moderately_severe", True),
        (20, "severe", True),
        (24, "severe", True),
    ],
)
def test_it_bands_the_phq_9_at_every_boundary(total: int, band: str, positive: bool) -> None:
    result = phq9(total)
    assert (result.score, result.band, result.positive) == (total, band, positive)
    assert result.escalation == () and result.flags == ()


def test_it_scores_a_phq_9_of_all_nearly_every_day_as_27_and_flags_item_9() -> None:
    result = score_screening(Instrument.PHQ_9, [3] * 9)
    assert (result.score, result.band, result.positive) == (27, "severe", True)
    assert result.flags == (SUICIDAL_IDEATION_ITEM9,)


def test_it_escalates_item_9_even_on_a_phq_9_score_of_1() -> None:
    result = phq9(1, item9=1)
    assert (result.score, result.band, result.positive) == (1, "minimal", False)
    assert result.flags == (SUICIDAL_IDEATION_ITEM9,)
    assert any("C-SSRS" in step for step in result.escalation)
    assert any("Clinician" in step for step in result.escalation)


def test_it_does_not_flag_item_9_when_it_is_not_at_all() -> None:
    result = phq9(24, item9=0)
    assert result.flags == () and result.escalation == ()


# C-SSRS screener


def test_it_finds_no_risk_when_every_c_ssrs_answer_is_no() -> None:
    result = cssrs(0, 0, 0, 0, 0, 0)
    assert (result.score, result.band, result.positive, result.escalation) == (
        0,
        "no_risk",
        False,
        (),
    )


@pytest.mark.parametrize("answers", [(1, 0, 0, 0, 0, 0), (0, 1, 0, 0, 0, 0), (1, 1, 0, 0, 0, 0)])
def test_it_finds_low_risk_on_a_wish_to_be_dead_or_thoughts_alone(
    answers: tuple[int, ...],
) -> None:
    result = cssrs(*answers)
    assert result.band == "low" and result.positive
    assert result.escalation == ("Offer 988 and a mental-health referral",)


@pytest.mark.parametrize(
    "answers",
    [(1, 1, 1, 0, 0, 0), (0, 0, 0, 0, 0, 1, 0), (1, 1, 1, 0, 0, 1, 0)],
    ids=["method", "behavior-over-3-months-ago", "method-and-older-behavior"],
)
def test_it_finds_moderate_risk_on_a_method_or_older_behavior(answers: tuple[int, ...]) -> None:
    result = cssrs(*answers)
    assert result.band == "moderate" and result.positive
    assert any("safety plan" in step.lower() for step in result.escalation)


@pytest.mark.parametrize(
    "answers",
    [
        (1, 1, 0, 1, 0, 0),
        (1, 1, 1, 0, 1, 0),
        (0, 0, 0, 0, 0, 1, 1),
        (0, 0, 0, 0, 0, 1),
        (1, 1, 1, 1, 1, 1, 1),
    ],
    ids=["intent", "plan", "recent-behavior", "behavior-recency-not-asked", "all-yes"],
)
def test_it_finds_high_risk_on_intent_a_plan_or_recent_behavior(
    answers: tuple[int, ...],
) -> None:
    result = cssrs(*answers)
    assert result.band == "high" and result.positive
    assert "Do not leave the person alone" in result.escalation


def test_it_counts_the_c_ssrs_score_from_items_1_to_6_only() -> None:
    assert cssrs(1, 1, 1, 1, 1, 1, 1).score == 6
    assert cssrs(0, 0, 0, 0, 0, 1, 0).score == 1


@pytest.mark.parametrize("item", [3, 4, 5])
def test_it_rejects_a_yes_on_items_3_to_5_after_a_no_on_item_2(item: int) -> None:
    answers = [1, 0, 0, 0, 0, 0]
    answers[item - 1] = 1
    with pytest.raises(InvalidAnswers, match=f"C-SSRS screener item {item}") as error:
        cssrs(*answers)
    assert error.value.item == item


def test_it_rejects_a_recent_yes_when_item_6_is_no() -> None:
    with pytest.raises(InvalidAnswers) as error:
        cssrs(0, 0, 0, 0, 0, 0, 1)
    assert error.value.item == 7


# Validation and form helpers


@pytest.mark.parametrize(
    ("instrument", "answers", "item"),
    [
        (Instrument.DAST_10, [0] * 9, 10),
        (Instrument.DAST_10, [0] * 11, 11),
        (Instrument.AUDIT_C, [], 1),
        (Instrument.PHQ_2, [0, 0, 0], 3),
        (Instrument.PHQ_9, [0] * 8, 9),
        (Instrument.CSSRS_SCREENER, [0] * 5, 6),
        (Instrument.CSSRS_SCREENER, [0] * 8, 8),
    ],
)
def test_it_rejects_the_wrong_number_of_answers_naming_the_item(
    instrument: Instrument, answers: list[int], item: int
) -> None:
    with pytest.raises(InvalidAnswers) as error:
        score_screening(instrument, answers)
    assert error.value.item == item
    assert f"item {item}" in str(error.value)


@pytest.mark.parametrize(
    ("instrument", "answers", "item"),
    [
        (Instrument.DAST_10, [0, 0, 0, 2, 0, 0, 0, 0, 0, 0], 4),
        (Instrument.DAST_10, [0, -1, 0, 0, 0, 0, 0, 0, 0, 0], 2),
        (Instrument.AUDIT_C, [0, 5, 0], 2),
        (Instrument.PHQ_2, [4, 0], 1),
        (Instrument.PHQ_9, [0, 0, 0, 0, 0, 0, 0, 0, 4], 9),
        (Instrument.CSSRS_SCREENER, [0, 0, 0, 0, 0, 1, 2], 7),
    ],
)
def test_it_rejects_an_answer_out_of_range_naming_the_item(
    instrument: Instrument, answers: list[int], item: int
) -> None:
    with pytest.raises(InvalidAnswers, match=f"item {item}: .* out of range") as error:
        score_screening(instrument, answers)
    assert error.value.item == item


@pytest.mark.parametrize("bad", [True, False, 1.0, "1", None])
def test_it_rejects_an_answer_that_is_not_a_plain_int(bad: object) -> None:
    answers: list[object] = [0, bad, 0]
    with pytest.raises(InvalidAnswers, match="AUDIT-C item 2") as error:
        score_screening(Instrument.AUDIT_C, answers)  # type: ignore[arg-type]
    assert error.value.item == 2


def test_it_is_a_value_error_so_form_code_can_catch_either() -> None:
    assert issubclass(InvalidAnswers, ValueError)


def test_it_accepts_the_instrument_as_its_stored_value() -> None:
    assert score_screening("phq2", [3, 3]).instrument is Instrument.PHQ_2


def test_it_refuses_an_unknown_instrument() -> None:
    with pytest.raises(ValueError, match="unknown screening instrument"):
        score_screening("cage", [0, 0, 0, 0])


@pytest.mark.parametrize("instrument", list(Instrument))
def test_it_offers_one_prompt_and_one_option_list_per_item(instrument: Instrument) -> None:
    texts = item_texts(instrument)
    assert len(texts) == item_count(instrument) == len(set(texts))
    for item in range(1, item_count(instrument) + 1):
        assert len(answer_options(instrument, item)) == MAX_SCORE_PER_ITEM[instrument] + 1


def test_it_counts_the_items_of_each_instrument() -> None:
    assert [item_count(i) for i in Instrument] == [10, 3, 6, 2, 9]


def test_it_offers_the_c_ssrs_recency_follow_up_as_item_7() -> None:
    assert answer_options(Instrument.CSSRS_SCREENER, 7) == ("No", "Yes")
    with pytest.raises(ValueError, match="no item 8"):
        answer_options(Instrument.CSSRS_SCREENER, 8)
    with pytest.raises(ValueError, match="no item 0"):
        answer_options(Instrument.PHQ_9, 0)


def test_it_labels_the_phq_options_by_frequency() -> None:
    assert answer_options(Instrument.PHQ_9, 9)[0] == "Not at all"
    assert answer_options(Instrument.PHQ_9, 9)[3] == "Nearly every day"


# Properties


@st.composite
def valid_answers(draw: st.DrawFn) -> tuple[Instrument, list[int]]:
    instrument = draw(st.sampled_from(list(Instrument)))
    answers = [
        draw(st.integers(0, len(answer_options(instrument, item)) - 1))
        for item in range(1, item_count(instrument) + 1)
    ]
    if instrument is Instrument.CSSRS_SCREENER:
        if answers[1] == 0:
            answers[2:5] = [0, 0, 0]  # the skip rule
        if answers[5] == 1 and draw(st.booleans()):
            answers.append(draw(st.integers(0, 1)))
    return instrument, answers


@settings(deadline=None, database=None)
@given(valid_answers(), st.sampled_from([None, "male", "female", "other", "unknown"]))
def test_it_always_scores_within_the_instrument_range(
    drawn: tuple[Instrument, list[int]], sex: str | None
) -> None:
    instrument, answers = drawn
    result = score_screening(instrument, answers, sex=sex)
    assert 0 <= result.score <= MAX_SCORE[instrument]
    assert result.instrument is instrument
    # Every positive screen says what to do next; the PHQ-9 only for item 9, as its
    # severity is the clinician's to act on.
    assert bool(result.escalation) == (
        SUICIDAL_IDEATION_ITEM9 in result.flags
        if instrument is Instrument.PHQ_9
        else result.positive
    )


@settings(deadline=None, database=None)
@given(st.lists(st.integers(0, 1), min_size=10, max_size=10))
def test_it_scores_the_dast_10_as_the_count_of_problem_answers(answers: list[int]) -> None:
    problem_answers = [1, 1, 0, 1, 1, 1, 1, 1, 1, 1]
    expected = sum(a == p for a, p in zip(answers, problem_answers, strict=True))
    result = score_screening(Instrument.DAST_10, answers)
    assert result.score == expected
    assert result.positive == (expected >= 3)


def test_answers_read_in_words_and_skipped_cssrs_items_say_not_asked() -> None:
    said = answers_in_words("cssrs_screener", [1, 1, 0, 0, 0, 1, 0])
    assert [answer for _prompt, answer in said] == ["Yes", "Yes", "No", "No", "No", "Yes", "No"]
    assert said[-1][0] == "Was that within the past 3 months?"
    skipped = answers_in_words("cssrs_screener", [1, 0, 0, 0, 0, 0])
    assert [answer for _prompt, answer in skipped][2:5] == ["Not asked"] * 3
    assert answers_in_words("phq2", [3, 1]) == [
        ("Little interest or pleasure in doing things", "Nearly every day"),
        ("Feeling down, depressed or hopeless", "Several days"),
    ]
    # Kept before answers were checked: read as recorded.
    assert answers_in_words("phq2", [7, 1])[0][1] == "7"


def test_it_does_not_ask_for_the_c_ssrs_screener_when_it_was_asked_at_the_same_encounter() -> None:
    result = phq9(1, item9=1)
    assert steps_now(result, [Instrument.PHQ_9]) == result.escalation
    asked = steps_now(result, ["phq9", "cssrs_screener"])
    assert not any("C-SSRS" in step for step in asked)
    assert any("Clinician" in step for step in asked)


# Next steps of a positive PHQ-2, DAST-10 and AUDIT-C


def test_a_positive_phq_2_asks_for_the_phq_9_and_a_negative_one_for_nothing() -> None:
    assert score_screening(Instrument.PHQ_2, [2, 1]).escalation == ("Give the PHQ-9 now",)
    assert score_screening(Instrument.PHQ_2, [1, 1]).escalation == ()


def test_a_phq_9_given_at_the_same_encounter_is_not_asked_for_again() -> None:
    result = score_screening(Instrument.PHQ_2, [3, 3])
    assert steps_now(result, ["phq2"]) == ("Give the PHQ-9 now",)
    assert steps_now(result, ["phq2", Instrument.PHQ_9]) == ()


def test_a_moderate_dast_10_calls_for_a_brief_intervention_and_an_offer_of_assessment() -> None:
    steps = " ".join(dast(3).escalation).lower()
    assert "brief intervention" in steps
    assert "assessment" in steps and "treatment" in steps
    assert dast(5).escalation == dast(3).escalation


@pytest.mark.parametrize("problems", [6, 8, 9, 10])
def test_a_substantial_or_severe_dast_10_calls_for_a_referral_to_specialised_care(
    problems: int,
) -> None:
    steps = " ".join(dast(problems).escalation)
    assert "Refer for a specialised substance-use assessment and treatment" in steps
    assert "naloxone" in steps and "(MOUD)" in steps


@pytest.mark.parametrize(("answers", "sex"), [([1, 1, 1], "female"), ([2, 1, 1], "male")])
def test_a_positive_audit_c_calls_for_a_brief_intervention_on_drinking(
    answers: list[int], sex: str
) -> None:
    result = score_screening(Instrument.AUDIT_C, answers, sex=sex)
    assert result.positive
    steps = " ".join(result.escalation).lower()
    assert "brief intervention" in steps and "drinking" in steps
    assert "assessment" in steps
    assert score_screening(Instrument.AUDIT_C, [1, 1, 1], sex="male").escalation == ()
