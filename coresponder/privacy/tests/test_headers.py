"""Every page and API answer carries the security headers; private ones are never cached."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from coresponder.conftest import sign_in
from coresponder.programs.models import Program, User


def csp_directives(response: object) -> dict[str, str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    parts = [part.strip().split(" ", 1) for part in header.split(";")]
    return {name: value for name, value in parts}


def assert_security_headers(response: object) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert response["Referrer-Policy"] == "same-origin"  # type: ignore[index]
    assert response["X-Frame-Options"] == "DENY"  # type: ignore[index]
    assert "unsafe-inline" not in response["Content-Security-Policy"]  # type: ignore[index]
    assert "unsafe-eval" not in response["Content-Security-Policy"]  # type: ignore[index]


def test_the_sign_in_page_carries_the_security_headers(db: None, client: Client) -> None:
    response = client.get(reverse("login"))

    assert_security_headers(response)
    assert csp_directives(response) == {
        "default-src": "'self'",
        "img-src": "'self' data:",
        "style-src": "'self'",
        "script-src": "'self'",
        "object-src": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "base-uri": "'self'",
    }
    assert "no-store" in response["Cache-Control"]


def test_a_signed_in_page_is_never_cached(officer: User, pad: Program, client: Client) -> None:
    sign_in(client, officer)

    response = client.get("/programs/pad/")

    assert response.status_code == 200
    assert_security_headers(response)
    assert "no-store" in response["Cache-Control"]


def test_an_api_answer_carries_the_headers_and_is_never_cached(
    officer: User, api_client_for: Callable[[User], Client]
) -> None:
    response = api_client_for(officer).get("/api/v1/programs")

    assert response.status_code == 200
    assert_security_headers(response)
    assert "no-store" in response["Cache-Control"]


def test_even_a_refused_api_call_is_never_cached(db: None, client: Client) -> None:
    response = client.get("/api/v1/programs")

    assert response.status_code == 401
    assert_security_headers(response)
    assert "no-store" in response["Cache-Control"]


def test_the_public_health_check_may_be_cached_but_not_framed(db: None, client: Client) -> None:
    response = client.get("/healthz")

    assert_security_headers(response)
    assert "Cache-Control" not in response


def test_no_hsts_is_sent_outside_production(db: None, client: Client) -> None:
    assert "Strict-Transport-Security" not in client.get(reverse("login"), secure=True)


INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/programs/pad/", "/", "/accounts/login/"])
def test_pages_have_no_inline_script_or_style_for_the_policy_to_block(
    path: str, coordinator: User, officer: User, client: Client
) -> None:
    """The coordinator is in two programs, so the program switcher is on the page."""
    from coresponder.programs.tests.factories import MembershipFactory

    MembershipFactory.create(user=coordinator, program=Program.objects.get(slug="pco"))
    if path != "/accounts/login/":
        sign_in(client, coordinator)

    page = client.get(path, follow=True).content.decode()

    assert not INLINE_HANDLER.search(page)
    assert not INLINE_SCRIPT.search(page)
    assert not INLINE_STYLE.search(page)
    if path != "/accounts/login/":
        assert 'id="program-switcher"' in page
        assert '<script src="/static/coresponder.js"></script>' in page


def test_the_api_docs_use_the_swagger_ui_served_from_here(db: None, client: Client) -> None:
    response = client.get("/api/v1/docs")

    page = response.content.decode()
    assert response.status_code == 200
    assert_security_headers(response)
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    # Its one script without src is data, never run: the policy has nothing to block.
    assert [m.group() for m in INLINE_SCRIPT.finditer(page)] == [
        '<script type="application/json" id="swagger-settings">'
    ]
    assert '"validatorUrl": null' in page
