"""Overdose notifications from CSV and XLSX: mapping, parsing, all-or-nothing commit."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from coresponder.conftest import member_of
from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.actions import record_referral
from coresponder.intake.imports import (
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_SHEET_ROWS,
    CellError,
    ImportFailed,
    ImportRefused,
    column_samples,
    commit_import,
    options_for,
    parse_coordinate,
    parse_row,
    preview_import,
    read_table,
    suggest_mapping,
)
from coresponder.intake.models import Overdose, OverdoseReport, Referral
from coresponder.programs.models import Program, User
from coresponder.programs.signin import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

HEADER = [
    "Incident Date/Time",
    "Fatal",
    "Narcan doses",
    "Lat",
    "Long",
    "Agency",
    "Incident #",
    "First Name",
    "Last Name",
    "DOB",
    "Sex",
]
# Near Plymouth, MA, inside PCO's area.
LAT, LON = 41.9584, -70.6673
FIRST = dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def row(i: int, **changes: str) -> list[str]:
    """One overdose of a distinct person, an hour after the one before."""
    cells = {
        "Incident Date/Time": (FIRST + dt.timedelta(hours=i)).isoformat(),
        "Fatal": "no",
        "Narcan doses": "2",
        "Lat": f"{LAT + i * 0.0001:.6f}",
        "Long": f"{LON:.6f}",
        "Agency": "EMS",
        "Incident #": f"R-{i:04d}",
        "First Name": f"Pat{i}",
        "Last Name": "Lee",
        "DOB": (dt.date(1980, 1, 1) + dt.timedelta(days=i)).strftime("%m/%d/%Y"),
        "Sex": "F",
    }
    cells.update(changes)
    return [cells[header] for header in HEADER]


def csv_bytes(rows: list[list[str]], delimiter: str = ",", bom: bool = False) -> bytes:
    lines = [delimiter.join(HEADER)] + [delimiter.join(cells) for cells in rows]
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def commit(user: User, program: Program, data: bytes, **options: Any) -> Any:
    table = read_table(data, "overdoses.csv")
    import_options = options_for(program, suggest_mapping(table.headers), **options)
    return commit_import(
        Actor(user=user, where="test"), program, table, import_options, file_name="x"
    )


def signed_in(user: User) -> Client:
    """A client past both factors, stamped as our sign-in stamps it."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    return client


# --- Mapping and parsing ------------------------------------------------------------


def test_it_suggests_columns_from_common_header_names() -> None:
    headers = [
        "Incident Date/Time",
        "Fatal?",
        "Narcan doses",
        "Lat",
        "Lng",
        "Agency",
        "DOB",
        "First Name",
        "Surname",
        "Incident Location",
        "Home Address",
        "Notes",
    ]
    assert suggest_mapping(headers) == {
        "occurred_at": "Incident Date/Time",
        "fatal": "Fatal?",
        "naloxone_doses": "Narcan doses",
        "latitude": "Lat",
        "longitude": "Lng",
        "source": "Agency",
        "birth_date": "DOB",
        "given_name": "First Name",
        "family_name": "Surname",
        "place": "Incident Location",
        "address": "Home Address",
    }


def test_it_reads_a_semicolon_csv_with_a_byte_order_mark() -> None:
    table = read_table(csv_bytes([row(1), row(2)], delimiter=";", bom=True), "od.csv")
    assert table.headers == HEADER
    assert [number for number, _ in table.rows] == [2, 3]
    assert table.rows[0][1][HEADER.index("Incident #")] == "R-0001"


