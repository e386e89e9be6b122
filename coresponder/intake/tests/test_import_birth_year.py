"""Imported overdoses with an age or a birth year instead of a birth date, and a facility."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from coresponder.conftest import member_of
from coresponder.core.audit import Actor
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import linkage_record
from coresponder.identity.models import SourceRecord
from coresponder.intake.imports import (
    ImportFailed,
    commit_import,
    error_lines,
    options_for,
    parse_row,
    read_table,
    suggest_mapping,
)
from coresponder.intake.models import OverdoseReport, Referral
from coresponder.people.models import Person
from coresponder.programs.models import Program, User
from coresponder.programs.signin import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

HEADER = [
    "Incident Date/Time",
    "Fatal",
    "Agency",
    "Incident #",
    "First Name",
    "Last Name",
    "DOB",
    "Age",
    "Birth Year",
    "Hospital",
]
FIRST = dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def row(i: int, **changes: str) -> list[str]:
    """One overdose of a distinct person, an hour after the one before, with an age only."""
    cells = {
        "Incident Date/Time": (FIRST + dt.timedelta(hours=i)).isoformat(),
        "Fatal": "no",
        "Agency": "EMS",
        "Incident #": f"R-{i:04d}",
        "First Name": f"Pat{i}",
        "Last Name": "Lee",
        "DOB": "",
        "Age": "34",
        "Birth Year": "",
        "Hospital": "",
    }
    cells.update(changes)
    return [cells[header] for header in HEADER]


def csv_bytes(rows: list[list[str]]) -> bytes:
    return "\r\n".join(",".join(cells) for cells in [HEADER, *rows]).encode() + b"\r\n"


@pytest.fixture
def importer(pco: Program) -> User:
    return member_of(pco, Role.OFFICER, "importer")


def commit(user: User, program: Program, data: bytes) -> Any:
    table = read_table(data, "overdoses.csv")
    options = options_for(program, suggest_mapping(table.headers))
    return commit_import(Actor(user=user, where="test"), program, table, options, file_name="x")


def test_the_mapping_proposes_the_age_birth_year_and_hospital_columns() -> None:
    mapping = suggest_mapping(HEADER)
    assert mapping["age"] == "Age"
    assert mapping["birth_year"] == "Birth Year"
    assert mapping["facility"] == "Hospital"
    assert suggest_mapping(["Year of birth", "Patient Age", "Receiving Facility"]) == {
        "birth_year": "Year of birth",
        "age": "Patient Age",
        "facility": "Receiving Facility",
    }


def test_ages_are_read_as_ems_records_write_them(pco: Program) -> None:
    options = options_for(pco, suggest_mapping(HEADER))
    for written, age in (("34", 34), ("34 years", 34), ("34 yrs", 34), ("34.0", 34), ("0", 0)):
        parsed = parse_row(2, row(1, Age=written), HEADER, options)
        assert parsed.referral and parsed.referral.person, (written, parsed.errors)
        assert parsed.referral.person.age == age


def test_an_age_becomes_the_birth_year_on_the_overdoses_day_and_the_facility_is_kept(
    pco: Program, importer: User
) -> None:
    rows = [
        row(0, Age="34", Hospital="Jordan Hospital"),
        row(1, Age="", **{"Birth Year": "1990"}),
        row(2, Age="", DOB="1980-05-04"),
    ]
    counts = commit(importer, pco, csv_bytes(rows))
    assert counts.referrals == 3

    by_age, by_year, by_date = (Person.objects.get(given_name=f"Pat{i}") for i in range(3))
    # 34 on 1 February 2025: born in 1991 (or, before their birthday, 1990).
    assert (by_age.birth_year, by_age.birth_date) == (1991, None)
    assert (by_year.birth_year, by_year.birth_date) == (1990, None)
    assert (by_date.birth_year, by_date.birth_date) == (None, dt.date(1980, 5, 4))

    reported = SourceRecord.objects.get(person=by_age, source="ems")
    assert reported.birth_year == 1991
    assert reported.facility == "Jordan Hospital"
    assert reported.event_date == dt.date(2025, 2, 1)
    record = linkage_record(reported)
    assert (record.birth_year, record.facility, record.event_date) == (
        1991,
        "Jordan Hospital",
        dt.date(2025, 2, 1),
    )
    report = OverdoseReport.objects.get(external_id="R-0000")
    assert report.raw["facility"] == "Jordan Hospital"
    assert SourceRecord.objects.get(person=by_date, source="ems").birth_year is None


def test_bad_ages_and_years_name_their_row_and_column_and_nothing_is_imported(
    pco: Program, importer: User
) -> None:
    next_year = str(timezone.now().year + 1)
    rows = [
        row(0),
        row(1, Age="thirty"),
        row(2, Age="130"),
        row(3, Age="", **{"Birth Year": "1899"}),
        row(4, Age="", **{"Birth Year": next_year}),
        row(5, Age="", **{"Birth Year": "88"}),
        row(6, Age="40", DOB="1980-05-04"),
        row(7, Age="", DOB="1980-05-04", **{"Birth Year": "1981"}),
    ]
    with pytest.raises(ImportFailed) as failure:
        commit(importer, pco, csv_bytes(rows))
    mapping = suggest_mapping(HEADER)
    lines = {bad.number: error_lines(bad, mapping) for bad in failure.value.rows}
    assert lines == {
        3: ["Age: “thirty” is not an age in whole years from 0 to 120"],
        4: ["Age: “130” is not an age in whole years from 0 to 120"],
        5: ["Birth Year: must be after 1900"],
        6: ["Birth Year: cannot be in the future"],
        7: ["Birth Year: “88” is not a year like 1988"],
        8: ["Age: is not the age on 2025-02-01 of someone born 1980-05-04"],
        9: ["Birth Year: 1981 is not the year of the birth date 1980-05-04"],
    }
    assert Referral.objects.count() == 0
    assert Person.objects.count() == 0


def test_the_web_preview_names_a_bad_birth_year_by_row_and_column(
    importer: User, settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    client = Client()
    client.force_login(importer)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    data = csv_bytes([row(0), row(1, Age="", **{"Birth Year": "1899"})])
    file = SimpleUploadedFile("od.csv", data, content_type="text/csv")
    client.post("/intake/import/pco/", {"file": file, "source": ""})

    page = client.get("/intake/import/pco/map/").content.decode()
    assert "Age at the overdose" in page
    assert '<option value="Birth Year" selected>' in page
    client.post("/intake/import/pco/map/", suggest_mapping(HEADER))

    html = client.get("/intake/import/pco/preview/").content.decode()
    assert "2 rows, 1 ready, 1 with errors" in html
    assert "Birth Year: must be after 1900" in html
    assert client.post("/intake/import/pco/preview/").status_code == 422
    assert Referral.objects.count() == 0
