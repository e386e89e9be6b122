"""HEAD answers like GET, without a body, wherever no sign-in is needed (RFC 9110 §9.3.2)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from coresponder.core.audit import SYSTEM
from coresponder.programs.actions import team_calendar_secret
from coresponder.programs.models import Program
from coresponder.programs.tests.factories import TeamFactory

PUBLIC_PAGES = [
    "/healthz",
    "/help",
    "/help/pad",
    "/help/thanks",
    "/public/pad/dashboard/",
    "/accounts/login/",
    "/accounts/mfa/",
    "/accounts/mfa/enrol/",
]


def assert_head_is_get_without_body(client: Client, url: str) -> None:
    got = client.get(url)
    head = client.head(url)
    assert head.status_code == got.status_code != 405, url
    assert head.get("Content-Type") == got.get("Content-Type"), url
    assert head.get("Location") == got.get("Location"), url
    assert head.content == b"", url


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_public_page_answers_head_like_get(
    client: Client, programs: dict[str, Program], url: str
) -> None:
    assert_head_is_get_without_body(client, url)


def test_the_health_check_answers_head_with_200(client: Client, db: None) -> None:
    response = client.head("/healthz")
    assert (response.status_code, response.content) == (200, b"")


def test_a_calendar_feed_answers_head_like_get(client: Client, pad: Program) -> None:
    secret = team_calendar_secret(SYSTEM, TeamFactory.create(program=pad))
    assert_head_is_get_without_body(client, reverse("calendar-team", args=[secret]))


def test_a_public_page_still_refuses_methods_it_does_not_take(
    client: Client, programs: dict[str, Program]
) -> None:
    assert client.put("/help").status_code == 405
    assert client.delete("/healthz").status_code == 405
