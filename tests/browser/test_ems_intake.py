"""A paramedic records an overdose on scene from a phone that knows where it is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.programs.actions import create_organization, create_user, load_programs
from tests.conftest import NOTE_CSP_VIOLATIONS, assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# A street corner in Huntington, West Virginia.
HERE = {"latitude": 38.419250, "longitude": -82.445154, "accuracy": 12}


@pytest.fixture
def paramedic() -> Any:
    load_programs(SYSTEM)
    create_organization(SYSTEM, "cabell-ems", "Cabell County EMS", "ems")
    return create_user(
        SYSTEM,
        "pat.medic",
        organization="cabell-ems",
        role="paramedic",
        password=PASSWORD,
        programs=["qrt"],
        display_name="Pat Medic",
        mfa_secret=SECRET,
    )


def phone(browser: Any, **options: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, **options)
    context.add_init_script(NOTE_CSP_VIOLATIONS)
    yield context
    context.close()


@pytest.fixture
def located_phone(browser: Any) -> Iterator[Any]:
    """A phone that lets this site read its position."""
    yield from phone(browser, geolocation=HERE, permissions=["geolocation"])


@pytest.fixture
def refusing_phone(browser: Any) -> Iterator[Any]:
    """A phone whose owner has not let this site read its position."""
    yield from phone(browser, geolocation=HERE, permissions=[])


def open_overdose_form(page: Any, base_url: str) -> None:
    sign_in_with_code(page, base_url, "pat.medic", PASSWORD, SECRET, "/programs/qrt/")
    page.goto(base_url + "/programs/qrt/referrals/new/naloxone_plus/")


def test_use_my_location_fills_latitude_and_longitude(
    live_server: Any, located_phone: Any, paramedic: Any
) -> None:
    page = located_phone.new_page()
    open_overdose_form(page, live_server.url)
    assert page.get_by_label("Reported by").input_value() == "ems"
    assert page.get_by_label("When the overdose happened").input_value() != ""
    assert_clean(page)

    page.get_by_role("button", name="Use my location").click()
    status = page.get_by_role("status").filter(has_text="filled from your location")
    status.wait_for()
    assert page.get_by_label("Latitude").input_value() == "38.419250"
    assert page.get_by_label("Longitude").input_value() == "-82.445154"
    assert_clean(page)


def test_a_refused_location_says_to_type_it(
    live_server: Any, refusing_phone: Any, paramedic: Any
) -> None:
    page = refusing_phone.new_page()
    open_overdose_form(page, live_server.url)
    page.get_by_role("button", name="Use my location").click()
    page.get_by_role("status").filter(has_text="Location is blocked").wait_for()
    assert page.get_by_label("Latitude").input_value() == ""
    assert_clean(page)
