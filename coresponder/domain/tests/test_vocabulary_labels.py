"""Every code a person can read has a label, in English and, for the public pages, Spanish."""

from __future__ import annotations

from enum import StrEnum

import pytest

from coresponder.domain.screenings import Instrument
from coresponder.domain.vocabulary import (
    VOCABULARIES,
    AccessDenialGround,
    AccessReviewDetermination,
    AttemptChannel,
    AttemptOutcome,
    ConsentStatus,
    ContactLimit,
    ContactRole,
    Disposition,
    EncounterKind,
    OrganizationKind,
    OverdoseSource,
    Pathway,
    Relationship,
    Role,
    TaskStatus,
    choices,
    is_reviewable,
    label,
    labels_of,
)

ENUMS: list[tuple[str, type[StrEnum]]] = [
    ("pathway", Pathway),
    ("role", Role),
    ("organization_kind", OrganizationKind),
    ("task_status", TaskStatus),
    ("channel", AttemptChannel),
    ("outcome", AttemptOutcome),
    ("encounter_kind", EncounterKind),
    ("disposition", Disposition),
    ("source", OverdoseSource),
    ("contact_role", ContactRole),
    ("relationship", Relationship),
    ("consent_status", ConsentStatus),
    ("instrument", Instrument),
    ("access_denial_ground", AccessDenialGround),
    ("contact_limit", ContactLimit),
    ("access_review_determination", AccessReviewDetermination),
]
# What the public pages can show: their labels exist in Spanish too.
PUBLIC = ("pathway", "source", "organization_kind", "disposition", "language")
BANDS = ("none", "no_risk", "minimal", "low", "mild", "moderate", "moderately_severe")


@pytest.mark.parametrize(("vocabulary", "enum"), ENUMS)
def test_every_code_of_a_vocabulary_has_a_label_that_is_not_the_code(
    vocabulary: str, enum: type[StrEnum]
) -> None:
    for member in enum:
        text = label(vocabulary, member.value)
        assert text and "_" not in text, (vocabulary, member.value, text)
        assert member.value in labels_of(vocabulary)


@pytest.mark.parametrize("vocabulary", PUBLIC)
def test_the_public_vocabularies_have_a_spanish_label_for_every_code(vocabulary: str) -> None:
    english, spanish = labels_of(vocabulary), labels_of(vocabulary, "es")
    assert spanish.keys() == english.keys()
    differ = [code for code in english if spanish[code] != english[code]]
    # Names that are the same in both (Hospital, API) are the only ones left alike.
    assert len(differ) >= len(english) - 2, vocabulary


def test_a_spanish_label_reads_in_spanish() -> None:
    assert label("pathway", "officer_intervention", "es") == (
        "Intervención policial (en lugar de arresto)"
    )
    assert label("disposition", "transported_crisis_center", "es") == (
        "Llevado a un centro de crisis"
    )
    assert label("language", "en", "es") == "Inglés"


def test_language_codes_read_as_language_names_even_with_a_region() -> None:
    assert label("language", "en") == "English"
    assert label("language", "es-MX") == "Spanish"


def test_screening_bands_read_as_words() -> None:
    assert [label("band", band) for band in BANDS] == [
        "None",
        "No risk found",
        "Minimal",
        "Low",
        "Mild",
        "Moderate",
        "Moderately severe",
    ]


def test_free_text_typed_before_a_list_was_closed_reads_as_typed() -> None:
    assert label("relationship", "aunt") == "aunt"
    assert label("relationship", "great_aunt") == "Great aunt"
    assert label("relationship", "") == ""
    assert label("relationship", None) == ""


def test_a_task_closed_by_hand_reads_its_reason() -> None:
    assert label("close_reason", "no_way_to_reach") == "No address or phone to reach them"
    assert label("close_reason", "not_located") == "Not located"
    assert "close_reason" in VOCABULARIES


def test_choices_pair_each_code_with_its_label_in_order() -> None:
    listed = choices("consent_status")
    assert listed[0] == ("signed", "Signed consent on file")
    assert [code for code, _ in listed] == [s.value for s in ConsentStatus]


def test_only_the_grounds_of_164_524_a_3_may_be_reviewed() -> None:
    reviewable = {g.value for g in AccessDenialGround if is_reviewable(g)}

    assert reviewable == {
        "endangers_life_or_safety",
        "harms_person_referred_to",
        "harm_through_representative",
    }
    assert not is_reviewable("psychotherapy_notes")
    assert not is_reviewable("not_a_ground")
