"""A breakdown's total row is the period's headline figure: a person in two rows counts once.

Referrals and overdoses fall in one row each and their rows add up to the total; a
person engaged in two districts is one of the program's people engaged, so the total
of a column of people is the distinct count, hidden for de-identified readers exactly
where the headline figure is, and never a way to work a hidden row out. Each world is
counted by hand in its docstring, and read from the API, the dashboard and the files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import shutil
import subprocess
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from coresponder.conftest import Clock
from coresponder.domain.suppression import recoverable
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Referral
from coresponder.people.models import Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import District, Program, User
from coresponder.reports.actions import build_metric_days
from coresponder.reports.quarterly import quarterly_pdf

NY = ZoneInfo("America/New_York")
API = "/api/v1/programs/pad/metrics"
QUARTER = {"start": "2026-07-01", "end": "2026-09-30"}
COLUMNS = ("referrals", "people_engaged")
AT = {"referrals": 2, "people_engaged": 4}  # in the files, after the code and the label


def engaged_in(program: Program, person: Person, district: str, day: int) -> None:
    """A referral in the district and an encounter that followed it: one referral, and
    the person engaged in that district."""
    at = dt.datetime(2026, 7 + day % 3, 1 + day % 28, 12, tzinfo=NY)
    referral = Referral.objects.create(
        program=program,
        person=person,
        pathway="self_referral",
        received_at=at,
        district=District.objects.get(program=program, code=district),
    )
    Encounter.objects.create(
        program=program,
        person=person,
        referral=referral,
        occurred_at=at + dt.timedelta(hours=1),
        kind="drop_in",
        disposition="resolved_on_scene",
    )


@pytest.fixture(params=["records", "daily facts"])
def read_from(request: pytest.FixtureRequest, clock: Clock) -> str:
    clock.now = dt.datetime(2026, 10, 10, 16, tzinfo=dt.UTC)  # the third quarter is over
    return str(request.param)


def counted(program: Program, read_from: str) -> None:
    if read_from == "daily facts":
        build_metric_days(program)


# --- What each surface gives -----------------------------------------------------------


def from_api(client: Client, by: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The rows by key, and the total with the paths the API says it hid."""
    body = client.get(f"{API}/breakdown", {**QUARTER, "by": by}).json()
    rows = {row["key"]: row for row in body["items"]}
    suppressed = set(body.get("suppressed", []))
    assert {f"total.{c}" for c in COLUMNS if body["total"][c] is None} <= suppressed
    return rows, body["total"]


def from_page(client: Client, by: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any], str]:
    """The dashboard's breakdown section: the rows by key, the total, and the page's text."""
    part = client.get(
        "/programs/pad/dashboard/sections/breakdown/",
        {**QUARTER, "by": by},
        headers={"HX-Request": "true"},
    )
    assert part.status_code == 200
    rows = {str(row["key"]): row for row in part.context["breakdown_rows"]}
    return rows, part.context["breakdown_total"], part.content.decode()


def from_files(
    client: Client, by: str
) -> tuple[dict[str, dict[str, Any]], dict[str, Any], dict[str, Any], list[str]]:
    """The CSV's rows by code and its total, the XLSX's total, and the XLSX's notes."""
    url = "/programs/pad/exports/breakdown"
    text = client.get(f"{url}.csv", {**QUARTER, "by": by}).content.decode("utf-8-sig")
    lines = [row for row in csv.reader(io.StringIO(text)) if row and row[0] != "Notice"]
    header, *body = lines
    table = [row for row in body if len(row) == len(header)]
    rows = {row[0]: _values(row) for row in table if row[0]}
    (total,) = [_values(row) for row in table if row[:2] == ["", "Total"]]
    book = load_workbook(io.BytesIO(client.get(f"{url}.xlsx", {**QUARTER, "by": by}).content))
    sheet = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    at = next(i for i, row in enumerate(sheet) if row[:2] == header[:2])
    (in_book,) = [row for row in sheet[at + 1 :] if row[0] in (None, "") and row[1] == "Total"]
    notes = [str(row[0]) for row in sheet[at + 1 :] if row[0] and not any(row[1:])]
    return rows, total, _values([str(v) for v in in_book]), notes


def _values(row: Sequence[str]) -> dict[str, int | None]:
    return {key: None if row[AT[key]] == "suppressed" else int(row[AT[key]]) for key in COLUMNS}


def totals_everywhere(api: Client, browser: Client, by: str) -> list[dict[str, int | None]]:
    """The referrals and people engaged of the total row, as the API, the dashboard, the CSV
    and the XLSX give them."""
    _, api_total = from_api(api, by)
    _, page_total, _ = from_page(browser, by)
    _, csv_total, xlsx_total, _ = from_files(browser, by)
    return [
        {c: api_total[c] for c in COLUMNS},
        {c: page_total[c] for c in COLUMNS},
        csv_total,
        xlsx_total,
    ]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- A program's own reader --------------------------------------------------------------


