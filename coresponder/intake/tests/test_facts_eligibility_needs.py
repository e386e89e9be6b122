"""A fact the program's eligibility rules read is asked for, never taken as a "no".

PAD diverts only in the districts it serves: a diversion whose district nobody gave
cannot be decided, so it is refused with the district named, not recorded as
ineligible for a district nobody said.
"""

from __future__ import annotations

from typing import Any

import pytest

from coresponder.domain.eligibility import needed_facts
from coresponder.domain.vocabulary import Pathway, Role
from coresponder.intake.forms import ReferralForm
from coresponder.intake.models import Referral
from coresponder.intake.tests.test_referral_api import FACTS, NOW, _frozen, body_for, post
from coresponder.intake.tests.test_referral_api import staff as api_staff
from coresponder.intake.tests.test_referral_forms import programs, signed_in, staff, submit
from coresponder.people.models import Person
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db
__all__ = ["programs"]

NEEDED = "needed to decide eligibility"


def test_pad_diversions_read_the_district(programs: dict[str, Program]) -> None:
    rules = programs["pad"].rules.eligibility
    assert "district" in needed_facts(Pathway.OFFICER_INTERVENTION, rules)
    assert needed_facts(Pathway.ACTIVE_OUTREACH, rules) == ()


def test_the_api_refuses_a_diversion_without_the_district_its_rules_read(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(api_staff(programs["pad"]))
    facts = {k: v for k, v in FACTS["officer_intervention"].items() if k != "district"}
    with _frozen(NOW):
        response = post(client, body_for("pad", "officer_intervention", **facts))
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert list(errors) == ["district"], errors
    assert NEEDED in errors["district"][0]
    assert "operates only" not in str(errors)
    assert not Referral.objects.exists() and not Person.objects.exists()


def test_the_form_asks_for_the_district_a_diversion_needs(programs: dict[str, Program]) -> None:
    pad = programs["pad"]
    form = ReferralForm(pad, Pathway.OFFICER_INTERVENTION)
    assert form.fields["district"].required
    # Pathways whose rules do not read it leave it optional.
    assert not ReferralForm(pad, Pathway.ACTIVE_OUTREACH).fields["district"].required
    client = signed_in(staff(pad, Role.OFFICER))
    html = client.get("/programs/pad/referrals/new/officer_intervention/").content.decode()
    label = html[html.index('for="id_district"') :]
    assert "(optional)" not in label[: label.index("</label>")]


def test_a_diversion_saved_without_the_district_comes_back_as_typed_with_the_reason(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pad"], Role.OFFICER))
    response = submit(
        client,
        "pad",
        "officer_intervention",
        offense_category="retail_theft",
        district="",
        case_number="CP-51-CR-0001234-2026",
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert NEEDED in html
    assert "operates only in police districts" not in html
    assert 'value="Marsh"' in html
    assert not Referral.objects.exists()
