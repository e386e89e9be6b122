"""A coordinator imports a hospital's overdose list and sees which rows join overdoses known."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from coresponder.core.audit import SYSTEM, Actor
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Overdose
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.models import Program
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 18:05 in Plymouth (EDT); long past, so no clock matters.
POLICE_AT = dt.datetime(2026, 3, 14, 22, 5, tzinfo=dt.UTC)
FILE = (
    "Incident Date/Time,Fatal,Agency,Lat,Long,First Name,Last Name,DOB,Home Address\r\n"
    "2026-03-14T22:30:00+00:00,no,Hospital,41.958400,-70.667300,Bridget,OBrien,04/07/1990,"
    "12 Elm St\r\n"
    "2026-03-15T03:00:00+00:00,no,EMS,41.961000,-70.661000,Ana,Silva,02/11/1988,4 Oak Rd\r\n"
    "2026-03-15T03:20:00+00:00,no,Police,41.961000,-70.661000,Ana,Sílva,02/11/1988,4 Oak Rd\r\n"
)


@pytest.fixture
def coordinator(settings: Any, tmp_path: Path) -> Any:
    """PCO's coordinator; the police reported Bridget O'Brien's overdose that evening."""
    settings.VAR_DIR = tmp_path
    load_programs(SYSTEM)
    create_organization(SYSTEM, "plymouth-police", "Plymouth Police Department", "police")
    user = create_user(
        SYSTEM,
        "casey.coord",
        organization="plymouth-police",
        role="coordinator",
        password=PASSWORD,
        programs=["pco"],
        display_name="Casey Coordinator",
        mfa_secret=SECRET,
    )
    record_referral(
        Actor(user=user, where="test"),
        Program.objects.get(slug="pco"),
        ReferralInput.from_dict(
            {
                "pathway": "naloxone_plus",
                "received_at": POLICE_AT + dt.timedelta(minutes=10),
                "person": {
                    "given_name": "Bridget",
                    "family_name": "O'Brien",
                    "birth_date": dt.date(1990, 4, 7),
                    "address": "12 Elm St",
                },
                "overdose": {
                    "occurred_at": POLICE_AT,
                    "fatal": False,
                    "source": "police",
                    "latitude": 41.9585,
                    "longitude": -70.6673,
                    "place": "Elm Street park",
                },
            }
        ),
        channel="api",
    )
    return user


def test_the_import_preview_shows_each_join_and_its_evidence_at_1280_px(
    live_server: Any, desktop_page: Any, coordinator: Any, tmp_path: Path
) -> None:
    page = desktop_page
    sign_in_with_code(page, live_server.url, "casey.coord", PASSWORD, SECRET, "/programs/pco/")
    page.goto(live_server.url + "/intake/import/pco/")
    upload = tmp_path / "hospital.csv"
    upload.write_bytes(FILE.encode())
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and match columns").click()
    page.wait_for_url(live_server.url + "/intake/import/pco/map/")
    page.get_by_role("button", name="Check every row").click()
    page.wait_for_url(live_server.url + "/intake/import/pco/preview/")

    summary = page.locator("#import-summary").inner_text()
    assert summary == (
        "3 rows: 1 new overdose, 1 joins an overdose already known, 1 joins row 3; "
        "1 looks like a person already known."
    )
    table = page.locator("table")
    assert "Joins the overdose already known: Sat 14 Mar 2026, 18:05 EDT, Elm Street park" in (
        table.inner_text()
    )
    assert "name differs only by punctuation" in table.inner_text()
    assert "Looks like Bridget O'Brien, a person already known" in table.inner_text()
    assert "Joins row 3 of this file" in table.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert Overdose.objects.count() == 1
    assert_clean(page)

    page.get_by_role("button", name="Import 3 rows").click()
    page.wait_for_url(live_server.url + "/intake/import/pco/done/")
    assert Overdose.objects.count() == 2