def test_a_person_engaged_in_two_districts_counts_once_in_the_total_on_every_surface(
    pad: Program,
    read_from: str,
    coordinator: User,
    api_client_for: Callable[[User], Client],
) -> None:
    """Ann is referred and seen in district 22 and again in 39; Bob in 22.

    By district: 22 has 2 referrals and 2 people engaged (Ann, Bob), 39 has 1 and 1
    (Ann). The total: 3 referrals (the rows' sum) and 2 people engaged (Ann once, as
    the headline counts her), not 3.
    """
    ann, bob = PersonFactory.create_batch(2)
    engaged_in(pad, ann, "22", 1)
    engaged_in(pad, ann, "39", 2)
    engaged_in(pad, bob, "22", 3)
    counted(pad, read_from)
    api, browser = api_client_for(coordinator), signed_in(coordinator)

    rows, _ = from_api(api, "district")
    assert {k: (rows[k]["referrals"], rows[k]["people_engaged"]) for k in ("22", "39")} == {
        "22": (2, 2),
        "39": (1, 1),
    }
    headline = api.get(API, QUARTER).json()
    assert (headline["referrals"], headline["people_engaged"]) == (3, 2)
    expected = {"referrals": 3, "people_engaged": 2}
    assert totals_everywhere(api, browser, "district") == [expected] * 4


def test_the_total_row_is_the_headline_figure_for_every_column_and_every_breakdown(
    pad: Program,
    read_from: str,
    coordinator: User,
    api_client_for: Callable[[User], Client],
) -> None:
    """Ann (born 1991-08-15, 34 then 35 in the quarter) is seen in 22 in July and in 39 in
    September; everything about her counts once in every total, whatever the rows."""
    ann = PersonFactory.create(sex="female", birth_date=dt.date(1991, 8, 15))
    engaged_in(pad, ann, "22", 3)  # 4 July
    engaged_in(pad, ann, "39", 2)  # 3 September
    counted(pad, read_from)
    api = api_client_for(coordinator)
    headline = api.get(API, QUARTER).json()

    for by in ("district", "source", "pathway", "race", "ethnicity", "sex", "age_band"):
        rows, total = from_api(api, by)
        assert total["referrals"] == 2 == sum(row["referrals"] for row in rows.values()), by
        assert total["people_engaged"] == 1 == headline["people_engaged"], by
        for column in ("people_referred_to_services", "people_contacted"):
            assert total[column] == headline[column] == 0, by
        assert total["people_accepted_treatment"] == headline["people_accepted_treatment"], by
    bands, _ = from_api(api, "age_band")
    assert (bands["25-34"]["people_engaged"], bands["35-44"]["people_engaged"]) == (1, 1)


def test_the_page_and_the_files_say_a_person_in_more_than_one_row_counts_once(
    pad: Program, read_from: str, coordinator: User
) -> None:
    counted(pad, read_from)
    browser = signed_in(coordinator)

    _, _, page = from_page(browser, "district")
    _, _, _, notes = from_files(browser, "district")

    said = "A person in more than one row counts once in the total"
    assert said in page
    assert any(note.startswith(said) for note in notes), notes
    assert "Totals add up the rows" not in page
    assert not any("Sum of the rows" in note for note in notes)


def report_text(program: Program, tmp_path: Path, suppress: bool) -> str:
    """The quarterly report for the third quarter, as its reader reads it."""
    pdf = tmp_path / f"q3-{suppress}.pdf"
    pdf.write_bytes(quarterly_pdf(program, 2026, 3, suppress=suppress))
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: run `make report-deps`"
    command = [tool, "-layout", str(pdf), "-"]
    done = subprocess.run(command, capture_output=True, check=True)  # noqa: S603 - fixed tool, our file
    return done.stdout.decode("utf-8")


def test_both_copies_of_the_quarterly_report_end_the_district_table_with_the_total(
    pad: Program, read_from: str, tmp_path: Path
) -> None:
    """Ann is referred and seen in district 22 and again in 39; Bob in 22: 3 referrals,
    2 people engaged (Ann once)."""
    ann, bob = PersonFactory.create_batch(2)
    engaged_in(pad, ann, "22", 1)
    engaged_in(pad, ann, "39", 2)
    engaged_in(pad, bob, "22", 3)
    counted(pad, read_from)

    staff = report_text(pad, tmp_path, suppress=False)
    public = report_text(pad, tmp_path, suppress=True)

    (total,) = [line.split() for line in staff.splitlines() if line.strip().startswith("Total")]
    # District, referrals, referred to services, engaged, …
    assert (total[1], total[3]) == ("3", "2")
    assert any(line.strip().startswith("Total") for line in public.splitlines())
    said = "A person in more than one row counts once in the total"
    assert said in " ".join(staff.split())
    assert said in " ".join(public.split())


