"""Overdose notifications imported from CSV and XLSX files, all or nothing.

Reading, column mapping and value parsing are plain Python; only the preview
(which asks `validate_referral`) and the commit (which calls `record_referral`
for every row inside one transaction) touch the database.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from django.db import DatabaseError, transaction

from coresponder import import_limits
from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError
from coresponder.domain.clock import zone_words
from coresponder.domain.intake import MOST_NALOXONE_DOSES, age_problem, phone_digit_count
from coresponder.domain.policy import RecordType, may_write
from coresponder.domain.vocabulary import OverdoseSource, Pathway
from coresponder.intake.actions import record_referral, validate_referral
from coresponder.intake.import_plan import RowPlan, plan_rows
from coresponder.intake.inputs import PERSON_KEYS, OverdoseInput, PersonInput, ReferralInput
from coresponder.intake.models import Referral
from coresponder.privacy.access import role_in
from coresponder.programs.models import Program

# Limits keep one upload inside one request and one transaction of sane length;
# the file's size and each cell's length are settings (coresponder.import_limits).
MAX_ROWS = 10_000
# A workbook is read as it is, not as it says it is: its declared size (the dimension) may
# be any size, and its parts may unpack to thousands of times the file's size. So a sheet is
# read no further down than MAX_SHEET_ROWS (blank rows too) nor wider than MAX_COLUMNS, and
# the whole workbook may unpack to at most UNPACKED_TIMES the largest file accepted.
MAX_COLUMNS = 500
MAX_SHEET_ROWS = 2 * MAX_ROWS
UNPACKED_TIMES = 5
SOURCES = tuple(source.value for source in OverdoseSource)


class ImportRefused(ValueError):
    """The file as a whole cannot be read or is too big; no row was looked at."""


class ImportFailed(Exception):
    """Some rows are bad, so nothing was written; `rows` names every bad one."""

    def __init__(self, message: str, rows: list[RowResult]) -> None:
        super().__init__(message)
        self.rows = rows


# --- Reading files ------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A sheet's header and its non-empty rows, each with the row number a user sees."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    # What reading decided that the user should check, said on the preview.
    notes: tuple[str, ...] = ()


def read_table(data: bytes, file_name: str) -> Table:
    """CSV or XLSX, by content (an XLSX file is a ZIP archive), within the limits."""
    too_large = import_limits.file_size_problem(len(data))
    if too_large:
        raise ImportRefused(too_large)
    if data[:4] == b"PK\x03\x04" or file_name.lower().endswith(".xlsx"):
        return read_xlsx(data)
    if data[:4] == b"\xd0\xcf\x11\xe0":  # the old binary .xls format
        raise ImportRefused("Old .xls workbooks cannot be read; save the sheet as .xlsx or CSV.")
    return read_csv(data)


WINDOWS_1252_NOTE = (
    "The file is not UTF-8, so it was read as Windows-1252 text, as Excel's “CSV (Comma "
    "delimited)” saves it. Check that names with accents read right below; if they do not, "
    "save the sheet as “CSV UTF-8” and upload it again."
)


UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_csv(data: bytes) -> Table:
    """UTF-8 text, with or without a byte-order mark; comma, semicolon or tab delimited.

    Excel on Windows saves "CSV (Comma delimited)" in Windows-1252, so Peña and O’Brien
    arrive as bytes that are not UTF-8: such a file is read as Windows-1252, and the
    preview says so. Its "Unicode Text" is UTF-16 with a byte-order mark and tabs between
    the columns, and is read as such. NUL bytes without that mark are UTF-16 (or not text)
    that cannot be read safely: refused.
    """
    notes: tuple[str, ...] = ()
    if data.startswith(UTF16_MARKS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportRefused(
                "The file begins as UTF-16 text but breaks off partway. Save it as "
                "“CSV UTF-8” and try again."
            ) from exc
        return _csv_table(text, notes)
    if b"\x00" in data:
        raise ImportRefused(
            "The file holds NUL bytes, so it is not a CSV or text file we can read (perhaps "
            "UTF-16 saved without its byte-order mark). Save the sheet as “CSV UTF-8” and "
            "try again."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ImportRefused(
                "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
            ) from exc
        notes = (WINDOWS_1252_NOTE,)
    return _csv_table(text, notes)


def _csv_table(text: str, notes: tuple[str, ...]) -> Table:
    reader = import_limits.csv_rows(text, delimiter=_delimiter(text))
    try:
        return replace(_table(enumerate(reader, start=1)), notes=notes)
    except csv.Error as exc:
        raise ImportRefused(
            f"Row {reader.line_num} cannot be read as CSV ({exc}). Save the sheet as "
            "“CSV UTF-8” and try again."
        ) from exc


def _delimiter(text: str) -> str:
    """Semicolons where a spreadsheet saved with a decimal comma used them, tabs where it
    saved text, else commas."""
    sample = text[:65_536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        counts = {delimiter: first_line.count(delimiter) for delimiter in ",;\t"}
        best = max(counts, key=lambda delimiter: counts[delimiter])
        return best if counts[best] > counts[","] else ","


# What a damaged workbook raises as it is opened or read: the archive (a bad ZIP, data that
# does not inflate, a part missing) or a part's XML (ParseError is a SyntaxError).
DAMAGED_WORKBOOK = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,
    ValueError,
    OSError,
    SyntaxError,
)
UNREADABLE_WORKBOOK = "The file is not a readable XLSX workbook."


def read_xlsx(data: bytes) -> Table:
    """The first worksheet of a workbook; cells keep their types (dates stay dates)."""
    from openpyxl import load_workbook

    _refuse_unpacking_too_large(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except DAMAGED_WORKBOOK as exc:
        raise ImportRefused(UNREADABLE_WORKBOOK) from exc
    try:
        # A read-only workbook reads its sheet as the rows are asked for: damage inside the
        # sheet shows only here.
        sheet = book.worksheets[0]
        # Only the rows and cells the sheet holds, never the size it declares.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        return _table(_sheet_rows(rows))
    except ImportRefused:
        raise
    except DAMAGED_WORKBOOK as exc:
        raise ImportRefused(UNREADABLE_WORKBOOK) from exc
    finally:
        book.close()


def _refuse_unpacking_too_large(data: bytes) -> None:
    """Refuse a workbook whose parts unpack to far more than any file we accept, before
    they are read: the sizes are the archive's own, and reading stops at them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
    except DAMAGED_WORKBOOK as exc:
        raise ImportRefused(UNREADABLE_WORKBOOK) from exc
    limit = import_limits.max_file_bytes() * UNPACKED_TIMES
    if unpacked > limit:
        mb = import_limits.MEGABYTE
        raise ImportRefused(
            f"The workbook unpacks to {unpacked / mb:.1f} MB; a workbook may unpack to "
            f"{limit / mb:.0f} MB. Save it as CSV, or split it and import each part."
        )