def test_coordinates_with_a_decimal_comma_are_read(pco: Program, importer: User) -> None:
    # A spreadsheet saved where the decimal mark is a comma writes 41,958500 and separates
    # the cells with semicolons; a coordinate has no thousands to group, so the comma is
    # its decimal mark.
    cells = row(1, Lat="41,958500", Long="-70,667300")
    table = read_table(csv_bytes([cells], delimiter=";", bom=True), "od.csv")
    assert suggest_mapping(table.headers, column_samples(table))["latitude"] == "Lat"

    commit(importer, pco, csv_bytes([cells], delimiter=";", bom=True))

    overdose = OverdoseReport.objects.get(external_id="R-0001").overdose
    assert (overdose.latitude, overdose.longitude) == (41.9585, -70.6673)


def test_a_coordinate_with_two_decimal_marks_is_refused() -> None:
    for text in ("41,958,500", "41.958,5"):
        with pytest.raises(CellError, match="is not a number"):
            parse_coordinate(text, 90)


def test_it_reads_an_xlsx_workbook_with_typed_cells(pco: Program) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Incident Date/Time", "Fatal", "Narcan doses", "Agency", "First", "Last", "DOB"])
    naive_local = dt.datetime(2025, 2, 1, 14, 30)  # noqa: DTZ001 - as a spreadsheet stores it
    sheet.append([naive_local, False, 2, "hospital", "Ann", "Ray", dt.date(1990, 5, 4)])
    sheet.append([])
    sheet.append(["2025-02-01T16:00:00+00:00", "Y", None, "police", "Bo", "Ray", "1991-06-05"])
    buffer = io.BytesIO()
    book.save(buffer)

    table = read_table(buffer.getvalue(), "od.xlsx")
    options = options_for(pco, suggest_mapping(table.headers), naive_times_in_program_timezone=True)
    preview = preview_import(pco, table, options)

    assert [r.number for r in preview.rows] == [2, 4]
    assert preview.ok, [r.errors for r in preview.rows]
    first, second = (r.referral for r in preview.rows)
    assert first and second
    assert first.overdose and first.person and second.overdose
    assert first.overdose.occurred_at == dt.datetime(2025, 2, 1, 19, 30, tzinfo=dt.UTC)
    assert first.overdose.source == "hospital"
    assert first.person.birth_date == dt.date(1990, 5, 4)
    assert second.overdose.fatal is True
    assert second.overdose.naloxone_doses is None


def test_naive_times_are_refused_unless_the_file_is_in_local_time(pco: Program) -> None:
    cells = row(1, **{"Incident Date/Time": "02/01/2025 2:30 PM"})
    strict = parse_row(2, cells, HEADER, options_for(pco, suggest_mapping(HEADER)))
    assert strict.referral is None
    assert "no UTC offset" in strict.errors["occurred_at"][0]

    local = options_for(pco, suggest_mapping(HEADER), naive_times_in_program_timezone=True)
    parsed = parse_row(2, cells, HEADER, local)
    assert parsed.referral is not None
    assert parsed.referral.overdose is not None
    assert parsed.referral.overdose.occurred_at == dt.datetime(2025, 2, 1, 19, 30, tzinfo=dt.UTC)
    assert parsed.referral.received_at == parsed.referral.overdose.occurred_at


def test_a_local_time_the_clocks_skipped_is_refused(pco: Program) -> None:
    local = options_for(pco, suggest_mapping(HEADER), naive_times_in_program_timezone=True)
    cells = row(1, **{"Incident Date/Time": "2025-03-09 02:30"})
    parsed = parse_row(2, cells, HEADER, local)
    assert "did not happen in Eastern time" in parsed.errors["occurred_at"][0]


def test_it_reads_us_and_iso_dates_and_yes_no_words(pco: Program) -> None:
    options = options_for(pco, suggest_mapping(HEADER))
    us = parse_row(2, row(1, DOB="05/04/1990", Fatal="Y"), HEADER, options)
    iso = parse_row(3, row(1, DOB="1990-05-04", Fatal="true"), HEADER, options)
    assert us.referral and iso.referral
    assert us.referral.person and iso.referral.person
    assert us.referral.overdose and iso.referral.overdose
    assert us.referral.person.birth_date == iso.referral.person.birth_date
    assert us.referral.person.birth_date == dt.date(1990, 5, 4)
    assert us.referral.overdose.fatal is iso.referral.overdose.fatal is True


