"""Fixtures for real-browser tests: Debian's Chromium driven by Playwright, axe-core for a11y."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"

# Playwright's sync API runs an event loop in this thread; the test's own ORM
# calls are still synchronous, so Django's async guard must stand aside here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class _OneAtATimeServer(ThreadedWSGIServer):
    """A threaded server that runs one request at a time, start to close.

    The test database on SQLite lives in memory: requests either share the test's one
    connection or open their own to a shared cache that locks whole tables without
    waiting, so two at once (a page and the icon the browser asks for beside it) fail
    with "table is locked" or a transaction begun inside another. PostgreSQL keeps the
    threaded server as it is.
    """

    def set_app(self, application: Any) -> None:
        lock = threading.Lock()

        def one_at_a_time(environ: Any, start_response: Any) -> list[bytes]:
            with lock:
                result = application(environ, start_response)
                try:
                    return list(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()

        super().set_app(one_at_a_time)


class _LiveServerThread(LiveServerThread):
    def _create_server(self, connections_override: Any = None) -> Any:
        if connection.vendor != "sqlite":
            return super()._create_server(connections_override)
        return _OneAtATimeServer(
            (self.host, self.port),
            QuietWSGIRequestHandler,
            allow_reuse_address=False,
            connections_override=connections_override,
        )


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, serving one request at a time on in-memory SQLite."""
    addr = request.config.getvalue("liveserver") or os.getenv(
        "DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"
    )
    server = LiveServer(addr, start=False)
    plain = server.thread
    server.thread = _LiveServerThread(
        plain.host,
        static_handler=plain.static_handler,
        connections_override=plain.connections_override,
        port=plain.port,
    )
    server.thread.daemon = True
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make browser-deps`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-gpu",
            ],
        )
        yield chromium
        chromium.close()


# Each page notes what its Content-Security-Policy blocked, for `csp_violations`.
# Init scripts run through the DevTools protocol, which the policy does not govern.
NOTE_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    """A page the size of a small phone (375 × 667)."""
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True)
    context.add_init_script(NOTE_CSP_VIOLATIONS)
    page = context.new_page()
    yield page
    _close_when_quiet(context)


@pytest.fixture
def desktop_page(browser: Any) -> Iterator[Any]:
    """A page the size of an office screen (1280 × 800)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(NOTE_CSP_VIOLATIONS)
    page = context.new_page()
    yield page
    _close_when_quiet(context)


def _close_when_quiet(context: Any) -> None:
    """Close the pages once the requests they started have been answered: a request the
    server is still working on when the test's database is emptied holds a lock on it."""
    from playwright.sync_api import TimeoutError as NotQuiet

    for page in context.pages:
        with contextlib.suppress(NotQuiet):  # a page that never settles is closed regardless
            page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()


def csp_violations(page: Any) -> list[str]:
    """What the Content-Security-Policy blocked on the current page."""
    found: list[str] = page.evaluate("() => window.__cspViolations || []")
    return found


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the current page."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make static`")
    # Our CSP refuses inline <script> (so add_script_tag would fail); code evaluated
    # through the DevTools protocol is not subject to it.
    page.evaluate("() => {" + AXE.read_text(encoding="utf-8") + "\n}")
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', "
        "values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


def assert_clean(page: Any) -> None:
    """Accessible (WCAG 2.1 AA) and nothing blocked by the Content-Security-Policy."""
    assert axe_violations(page) == []
    assert csp_violations(page) == []


def sign_in_with_code(
    page: Any, base_url: str, username: str, password: str, secret: str, lands_on: str
) -> None:
    """Both factors in the browser, as a person signs in: password, then the current code."""
    from django.utils import timezone

    from coresponder.domain.totp import totp

    page.goto(base_url + "/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/accounts/mfa/")
    page.get_by_label("Six-digit code").fill(totp(secret, timezone.now()))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(base_url + lands_on)


def _press_again_while_attaching(page: Any, press: str) -> None:
    """`page.<press>()` as a person presses it once the page has loaded.

    Chromium can answer a history or reload request with "Not attached to an active
    page" while it is still swapping in the page it just committed; the button is then
    pressed again once the page is attached, as a person whose tap did nothing would.
    """
    from playwright.sync_api import Error

    page.wait_for_load_state()
    for attempt in range(5):
        try:
            getattr(page, press)()
            return
        except Error as error:
            if "Not attached to an active page" not in str(error) or attempt == 4:
                raise
            page.wait_for_timeout(250)
            page.wait_for_load_state()


def go_back(page: Any) -> None:
    """The browser's Back, once the page has loaded."""
    _press_again_while_attaching(page, "go_back")


def reload(page: Any) -> None:
    """The browser's Reload, once the page has loaded."""
    _press_again_while_attaching(page, "reload")