def _sheet_rows(rows: Iterable[Sequence[Any]]) -> Iterable[tuple[int, list[Any]]]:
    """The sheet's rows, numbered, cut at MAX_COLUMNS: empty cells past it (kept for their
    formatting) are left out, a value there refuses the file, as does a row past
    MAX_SHEET_ROWS."""
    for number, cells in enumerate(rows, start=1):
        if number > MAX_SHEET_ROWS:
            raise ImportRefused(
                f"The sheet runs past row {MAX_SHEET_ROWS:,}; clear what lies below the data, "
                "or split it and import each part."
            )
        beyond = cells[MAX_COLUMNS:]
        if beyond.count(None) != len(beyond):
            raise ImportRefused(
                f"Row {number} has a value past column {MAX_COLUMNS}; an import reads at most "
                f"{MAX_COLUMNS} columns."
            )
        kept = list(cells[:MAX_COLUMNS])
        while kept and kept[-1] is None:
            kept.pop()
        yield number, kept


def _table(numbered: Iterable[tuple[int, list[Any]]]) -> Table:
    headers: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in numbered:
        _check_cells(number, cells, headers or [])
        if headers is None:
            # Blank rows above the column names (a sheet's spacing) are not the header.
            if not all(_blank(cell) for cell in cells):
                headers = _headers(cells)
            continue
        if all(_blank(cell) for cell in cells):
            continue
        if len(rows) == MAX_ROWS:
            raise ImportRefused(
                f"The file has more than {MAX_ROWS:,} rows; split it and import each part."
            )
        rows.append((number, cells))
    if not headers:
        raise ImportRefused("The file is empty: the first row must name the columns.")
    return Table(headers=headers, rows=rows)