def test_each_bad_cell_is_named_and_fatal_is_required(pco: Program) -> None:
    options = options_for(pco, suggest_mapping(HEADER))
    cells = row(1, Fatal="", Agency="coast guard", DOB="1990-13-40", **{"Narcan doses": "two"})
    parsed = parse_row(7, cells, HEADER, options)
    assert parsed.referral is None
    assert set(parsed.errors) == {"fatal", "source", "birth_date", "naloxone_doses"}
    assert parsed.errors["fatal"] == ["is required"]


def test_a_dose_count_the_api_refuses_is_refused_by_the_import_too(
    pco: Program, api_client_for: Any
) -> None:
    options = options_for(pco, suggest_mapping(HEADER))
    most = parse_row(2, row(1, **{"Narcan doses": "50"}), HEADER, options)
    assert most.referral and most.referral.overdose
    assert most.referral.overdose.naloxone_doses == 50
    past = parse_row(3, row(1, **{"Narcan doses": "60"}), HEADER, options)
    assert past.errors["naloxone_doses"] == ["“60” is not a whole number from 0 to 50"]
    officer = api_client_for(member_of(pco, Role.OFFICER, "pco-dose-officer"))
    body = {
        "program": "pco",
        "pathway": "naloxone_plus",
        "received_at": "2026-11-20T15:00:00+00:00",
        "person": {"given_name": "Jo", "family_name": "Marsh"},
        "overdose": {"occurred_at": "2026-11-20T14:00:00+00:00", "source": "ems"},
    }
    for doses, status in ((50, 201), (60, 422)):
        body["overdose"]["naloxone_doses"] = doses  # type: ignore[index]
        sent = officer.post("/api/v1/referrals", body, content_type="application/json")
        assert sent.status_code == status, sent.content


def test_a_fixed_source_fills_rows_that_leave_it_empty(pco: Program) -> None:
    options = options_for(pco, suggest_mapping(HEADER), source="police")
    parsed = parse_row(2, row(1, Agency=""), HEADER, options)
    assert parsed.referral and parsed.referral.overdose
    assert parsed.referral.overdose.source == "police"


# --- Commit ---------------------------------------------------------------------------


def test_a_bad_row_among_100_imports_nothing_and_names_that_row(
    pco: Program, importer: User
) -> None:
    rows = [row(i) for i in range(100)]
    rows[41] = row(41, Fatal="maybe")  # the 42nd data row: row 43 in the spreadsheet
    with pytest.raises(ImportFailed) as failure:
        commit(importer, pco, csv_bytes(rows))
    assert [bad.number for bad in failure.value.rows] == [43]
    assert "row 43 has errors" in str(failure.value)
    assert "maybe" in failure.value.rows[0].errors["fatal"][0]
    assert Referral.objects.count() == 0
    assert Overdose.objects.count() == 0


def test_100_good_rows_import_100_referrals(pco: Program, importer: User) -> None:
    counts = commit(importer, pco, csv_bytes([row(i) for i in range(100)]))

    assert counts.as_dict() == {
        "rows": 100,
        "referrals": 100,
        "overdoses_created": 100,
        "overdoses_merged": 0,
        "tasks_opened": 100,
        "deaths_held": 0,
        "sent_before": 0,
    }
    referrals = Referral.objects.filter(program=pco, pathway="naloxone_plus", channel="import")
    assert referrals.count() == 100
    assert OverdoseReport.objects.filter(source="ems", external_id="R-0007").count() == 1
    event = AuditEvent.objects.get(object_type="intake.import")
    assert event.actor == importer
    assert event.program_slug == "pco"
    assert event.detail["rows"] == 100


