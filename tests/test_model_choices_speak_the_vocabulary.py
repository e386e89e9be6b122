"""Stored choices read as the vocabulary says: one label per code, wherever it is shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models

from coresponder.domain.vocabulary import labels_of
from coresponder.encounters.models import Screening
from coresponder.intake.models import Referral
from coresponder.outreach.models import AttemptContact, OutreachTask
from coresponder.people.models import Amendment, Ethnicity, Race, Sex
from coresponder.privacy.models import Consent

# Each model's choices beside the vocabulary that names the same codes.
SAME_CODES: dict[str, type[models.TextChoices]] = {
    "instrument": Screening.Instrument,
    "outreach_status": OutreachTask.Status,
    "outreach_target": OutreachTask.Target,
    "contact_role": AttemptContact.Role,
    "sex": Sex,
    "race": Race,
    "ethnicity": Ethnicity,
    "signature_method": Consent.SignatureMethod,
    "referral_channel": Referral.Channel,
    "offense": Referral.OffenseCategory,
}
# Choices a model takes from the vocabulary itself, by field.
FIELD_CODES: dict[str, Any] = {
    "amendment_denial_ground": Amendment._meta.get_field("denial_grounds"),
}


@pytest.mark.parametrize("vocabulary", sorted(SAME_CODES))
def test_a_models_choice_labels_are_the_vocabularys(vocabulary: str) -> None:
    choices: Any = SAME_CODES[vocabulary].choices
    labels = labels_of(vocabulary)
    assert {code: text for code, text in choices} == {code: labels.get(code) for code, _ in choices}


@pytest.mark.parametrize("vocabulary", sorted(FIELD_CODES))
def test_a_fields_choices_are_the_vocabularys(vocabulary: str) -> None:
    assert dict(FIELD_CODES[vocabulary].choices) == labels_of(vocabulary)
