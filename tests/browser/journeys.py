"""What the seed programs' day-in-the-life journeys share: staff, signing in, and page checks.

Each journey signs its people in as they would (password, then the code from
their authenticator app) and checks every page it visits: accessible, nothing
blocked by the Content-Security-Policy, no sideways scrolling, and labels
rather than stored codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from coresponder.core.audit import SYSTEM
from coresponder.programs.actions import create_organization, create_user
from tests.conftest import NOTE_CSP_VIOLATIONS, assert_clean, sign_in_with_code

PASSWORD = "correct-horse-battery-staple"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# A stored value or field name as users must never read it: lower-case words joined by "_".
CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 800}


def assert_fits(page: Any) -> None:
    """Nothing on the page makes the reader scroll sideways."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth, location.pathname]"
    )
    assert widths[0] <= widths[1], f"{widths[2]} is {widths[0]} px wide in a {widths[1]} px window"


def assert_usable(page: Any) -> None:
    """Accessible, nothing blocked by the Content-Security-Policy, fits, and speaks in labels."""
    assert_clean(page)
    assert_fits(page)
    assert_labels(page)


def assert_labels(page: Any) -> None:
    """The page speaks in labels: no stored code (`officer_intervention`) in what people read."""
    codes = set(CODE.findall(page.locator("main").inner_text()))
    assert not codes, f"{page.url} shows codes: {sorted(codes)}"


def organization(slug: str, name: str, kind: str, programs: tuple[str, ...] = ()) -> Any:
    return create_organization(SYSTEM, slug, name, kind, programs)


def staff(username: str, role: str, organization: str, program: str, display_name: str) -> Any:
    """A member of a program's staff whose authenticator app is set up."""
    return create_user(
        SYSTEM,
        username,
        organization=organization,
        role=role,
        password=PASSWORD,
        programs=[program],
        display_name=display_name,
        mfa_secret=SECRET,
    )


def sign_in(page: Any, live_server: Any, username: str, program: str) -> None:
    """Password, then the current code; the program's home page opens."""
    page.set_default_timeout(10_000)
    sign_in_with_code(page, live_server.url, username, PASSWORD, SECRET, f"/programs/{program}/")
    assert_usable(page)


def submit(scope: Any, button: str) -> None:
    """Press a form's button and wait for the page the server answers with."""
    page = getattr(scope, "page", scope)
    with page.expect_navigation():
        scope.get_by_role("button", name=button).click()


@contextmanager
def browser_of(browser: Any, viewport: dict[str, int], **options: Any) -> Iterator[Any]:
    """Another person's browser, phone- or desk-sized, for journeys that pass work on."""
    context = browser.new_context(viewport=viewport, is_mobile=viewport == PHONE, **options)
    context.add_init_script(NOTE_CSP_VIOLATIONS)
    try:
        yield context.new_page()
    finally:
        context.close()
