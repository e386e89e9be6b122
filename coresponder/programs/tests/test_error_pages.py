"""Not found, not allowed, a failure, an expired form: what happened and the way back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from coresponder.conftest import sign_in
from coresponder.privacy.headers import CONTENT_SECURITY_POLICY
from coresponder.programs.tests.factories import UserFactory

pytestmark = [
    pytest.mark.urls("coresponder.programs.tests.error_urls"),
    pytest.mark.usefixtures("debug_off"),
]

SITE_HEADER = 'title="Coresponder home">Coresponder</a>'


@pytest.fixture
def debug_off() -> Iterator[None]:
    with override_settings(DEBUG=False):
        yield


def test_an_unknown_page_says_so_in_the_site_layout_and_links_a_visitor_to_help(
    db: None, client: Client
) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert SITE_HEADER in page
    assert "<h1>Page not found</h1>" in page
    assert "There is no page at this address" in page
    assert f'href="{reverse("help")}"' in page
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_an_unknown_page_links_a_signed_in_user_to_their_home(db: None, client: Client) -> None:
    sign_in(client, UserFactory.create())

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert f'href="{reverse("home")}">Go to your program home</a>' in page
    assert "Sign out" in page


def test_a_refused_action_gets_the_styled_page_without_the_internal_reason(
    db: None, client: Client
) -> None:
    response = client.get("/test-only/refused")

    assert response.status_code == 403
    page = response.content.decode()
    assert SITE_HEADER in page
    assert "Your role does not allow this page or action" in page
    assert "role lacks the permission" not in page
    assert f'href="{reverse("help")}"' in page


def test_an_action_s_refusal_and_the_gate_s_are_answered_once_by_the_middleware(
    db: None, client: Client
) -> None:
    refused = client.get("/test-only/forbidden")
    assert refused.status_code == 403
    assert "Your role does not allow this page or action" in refused.content.decode()
    assert "role lacks the action" not in refused.content.decode()
    hidden = client.get("/test-only/hidden")
    assert hidden.status_code == 404
    assert "<h1>Page not found</h1>" in hidden.content.decode()
    assert "not the reader" not in hidden.content.decode()


def test_a_failure_gets_a_page_that_needs_no_request_context(db: None) -> None:
    client = Client(raise_request_exception=False)

    response = client.get("/test-only/failed")

    assert response.status_code == 500
    page = response.content.decode()
    assert SITE_HEADER in page
    assert "Coresponder hit an error and could not finish" in page
    assert f'href="{reverse("home")}"' in page
    assert f'href="{reverse("help")}"' in page
    assert "something broke" not in page
    assert "<script" not in page and "style=" not in page


def test_a_form_posted_without_its_token_says_it_expired_and_nothing_was_saved(
    db: None,
) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "someone", "password": "secret"})

    assert response.status_code == 403
    page = response.content.decode()
    assert SITE_HEADER in page
    assert "This form expired" in page
    assert "Nothing was saved" in page
    assert "Go back, reload the page and submit it again" in page
    assert f'href="{reverse("help")}"' in page
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_api_still_answers_an_unknown_path_in_json(db: None, client: Client) -> None:
    response = client.get("/api/v1/unknown")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}


def test_a_failure_under_the_api_still_answers_json(db: None) -> None:
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/test-only/failed")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal error"}