def _check_cells(number: int, cells: list[Any], headers: list[str]) -> None:
    """Refuse the file at its first over-long cell, naming the row and the column."""
    for index, cell in enumerate(cells):
        header = headers[index] if index < len(headers) and headers[index] else ""
        column = f"column “{header}”" if header else f"column {index + 1}"
        problem = import_limits.cell_problem(cell, f"Row {number}, {column},")
        if problem:
            raise ImportRefused(problem)


def _headers(cells: list[Any]) -> list[str]:
    headers = [str(cell).strip() if cell is not None else "" for cell in cells]
    while headers and not headers[-1]:
        headers.pop()
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            raise ImportRefused(f"Two columns are headed “{header}”; give each a distinct name.")
        seen.add(header)
    return headers


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


# --- Column mapping -------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A field an import fills, and the headers other systems give it."""

    name: str
    label: str
    required: bool = False
    synonyms: tuple[str, ...] = ()


TARGETS: tuple[Target, ...] = (
    Target(
        "occurred_at",
        "When the overdose happened",
        required=True,
        synonyms=(
            "incident date/time",
            "incident datetime",
            "incident date time",
            "incident time",
            "overdose date/time",
            "overdose time",
            "date/time of overdose",
            "date time",
            "datetime",
            "event time",
            "occurred",
        ),
    ),
    Target(
        "received_at",
        "When the notification came in (default: when it happened)",
        synonyms=("received", "date received", "reported at", "report time", "notified at"),
    ),
    Target(
        "fatal",
        "Fatal",
        required=True,
        synonyms=("fatality", "fatal overdose", "deceased", "death", "died", "is fatal"),
    ),
    Target(
        "naloxone_doses",
        "Naloxone doses",
        synonyms=(
            "narcan doses",
            "narcan",
            "naloxone",
            "doses",
            "naloxone given",
            "narcan administered",
            "naloxone administered",
            "doses of narcan",
        ),
    ),
    Target("latitude", "Latitude", synonyms=("lat", "gps lat", "incident latitude", "y")),
    Target(
        "longitude",
        "Longitude",
        synonyms=("lon", "lng", "long", "gps lon", "gps long", "incident longitude", "x"),
    ),
    Target(
        "place",
        "Where it happened",
        synonyms=("location", "incident location", "incident address", "scene", "where"),
    ),
    Target(
        "source",
        "Who reported it",
        synonyms=("agency", "agency type", "reporting agency", "reported by", "source agency"),
    ),
    Target(
        "external_id",
        "The reporter's record number",
        synonyms=(
            "incident number",
            "incident #",
            "incident no",
            "incident id",
            "case number",
            "run number",
            "pcr number",
            "report number",
            "record id",
            "id",
        ),
    ),
    Target(
        "given_name",
        "Given name",
        synonyms=("first name", "first", "fname", "patient first name"),
    ),
    Target(
        "family_name",
        "Family name",
        synonyms=("last name", "last", "surname", "lname", "patient last name"),
    ),
    Target(
        "birth_date",
        "Date of birth",
        synonyms=("dob", "d.o.b.", "date of birth", "birthdate", "patient dob"),
    ),
    Target(
        "birth_year",
        "Birth year",
        synonyms=("year of birth", "yob", "birthyear", "patient birth year", "birth yr"),
    ),
    Target(
        "age",
        "Age at the overdose",
        synonyms=("patient age", "age years", "age in years", "age at incident", "pt age"),
    ),
    Target("sex", "Sex", synonyms=("gender", "patient sex")),
    Target(
        "phone",
        "Phone",
        synonyms=("phone number", "telephone", "tel", "mobile", "cell", "contact number"),
    ),
    Target(
        "address",
        "Home address",
        synonyms=("home address", "street address", "residence", "patient address"),
    ),
    Target(
        "facility",
        "Hospital or facility that saw them",
        synonyms=(
            "hospital",
            "facility name",
            "hospital name",
            "receiving facility",
            "receiving hospital",
            "destination facility",
            "treating facility",
        ),
    ),
)
TARGET_BY_NAME = {target.name: target for target in TARGETS}


