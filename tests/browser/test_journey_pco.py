"""Plymouth County Outreach: overdose reports come in by the file; the coach visits by phone.

The coordinator, at a desk, imports a spreadsheet of overdoses from EMS and
sees which rows join an overdose the police already reported and who is
already known. The recovery coach, on a phone, works the follow-up queue and
records the visits; the coordinator then reads the dashboard and the files
for funders.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM, Actor
from coresponder.intake.actions import record_referral
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Overdose, Referral
from coresponder.outreach.actions import expire_tasks
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from tests.browser.journeys import (
    PHONE,
    assert_usable,
    browser_of,
    organization,
    sign_in,
    staff,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLYMOUTH = ZoneInfo("America/New_York")
# Near Plymouth, MA, inside PCO's service area.
LAT, LON = 41.9584, -70.6673
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
# EMS notes whether Narcan was given, Yes or No, not how many doses.
HEADER = "Incident Date/Time,Fatal,Narcan,Lat,Long,Agency,Incident #,First Name,Last Name,DOB"


def overdose_referral(coordinator: Any, given: str, family: str, born: dt.date, ago: Any) -> None:
    """An overdose the police reported through the API, `ago` before now."""
    occurred = NOW - ago
    record_referral(
        Actor(user=coordinator),
        Program.objects.get(slug="pco"),
        ReferralInput.from_dict(
            {
                "pathway": "naloxone_plus",
                "received_at": occurred + dt.timedelta(minutes=30),
                "person": {"given_name": given, "family_name": family, "birth_date": born},
                "overdose": {
                    "occurred_at": occurred,
                    "fatal": False,
                    "naloxone_doses": 1,
                    "latitude": LAT,
                    "longitude": LON,
                    "source": "police",
                },
            }
        ),
        channel=Referral.Channel.API,
    )


@pytest.fixture
def pco(settings: Any, tmp_path: Path) -> None:
    """PCO's coordinator and recovery coach; overdoses the police reported before today's file."""
    settings.VAR_DIR = tmp_path
    load_programs(SYSTEM)
    organization("brockton-health", "Brockton Board of Health", "health_department")
    organization("pc-task-force", "Plymouth County Drug Abuse Task Force", "community")
    coordinator = staff("cora.coord", "coordinator", "brockton-health", "pco", "Cora Coordinator")
    staff("rory.coach", "recovery_coach", "pc-task-force", "pco", "Rory Coach")
    # Last night, the police reported Jordan Reyes's overdose; EMS's file reports it too.
    overdose_referral(coordinator, "Jordan", "Reyes", dt.date(1990, 3, 2), dt.timedelta(hours=20))
    # The month before: five overdoses, Casey Lee's among them.
    overdose_referral(coordinator, "Casey", "Lee", dt.date(1985, 7, 7), dt.timedelta(days=45))
    for n, family in enumerate(("Hart", "Moss", "Pike", "Webb")):
        overdose_referral(
            coordinator, "Alex", family, dt.date(1970 + n, 1, 1), dt.timedelta(days=40 + n)
        )
    # Their windows closed weeks ago: the worker has moved those tasks out of the queue.
    expire_tasks(SYSTEM, NOW, Program.objects.get(slug="pco"))


def not_located(page: Any) -> None:
    """Tap the outcome's label, as people do (USWDS draws over the hidden radio)."""
    page.get_by_role("group", name="What happened?").get_by_text("Not located", exact=True).click()


def csv_file() -> dict[str, Any]:
    """EMS's spreadsheet: Jordan's overdose again, Casey's new one, and someone new."""
    rows = [
        (NOW - dt.timedelta(hours=19, minutes=50), "E-101", "Jordan", "Reyes", "03/02/1990"),
        (NOW - dt.timedelta(hours=3), "E-102", "Casey", "Lee", "07/07/1985"),
        (NOW - dt.timedelta(hours=30), "E-103", "Avery", "Stone", "11/23/1994"),
    ]
    lines = [HEADER] + [
        f"{when.isoformat()},no,Yes,{LAT:.6f},{LON:.6f},EMS,{number},{given},{family},{born}"
        for when, number, given, family, born in rows
    ]
    data = ("\r\n".join(lines) + "\r\n").encode()
    return {"name": "ems-overdoses.csv", "mimeType": "text/csv", "buffer": data}


