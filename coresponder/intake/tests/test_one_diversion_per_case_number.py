"""A diversion is recorded once: the same person under the same case number is the same
diversion entered again, whichever form load or client sends it; co-defendants share a
case number and are each recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coresponder.core.audit import Actor
from coresponder.domain.vocabulary import Role
from coresponder.intake.actions import DiversionAlreadyRecorded, record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Referral
from coresponder.intake.tests.test_referral_api import FACTS, NOW, _frozen, body_for, post
from coresponder.intake.tests.test_referral_api import staff as api_staff
from coresponder.intake.tests.test_referral_forms import NOW as FORMS_NOW
from coresponder.intake.tests.test_referral_forms import (
    PERSON,
    programs,
    signed_in,
    staff,
    submit,
)
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db
__all__ = ["programs"]

CASE = "26-22-999001"


JO = {"given_name": "Jo", "family_name": "Marsh", "birth_date": dt.date(1991, 3, 2)}


def diversion(**changes: Any) -> ReferralInput:
    body = body_for("pad", "officer_intervention", **FACTS["officer_intervention"])
    received = FORMS_NOW  # the clock the `programs` fixture stops
    return ReferralInput.from_dict(
        {**body, "received_at": received, "person": JO, "case_number": CASE, **changes}
    )


def test_the_same_person_under_the_same_case_number_is_refused_naming_the_first(
    programs: dict[str, Program],
) -> None:
    pad = programs["pad"]
    actor = Actor(user=staff(pad, Role.OFFICER), where="test")
    first = record_referral(actor, pad, diversion(), channel="api").referral
    for again in (
        diversion(),
        diversion(case_number=f"  {CASE.lower()} "),
        diversion(person={"id": first.person_id}),
    ):
        with pytest.raises(DiversionAlreadyRecorded) as refused:
            record_referral(actor, pad, again, channel="api")
        assert refused.value.referral == first
        (message,) = refused.value.errors["case_number"]
        assert f"referral {first.pk}" in message
    assert Referral.objects.count() == 1 and OutreachTask.objects.count() == 1
    assert Person.objects.count() == 1


def test_co_defendants_under_one_case_number_are_each_recorded(
    programs: dict[str, Program],
) -> None:
    pad = programs["pad"]
    actor = Actor(user=staff(pad, Role.OFFICER), where="test")
    record_referral(actor, pad, diversion(), channel="api")
    other = {"given_name": "Sam", "family_name": "Reyes", "birth_date": dt.date(1990, 5, 6)}
    record_referral(actor, pad, diversion(person=other), channel="api")
    assert Referral.objects.filter(case_number=CASE).count() == 2
    # And the same person under another case is another diversion.
    record_referral(actor, pad, diversion(case_number="26-22-999002"), channel="api")
    assert Referral.objects.count() == 3


def test_the_api_answers_a_diversion_recorded_already_with_409_naming_it(
    programs: dict[str, Program], api_client_for: Any
) -> None:
    client = api_client_for(api_staff(programs["pad"]))
    body = {
        **body_for("pad", "officer_intervention", **FACTS["officer_intervention"]),
        "case_number": CASE,
    }
    with _frozen(NOW):
        created = post(client, body)
        again = post(client, body)
    assert created.status_code == 201, created.content
    assert again.status_code == 409, again.content
    answer = again.json()
    assert answer["referral_id"] == created.json()["id"]
    assert list(answer["errors"]) == ["case_number"]
    assert "recorded already" in answer["detail"]
    assert Referral.objects.count() == 1


def test_the_form_loaded_again_refuses_the_same_diversion_and_links_the_first(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pad"], Role.OFFICER))
    typed = {"district": "22", "offense_category": "retail_theft", "case_number": CASE}
    first = submit(client, "pad", "officer_intervention", **typed)
    assert first.status_code == 302
    saved = Referral.objects.get()
    # Another load of the form (a new form token), the same person and case number.
    again = submit(client, "pad", "officer_intervention", **typed)
    assert again.status_code == 422
    html = again.content.decode()
    assert f'href="/programs/pad/referrals/{saved.pk}/"' in html
    assert "recorded already" in html
    assert f'value="{CASE}"' in html and f'value="{PERSON["family_name"]}"' in html
    assert Referral.objects.count() == 1


def test_the_same_names_under_the_same_case_number_without_a_birth_date_are_refused(
    programs: dict[str, Program],
) -> None:
    # Typed again at the station without the birth date the first entry had: no exact
    # match finds the person, but the case number and the names are that diversion's.
    pad = programs["pad"]
    actor = Actor(user=staff(pad, Role.OFFICER), where="test")
    first = record_referral(actor, pad, diversion(), channel="api").referral
    for names in (
        {"given_name": "Jo", "family_name": "Marsh"},
        {"given_name": " JO ", "family_name": "marsh"},
    ):
        with pytest.raises(DiversionAlreadyRecorded) as refused:
            record_referral(actor, pad, diversion(person=names), channel="api")
        assert refused.value.referral == first
    assert Referral.objects.count() == 1 and Person.objects.count() == 1


def test_another_name_without_a_birth_date_under_the_case_number_is_a_co_defendant(
    programs: dict[str, Program],
) -> None:
    pad = programs["pad"]
    actor = Actor(user=staff(pad, Role.OFFICER), where="test")
    record_referral(actor, pad, diversion(), channel="api")
    other = {"given_name": "Sam", "family_name": "Marsh"}
    record_referral(actor, pad, diversion(person=other), channel="api")
    assert Referral.objects.filter(case_number=CASE).count() == 2