# --- De-identified readers -----------------------------------------------------------


def test_a_total_of_people_is_hidden_where_the_headline_figure_is(
    pad: Program,
    read_from: str,
    analyst: User,
    api_client_for: Callable[[User], Client],
) -> None:
    """Six people, each referred and seen in district 22 and in 39.

    Rows: 22 and 39 have 6 referrals and 6 people engaged each (hidden, 1 to 10). The
    referrals total is 12 (shown); the people engaged are 6, hidden in the headline, so
    hidden in the total too, not shown as the rows' 12.
    """
    for day, person in enumerate(PersonFactory.create_batch(6)):
        engaged_in(pad, person, "22", day)
        engaged_in(pad, person, "39", day + 1)
    counted(pad, read_from)
    api, browser = api_client_for(analyst), signed_in(analyst)

    headline = api.get(API, QUARTER).json()
    assert (headline["referrals"], headline["people_engaged"]) == (12, None)
    rows, _ = from_api(api, "district")
    assert {rows[k][c] for k in ("22", "39") for c in COLUMNS} == {None}
    expected = {"referrals": 12, "people_engaged": None}
    assert totals_everywhere(api, browser, "district") == [expected] * 4


# Fourteen women each seen in district 22 only; three men each seen in 22 and in 39.
WOMEN, MEN = 14, 3


def test_a_hidden_row_cannot_be_worked_out_from_a_total_of_people(
    pad: Program,
    read_from: str,
    analyst: User,
    api_client_for: Callable[[User], Client],
) -> None:
    """By sex: women 14 referrals and 14 engaged, men 6 and 3. By district: 22 has 17 and
    17, 39 has 3 and 3. Totals: 20 referrals, 17 people engaged (the headline).

    The men's 3 and district 39's 3 are hidden, and so are the women's 14 and district
    22's 17 beside them: each person has one sex, so 17 less the women's 14 would give
    the men's 3 away, and 20 less 17 district 39's referrals.
    """
    for day, woman in enumerate(PersonFactory.create_batch(WOMEN, sex="female")):
        engaged_in(pad, woman, "22", day)
    for day, man in enumerate(PersonFactory.create_batch(MEN, sex="male")):
        engaged_in(pad, man, "22", day)
        engaged_in(pad, man, "39", day + 1)
    counted(pad, read_from)
    api, browser = api_client_for(analyst), signed_in(analyst)

    headline = api.get(API, QUARTER).json()
    assert (headline["referrals"], headline["people_engaged"]) == (20, 17)
    expected = {"referrals": 20, "people_engaged": 17}
    published: list[tuple[Hashable, dict[Any, int], int | None]] = []
    for by, hidden in (("sex", ("female", "male")), ("district", ("22", "39"))):
        assert totals_everywhere(api, browser, by) == [expected] * 4, by
        api_rows, api_total = from_api(api, by)
        page_rows, _, _ = from_page(browser, by)
        file_rows, _, _, _ = from_files(browser, by)
        for key in hidden:
            assert {api_rows[key][c] for c in COLUMNS} == {None}, (by, key)
            assert {page_rows[key][c] for c in COLUMNS} == {None}, (by, key)
            assert set(file_rows[key].values()) == {None}, (by, key)
        for column in COLUMNS:
            listed: list[tuple[str | None, Any]] = [*api_rows.items(), (None, api_total)]
            for group, row in listed:
                published.append(((by, group, column), _terms(by, column, group), row[column]))
            for group in set(SEXES if by == "sex" else DISTRICT_ROWS) - set(api_rows):
                published.append(((by, group, column), _terms(by, column, group), 0))  # unlisted
    assert recoverable({key: (terms, value) for key, terms, value in published}) == set()


SEXES = ("female", "male", "other", "unknown")
DISTRICT_ROWS = ("22", "24", "25", "39", "none")


def _terms(by: str, column: str, key: str | None) -> dict[Any, int]:
    """A figure as a sum over what a reader cannot see: referrals by (district, sex), and
    people by (the districts they were engaged in, sex). Each person has one sex; one
    person may be in several districts, so a district row of people is not a part of the
    total, and a sex row is."""
    if column == "referrals":
        atoms: list[tuple[Any, ...]] = list(itertools.product(DISTRICT_ROWS, SEXES))
    else:
        places = [
            frozenset(c)
            for n in range(1, len(DISTRICT_ROWS) + 1)
            for c in itertools.combinations(DISTRICT_ROWS, n)
        ]
        atoms = list(itertools.product(places, SEXES))

    def within(atom: tuple[Any, ...]) -> bool:
        if key is None:
            return True
        if by == "sex":
            return bool(atom[1] == key)
        place = atom[0]
        return key in place if isinstance(place, frozenset) else place == key

    return {(column, *atom): 1 for atom in atoms if within(atom)}
