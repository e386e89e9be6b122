from __future__ import annotations

from coresponder.domain.care import (
    OWNER_GONE_LABELS,
    GoalFact,
    OwnerGone,
    RepeatNeed,
    ordinal,
    owner_gone,
    repeat_label,
    repeat_needs,
)


def test_a_need_named_once_is_not_a_repeat_need() -> None:
    assert repeat_needs([GoalFact("housing", 1), GoalFact("treatment", 1)]) == []


def test_a_need_on_goals_of_three_plans_is_a_third_time() -> None:
    goals = [GoalFact("housing", 1), GoalFact("housing", 2), GoalFact("housing", 3)]
    assert repeat_needs(goals) == [RepeatNeed("housing", times=3, plans=3)]


def test_a_need_twice_in_one_plan_repeats() -> None:
    assert repeat_needs([GoalFact("benefits", 1), GoalFact("benefits", 1)]) == [
        RepeatNeed("benefits", times=2, plans=1)
    ]


def test_a_goal_opened_again_counts_as_a_repeat() -> None:
    assert repeat_needs([GoalFact("treatment", 4, times_reopened=1)]) == [
        RepeatNeed("treatment", times=2, plans=1)
    ]


def test_repeat_needs_come_most_frequent_first_then_by_name() -> None:
    goals = [
        GoalFact("legal", 1),
        GoalFact("legal", 2),
        GoalFact("housing", 1),
        GoalFact("housing", 2),
        GoalFact("treatment", 1, times_reopened=2),
    ]
    assert [r.need for r in repeat_needs(goals)] == ["treatment", "housing", "legal"]


def test_ordinals_read_as_english() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 103, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "103rd",
        "111th",
    ]


def test_the_badge_reads_need_and_ordinal() -> None:
    assert repeat_label("Housing", 3) == "Housing: 3rd time"


def test_a_disabled_account_is_why_an_owner_is_gone_whatever_else_holds() -> None:
    gone = owner_gone(account_active=False, member=False, role_owns_care=False)
    assert gone is OwnerGone.ACCOUNT_DISABLED


def test_an_owner_who_left_the_program_is_gone_for_having_left() -> None:
    gone = owner_gone(account_active=True, member=False, role_owns_care=False)
    assert gone is OwnerGone.LEFT_PROGRAM


def test_an_owner_whose_role_no_longer_reads_care_plans_is_gone_for_the_role() -> None:
    gone = owner_gone(account_active=True, member=True, role_owns_care=False)
    assert gone is OwnerGone.ROLE_CHANGED
    assert OWNER_GONE_LABELS[gone] == "Role no longer owns care"


def test_an_owner_who_still_owns_care_is_not_gone() -> None:
    assert owner_gone(account_active=True, member=True, role_owns_care=True) is None
