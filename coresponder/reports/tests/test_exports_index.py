"""The files page: every table as CSV and XLSX, and the quarterly reports for coordinators."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coresponder.conftest import member_of
from coresponder.domain.vocabulary import Role
from coresponder.programs.models import Program
from coresponder.reports.disclosure import program_today

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def file_links(html: str) -> list[str]:
    return [
        part.split('"', 1)[0].replace("&amp;", "&")
        for part in html.split('href="')[1:]
        if ".csv?" in part.split('"', 1)[0] or ".xlsx?" in part.split('"', 1)[0]
    ]


def test_a_coordinator_finds_every_file_and_the_quarterly_reports(pad: Program) -> None:
    client = signed_in(member_of(pad, Role.COORDINATOR, "coord"))
    page = client.get("/programs/pad/exports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Quarterly reports for funders" in html
    assert "Figures by district (CSV)" in html
    assert "Median hours to first attempt by month (CSV)" in html
    links = file_links(html)
    # Three tables, seven breakdowns and seven figures by month, each in two formats: the
    # treatment count's months are not the program's own readers' (ADR 0015).
    assert len(links) == 2 * (3 + 7 + 7)
    assert "accepted treatment by month" not in html.lower()
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, (link, response.content[:200])
        assert response["Content-Disposition"].startswith("attachment;")


def test_an_analyst_finds_de_identified_files_for_the_last_full_quarter(pad: Program) -> None:
    client = signed_in(member_of(pad, Role.ANALYST, "analyst"))
    html = client.get("/programs/pad/exports/").content.decode()
    assert "De-identified figures" in html
    assert "Quarterly reports for funders" not in html
    for link in file_links(html)[:2]:
        assert client.get(link).status_code == 200
    assert client.get("/programs/pad/exports/?start=2026-01-01&end=2026-01-31").status_code == 422


def test_the_files_page_is_no_one_elses(pad: Program, pco: Program) -> None:
    client = signed_in(member_of(pco, Role.COORDINATOR, "pco-coord"))
    assert client.get("/programs/pad/exports/").status_code == 404


def test_the_dashboard_links_to_the_files(pad: Program) -> None:
    client = signed_in(member_of(pad, Role.COORDINATOR, "coord"))
    html = client.get("/programs/pad/dashboard/").content.decode()
    assert "/programs/pad/exports/?start=" in html


def test_dates_that_do_not_fit_are_said_on_the_page_with_the_default_files(
    pad: Program,
) -> None:
    client = signed_in(member_of(pad, Role.COORDINATOR, "coord"))
    page = client.get("/programs/pad/exports/?start=2026-12-01&end=2026-11-01")
    assert page.status_code == 422
    html = page.content.decode()
    assert "Check the dates." in html and "must not be before the start date" in html
    assert file_links(html)
    analyst = signed_in(member_of(pad, Role.ANALYST, "analyst"))
    month = analyst.get("/programs/pad/exports/?start=2026-01-01&end=2026-01-31")
    assert month.status_code == 422 and "whole calendar quarter" in month.content.decode()
    # The page names the dates as it labels them, not by the link's parameter.
    assert "Check the dates. End date: De-identified figures" in month.content.decode()
    assert "Check the dates. End date: the end date must not be" in html
    typo = analyst.get("/programs/pad/exports/?start=2026-13-01").content.decode()
    assert "Check the dates. Start date: give a date as YYYY-MM-DD" in typo


def test_an_administrator_gets_the_quarterly_pdfs_not_a_page_they_may_not_open(
    pad: Program,
) -> None:
    client = signed_in(member_of(pad, Role.ADMIN, "admin-reports"))
    html = client.get("/programs/pad/exports/").content.decode()
    assert "Quarterly reports for funders" in html
    quarter_pages = [
        part.split('"', 1)[0]
        for part in html.split('href="')[1:]
        if "/exports/quarterly/" in part.split('"', 1)[0]
    ]
    assert quarter_pages and all("report.pdf" in link for link in quarter_pages)
    link = quarter_pages[0].replace("&amp;", "&")
    assert client.get(link).status_code == 200


def test_no_de_identified_copy_of_a_quarter_not_yet_over_and_no_report_of_one_not_begun(
    pad: Program,
) -> None:
    client = signed_in(member_of(pad, Role.COORDINATOR, "coord"))
    today = program_today(pad)
    year, quarter = today.year, (today.month - 1) // 3 + 1
    url = f"/programs/pad/exports/quarterly/{year}/{quarter}/report.pdf"
    growing = client.get(url, {"suppressed": "1"})
    assert growing.status_code == 422
    assert "No de-identified copy of" in growing.content.decode()
    assert client.get(url).status_code == 200  # the coordinator's own, whole figures
    later_year, later = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    ahead = f"/programs/pad/exports/quarterly/{later_year}/{later}/report.pdf"
    assert client.get(ahead).status_code == 404
