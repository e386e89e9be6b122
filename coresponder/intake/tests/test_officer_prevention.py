"""An officer's prevention referral: someone met with no charge, so no offense to weigh."""

from __future__ import annotations

from typing import Any

import pytest

from coresponder.domain.vocabulary import Pathway, Role
from coresponder.intake.forms import ReferralForm
from coresponder.intake.models import Referral
from coresponder.intake.tests.test_referral_api import (
    NOW,
    _frozen,
    body_for,
    post,
    programs,
    staff,
)
from coresponder.intake.tests.test_referral_forms import follow, signed_in, submit
from coresponder.outreach.models import OutreachTask
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

__all__ = ["programs"]


def test_the_api_takes_a_prevention_referral_without_an_offense(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    with _frozen(NOW):
        response = post(client, body_for("pad", "officer_prevention", district="22"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["eligible"] is True, body["reasons"]
    assert body["outreach_task"] is not None
    referral = Referral.objects.get()
    assert referral.offense_category == ""


def test_an_offense_given_on_prevention_is_kept_but_not_weighed_as_a_diversion(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    offense = {"category": "robbery", "violent": True, "weapon": False}
    with _frozen(NOW):
        response = post(
            client, body_for("pad", "officer_prevention", district="22", offense=offense)
        )
    assert response.status_code == 201, response.content
    assert response.json()["eligible"] is True, response.json()["reasons"]
    assert Referral.objects.get().offense_category == "robbery"


def test_prevention_still_holds_to_the_districts_pad_serves(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    with _frozen(NOW):
        response = post(client, body_for("pad", "officer_prevention", district="25"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["eligible"] is False
    assert any("districts" in reason for reason in body["reasons"]), body["reasons"]
    assert body["outreach_task"] is None


def test_a_diversion_still_needs_its_offense(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(staff(programs["pad"]))
    with _frozen(NOW):
        response = post(
            client,
            body_for(
                "pad", "officer_intervention", district="22", case_number="CP-51-CR-0001234-2026"
            ),
        )
    assert response.status_code == 422
    assert "offense" in response.json()["errors"]
    assert not Referral.objects.exists()


def test_the_prevention_form_asks_no_offense(programs: dict[str, Program]) -> None:
    fields = ReferralForm(programs["pad"], Pathway.OFFICER_PREVENTION).fields
    assert not any(name.startswith("offense") for name in fields)
    assert "district" in fields


def test_an_officer_refers_someone_met_with_no_charge_through_the_form(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pad"], Role.OFFICER))
    html = follow(client, submit(client, "pad", "officer_prevention", district="22"))
    referral = Referral.objects.get()
    assert referral.pathway == "officer_prevention" and referral.eligible
    assert OutreachTask.objects.filter(referral=referral).exists()
    assert '<h2 id="eligibility-heading">Eligible</h2>' in html