def normalize_header(header: str) -> str:
    """`Incident Date/Time` → `incidentdatetime`: case, spaces and punctuation ignored."""
    return re.sub(r"[^0-9a-z#]", "", header.lower())


# Rows read to see whether a column's values fit a field, and the share that must: half,
# so a column with a few typing errors is still proposed (the preview names those rows).
SAMPLE_ROWS = 50
FITTING_SHARE = 0.5


def column_samples(table: Table, limit: int = SAMPLE_ROWS) -> dict[str, list[Any]]:
    """header → its first non-blank values, to check a suggestion against what the column holds."""
    samples: dict[str, list[Any]] = {h: [] for h in table.headers if h}
    for _number, cells in table.rows[:limit]:
        for index, header in enumerate(table.headers):
            if header and index < len(cells) and not _blank(cells[index]):
                samples[header].append(cells[index])
    return samples


def values_fit(name: str, values: Sequence[Any]) -> bool:
    """Do most of a column's values parse as the field `name` needs? Blank columns fit."""
    # Naive times fit: the user may still choose to read them in the program's zone.
    options = ImportOptions(mapping={}, naive_times_in_program_timezone=True)
    parser = _parsers(options).get(name)
    if parser is None or not values:
        return True
    fitting = 0
    for value in values:
        try:
            parser(value)
        except CellError:
            continue
        fitting += 1
    return fitting >= FITTING_SHARE * len(values)


def suggest_mapping(
    headers: Iterable[str], samples: Mapping[str, Sequence[Any]] | None = None
) -> dict[str, str]:
    """target → header, by normalized name and common synonyms; each header used once.

    With `samples`, a header is suggested only where its values fit the field: a
    Yes/No "Narcan" column is not a count of naloxone doses.
    """
    available = {normalize_header(h): h for h in headers if h}
    suggested: dict[str, str] = {}
    for target in TARGETS:
        for candidate in (target.name, target.label, *target.synonyms):
            header = available.get(normalize_header(candidate))
            if header is None or header in suggested.values():
                continue
            if samples is not None and not values_fit(target.name, samples.get(header, ())):
                continue
            suggested[target.name] = header
            break
    return suggested


def check_mapping(
    mapping: Mapping[str, str], headers: list[str], fixed_source: str = ""
) -> dict[str, list[str]]:
    """Problems with the mapping as a whole, by target; {} when it can be used."""
    errors: dict[str, list[str]] = {}
    for name, header in mapping.items():
        if name not in TARGET_BY_NAME:
            errors.setdefault(name, []).append("is not a field an import fills")
        elif header and header not in headers:
            errors.setdefault(name, []).append(f"the file has no column “{header}”")
    for target in TARGETS:
        if target.required and not mapping.get(target.name):
            errors.setdefault(target.name, []).append("choose the column that holds it")
    if fixed_source and fixed_source not in SOURCES:
        errors.setdefault("source", []).append(f"must be one of {', '.join(SOURCES)}")
    if not mapping.get("source") and not fixed_source:
        errors.setdefault("source", []).append(
            "choose the column that holds it, or one source for the whole file"
        )
    return errors