def test_pco_the_coordinator_imports_overdoses_and_the_coach_follows_up(
    live_server: Any, browser: Any, desktop_page: Any, pco: None
) -> None:
    desk = desktop_page
    sign_in(desk, live_server, "cora.coord", "pco")

    # Import an overdose file: upload.
    desk.get_by_role("link", name="Import overdose notifications").click()
    desk.wait_for_url(live_server.url + "/intake/import/pco/")
    assert_usable(desk)
    # USWDS draws its own drop zone over the file input.
    desk.locator("input[type=file][name=file]").set_input_files(csv_file())
    submit(desk, "Upload and match columns")

    # Map columns: the suggestions fit EMS's column names.
    desk.wait_for_url(live_server.url + "/intake/import/pco/map/")
    assert desk.get_by_label("Given name").input_value() == "First Name"
    # A Yes/No column is no count: "Narcan" is not offered as the naloxone doses, nor "Fatal".
    doses = desk.get_by_label(re.compile("^Naloxone doses"))
    assert doses.input_value() not in {"Narcan", "Fatal"}
    assert desk.get_by_label(re.compile("^Fatal")).input_value() == "Fatal"
    assert_usable(desk)
    submit(desk, "Check every row")

    # Preview: it names the overdose Jordan's row joins and the person Casey's row is.
    desk.wait_for_url(live_server.url + "/intake/import/pco/preview/")
    summary = desk.locator("#import-summary").inner_text()
    assert "3 rows: 2 new overdoses, 1 joins an overdose already known" in summary
    assert "2 look like people already known" in summary
    jordan = desk.get_by_role("row").filter(has_text="Jordan Reyes")
    assert "Joins the overdose already known" in jordan.inner_text()
    assert "reported by Police" in jordan.inner_text()
    casey = desk.get_by_role("row").filter(has_text="Casey Lee")
    assert "Looks like Casey Lee, a person already known" in casey.inner_text()
    assert_usable(desk)
    assert Overdose.objects.count() == 6

    # Commit.
    submit(desk, "Import 3 rows")
    desk.wait_for_url(live_server.url + "/intake/import/pco/done/")
    expect(desk.get_by_text("all 3 rows imported into Plymouth County Outreach")).to_be_visible()
    assert_usable(desk)
    assert Overdose.objects.count() == 8
    assert Overdose.objects.get(referral__person__given_name="Jordan").reports.count() == 2

    # The recovery coach, on a phone, opens the follow-up queue: due-now tasks first.
    with browser_of(browser, PHONE) as page:
        sign_in(page, live_server, "rory.coach", "pco")
        page.get_by_role("link", name="Follow-up queue").click()
        page.wait_for_url(live_server.url + "/programs/pco/outreach/")
        assert_usable(page)
        names = [
            name
            for name in page.get_by_role("heading", level=2).all_inner_texts()
            if name in {"Avery Stone", "Jordan Reyes", "Casey Lee"}
        ]
        # Avery's and Jordan's windows are open (Avery's closes first); Casey's opens
        # 12 h after last night's overdose.
        assert names == ["Avery Stone", "Jordan Reyes", "Casey Lee"]

        # Times on Plymouth's clock: when Avery's window closes.
        avery = OutreachTask.objects.get(person__given_name="Avery")
        closes = avery.window_end.astimezone(PLYMOUTH)
        card = page.locator("main li").filter(
            has=page.get_by_role("link", name="Record a visit for Avery Stone")
        )
        assert f"{closes:%a} {closes.day} {closes:%b, %H:%M}" in card.first.inner_text()

        # Record a visit: Avery was not home.
        page.get_by_role("link", name="Record a visit for Avery Stone").click()
        page.wait_for_url(live_server.url + f"/programs/pco/outreach/{avery.pk}/")
        assert_usable(page)
        not_located(page)
        submit(page, "Save visit")
        page.wait_for_url(live_server.url + f"/programs/pco/outreach/{avery.pk}/")
        expect(page.get_by_text("Visit recorded: Not located.")).to_be_visible()
        assert_usable(page)

        # A second "not located" straight after is refused by the spacing...
        not_located(page)
        submit(page, "Save visit")
        expect(page.get_by_text("attempts that reach nobody are spaced 24 h apart")).to_be_visible()
        assert Attempt.objects.filter(task=avery).count() == 1
        assert_usable(page)

        # ... unless the coach says why: a second address the same day.
        page.get_by_label(re.compile("^Reason to record a try sooner")).fill(
            "Tried her sister's address across town"
        )
        submit(page, "Save visit")
        page.wait_for_url(live_server.url + f"/programs/pco/outreach/{avery.pk}/")
        expect(page.get_by_text("Visit recorded: Not located.")).to_be_visible()
        assert Attempt.objects.filter(task=avery).count() == 2
        assert_usable(page)

        # Jordan opens the door: in PCO reaching the survivor settles the follow-up.
        jordan_task = OutreachTask.objects.get(person__given_name="Jordan", status="open")
        page.goto(live_server.url + "/programs/pco/outreach/")
        page.get_by_role("link", name="Record a visit for Jordan Reyes").click()
        page.wait_for_url(live_server.url + f"/programs/pco/outreach/{jordan_task.pk}/")
        page.get_by_role("group", name="What happened?").get_by_text(
            "Contacted", exact=True
        ).click()
        page.get_by_text("The person", exact=True).click()
        submit(page, "Save visit")
        # "Contacted" is one of PCO's closing outcomes: the task waits only for the checklist.
        expect(page.get_by_text("Visit recorded: Contacted.")).to_be_visible()
        assert_usable(page)
        jordan_task.refresh_from_db()
        assert jordan_task.status == "collecting"
        checklist = page.locator("form", has=page.get_by_role("button", name="Save checklist"))
        for item in ("Outcome of the visit", "Support offered to loved ones"):
            field = checklist.get_by_label(re.compile(f"^{item}"))
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(index=1)
            else:
                field.fill("Reached; his mother has the family group's number")
        submit(checklist, "Save checklist")
        expect(page.get_by_text("Checklist complete: this case is closed.")).to_be_visible()
        assert_usable(page)
        jordan_task.refresh_from_db()
        assert jordan_task.status == "closed"

    # At a desk the coordinator reads the queue as a table, then the follow-ups missed.
    desk.goto(live_server.url + "/programs/pco/")
    desk.get_by_role("link", name="Follow-up queue").click()
    desk.wait_for_url(live_server.url + "/programs/pco/outreach/")
    expect(
        desk.get_by_role("table").get_by_role("row").filter(has_text="Avery Stone")
    ).to_have_count(1)
    expect(
        desk.get_by_role("table").get_by_role("row").filter(has_text="Jordan Reyes")
    ).to_have_count(0)
    assert_usable(desk)
    desk.get_by_role("link", name="Missed", exact=True).click()
    desk.wait_for_url(live_server.url + "/programs/pco/outreach/missed/")
    expect(desk.locator("#missed-count")).to_have_text("5 missed tasks.")
    expect(desk.get_by_role("row").filter(has_text="Casey Lee")).to_have_count(1)
    assert_usable(desk)

    # A missed follow-up is closed with its reason: Casey's month-old one, seen elsewhere.
    desk.get_by_role("row").filter(has_text="Casey Lee").get_by_role("link").click()
    desk.wait_for_url(re.compile(r"/programs/pco/outreach/\d+/$"))
    assert_usable(desk)
    desk.get_by_text("Reached by another team or service", exact=True).click()
    submit(desk, "Close task")
    missed = OutreachTask.objects.get(person__given_name="Casey", status="closed")
    assert missed.close_reason == "reached_elsewhere"
    assert_usable(desk)

    # The dashboard at a desk: fewer overdoses than the month before, coloured as good.
    desk.goto(live_server.url + "/programs/pco/")
    desk.get_by_role("link", name="Program dashboard").click()
    desk.wait_for_url(live_server.url + "/programs/pco/dashboard/")
    expect(desk.locator('[aria-busy="true"]')).to_have_count(0)  # every section loaded
    tile = desk.get_by_role("listitem").filter(has_text="Nonfatal overdoses")
    assert tile.locator("[data-metric]").inner_text() == "3"
    change = tile.locator(".cr-change")
    assert "(better)" in change.inner_text()
    assert "cr-change--good" in (change.get_attribute("class") or "")
    assert_usable(desk)

    # The exports page, from the dashboard; the quarterly report from there.
    desk.get_by_role("link", name="Download these figures as CSV or Excel files").click()
    desk.wait_for_url(re.compile(r"/programs/pco/exports/"))
    expect(desk.get_by_role("heading", name="Files and reports")).to_be_visible()
    assert_usable(desk)
    desk.get_by_role("link", name=re.compile(r"^Q\d 20\d\d")).first.click()
    desk.wait_for_url(re.compile(r"/programs/pco/exports/quarterly/\d{4}/\d/$"))
    assert_usable(desk)

    # And both from the program home.
    desk.goto(live_server.url + "/programs/pco/")
    desk.get_by_role("link", name="Files and reports").click()
    desk.wait_for_url(re.compile(r"/programs/pco/exports/"))
    assert_usable(desk)
    desk.get_by_role("link", name=re.compile(r"^Q\d 20\d\d")).first.click()
    desk.wait_for_url(re.compile(r"/programs/pco/exports/quarterly/\d{4}/\d/$"))
    assert_usable(desk)