def test_a_row_that_validate_referral_refuses_stops_the_import(
    pco: Program, importer: User
) -> None:
    tomorrow = (timezone.now() + dt.timedelta(days=1)).isoformat()
    rows = [row(0), row(1, **{"Incident Date/Time": tomorrow})]
    with pytest.raises(ImportFailed) as failure:
        commit(importer, pco, csv_bytes(rows))
    assert [bad.number for bad in failure.value.rows] == [3]
    assert Referral.objects.count() == 0


def test_a_row_refused_while_recording_rolls_back_the_rows_before_it(
    pco: Program, importer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def refuse_the_third(actor: Actor, program: Program, referral: Any, *, channel: str) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise ActionError("The referral has invalid fields.", {"person": ["taken"]})
        return record_referral(actor, program, referral, channel=channel)

    monkeypatch.setattr("coresponder.intake.imports.record_referral", refuse_the_third)
    with pytest.raises(ImportFailed, match="row 4 was refused") as failure:
        commit(importer, pco, csv_bytes([row(i) for i in range(5)]))
    assert failure.value.rows[0].errors == {"person": ["taken"]}
    assert Referral.objects.count() == 0
    assert Overdose.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="intake.import").exists()


def test_ems_and_hospital_reports_of_one_overdose_become_one_overdose(
    pco: Program, importer: User
) -> None:
    ems = row(1, Agency="ems", **{"Incident #": "EMS-1"})
    hospital = row(
        1,
        Agency="hospital",
        Lat=f"{LAT + 0.0001 + 0.0009:.6f}",  # about 100 m north
        **{
            "Incident Date/Time": (FIRST + dt.timedelta(hours=1, minutes=30)).isoformat(),
            "Incident #": "ED-1",
        },
    )
    counts = commit(importer, pco, csv_bytes([ems, hospital]))

    assert (counts.referrals, counts.overdoses_created, counts.overdoses_merged) == (1, 1, 1)
    overdose = Overdose.objects.get()
    assert sorted(overdose.reports.values_list("source", flat=True)) == ["ems", "hospital"]
    assert Referral.objects.count() == 1


def test_files_past_the_limits_or_in_the_old_xls_format_are_refused(settings: Any) -> None:
    settings.IMPORT_MAX_FILE_MB = 1
    with pytest.raises(ImportRefused, match="save the sheet as .xlsx"):
        read_table(b"\xd0\xcf\x11\xe0" + b"\0" * 60, "old.xls")
    with pytest.raises(ImportRefused, match="The file is 1.0 MB; files up to 1 MB"):
        read_table(b"a" * (1_048_576 + 1), "big.csv")
    many = "Incident Date/Time\n" + "2025-02-01T09:00:00+00:00\n" * (MAX_ROWS + 1)
    with pytest.raises(ImportRefused, match="more than 10,000 rows"):
        read_table(many.encode(), "long.csv")


LONG = "x" * 200_000  # past Python's own csv limit of 131,072 characters a cell


def test_the_limits_default_to_20_mb_a_file_and_10000_characters_a_cell() -> None:
    from django.conf import settings

    assert (settings.IMPORT_MAX_FILE_MB, settings.IMPORT_MAX_CELL_CHARS) == (20, 10_000)


@pytest.mark.parametrize("length", [10_001, 131_073, 200_000])
def test_an_over_long_csv_cell_refuses_the_file_naming_row_and_column(length: int) -> None:
    data = csv_bytes([row(0), row(1, **{"First Name": "x" * length})])
    message = (
        f"Row 3, column “First Name”, holds {length:,} characters; a cell may hold at most 10,000."
    )
    with pytest.raises(ImportRefused, match=message):
        read_table(data, "long.csv")


def test_a_cell_of_exactly_the_limit_is_read(settings: Any) -> None:
    settings.IMPORT_MAX_CELL_CHARS = 50
    table = read_table(csv_bytes([row(0, **{"First Name": "x" * 50})]), "ok.csv")
    assert table.rows[0][1][HEADER.index("First Name")] == "x" * 50


