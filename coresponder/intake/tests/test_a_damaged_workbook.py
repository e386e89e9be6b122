"""A damaged XLSX workbook (a sheet cut short, a byte changed in transit) is refused with a
message, at upload and on the command line, never with an error page or a traceback."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from coresponder.intake.imports import ImportRefused, read_table
from coresponder.intake.models import Referral
from coresponder.intake.tests.test_imports import HEADER, row, signed_in, upload
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

UNREADABLE = "The file is not a readable XLSX workbook."


def workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for i in range(50):
        sheet.append(row(i))
    saved = io.BytesIO()
    book.save(saved)
    return saved.getvalue()


def rewritten(change: Callable[[str, bytes], bytes | None]) -> bytes:
    """The workbook with each part as `change` makes it (None leaves the part out)."""
    source = zipfile.ZipFile(io.BytesIO(workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            part = change(name, source.read(name))
            if part is not None:
                target.writestr(name, part)
    return out.getvalue()


def a_byte_changed() -> bytes:
    """A byte of the sheet's compressed data changed, as a damaged download has it."""
    data = bytearray(workbook())
    data[data.find(b"xl/worksheets/sheet1.xml") + 200] ^= 0xFF
    return bytes(data)


DAMAGED = {
    "a sheet cut short": lambda: rewritten(
        lambda name, part: part[: len(part) // 2] if name.endswith("sheet1.xml") else part
    ),
    "a byte changed": a_byte_changed,
    "the sheet missing": lambda: rewritten(
        lambda name, part: None if name.endswith("sheet1.xml") else part
    ),
    "the styles cut short": lambda: rewritten(
        lambda name, part: part[:50] if name.endswith("styles.xml") else part
    ),
}


@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_workbook_is_refused_as_unreadable(damage: str) -> None:
    with pytest.raises(ImportRefused, match=UNREADABLE):
        read_table(DAMAGED[damage](), "overdoses.xlsx")


def test_a_damaged_workbook_is_refused_at_upload_and_not_kept(
    importer: User, var_dir: Path
) -> None:
    response = upload(signed_in(importer), DAMAGED["a byte changed"](), name="overdoses.xlsx")
    assert response.status_code == 422
    assert UNREADABLE in response.content.decode()
    assert not (var_dir / "imports").exists() or not list((var_dir / "imports").iterdir())


def test_the_command_refuses_a_damaged_workbook_and_writes_nothing(
    pco: Program, importer: User, tmp_path: Path
) -> None:
    path = tmp_path / "overdoses.xlsx"
    path.write_bytes(DAMAGED["a sheet cut short"]())
    with pytest.raises(CommandError, match=UNREADABLE):
        call_command("import_overdoses", "pco", str(path), "--user", importer.username)
    assert Referral.objects.count() == 0