# --- Values ---------------------------------------------------------------------


class CellError(ValueError):
    """One cell's value cannot be used; the message says what was expected."""


@dataclass(frozen=True)
class ImportOptions:
    """What the user chose for the whole file."""

    mapping: Mapping[str, str]
    timezone: str = "UTC"
    source: str = ""  # one OverdoseSource for every row; a mapped column's value wins
    naive_times_in_program_timezone: bool = False


TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})
SEX_WORDS = {
    "f": "female",
    "female": "female",
    "woman": "female",
    "m": "male",
    "male": "male",
    "man": "male",
    "other": "other",
    "x": "other",
    "u": "unknown",
    "unknown": "unknown",
}
SOURCE_WORDS = {
    **{source: source for source in SOURCES},
    "fire": "ems",
    "ambulance": "ems",
    "pd": "police",
    "ed": "hospital",
    "er": "hospital",
    "emergencydepartment": "hospital",
    "friend": "family",
    "selfreport": "self",
}
# Columns whose text goes into a bounded database field.
MAX_LENGTHS = {
    "given_name": 100,
    "family_name": 100,
    "phone": 32,
    "address": 300,
    "place": 300,
    "external_id": 100,
    "facility": 200,
}
US_DATE_TIMES = (
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
)
OFFSET_EXAMPLE = "2025-03-10T14:30-04:00"


def parse_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return "" if value is None else str(value).strip()


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = parse_text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"“{word}” is not yes/no, true/false, Y/N or 1/0")


def parse_count(value: Any) -> int:
    """A whole number of naloxone doses; more than MOST_NALOXONE_DOSES is a typing error."""
    text = parse_text(value)
    try:
        number = float(text)
    except ValueError:
        raise CellError(f"“{text}” is not a whole number") from None
    if not number.is_integer() or not 0 <= number <= MOST_NALOXONE_DOSES:
        raise CellError(f"“{text}” is not a whole number from 0 to {MOST_NALOXONE_DOSES}")
    return int(number)


def parse_coordinate(value: Any, limit: float) -> float:
    """Decimal degrees; a comma may be the decimal mark, as a coordinate groups no thousands."""
    text = parse_text(value)
    try:
        number = float(text.replace(",", ".") if "." not in text else text)
    except ValueError:
        raise CellError(f"“{text}” is not a number") from None
    if not -limit <= number <= limit:
        raise CellError(f"{text} is not between -{limit:g} and {limit:g}")
    return number


