"""Metric definitions on hand-made facts (docs/api.md, "Metrics")."""

from __future__ import annotations

import datetime as dt

from coresponder.domain.metrics import (
    AttemptFact,
    Case,
    EncounterFact,
    Facts,
    FunnelFacts,
    Groups,
    ReferralFact,
    ServiceReferralFact,
    TaskFact,
    age_band,
    breakdown,
    compute,
    funnel,
    new_person_share,
    people_contacted,
    people_engaged,
    percent_change,
)
from coresponder.domain.referrals import ReferralHistory, StatusStep
from coresponder.domain.vocabulary import AttemptOutcome as Outcome
from coresponder.domain.vocabulary import TaskStatus

START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def day(n: int) -> dt.datetime:
    """Noon on day n of October 2026 (n may run past 31)."""
    return START + dt.timedelta(days=n - 1, hours=12)


def test_people_engaged_counts_participants_reached_or_met_once() -> None:
    attempts = [
        AttemptFact(1, day(2), Outcome.CONTACTED),
        AttemptFact(1, day(3), Outcome.DECLINED),
        AttemptFact(2, day(2), Outcome.NOT_LOCATED),
        AttemptFact(3, day(2), Outcome.CONTACTED_COLLATERAL_ONLY),
        AttemptFact(4, day(2), Outcome.MOVED_AWAY),
        AttemptFact(5, day(40), Outcome.CONTACTED),  # after the period
        AttemptFact(6, day(2), Outcome.CONTACTED, to_family=True),
    ]
    encounters = [EncounterFact(7, day(5), "refused"), EncounterFact(None, day(5), "other")]
    assert people_engaged(attempts, encounters, START, END) == 2  # 1 and 7


def test_people_contacted_counts_each_human_once_collaterals_too() -> None:
    attempts = [
        AttemptFact(1, day(2), Outcome.CONTACTED, frozenset({"participant"})),
        AttemptFact(
            1,
            day(3),
            Outcome.CONTACTED,
            frozenset({"participant", "collateral"}),
            frozenset({"mother-1"}),
        ),
        AttemptFact(2, day(2), Outcome.CONTACTED_COLLATERAL_ONLY),  # an unnamed relative
        AttemptFact(
            3,
            day(2),
            Outcome.CONTACTED,
            frozenset({"collateral"}),
            frozenset({"wife-3"}),
            to_family=True,
        ),
        AttemptFact(
            3,
            day(4),
            Outcome.CONTACTED,
            frozenset({"collateral"}),
            frozenset({"wife-3"}),
            to_family=True,
        ),
        AttemptFact(4, day(2), Outcome.NOT_LOCATED),
    ]
    # participant 1, mother-1, 2's relative, wife-3
    assert people_contacted(attempts, START, END) == 4


def test_a_persons_first_case_is_new_and_later_ones_are_not() -> None:
    cases = [Case(1, day(2)), Case(1, day(9)), Case(2, day(3)), Case(3, day(4))]
    share, base = new_person_share(cases, frozenset({3}), START, END)
    assert (share, base) == (0.5, 4)  # 1's first, 2: new; 1's second, 3 (seen before): not
    # A resolved identity that merges 2 into 1 makes 2's case a repeat.
    merged, _ = new_person_share(cases, frozenset({3}), START, END, {1: 1, 2: 1, 3: 3}.__getitem__)
    assert merged == 0.25
    assert new_person_share([], frozenset(), START, END) == (None, 0)


def test_compute_reads_every_metric_from_one_set_of_facts() -> None:
    facts = Facts(
        referrals=[ReferralFact(1, day(1)), ReferralFact(2, day(20)), ReferralFact(3, day(32))],
        encounters=[EncounterFact(1, day(2), "arrested")],
        service_referrals=[ServiceReferralFact(1, day(3)), ServiceReferralFact(1, day(4))],
        histories=[
            ReferralHistory(2, True, (StatusStep(TaskStatus.ACCEPTED, day(10)),)),
            ReferralHistory(3, False, (StatusStep(TaskStatus.COMPLETED, day(10)),)),
        ],
        attempts=[AttemptFact(4, day(5), Outcome.ACCEPTED_TREATMENT)],
    )
    metrics = compute(facts, START, END, END, ("arrested", "refused"))
    assert metrics.as_api() == {
        "referrals": 2,
        "people_referred_to_services": 1,
        "people_engaged": 2,
        "people_contacted": 1,
        "people_accepted_treatment": 2,
        "overdoses": {"fatal": 0, "nonfatal": 0},
        # 1 referred on day 1 then met on day 2: only the first is new (2 of 3)
        "new_person_share": 2 / 3,
        "follow_up_within_window_rate": None,
        "median_hours_to_first_contact": None,
        "dispositions": {"arrested": 1, "refused": 0},
    }


def test_age_bands_use_the_birthday() -> None:
    born = dt.date(2008, 10, 15)
    assert age_band(born, dt.date(2026, 10, 14)) == "<18"
    assert age_band(born, dt.date(2026, 10, 15)) == "18-24"
    assert age_band(dt.date(1950, 1, 1), dt.date(2026, 1, 1)) == "65+"
    assert age_band(None, dt.date(2026, 1, 1)) == "unknown"


def test_breakdown_rows_add_up_to_the_referrals() -> None:
    facts = Facts(
        referrals=[
            ReferralFact(1, day(1), Groups(district="22")),
            ReferralFact(2, day(2), Groups(district="22")),
            ReferralFact(3, day(3)),
        ]
    )
    rows = breakdown(facts, "district", START, END, known=("22", "39"))
    assert {k: v["referrals"] for k, v in rows.items()} == {"22": 2, "39": 0, "none": 1}


def test_the_funnel_narrows_stage_by_stage() -> None:
    facts = FunnelFacts(
        tasks=[TaskFact(1, day(1)), TaskFact(2, day(1)), TaskFact(3, day(1)), TaskFact(9, day(40))],
        attempts=[
            AttemptFact(1, day(2), Outcome.ACCEPTED_TREATMENT),
            AttemptFact(1, day(40), Outcome.CONTACTED),  # 38 days later
            AttemptFact(2, day(2), Outcome.NOT_LOCATED),
            AttemptFact(3, day(2), Outcome.ALREADY_IN_TREATMENT),
        ],
        histories=[ReferralHistory(1, True, (StatusStep(TaskStatus.IN_PROGRESS, day(5)),))],
    )
    assert funnel(facts, START, END) == [
        ("notified", 3),
        ("attempted", 3),
        ("contacted", 2),
        ("accepted", 1),
        ("entered_treatment", 1),
        ("engaged_30", 1),
        ("engaged_90", 0),
    ]


def test_percent_change() -> None:
    assert percent_change(12, 8) == 50.0
    assert percent_change(0, 0) is None


def test_a_fall_in_overdoses_or_in_the_wait_is_good_and_a_fall_in_engagement_is_not() -> None:
    from coresponder.domain.metrics import change_is_good

    assert change_is_good("overdoses_fatal", 3, 5) is True
    assert change_is_good("overdoses_nonfatal", 9, 5) is False
    assert change_is_good("median_hours_to_first_contact", 20.0, 30.0) is True
    assert change_is_good("people_engaged", 10, 12) is False
    assert change_is_good("follow_up_within_window_rate", 0.8, 0.6) is True
    assert change_is_good("referrals", 4, 4) is None
    assert change_is_good("referrals", None, 4) is None
