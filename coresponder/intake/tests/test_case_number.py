"""The case or docket number a diversion in lieu of arrest is recorded with."""

from __future__ import annotations

from typing import Any

import pytest

from coresponder.conftest import typed_local
from coresponder.domain.vocabulary import Pathway
from coresponder.intake.forms import ReferralForm
from coresponder.intake.models import Referral
from coresponder.intake.tests.test_referral_api import (
    FACTS,
    NOW,
    _frozen,
    body_for,
    post,
    programs,
    staff,
)
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db
__all__ = ["programs"]


def test_the_api_stores_a_diversions_case_number_stripped(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    body = body_for("pad", "officer_intervention", **FACTS["officer_intervention"])
    with _frozen(NOW):
        response = post(client, {**body, "case_number": "  CP-51-CR-0001234-2026 "})
    assert response.status_code == 201, response.content
    assert Referral.objects.get().case_number == "CP-51-CR-0001234-2026"


def test_the_api_refuses_a_case_number_on_any_other_pathway(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    body = body_for("pad", "officer_prevention", **FACTS["officer_prevention"])
    with _frozen(NOW):
        response = post(client, {**body, "case_number": "CP-51-CR-0001234-2026"})
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert "case_number" in errors and "case_number" in errors["case_number"][0]
    assert not Referral.objects.exists()


def test_the_api_refuses_a_case_number_longer_than_64_characters(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    body = body_for("pad", "officer_intervention", **FACTS["officer_intervention"])
    with _frozen(NOW):
        response = post(client, {**body, "case_number": "X" * 65})
    assert response.status_code == 422
    assert not Referral.objects.exists()


def test_the_schema_says_what_the_case_number_is(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    text = str(schema["components"]["schemas"]["ReferralIn"]["properties"]["case_number"])
    assert "the prosecutor's case or docket number, for officer_intervention" in text


def test_only_the_officer_intervention_form_asks_for_a_case_number(
    programs: dict[str, Program],
) -> None:
    pad = programs["pad"]
    form = ReferralForm(
        pad,
        Pathway.OFFICER_INTERVENTION,
        data={
            "received_at": typed_local(pad),
            "given_name": "Jo",
            "family_name": "Marsh",
            "district": "22",
            "offense_category": "retail_theft",
            "case_number": " CR-77 ",
        },
    )
    assert form.is_valid(), form.errors
    assert form.referral().case_number == "CR-77"
    assert "case_number" not in ReferralForm(pad, Pathway.OFFICER_PREVENTION).fields