def parse_date(value: Any) -> dt.date:
    """1990-05-04 or 05/04/1990 (month first, as written in the US), or a date cell."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = parse_text(value)
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date only
        except ValueError:
            continue
    raise CellError(f"“{text}” is not a date like 1990-05-04 or 05/04/1990")


def parse_datetime(value: Any, zone: ZoneInfo | None, *, local_choice: bool = True) -> dt.datetime:
    """An aware time; a naive one only when the file's times are the program's local time.

    `local_choice` says whether the sender may say so (a file import may, a CAD push may
    not): an error offers only what the sender can do."""
    moment = value if isinstance(value, dt.datetime) else _datetime_from_text(value)
    if moment.tzinfo is not None:
        return moment
    if zone is None:
        choice = ", or say the file's times are the program's local time" if local_choice else ""
        raise CellError(
            f"“{parse_text(value)}” has no UTC offset: write it like {OFFSET_EXAMPLE}{choice}"
        )
    return localize(moment, zone)


def _datetime_from_text(value: Any) -> dt.datetime:
    if isinstance(value, dt.date):
        raise CellError(f"{value.isoformat()} is a date without a time")
    text = parse_text(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise CellError(f"“{text}” is a date without a time")
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in US_DATE_TIMES:
        for with_offset in (pattern + " %z", pattern):
            try:
                return dt.datetime.strptime(text, with_offset)  # noqa: DTZ007 - checked by caller
            except ValueError:
                continue
    raise CellError(f"“{text}” is not a date and time like {OFFSET_EXAMPLE}")


def localize(naive: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The local wall-clock time in `zone`, refusing the DST traps.

    When clocks go forward an hour of wall-clock times never happens; when they
    go back an hour happens twice. Either way only an offset says which instant.
    """
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    back = first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    if back != naive:
        raise CellError(
            f"{naive:%Y-%m-%d %H:%M} did not happen in {zone_words(zone.key)} (clocks went forward)"
        )
    raise CellError(
        f"{naive:%Y-%m-%d %H:%M} happened twice in {zone_words(zone.key)} (clocks went back); "
        "give a UTC offset"
    )


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(parse_text(value))
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def parse_birth_year(value: Any) -> int:
    """A year of four digits; whether it can be true the referral's check says."""
    year = _whole_number(value)
    if year is None or not 1000 <= year <= 9999:
        raise CellError(f"“{parse_text(value)}” is not a year like 1988")
    return year


# "34", "34 years", "34 yrs", "34 y", "34 yo": an age in whole years, as EMS records write it.
AGE_TEXT = re.compile(r"(\d+)\s*(?:years?|yrs?|y|yo|y/o)?\.?")


def parse_age(value: Any) -> int:
    """An age in whole years at the overdose, from 0 to 120."""
    age = _whole_number(value)
    if age is None:
        found = AGE_TEXT.fullmatch(parse_text(value).lower())
        age = int(found.group(1)) if found else None
    if age is None or age_problem(age) is not None:
        raise CellError(f"“{parse_text(value)}” is not an age in whole years from 0 to 120")
    return age


def parse_source(value: Any) -> str:
    word = normalize_header(parse_text(value))
    if word in SOURCE_WORDS:
        return SOURCE_WORDS[word]
    raise CellError(f"“{parse_text(value)}” is not a source: use one of {', '.join(SOURCES)}")


def parse_sex(value: Any) -> str:
    word = parse_text(value).lower()
    if word in SEX_WORDS:
        return SEX_WORDS[word]
    raise CellError(f"“{parse_text(value)}” is not female, male, other or unknown")


# --- Rows -----------------------------------------------------------------------


