"""A part of a page asked for after the sign-in ended is told so, not sent the sign-in page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.conftest import member_of
from coresponder.domain.vocabulary import Role
from coresponder.programs.models import Program
from coresponder.programs.signin import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

SUGGEST = "/people/matches/suggest/?program=pco&given_name=Kevin&family_name=OBrien"
PART = {"HX-Request": "true"}


def test_a_part_asked_for_without_a_sign_in_is_answered_401() -> None:
    answer = Client().get(SUGGEST, headers=PART)
    assert answer.status_code == 401
    assert "Location" not in answer


def test_a_page_asked_for_without_a_sign_in_still_goes_to_the_sign_in_page() -> None:
    answer = Client().get(SUGGEST)
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/?next=")


def test_a_part_asked_for_after_twelve_hours_signed_in_is_answered_401(pco: Program) -> None:
    client = Client()
    client.force_login(member_of(pco, Role.RECOVERY_COACH, "rory.coach"))
    session = client.session
    session[SIGNED_IN_AT] = (timezone.now() - dt.timedelta(hours=13)).timestamp()
    session.save()
    assert client.get(SUGGEST, headers=PART).status_code == 401
    # The sign-in is over for the whole page too.
    assert client.get("/programs/pco/").status_code == 302