def test_an_over_long_cell_without_a_header_or_in_the_header_is_named_by_position() -> None:
    extra = csv_bytes([row(0), [*row(1), LONG]])  # one cell more than there are headers
    with pytest.raises(ImportRefused, match="Row 3, column 12, holds 200,000 characters"):
        read_table(extra, "extra.csv")
    with pytest.raises(ImportRefused, match="Row 1, column 2, holds 200,000 characters"):
        read_table(f"Incident Date/Time,{LONG}\r\n".encode(), "header.csv")


def test_an_over_long_xlsx_cell_refuses_the_file_naming_row_and_column() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(row(0, Agency="x" * 20_000))  # XLSX cells hold up to 32,767 characters
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ImportRefused, match="Row 2, column “Agency”, holds 20,000 characters"):
        read_table(out.getvalue(), "long.xlsx")


def workbook(
    rows: list[list[Any]], added: dict[str, str] | None = None, **parts: Callable[[str], str]
) -> bytes:
    """An XLSX of `rows`, each part named in `parts` rewritten by its function and the parts
    `added` put in, as another program (or someone with a text editor) might write it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for cells in rows:
        sheet.append(cells)
    saved = io.BytesIO()
    book.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in source.namelist():
            text = source.read(name).decode()
            z.writestr(name, parts.get(name.replace("/", "_").replace(".", "_"), str)(text))
        for name, text in (added or {}).items():
            z.writestr(name, text)
    return out.getvalue()


def test_a_workbook_that_says_it_is_larger_than_it_is_is_read_at_its_real_size() -> None:
    # A dimension of every column and row would have every row read 16,384 cells wide
    # and a million empty rows after the last: hours of work from a file of a few KB.
    claims = workbook(
        [HEADER, row(0)],
        xl_worksheets_sheet1_xml=lambda xml: re.sub(
            r'dimension ref="[^"]*"', 'dimension ref="A1:XFD3"', xml
        ),
    )
    table = read_table(claims, "claims.xlsx")
    assert table.headers == HEADER
    assert [len(cells) for _number, cells in table.rows] == [len(HEADER)]


def test_a_workbook_with_a_value_past_the_last_column_read_is_refused() -> None:
    wide = row(0) + [""] * (MAX_COLUMNS - len(HEADER)) + ["stray"]
    with pytest.raises(ImportRefused, match=f"Row 2 has a value past column {MAX_COLUMNS}"):
        read_table(workbook([HEADER, wide]), "wide.xlsx")


def test_empty_cells_past_the_last_column_read_are_left_out() -> None:
    # An empty cell far to the right (kept for its formatting) is no reason to refuse.
    far = workbook(
        [HEADER, row(0)],
        xl_worksheets_sheet1_xml=lambda xml: re.sub(
            r'(<row r="2".*?)</row>', r'\1<c r="XFD2" s="0"/></row>', xml
        ),
    )
    table = read_table(far, "far.xlsx")
    assert [len(cells) for _number, cells in table.rows] == [len(HEADER)]


def test_a_workbook_with_rows_far_below_the_data_is_refused() -> None:
    below = workbook(
        [HEADER, row(0)],
        xl_worksheets_sheet1_xml=lambda xml: xml.replace(
            "</sheetData>",
            f'<row r="{MAX_SHEET_ROWS + 1}"><c r="A{MAX_SHEET_ROWS + 1}" t="inlineStr">'
            "<is><t>note</t></is></c></row></sheetData>",
        ),
    )
    with pytest.raises(ImportRefused, match=f"runs past row {MAX_SHEET_ROWS:,}"):
        read_table(below, "below.xlsx")


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def test_a_workbook_that_unpacks_far_beyond_the_file_limit_is_refused(settings: Any) -> None:
    # A few KB that unpack to many MB of strings: read whole, they would fill the memory.
    settings.IMPORT_MAX_FILE_MB = 1
    strings = "<si><t>a</t></si>" * 400_000
    bomb = workbook(
        [HEADER, row(0)],
        added={"xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">{strings}</sst>'},
    )
    assert len(bomb) < 100_000
    with pytest.raises(ImportRefused, match="unpacks to 6.5 MB; a workbook may unpack to 5 MB"):
        read_table(bomb, "bomb.xlsx")


# --- The command ------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_overdoses", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_a_file_and_prints_the_mapping_and_counts(
    pco: Program, importer: User, tmp_path: Path
) -> None:
    path = tmp_path / "od.csv"
    path.write_bytes(csv_bytes([row(i) for i in range(3)]))
    out, _ = run("pco", str(path), "--user", "importer")
    assert "occurred_at = 'Incident Date/Time'" in out
    assert "Imported 3 rows: 3 referrals, 3 overdoses created" in out
    assert Referral.objects.filter(channel="import").count() == 3
    event = AuditEvent.objects.get(object_type="intake.import")
    assert event.where == "cli"
    assert event.detail["file_name"] == "od.csv"


def test_the_command_names_bad_rows_writes_nothing_and_fails(
    pco: Program, importer: User, tmp_path: Path
) -> None:
    path = tmp_path / "od.csv"
    path.write_bytes(csv_bytes([row(0), row(1, Fatal="?"), row(2)]))
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_overdoses", "pco", str(path), "--user", "importer", stderr=err)
    assert failure.value.returncode != 0
    assert "row 3: Fatal:" in err.getvalue()
    assert Referral.objects.count() == 0


def test_the_command_maps_columns_by_hand_and_takes_a_fixed_source(
    pco: Program, importer: User, tmp_path: Path
) -> None:
    path = tmp_path / "od.csv"
    path.write_bytes(csv_bytes([row(0, Agency="")]))
    out, _ = run(
        "pco", str(path), "--user", "importer", "--source", "police", "--map", "external_id="
    )
    assert "external_id -" in out
    assert OverdoseReport.objects.get().source == "police"
    assert OverdoseReport.objects.get().external_id == ""


def test_the_command_dry_run_writes_nothing(pco: Program, importer: User, tmp_path: Path) -> None:
    path = tmp_path / "od.csv"
    path.write_bytes(csv_bytes([row(0), row(1)]))
    out, _ = run("pco", str(path), "--user", "importer", "--dry-run")
    assert "2 rows would be imported" in out
    assert Referral.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="intake.import").exists()


def test_the_command_refuses_naive_times_unless_told_they_are_local(
    pco: Program, importer: User, tmp_path: Path
) -> None:
    path = tmp_path / "od.csv"
    path.write_bytes(csv_bytes([row(0, **{"Incident Date/Time": "2025-02-01 09:00"})]))
    with pytest.raises(CommandError):
        run("pco", str(path), "--user", "importer")
    run("pco", str(path), "--user", "importer", "--naive-times-local")
    assert Overdose.objects.get().occurred_at == dt.datetime(2025, 2, 1, 14, tzinfo=dt.UTC)


def test_the_command_refuses_a_user_who_may_not_record_referrals(
    pco: Program, tmp_path: Path
) -> None:
    member_of(pco, Role.ANALYST, "counter")
    path = tmp_path / "od.csv"
    path.write_bytes(csv_bytes([row(0)]))
    with pytest.raises(CommandError, match="may not record referrals"):
        run("pco", str(path), "--user", "counter")
    assert Referral.objects.count() == 0


def test_the_command_refuses_an_over_long_cell_naming_row_and_column(
    pco: Program, importer: User, tmp_path: Path
) -> None:
    path = tmp_path / "od.csv"
    path.write_bytes(csv_bytes([row(0), row(1, **{"Incident #": LONG})]))
    with pytest.raises(CommandError) as failure:
        run("pco", str(path), "--user", "importer")
    assert "Row 3, column “Incident #”, holds 200,000 characters" in str(failure.value)
    assert "Nothing was imported." in str(failure.value)
    assert Referral.objects.count() == 0


def test_the_command_refuses_an_over_large_file_before_reading_it(
    pco: Program, importer: User, tmp_path: Path, settings: Any
) -> None:
    settings.IMPORT_MAX_FILE_MB = 1
    path = tmp_path / "od.csv"
    path.write_bytes(csv_bytes([row(i) for i in range(3)]) + b" " * 2 * 1_048_576)
    with pytest.raises(CommandError, match="od.csv is 2.0 MB; files up to 1 MB can be imported"):
        run("pco", str(path), "--user", "importer")
    assert Referral.objects.count() == 0


# --- The web ---------------------------------------------------------------------------------


def upload(client: Client, data: bytes, name: str = "od.csv", **fields: Any) -> Any:
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post("/intake/import/pco/", {"file": file, "source": "", **fields})


def mapping_form(**changes: str) -> dict[str, str]:
    form = {name: header for name, header in suggest_mapping(HEADER).items()}
    form.update(changes)
    return form


def test_the_web_flow_uploads_maps_previews_and_commits(importer: User, var_dir: Path) -> None:
    client = signed_in(importer)
    assert client.get("/intake/import/pco/").status_code == 200
    response = upload(client, csv_bytes([row(i) for i in range(5)]))
    assert response.status_code == 302
    assert response["Location"] == "/intake/import/pco/map/"
    assert len(list((var_dir / "imports").iterdir())) == 1

    page = client.get("/intake/import/pco/map/")
    assert page.status_code == 200
    assert '<option value="Incident Date/Time" selected>' in page.content.decode()
    response = client.post("/intake/import/pco/map/", mapping_form())
    assert response["Location"] == "/intake/import/pco/preview/"

    preview = client.get("/intake/import/pco/preview/")
    html = preview.content.decode()
    assert "5 rows, 5 ready, 0 with errors" in html
    assert "usa-table--stacked" in html
    assert "Import 5 rows" in html
    assert Referral.objects.count() == 0

    response = client.post("/intake/import/pco/preview/")
    assert response["Location"] == "/intake/import/pco/done/"
    done = client.get("/intake/import/pco/done/").content.decode()
    assert "all 5 rows imported" in done
    assert Referral.objects.filter(channel="import").count() == 5
    assert list((var_dir / "imports").iterdir()) == []
    assert AuditEvent.objects.filter(object_type="intake.import", actor=importer).count() == 1


def test_the_preview_names_bad_rows_and_offers_no_commit(importer: User, var_dir: Path) -> None:
    client = signed_in(importer)
    upload(client, csv_bytes([row(0), row(1, Fatal="perhaps")]))
    client.post("/intake/import/pco/map/", mapping_form())
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert "2 rows, 1 ready, 1 with errors" in html
    assert "perhaps" in html
    assert "Import 2 rows" not in html

    response = client.post("/intake/import/pco/preview/")
    assert response.status_code == 422
    assert "row 3 has errors" in response.content.decode()
    assert Referral.objects.count() == 0


def test_the_mapping_step_asks_for_the_required_columns(importer: User, var_dir: Path) -> None:
    client = signed_in(importer)
    upload(client, csv_bytes([row(0)]))
    response = client.post("/intake/import/pco/map/", mapping_form(fatal=""))
    assert response.status_code == 422
    assert "Choose the column that holds it" in response.content.decode()


def test_the_local_time_option_on_the_upload_form_reaches_the_preview(
    importer: User, var_dir: Path
) -> None:
    client = signed_in(importer)
    naive = csv_bytes([row(0, **{"Incident Date/Time": "2025-02-01 09:00"})])
    upload(client, naive)
    client.post("/intake/import/pco/map/", mapping_form())
    assert "no UTC offset" in client.get("/intake/import/pco/preview/").content.decode()

    upload(client, naive, naive_times_local="on")
    client.post("/intake/import/pco/map/", mapping_form())
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert "1 ready, 0 with errors" in html
    assert "Sat 1 Feb 2025, 09:00 EST" in html
    assert len(list((var_dir / "imports").iterdir())) == 1


def test_a_file_over_the_size_limit_is_refused_at_upload(
    importer: User, var_dir: Path, settings: Any
) -> None:
    settings.IMPORT_MAX_FILE_MB = 1
    client = signed_in(importer)
    response = upload(client, b"x" * (1_048_576 + 1))
    assert response.status_code == 422
    assert "files up to 1 MB can be imported" in response.content.decode()
    assert not (var_dir / "imports").exists() or not list((var_dir / "imports").iterdir())


def test_a_file_with_an_over_long_cell_is_refused_at_upload_and_not_kept(
    importer: User, var_dir: Path
) -> None:
    client = signed_in(importer)
    response = upload(client, csv_bytes([row(0), row(1, **{"Last Name": LONG})]))
    assert response.status_code == 422
    assert "Row 3, column “Last Name”, holds 200,000 characters" in response.content.decode()
    assert not (var_dir / "imports").exists() or not list((var_dir / "imports").iterdir())
    assert Referral.objects.count() == 0


def test_a_user_from_another_program_gets_404(pad: Program, pco: Program, var_dir: Path) -> None:
    outsider = member_of(pad, Role.OFFICER, "pad-officer")
    client = signed_in(outsider)
    for step in ("", "map/", "preview/", "done/"):
        assert client.get(f"/intake/import/pco/{step}").status_code == 404
    assert upload(client, csv_bytes([row(0)])).status_code == 404


def test_a_member_whose_role_may_not_record_referrals_gets_404(pco: Program, var_dir: Path) -> None:
    analyst = member_of(pco, Role.ANALYST, "pco-analyst")
    assert signed_in(analyst).get("/intake/import/pco/").status_code == 404


def test_someone_not_signed_in_is_sent_to_sign_in(pco: Program) -> None:
    response = Client().get("/intake/import/pco/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_column_is_proposed_only_where_its_values_fit_the_field() -> None:
    from coresponder.intake.imports import column_samples

    table = read_table(
        b"Incident Date/Time,Narcan,Fatal,Doses\n"
        b"2025-02-01T09:00:00+00:00,Yes,no,2\n"
        b"2025-02-01T10:00:00+00:00,No,no,1\n"
        b"2025-02-01T11:00:00+00:00,Yes,?,0\n",
        "od.csv",
    )
    by_name = suggest_mapping(table.headers)
    by_values = suggest_mapping(table.headers, column_samples(table))
    assert by_name["naloxone_doses"] == "Narcan"  # the name alone misleads
    assert by_values["naloxone_doses"] == "Doses"  # the Yes/No column is not a count
    assert by_values["fatal"] == "Fatal"  # one typing error does not lose the column


def test_a_phone_cell_that_says_there_is_no_number_imports_as_none_and_a_bad_one_is_named(
    pco: Program, importer: User
) -> None:
    header = [*HEADER, "Phone"]
    rows = [[*row(0), "N/A"], [*row(1), "unknown"], [*row(2), "(508) 555-0142"]]
    data = ("\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n").encode()
    counts = commit(importer, pco, data)
    assert counts.referrals == 3
    phones = sorted(Referral.objects.values_list("person__phone", flat=True))
    assert phones == ["", "", "(508) 555-0142"]
    bad = [[*row(3), "555-01"]]
    data = ("\r\n".join(",".join(r) for r in [header, *bad]) + "\r\n").encode()
    with pytest.raises(ImportFailed) as failed:
        commit(importer, pco, data)
    assert "7 to 15 digits" in str(failed.value.rows[0].errors)
