"""The API docs (Swagger UI) work under the Content-Security-Policy, from this site alone."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import csp_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_the_operations_with_nothing_blocked(
    live_server: Any, phone_page: Any
) -> None:
    page = phone_page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(live_server.url + "/api/v1/docs")

    page.locator(".opblock").first.wait_for()
    expect(page.get_by_text("/api/v1/programs", exact=True).first).to_be_visible()
    assert csp_violations(page) == []
    assert all(url.startswith(live_server.url) for url in requested), requested
