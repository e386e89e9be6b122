"""The case or docket number a diversion in lieu of arrest is recorded with."""

from __future__ import annotations

from typing import Any

import pytest

from coresponder.conftest import typed_local
from coresponder.domain.vocabulary import Pathway, Role
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
from coresponder.intake.tests.test_referral_forms import signed_in, submit
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


# --- Required on a diversion, and read back where the offense is -----------------------

CASE = "CP-51-CR-0004417-2026"


def test_the_api_refuses_a_diversion_without_its_case_number(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    facts = {k: v for k, v in FACTS["officer_intervention"].items() if k != "case_number"}
    body = body_for("pad", "officer_intervention", **facts)
    for missing in ({}, {"case_number": "   "}):
        with _frozen(NOW):
            response = post(client, {**body, **missing})
        assert response.status_code == 422, response.content
        (message,) = response.json()["errors"]["case_number"]
        assert "required" in message
    assert not Referral.objects.exists()


def test_the_diversion_form_requires_the_case_number_and_keeps_what_was_typed(
    programs: dict[str, Program],
) -> None:
    pad = programs["pad"]
    assert ReferralForm(pad, Pathway.OFFICER_INTERVENTION).fields["case_number"].required
    client = signed_in(staff(pad, Role.OFFICER, "pad-officer-form"))
    response = submit(
        client, "pad", "officer_intervention", district="22", offense_category="retail_theft"
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Give the case or docket number" in html
    assert 'value="Marsh"' in html and 'value="22" selected' in html
    assert not Referral.objects.exists()


def _diverted(programs: dict[str, Program], api_client_for: Any) -> tuple[Any, Referral]:
    officer = staff(programs["pad"])
    client = api_client_for(officer)
    body = body_for("pad", "officer_intervention", **FACTS["officer_intervention"])
    with _frozen(NOW):
        response = post(client, {**body, "case_number": CASE})
    assert response.status_code == 201, response.content
    return officer, Referral.objects.get(pk=response.json()["id"])


def test_the_officer_reads_the_case_number_back_where_the_offense_is(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    officer, referral = _diverted(programs, api_client_for)
    person = referral.person_id
    client = signed_in(officer)
    saved = client.get(f"/programs/pad/referrals/{referral.pk}/").content.decode()
    assert CASE in saved and "Retail theft" in saved
    assert CASE in client.get(f"/people/{person}/").content.decode()
    assert CASE in client.get(f"/people/{person}/timeline/").content.decode()
    api = api_client_for(officer)
    (row,) = api.get(f"/api/v1/persons/{person}").json()["referrals"]
    assert row["case_number"] == CASE and row["offense"]["category"] == "retail_theft"
    (entry,) = [
        e
        for e in api.get(f"/api/v1/persons/{person}/timeline").json()["items"]
        if e["kind"] == "referral"
    ]
    assert entry["detail"]["case_number"] == CASE


def test_a_role_that_reads_no_offense_detail_reads_no_case_number(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    _officer, referral = _diverted(programs, api_client_for)
    clinician = staff(programs["pad"], Role.CLINICIAN)
    client = signed_in(clinician)
    for page in (
        f"/programs/pad/referrals/{referral.pk}/",
        f"/people/{referral.person_id}/",
        f"/people/{referral.person_id}/timeline/",
    ):
        html = client.get(page).content.decode()
        assert CASE not in html and "Retail theft" not in html, page
    record = api_client_for(clinician).get(f"/api/v1/persons/{referral.person_id}").json()
    assert all("case_number" not in row for row in record["referrals"])
