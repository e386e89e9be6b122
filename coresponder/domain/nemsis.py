"""Which EMS patient care reports (NEMSIS v3.5) are opioid overdoses, and why.

The case definition is the one the NEMSIS Technical Assistance Center and CDC's
overdose surveillance use for EMS data: a report is an opioid overdose when

1. a provider's impression or the patient's symptom (eSituation.09 primary
   symptom, .10 other symptoms, .11 primary impression, .12 secondary
   impressions; ICD-10-CM) is an opioid poisoning (T40.0–T40.4 and T40.6, with a
   poisoning intent: accidental, intentional self-harm, assault or undetermined)
   or an opioid-related disorder (F11.*); or
2. naloxone was given (eMedications.03, RxNorm) and the patient improved
   (eMedications.07 = 9916001, "Improved").

Sources: the NEMSIS v3.5 data dictionary (element names and the code lists of
eMedications.07, eArrest.18, ePatient.13/.16/.25), ICD-10-CM chapter 19 (the
sixth character of a T36–T50 code is the intent: 1 accidental, 2 intentional
self-harm, 3 assault, 4 undetermined, 5 adverse effect, 6 underdosing; only the
first four are poisonings), RxNorm (7242 is the naloxone ingredient; 1659929,
naloxone hydrochloride 0.4 MG/ML injection, is the code HL7's case-reporting
examples give for a dose). The lists are data here so a deployment's
epidemiologist can read and argue with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# ICD-10-CM T40 subcategories that are opioids: opium (0), heroin (1), other opioids
# (2), methadone (3), synthetic narcotics incl. fentanyl and tramadol (4), and
# unspecified/other narcotics (6). T40.5 is cocaine, T40.7 cannabis, T40.8–.9
# hallucinogens: not opioids.
OPIOID_POISONING_SUBCATEGORIES = frozenset("012346")
# The sixth character of a T40 code: the intents that make it a poisoning.
POISONING_INTENTS = frozenset("1234")
# F11: opioid-related disorders (use, abuse, dependence, with intoxication etc.).
OPIOID_DISORDER_PREFIX = "F11"

# RxNorm codes a NEMSIS export gives in eMedications.03 for naloxone.
NALOXONE_RXNORM = frozenset(
    {
        # The three the NEMSIS opioid-overdose case definition lists.
        "7242",  # naloxone (the ingredient), the code most EMS software sends
        "203192",
        "197117",
        # 1 ML naloxone hydrochloride 0.4 MG/ML injection, as HL7's case-reporting
        # (eCR) examples code a dose.
        "1659929",
    }
)
# eMedications.07 Response to Medication: 9916001 Improved, 9916003 Unchanged, 9916005 Worse.
RESPONSE_IMPROVED = "9916001"

# eArrest.18 End of EMS Cardiac Arrest Event: expired in the ED, expired in the field.
DIED_CODES = frozenset({"3018001", "3018003"})

# ePatient.13 Gender (3.5.0) and ePatient.25 Sex (3.5.1).
SEX_CODES = {
    "9906001": "female",
    "9906003": "male",
    "9906005": "unknown",
    "9906007": "other",
    "9906009": "other",
    "9906011": "other",
    "9919001": "female",
    "9919003": "male",
    "9919005": "unknown",
}
# ePatient.16 Age Units: only years make an age in whole years.
AGE_UNIT_YEARS = "2516009"

_CODE_SHAPE = re.compile(r"[A-Z][0-9A-Z]{2,6}")


class Reason(StrEnum):
    """Why a report is an opioid overdose (the first that applies, in this order)."""

    OPIOID_POISONING = "opioid_poisoning"
    NALOXONE_RESPONSE = "naloxone_response"
    OPIOID_DISORDER = "opioid_disorder"


REASON_LABELS = {
    Reason.OPIOID_POISONING: "Opioid poisoning in the impression or symptoms",
    Reason.NALOXONE_RESPONSE: "Naloxone given, and the patient improved",
    Reason.OPIOID_DISORDER: "Opioid-related disorder in the impression or symptoms",
}


@dataclass(frozen=True)
class MedicationGiven:
    """One eMedications.MedicationGroup: what was given and how the patient responded."""

    code: str
    response: str = ""


@dataclass(frozen=True)
class CareReportFacts:
    """What the case definition reads of one patient care report."""

    # eSituation.09–.12, as ICD-10-CM codes.
    impressions: tuple[str, ...] = ()
    medications: tuple[MedicationGiven, ...] = ()


def normalize_icd10(code: str) -> str:
    """`t40.1x1a` → `T401X1A`: case, dots and spaces ignored, as exports differ."""
    return re.sub(r"[\s.]", "", code).upper()


def is_opioid_poisoning(code: str) -> bool:
    """T40.0–T40.4 or T40.6 with a poisoning intent; a code cut short of its intent counts."""
    icd = normalize_icd10(code)
    if not _CODE_SHAPE.fullmatch(icd) or not icd.startswith("T40") or len(icd) < 4:
        return False
    if icd[3] not in OPIOID_POISONING_SUBCATEGORIES:
        return False
    return len(icd) < 6 or icd[5] in POISONING_INTENTS


def is_opioid_disorder(code: str) -> bool:
    icd = normalize_icd10(code)
    return bool(_CODE_SHAPE.fullmatch(icd)) and icd.startswith(OPIOID_DISORDER_PREFIX)


def is_naloxone(code: str) -> bool:
    return code.strip() in NALOXONE_RXNORM


def naloxone_doses(medications: Iterable[MedicationGiven]) -> int:
    """How many times naloxone was given (each MedicationGroup is one administration)."""
    return sum(1 for medication in medications if is_naloxone(medication.code))


def qualifies(report: CareReportFacts) -> Reason | None:
    """Why the report is an opioid overdose by the case definition, or None when it is not."""
    if any(is_opioid_poisoning(code) for code in report.impressions):
        return Reason.OPIOID_POISONING
    if any(
        is_naloxone(m.code) and m.response.strip() == RESPONSE_IMPROVED for m in report.medications
    ):
        return Reason.NALOXONE_RESPONSE
    if any(is_opioid_disorder(code) for code in report.impressions):
        return Reason.OPIOID_DISORDER
    return None
