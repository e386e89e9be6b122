"""Referral forms and the public help page sent twice with one token save once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from coresponder.conftest import Clock
from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Referral
from coresponder.intake.public_forms import TEXT
from coresponder.intake.public_views import REQUESTS_PER_HOUR
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.form_tokens import FIELD, new_token
from coresponder.programs.models import Program
from coresponder.programs.tests.saving_once import assert_second_shows_first, post_twice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def programs() -> Iterator[None]:
    cache.clear()
    load_programs(SYSTEM)
    yield
    cache.clear()


def officer() -> Any:
    world = World(
        program=Program.objects.get(slug="pad"),
        person=None,  # type: ignore[arg-type]
        provider_org=None,  # type: ignore[arg-type]
        service_referral=None,  # type: ignore[arg-type]
    )
    return reader(world, Role.OFFICER)


def test_a_staff_referral_sent_twice_is_saved_once() -> None:
    client = Client()
    client.force_login(officer())
    zone = ZoneInfo(Program.objects.get(slug="pad").timezone)
    received = timezone.localtime(timezone.now(), zone)
    first, second = post_twice(
        client,
        "/programs/pad/referrals/new/officer_intervention/",
        {
            "received_at": received.strftime("%Y-%m-%dT%H:%M"),
            "given_name": "Jo",
            "family_name": "Marsh",
            "birth_date": "1991-03-02",
            "sex": "female",
            "district": "22",
            "offense_category": "retail_theft",
            "case_number": "CP-51-CR-0001234-2026",
        },
    )
    assert_second_shows_first(first, second)
    referral = Referral.objects.get()
    assert first["Location"] == f"/programs/pad/referrals/{referral.pk}/"


def help_request() -> dict[str, Any]:
    return {
        "program": "pco",
        "who": "me",
        "given_name": "María",
        "family_name": "Ortega",
        "phone": "(508) 555-0142",
        "help": ["treatment"],
        "contact_preference": "text",
        "consent": "on",
        "website": "",
    }


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_help_request_sent_twice_is_sent_once_and_says_so_in_its_language(lang: str) -> None:
    client = Client()
    form = client.get(f"/help?lang={lang}")
    assert f'name="{FIELD}"' in form.content.decode()
    first, second = post_twice(client, f"/help?lang={lang}", help_request())
    assert_second_shows_first(first, second, TEXT[lang]["already_sent"])
    assert Referral.objects.count() == 1


def test_sending_the_same_help_request_again_does_not_count_toward_the_hourly_limit() -> None:
    client = Client()
    client.get("/help")
    sent = {**help_request(), FIELD: new_token()}
    for _ in range(REQUESTS_PER_HOUR + 2):
        assert client.post("/help", sent).status_code == 302
    assert Referral.objects.count() == 1
    another = {**help_request(), "given_name": "Lucía", FIELD: new_token()}
    assert client.post("/help", another).status_code == 302
    assert Referral.objects.count() == 2


def test_a_help_request_token_from_another_visitor_sends_nothing_and_tells_nothing() -> None:
    # The thank-you page says nothing of the request, so it is the answer whoever sends the
    # token: the request is not sent twice, and nothing of the first one is shown.
    token = new_token()
    first = Client()
    first.get("/help")
    assert first.post("/help", {**help_request(), FIELD: token}).status_code == 302
    other = Client()
    other.get("/help")
    answered = other.post("/help", {**help_request(), "given_name": "Ana", FIELD: token})
    assert (answered.status_code, answered["Location"]) == (302, "/help/thanks")
    html = other.get(answered["Location"]).content.decode()
    assert TEXT["en"]["thanks_title"] in html
    assert token not in html and "María" not in html and "Ana" not in html
    assert Referral.objects.count() == 1


def test_a_help_request_sent_again_after_the_session_ended_is_not_sent_twice(
    clock: Clock, settings: Any
) -> None:
    # Back to the form after the visitor's session ended (its key for the form is gone), and
    # send again: the thank-you page, in the page's language, and still one request; sending
    # once more does not make a second one either.
    client = Client()
    client.get("/help?lang=es")
    sent = {**help_request(), FIELD: new_token()}
    assert client.post("/help?lang=es", sent).status_code == 302
    clock.advance(seconds=settings.SESSION_COOKIE_AGE + 60)

    again = client.post("/help?lang=es", sent, follow=True)

    html = again.content.decode()
    assert again.redirect_chain == [("/help/thanks?lang=es", 302)]
    assert TEXT["es"]["thanks_title"] in html
    assert TEXT["es"]["already_sent"] in html
    assert TEXT["es"]["err_not_sent"] not in html
    assert client.post("/help?lang=es", sent).status_code == 302
    assert Referral.objects.count() == 1


def test_a_help_request_sent_again_a_quarter_of_an_hour_later_still_says_it_was_sent(
    clock: Clock,
) -> None:
    # Back to the form, and "send" again in doubt, after the thank-you page has stopped
    # saying "sent" to a device that only opens it.
    client = Client()
    client.get("/help?lang=es")
    sent = {**help_request(), FIELD: new_token()}
    assert client.post("/help?lang=es", sent).status_code == 302
    clock.advance(minutes=15)

    again = client.post("/help?lang=es", sent, follow=True)

    html = again.content.decode()
    assert TEXT["es"]["thanks_title"] in html
    assert TEXT["es"]["already_sent"] in html
    assert TEXT["es"]["nothing_sent_title"] not in html
    assert Referral.objects.count() == 1