@dataclass
class RowResult:
    """One data row: its referral for `record_referral`, or what is wrong with it."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    referral: ReferralInput | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def _parsers(options: ImportOptions) -> dict[str, Callable[[Any], Any]]:
    zone = ZoneInfo(options.timezone) if options.naive_times_in_program_timezone else None
    return {
        "occurred_at": lambda v: parse_datetime(v, zone),
        "received_at": lambda v: parse_datetime(v, zone),
        "fatal": parse_bool,
        "naloxone_doses": parse_count,
        "latitude": lambda v: parse_coordinate(v, 90),
        "longitude": lambda v: parse_coordinate(v, 180),
        "source": parse_source,
        "birth_date": parse_date,
        "birth_year": parse_birth_year,
        "age": parse_age,
        "sex": parse_sex,
    }


def parse_row(
    number: int, cells: list[Any], headers: list[str], options: ImportOptions
) -> RowResult:
    """The mapped cells of one row, parsed; each bad cell noted under its target."""
    row = RowResult(number=number)
    parsers = _parsers(options)
    for name, header in options.mapping.items():
        if not header or header not in headers or name not in TARGET_BY_NAME:
            continue
        index = headers.index(header)
        cell = cells[index] if index < len(cells) else None
        if _blank(cell):
            continue
        try:
            row.values[name] = parsers.get(name, parse_text)(cell)
        except CellError as exc:
            row.add_error(name, str(exc))
    _check_row(row, options)
    if row.ok:
        row.referral = build_referral(row.values)
    return row


def _check_row(row: RowResult, options: ImportOptions) -> None:
    values = row.values
    if "phone" in values and not phone_digit_count(str(values["phone"])):
        # "Unknown", "N/A", "refused": the sheet says there is no number, as a blank does.
        del values["phone"]
    if options.source and "source" not in values and "source" not in row.errors:
        values["source"] = options.source
    for name in ("occurred_at", "fatal", "source"):
        if name not in values and name not in row.errors:
            row.add_error(name, "is required")
    if ("latitude" in values) != ("longitude" in values) and not row.errors.keys() & {
        "latitude",
        "longitude",
    }:
        missing = "longitude" if "latitude" in values else "latitude"
        row.add_error(missing, "is required when the other coordinate is given")
    for name, limit in MAX_LENGTHS.items():
        if len(str(values.get(name, ""))) > limit:
            row.add_error(name, f"is longer than {limit} characters")


OVERDOSE_KEYS = ("naloxone_doses", "latitude", "longitude", "external_id", "place", "facility")


# The overdose's columns a row always reports, blank when the cell is.
ALWAYS_REPORTED = ("naloxone_doses", "latitude", "longitude")


def build_referral(values: Mapping[str, Any]) -> ReferralInput:
    """The referral (docs/api.md's body, typed) for one overdose notification."""
    overdose = OverdoseInput(
        occurred_at=values["occurred_at"],
        fatal=values["fatal"],
        source=values["source"],
        naloxone_doses=values.get("naloxone_doses"),
        latitude=values.get("latitude"),
        longitude=values.get("longitude"),
        external_id=values.get("external_id") or None,
        place=values.get("place") or None,
        facility=values.get("facility") or None,
        sent_blank=frozenset(key for key in ALWAYS_REPORTED if values.get(key) is None),
    )
    person = {key: values[key] for key in PERSON_KEYS if key in values}
    return ReferralInput(
        pathway=Pathway.NALOXONE_PLUS.value,
        received_at=values.get("received_at") or values["occurred_at"],
        overdose=overdose,
        person=PersonInput(**person) if person else None,
    )


def parse_rows(table: Table, options: ImportOptions) -> list[RowResult]:
    return [parse_row(number, cells, table.headers, options) for number, cells in table.rows]


def error_lines(row: RowResult, mapping: Mapping[str, str]) -> list[str]:
    """Each problem of a row, named by the column the user knows it as."""
    lines: list[str] = []
    for key, messages in row.errors.items():
        name = key.split(".", 1)[-1]
        target = TARGET_BY_NAME.get(name)
        column = mapping.get(name) or (target.label if target else key)
        lines.extend(f"{column}: {message}" for message in messages)
    return lines


# --- Preview and commit -----------------------------------------------------------


@dataclass
class Preview:
    """Every row parsed and checked, before anything is written."""

    rows: list[RowResult]
    mapping_errors: dict[str, list[str]] = field(default_factory=dict)
    # Row number -> the overdose it joins and the person it looks like (asked for by a user).
    plans: dict[int, RowPlan] = field(default_factory=dict)

    @property
    def good(self) -> list[RowResult]:
        return [row for row in self.rows if row.ok]

    @property
    def bad(self) -> list[RowResult]:
        return [row for row in self.rows if not row.ok]

    @property
    def ok(self) -> bool:
        return not self.mapping_errors and bool(self.rows) and not self.bad


def options_for(
    program: Program,
    mapping: Mapping[str, str],
    *,
    source: str = "",
    naive_times_in_program_timezone: bool = False,
) -> ImportOptions:
    return ImportOptions(
        mapping={name: header for name, header in mapping.items() if header},
        timezone=program.timezone or "UTC",
        source=source,
        naive_times_in_program_timezone=naive_times_in_program_timezone,
    )


def preview_import(
    program: Program, table: Table, options: ImportOptions, *, user: Any = None
) -> Preview:
    """Parse every row and ask `validate_referral` about each parsed one; writes nothing.

    With `user`, and every row good, each row's plan says which overdose it joins
    and whom it looks like, by the rule the commit applies (`intake.import_plan`).
    """
    mapping_errors = check_mapping(options.mapping, table.headers, options.source)
    if mapping_errors:
        return Preview(rows=[], mapping_errors=mapping_errors)
    rows = parse_rows(table, options)
    for row in rows:
        if row.referral is not None:
            for key, messages in validate_referral(program, row.referral).items():
                row.errors.setdefault(key, []).extend(messages)
    preview = Preview(rows=rows)
    if user is not None and preview.ok:
        referrals = [(row.number, row.referral) for row in rows if row.referral is not None]
        preview.plans = plan_rows(user, program, referrals)
    return preview


def may_import(user: Any, program: Program) -> bool:
    """Whether the user's role in the program may record referrals."""
    role = role_in(user, program)
    return role is not None and may_write(role, RecordType.REFERRAL)


@dataclass
class ImportCounts:
    rows: int = 0
    referrals: int = 0
    overdoses_created: int = 0
    overdoses_merged: int = 0
    tasks_opened: int = 0
    # Reports of a death naming another record than the overdose's person, held for review.
    deaths_held: int = 0
    # Rows the same source had sent before as they are, found while recording: nothing new.
    sent_before: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "referrals": self.referrals,
            "overdoses_created": self.overdoses_created,
            "overdoses_merged": self.overdoses_merged,
            "tasks_opened": self.tasks_opened,
            "deaths_held": self.deaths_held,
            "sent_before": self.sent_before,
        }


