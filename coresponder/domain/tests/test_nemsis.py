"""The opioid-overdose case definition for NEMSIS patient care reports."""

from __future__ import annotations

import pytest

from coresponder.domain.nemsis import (
    CareReportFacts,
    MedicationGiven,
    Reason,
    is_opioid_poisoning,
    naloxone_doses,
    qualifies,
)


@pytest.mark.parametrize(
    "code",
    ["T40.0X1A", "T40.1X1A", "t40.2x4a", "T40.3X2D", "T40.411A", "T40.4X3A", "T40.601A", "T40.1"],
)
def test_opioid_poisonings_with_a_poisoning_intent_qualify(code: str) -> None:
    assert qualifies(CareReportFacts(impressions=(code,))) is Reason.OPIOID_POISONING


@pytest.mark.parametrize(
    "code",
    [
        "T40.5X1A",  # cocaine
        "T40.7X1A",  # cannabis
        "T40.1X5A",  # adverse effect, not a poisoning
        "T40.2X6A",  # underdosing
        "T43.621A",  # amphetamines
        "R07.9",
        "",
        "T40",
    ],
)
def test_other_impressions_do_not_qualify(code: str) -> None:
    assert qualifies(CareReportFacts(impressions=(code,))) is None


def test_an_opioid_use_disorder_qualifies_when_nothing_stronger_does() -> None:
    assert qualifies(CareReportFacts(impressions=("F11.20",))) is Reason.OPIOID_DISORDER
    both = CareReportFacts(impressions=("F11.20", "T40.1X1A"))
    assert qualifies(both) is Reason.OPIOID_POISONING


def test_naloxone_qualifies_only_when_the_patient_improved() -> None:
    improved = CareReportFacts(medications=(MedicationGiven("7242", "9916001"),))
    unchanged = CareReportFacts(medications=(MedicationGiven("7242", "9916003"),))
    other_drug_improved = CareReportFacts(medications=(MedicationGiven("4337", "9916001"),))
    assert qualifies(improved) is Reason.NALOXONE_RESPONSE
    assert qualifies(unchanged) is None
    assert qualifies(other_drug_improved) is None


def test_each_naloxone_administration_is_one_dose() -> None:
    given = (
        MedicationGiven("7242", "9916003"),
        MedicationGiven("1659929", "9916001"),
        MedicationGiven("4337"),
    )
    assert naloxone_doses(given) == 2


def test_a_code_with_letters_where_digits_belong_is_not_read_as_an_opioid() -> None:
    assert not is_opioid_poisoning("T40.1X1A; DROP")
    assert not is_opioid_poisoning("T4O.1X1A")
