"""Overdose files as Excel and Google Sheets save them: encodings, blank rows, local times."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from coresponder.core.audit import Actor
from coresponder.intake.imports import (
    ImportRefused,
    commit_import,
    options_for,
    read_table,
    suggest_mapping,
)
from coresponder.intake.models import Referral
from coresponder.intake.tests.test_imports import (
    HEADER,
    csv_bytes,
    mapping_form,
    row,
    signed_in,
    upload,
)
from coresponder.people.models import Person
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db


def windows_csv(rows: list[list[str]]) -> bytes:
    """What Excel on Windows writes for "CSV (Comma delimited)": Windows-1252, CRLF."""
    lines = [",".join(HEADER)] + [",".join(cells) for cells in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_a_csv_saved_in_windows_1252_is_read_with_its_accents_and_curly_apostrophes(
    pco: Program, importer: User
) -> None:
    data = windows_csv([row(1, **{"First Name": "José", "Last Name": "O’Brien"})])
    table = read_table(data, "overdoses.csv")
    assert any("Windows-1252" in note for note in table.notes)
    options = options_for(pco, suggest_mapping(table.headers))
    commit_import(Actor(user=importer, where="test"), pco, table, options, file_name="od.csv")
    person = Person.objects.get()
    assert (person.given_name, person.family_name) == ("José", "O’Brien")


def test_the_preview_says_a_file_was_read_as_windows_1252(importer: User, var_dir: Path) -> None:
    client = signed_in(importer)
    upload(client, windows_csv([row(1, **{"Last Name": "Peña"})]))
    client.post("/intake/import/pco/map/", mapping_form())
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert "Windows-1252" in html
    assert "Peña" in html


def test_the_command_says_a_file_was_read_as_windows_1252(
    pco: Program, importer: User, tmp_path: Path
) -> None:
    path = tmp_path / "od.csv"
    path.write_bytes(windows_csv([row(1, **{"Last Name": "Peña"})]))
    out = io.StringIO()
    call_command("import_overdoses", "pco", str(path), "--user", "importer", stdout=out)
    assert "Windows-1252" in out.getvalue()
    assert Person.objects.get().family_name == "Peña"


def test_a_file_neither_utf_8_nor_windows_1252_is_still_refused() -> None:
    # 0x81 is neither UTF-8 on its own nor a character of Windows-1252.
    data = ",".join(HEADER).encode() + b"\r\n\x81\r\n"
    with pytest.raises(ImportRefused, match="not UTF-8"):
        read_table(data, "od.csv")


def test_the_preview_names_the_zone_times_without_an_offset_were_read_in(
    importer: User, var_dir: Path
) -> None:
    client = signed_in(importer)
    naive = [row(0, **{"Incident Date/Time": "3/4/2026 1:05 PM"})]
    upload(client, csv_bytes(naive), naive_times_local="on")
    client.post("/intake/import/pco/map/", mapping_form())
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert "Times without a UTC offset were read as Eastern time" in html
    assert "Wed 4 Mar 2026, 13:05 EST" in html


def test_the_preview_says_times_without_an_offset_are_refused_when_not_read_locally(
    importer: User, var_dir: Path
) -> None:
    client = signed_in(importer)
    upload(client, csv_bytes([row(0)]))
    client.post("/intake/import/pco/map/", mapping_form())
    html = client.get("/intake/import/pco/preview/").content.decode()
    assert "Times without a UTC offset are refused" in html


def workbook(*rows: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    for cells in rows:
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_sheet_whose_column_names_sit_below_blank_rows_is_read(
    pco: Program, importer: User
) -> None:
    data = workbook([None], [None, None], HEADER, row(1), row(2))
    table = read_table(data, "od.xlsx")
    assert table.headers == HEADER
    assert [number for number, _ in table.rows] == [4, 5]
    options = options_for(pco, suggest_mapping(table.headers))
    commit_import(Actor(user=importer, where="test"), pco, table, options, file_name="od.xlsx")
    assert Referral.objects.count() == 2


def unicode_text(rows: list[list[str]], encoding: str = "utf-16") -> bytes:
    """What Excel on Windows writes for "Unicode Text": UTF-16 with its byte-order mark, tabs
    between the columns, CRLF."""
    lines = ["\t".join(HEADER)] + ["\t".join(cells) for cells in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_sheet_saved_as_unicode_text_is_read_with_its_names(
    pco: Program, importer: User, encoding: str
) -> None:
    data = unicode_text([row(1, **{"First Name": "José", "Last Name": "Nguyễn"})], encoding)
    if encoding != "utf-16":
        mark = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
        data = mark + data
    table = read_table(data, "overdoses.txt")
    assert table.headers == list(HEADER)
    options = options_for(pco, suggest_mapping(table.headers))
    commit_import(Actor(user=importer, where="test"), pco, table, options, file_name="od.txt")
    person = Person.objects.get()
    assert (person.given_name, person.family_name) == ("José", "Nguyễn")


def test_utf_16_without_its_mark_is_refused_with_a_sentence_not_read_as_windows_1252() -> None:
    data = unicode_text([row(1)], encoding="utf-16-le")
    with pytest.raises(ImportRefused, match="NUL bytes") as refused:
        read_table(data, "od.csv")
    assert "CSV UTF-8" in str(refused.value)
    assert not Referral.objects.exists()


def test_the_command_reads_unicode_text_too(pco: Program, importer: User, tmp_path: Path) -> None:
    path = tmp_path / "od.txt"
    path.write_bytes(unicode_text([row(1, **{"Last Name": "Peña"})]))
    call_command("import_overdoses", "pco", str(path), "--user", "importer", stdout=io.StringIO())
    assert Person.objects.get().family_name == "Peña"