def commit_import(
    actor: Actor, program: Program, table: Table, options: ImportOptions, *, file_name: str
) -> ImportCounts:
    """Record every row in one transaction, or none: a bad row stops the whole import.

    Raises ImportFailed naming the bad rows; Forbidden (from `record_referral`)
    when the actor's role may not record referrals.
    """
    preview = preview_import(program, table, options)
    if preview.mapping_errors:
        raise ImportFailed("The column mapping cannot be used.", [])
    if not preview.rows:
        raise ImportFailed("The file has no data rows.", [])
    if preview.bad:
        numbers = ", ".join(str(row.number) for row in preview.bad)
        which = f"rows {numbers} have" if len(preview.bad) > 1 else f"row {numbers} has"
        raise ImportFailed(f"Nothing was imported: {which} errors.", preview.bad)
    counts = ImportCounts(rows=len(preview.rows))
    with transaction.atomic():
        for row in preview.rows:
            _record_row(actor, program, row, counts)
        record_event(
            actor,
            "create",
            object_type="intake.import",
            program_slug=program.slug,
            detail={"file_name": file_name, "rows": counts.rows, "counts": counts.as_dict()},
        )
    return counts


def _record_row(actor: Actor, program: Program, row: RowResult, counts: ImportCounts) -> None:
    if row.referral is None:
        raise ValueError(f"row {row.number} was not parsed")  # preview_import parses every row
    try:
        result = record_referral(actor, program, row.referral, channel=Referral.Channel.IMPORT)
    except (ActionError, DatabaseError) as exc:
        errors = getattr(exc, "errors", None)
        row.errors = dict(errors) if errors else {"row": [str(exc)]}
        raise ImportFailed(
            f"Nothing was imported: row {row.number} was refused ({exc}).", [row]
        ) from exc
    if result.task_opened:
        counts.tasks_opened += 1
    if result.death_held:
        counts.deaths_held += 1
    if result.sent_before:
        counts.sent_before += 1
    elif result.overdose_merged:
        counts.overdoses_merged += 1
    else:
        counts.referrals += 1
        if result.overdose is not None:
            counts.overdoses_created += 1
