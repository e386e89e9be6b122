"""NEMSIS v3.5 EMSDataSet files read into overdose reports for intake's import.

Parsing is defusedxml's (no entities, no DTDs, no external references). The
file's structure is checked first: the root is an EMSDataSet, every
PatientCareReport has its PCR number (eRecord.01) and the time its unit was
notified (eTimes.03, mandatory nationally), every element sits in the section
its name belongs to and the single ones appear once, and each value this
import reads has the NEMSIS shape (times with their UTC offset, dates, codes,
"latitude,longitude"). Every problem names the element and the report (its
position in the file and its PCR number); one problem refuses the whole file.

The case definition (`domain.nemsis.qualifies`) then decides which reports
are opioid overdoses. Those become rows of intake's import (`intake.imports`):
the same preview, the same join of one overdose's reports, the same
all-or-nothing commit as a spreadsheet of overdose notifications.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from coresponder import import_limits
from coresponder.domain.clock import date_problem
from coresponder.domain.intake import MOST_NALOXONE_DOSES
from coresponder.domain.nemsis import (
    AGE_UNIT_YEARS,
    DIED_CODES,
    SEX_CODES,
    CareReportFacts,
    MedicationGiven,
    Reason,
    naloxone_doses,
    qualifies,
)
from coresponder.domain.vocabulary import OverdoseSource
from coresponder.intake.imports import Table

if TYPE_CHECKING:
    # The element type for annotations only; every parse is defusedxml's.
    from xml.etree.ElementTree import Element  # nosec B405

NAMESPACE = "http://www.nemsis.org"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
# One file, one transaction: as many reports as a spreadsheet import takes rows.
MAX_REPORTS = 10_000
# NEMSIS v3 dates from 2011; a time decades before it is a system's empty date, not a run.
EARLIEST_YEAR = 1990

# The sections of a patient care report (NEMSIS v3.5 EMSDataSet).
SECTIONS = frozenset(
    {
        "eRecord", "eResponse", "eDispatch", "eCrew", "eTimes", "ePatient", "ePayment",
        "eScene", "eSituation", "eInjury", "eArrest", "eHistory", "eNarrative", "eVitals",
        "eLabs", "eExam", "eProtocols", "eMedications", "eProcedures", "eAirway", "eDevice",
        "eDisposition", "eOutcome", "eCustomResults", "eOther",
    }
)  # fmt: skip
# Elements this import reads that a report holds at most once.
SINGLE = (
    "eRecord.01",
    "eResponse.03",
    "eTimes.01",
    "eTimes.03",
    "eTimes.05",
    "ePatient.02",
    "ePatient.03",
    "ePatient.05",
    "ePatient.13",
    "ePatient.15",
    "ePatient.16",
    "ePatient.17",
    "ePatient.25",
    "eScene.11",
    "eScene.15",
    "eSituation.09",
    "eSituation.11",
    "eArrest.18",
    "eDisposition.01",
)
IMPRESSIONS = ("eSituation.09", "eSituation.10", "eSituation.11", "eSituation.12")
PLACE = ("eScene.15", "eScene.16", "eScene.17", "eScene.19")
# An unconscious or unwilling patient is often not named: the report is still an overdose
# the program follows up (at the scene), recorded under the names hospitals give such a
# patient, which the linkage reads as placeholders, never as evidence of who they are.
UNIDENTIFIED = {"given_name": "Unidentified", "family_name": "Patient"}
UNKNOWN_PART = "Unknown"
# A PCR number or code as NEMSIS writes them; names and addresses are free text.
_NUMBER = re.compile(r"[0-9]{4,9}")
_ELEMENT = re.compile(r"(e[A-Za-z]+)\.([0-9]{2}|[A-Za-z]+)")
_GPS = re.compile(r"\s*(-?[0-9]+(?:\.[0-9]+)?)\s*,\s*(-?[0-9]+(?:\.[0-9]+)?)\s*")

# The field of intake's import each element fills, so a problem intake finds
# with a value names the element it came from.
ELEMENT_OF = {
    "occurred_at": "eTimes.03",
    "received_at": "eTimes.03",
    "fatal": "eArrest.18",
    "naloxone_doses": "eMedications.03",
    "latitude": "eScene.11",
    "longitude": "eScene.11",
    "place": "eScene.15",
    "source": "eRecord.01",
    "external_id": "eRecord.01",
    "given_name": "ePatient.03",
    "family_name": "ePatient.02",
    "birth_date": "ePatient.17",
    "birth_year": "ePatient.17",
    "age": "ePatient.15",
    "sex": "ePatient.13",
    "phone": "ePatient.18",
    "address": "ePatient.05",
    "facility": "eDisposition.01",
    "person": "ePatient.PatientNameGroup",
    "overdose": "eTimes.03",
}
COLUMNS = (
    "occurred_at",
    "fatal",
    "naloxone_doses",
    "latitude",
    "longitude",
    "place",
    "source",
    "external_id",
    "given_name",
    "family_name",
    "birth_date",
    "age",
    "sex",
    "phone",
    "address",
    "facility",
)


class NemsisRefused(ValueError):
    """The file as a whole cannot be read as a NEMSIS EMSDataSet; nothing was looked at."""


@dataclass
class CareReport:
    """One PatientCareReport: what intake's import takes from it, and whether it qualifies."""

    position: int
    number: str = ""
    # The agency whose Header the report sits in: a PCR number names a report within
    # one agency's system, and a file may hold several agencies' reports.
    agency: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    facts: CareReportFacts = field(default_factory=CareReportFacts)
    reason: Reason | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    # The report names the patient only in part, or not at all (placeholders fill the rest).
    unnamed: bool = False

    @property
    def label(self) -> str:
        """'PatientCareReport 3 (PCR 2025-000123)', as a user finds it in their export."""
        said = f" (PCR {self.number})" if self.number else ""
        return f"PatientCareReport {self.position}{said}"

    def add_error(self, element: str, message: str) -> None:
        self.errors.setdefault(element, []).append(message)

    def error_lines(self) -> list[str]:
        return [f"{self.label}, {e}: {m}" for e, messages in self.errors.items() for m in messages]


@dataclass
class NemsisFile:
    """Every report of a file, read and checked; nothing written."""

    reports: list[CareReport]

    @property
    def bad(self) -> list[CareReport]:
        return [report for report in self.reports if report.errors]

    @property
    def qualifying(self) -> list[CareReport]:
        return [report for report in self.reports if report.reason is not None]

    def by_reason(self) -> dict[str, int]:
        return dict(Counter(str(r.reason) for r in self.qualifying))

    def errors(self) -> dict[str, list[str]]:
        """`PatientCareReport[3].eTimes.03` -> messages naming the PCR number, for the API."""
        found: dict[str, list[str]] = {}
        for report in self.bad:
            for element, messages in report.errors.items():
                key = f"PatientCareReport[{report.position}].{element}"
                pcr = f"PCR {report.number}: " if report.number else ""
                found.setdefault(key, []).extend(pcr + m for m in messages)
        return found

    def error_lines(self) -> list[str]:
        return [line for report in self.bad for line in report.error_lines()]


# --- Reading ------------------------------------------------------------------------


def _local(tag: Any) -> str:
    """An element's name without its namespace."""
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _namespace(tag: Any) -> str:
    text = str(tag)
    return text[1:].split("}", 1)[0] if text.startswith("{") else ""


def read_nemsis(data: bytes) -> NemsisFile:
    """Parse and check a file; raises NemsisRefused when it is not an EMSDataSet at all."""
    too_large = import_limits.file_size_problem(len(data))
    if too_large:
        raise NemsisRefused(too_large)
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise NemsisRefused(
            "The file declares a DTD, entities or external references, which a NEMSIS "
            "export never needs; they are refused."
        ) from exc
    except (ParseError, ValueError) as exc:
        raise NemsisRefused(f"The file is not well-formed XML ({exc}).") from exc
    if _local(root.tag) != "EMSDataSet":
        raise NemsisRefused(
            f"The file's root element is <{_local(root.tag)}>, not a NEMSIS <EMSDataSet>."
        )
    if _namespace(root.tag) not in ("", NAMESPACE):
        raise NemsisRefused(
            f"The EMSDataSet is in the namespace {_namespace(root.tag)!r}, not {NAMESPACE!r}."
        )
    agency_of = _agencies(root)
    elements = [e for e in root.iter() if _local(e.tag) == "PatientCareReport"]
    if not elements:
        raise NemsisRefused("The file holds no PatientCareReport.")
    if len(elements) > MAX_REPORTS:
        raise NemsisRefused(
            f"The file holds {len(elements):,} patient care reports; up to {MAX_REPORTS:,} "
            "can be imported at once. Export a shorter period and import each part."
        )
    reports = [read_report(position, element) for position, element in enumerate(elements, 1)]
    for report, element in zip(reports, elements, strict=True):
        report.agency = agency_of.get(id(element), "")
    _check_numbers(reports)
    return NemsisFile(reports=reports)


def _agencies(root: Element) -> dict[int, str]:
    """Each PatientCareReport's agency (by `id` of its element): the EMS Agency Number
    (dAgency.02) of the Header it sits in, else the Header's place in the file. A file
    holds one Header per agency, each with that agency's reports."""
    found: dict[int, str] = {}
    headers = (e for e in root.iter() if _local(e.tag) == "Header")
    for index, header in enumerate(headers, 1):
        said = {_local(e.tag): _value(e) for e in header.iter() if _local(e.tag).startswith("d")}
        agency = said.get("dAgency.02") or said.get("dAgency.01") or f"Header {index}"
        for element in header.iter():
            if _local(element.tag) == "PatientCareReport":
                found.setdefault(id(element), agency)
    return found


def _check_numbers(reports: list[CareReport]) -> None:
    """A PCR number names one report of its agency: the same number twice in one agency's
    reports is an export error (another agency's report may carry the same number)."""
    first: dict[tuple[str, str], int] = {}
    for report in reports:
        if not report.number:
            continue
        key = (report.agency, report.number)
        if key in first:
            report.add_error(
                "eRecord.01",
                f"the same PCR number as PatientCareReport {first[key]}",
            )
        else:
            first[key] = report.position


class _Report:
    """A report's elements by name, checked for where they sit, as they are read."""

    def __init__(self, report: CareReport, element: Element) -> None:
        self.report = report
        self.found: dict[str, list[Element]] = {}
        for child in element:
            section = _local(child.tag)
            if section not in SECTIONS:
                report.add_error(section or "?", "is not a section of a PatientCareReport")
                continue
            for inner in child.iter():
                if inner is child:
                    continue
                self._place(section, inner)
        for name in SINGLE:
            if len(self.found.get(name, ())) > 1:
                report.add_error(name, "appears more than once")

    def _place(self, section: str, inner: Element) -> None:
        name = _local(inner.tag)
        shape = _ELEMENT.fullmatch(name)
        if shape is None:
            self.report.add_error(name or "?", f"is not a NEMSIS element (in {section})")
            return
        if shape.group(1) != section:
            self.report.add_error(name, f"belongs in {shape.group(1)}, not in {section}")
            return
        self.found.setdefault(name, []).append(inner)

    def all(self, name: str) -> Iterator[Element]:
        return iter(self.found.get(name, ()))

    def text(self, name: str) -> str:
        """The element's value, "" when it is absent or nil (a NOT value: not recorded...)."""
        for element in self.found.get(name, ()):
            value = _value(element)
            if value:
                problem = import_limits.cell_problem(value, f"{self.report.label}, {name},")
                if problem:
                    self.report.add_error(name, problem)
                    return ""
                return value
        return ""

    def texts(self, name: str) -> list[str]:
        return [value for element in self.all(name) if (value := _value(element))]


def _value(element: Element) -> str:
    if str(element.get(XSI_NIL, "")).strip().lower() in ("true", "1"):
        return ""
    return (element.text or "").strip()


def read_report(position: int, element: Element) -> CareReport:
    """One PatientCareReport: checked, read into intake's import fields, and decided."""
    report = CareReport(position=position)
    found = _Report(report, element)
    report.number = found.text("eRecord.01")
    if not report.number:
        report.add_error("eRecord.01", "the Patient Care Report Number is missing")
    elif len(report.number) > 100:
        report.add_error("eRecord.01", "is longer than 100 characters")
    report.facts = CareReportFacts(
        impressions=tuple(code for name in IMPRESSIONS for code in found.texts(name)),
        medications=tuple(_medications(found)),
    )
    report.reason = qualifies(report.facts)
    _read_times(report, found)
    _read_patient(report, found)
    _read_scene(report, found)
    values = report.values
    values["source"] = OverdoseSource.EMS.value
    values["external_id"] = report.number
    values["fatal"] = found.text("eArrest.18") in DIED_CODES
    # A count past the plausible is a record's error: kept as the most a report may say.
    values["naloxone_doses"] = min(naloxone_doses(report.facts.medications), MOST_NALOXONE_DOSES)
    facility = found.text("eDisposition.01")
    if facility:
        values["facility"] = facility
    return report


def _not_given(element: Element) -> bool:
    """A pertinent negative (PN) on eMedications.03 records why the medication was *not*
    given (refused, contraindicated, unable to complete...): no dose, no response."""
    return bool(str(element.get("PN", "")).strip())


def _medications(found: _Report) -> Iterator[MedicationGiven]:
    groups = list(found.all("eMedications.MedicationGroup"))
    if not groups:  # a flat eMedications section: one medication, its response beside it
        code = found.text("eMedications.03")
        if code and not any(_not_given(e) for e in found.all("eMedications.03")):
            yield MedicationGiven(code=code, response=found.text("eMedications.07"))
        return
    for group in groups:
        code = response = ""
        for inner in group.iter():
            name = _local(inner.tag)
            if name == "eMedications.03":
                code = "" if _not_given(inner) else _value(inner)
            elif name == "eMedications.07":
                response = _value(inner)
        if code:
            yield MedicationGiven(code=code, response=response)


def _moment(report: CareReport, found: _Report, name: str) -> dt.datetime | None:
    text = found.text(name)
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        report.add_error(name, f"“{text}” is not a date and time with its UTC offset")
        return None
    if moment.year < EARLIEST_YEAR:
        report.add_error(name, f"“{text}” is before {EARLIEST_YEAR}: not a time an EMS run has")
        return None
    return moment


def _read_times(report: CareReport, found: _Report) -> None:
    """When it happened: the 911 call (eTimes.01) when given, else the unit's notification."""
    notified = _moment(report, found, "eTimes.03")
    if notified is None and "eTimes.03" not in report.errors:
        report.add_error("eTimes.03", "the Unit Notified by Dispatch Date/Time is missing")
    call = _moment(report, found, "eTimes.01")
    _moment(report, found, "eTimes.05")  # checked for its shape
    times = [moment for moment in (call, notified) if moment is not None]
    if times:
        report.values["occurred_at"] = min(times)


def _read_patient(report: CareReport, found: _Report) -> None:
    values = report.values
    for key, name in (
        ("family_name", "ePatient.02"),
        ("given_name", "ePatient.03"),
        ("address", "ePatient.05"),
        ("phone", "ePatient.18"),
    ):
        text = found.text(name)
        if text:
            values[key] = text
    _name_the_unnamed(report)
    birth = found.text("ePatient.17")
    if birth:
        try:
            values["birth_date"] = dt.date.fromisoformat(birth)
            if problem := date_problem(values["birth_date"]):
                report.add_error("ePatient.17", problem)
        except ValueError:
            report.add_error("ePatient.17", f"“{birth}” is not a date like 1990-05-04")
    sex_code = found.text("ePatient.25") or found.text("ePatient.13")
    if sex_code:
        if sex_code in SEX_CODES:
            values["sex"] = SEX_CODES[sex_code]
        else:
            element = "ePatient.25" if found.text("ePatient.25") else "ePatient.13"
            report.add_error(element, f"“{sex_code}” is not a NEMSIS sex or gender code")
    _read_age(report, found)


def _name_the_unnamed(report: CareReport) -> None:
    """A patient the crew could not name is "Unidentified Patient", and a missing part of a
    name "Unknown": the overdose is imported and followed up, and the names are placeholders
    to the linkage, so the record joins a known person only on other evidence."""
    values = report.values
    given, family = values.get("given_name"), values.get("family_name")
    if given and family:
        return
    report.unnamed = True
    if not given and not family:
        values.update(UNIDENTIFIED)
    else:
        values.setdefault("given_name", UNKNOWN_PART)
        values.setdefault("family_name", UNKNOWN_PART)


def _read_age(report: CareReport, found: _Report) -> None:
    """An age in years, where no birth date was given (intake checks the two agree otherwise)."""
    age = found.text("ePatient.15")
    if not age:
        return
    if not age.isdigit() or int(age) > 120:
        report.add_error("ePatient.15", f"“{age}” is not an age from 0 to 120")
        return
    units = found.text("ePatient.16")
    if units and not _NUMBER.fullmatch(units):
        report.add_error("ePatient.16", f"“{units}” is not a NEMSIS age-units code")
        return
    if units == AGE_UNIT_YEARS and "birth_date" not in report.values:
        report.values["age"] = int(age)


def _read_scene(report: CareReport, found: _Report) -> None:
    gps = found.text("eScene.11")
    if gps:
        match = _GPS.fullmatch(gps)
        latitude = float(match.group(1)) if match else None
        longitude = float(match.group(2)) if match else None
        if (
            latitude is None
            or longitude is None
            or not -90 <= latitude <= 90
            or not -180 <= longitude <= 180
        ):
            report.add_error("eScene.11", f"“{gps}” is not a latitude,longitude like 41.95,-70.66")
        else:
            report.values["latitude"], report.values["longitude"] = latitude, longitude
    place = ", ".join(text for name in PLACE if (text := found.text(name)))
    if place:
        report.values["place"] = place[:300]
    for name in ("eMedications.07", "eArrest.18", *IMPRESSIONS):
        for text in found.texts(name):
            if len(text) > 20:
                report.add_error(name, f"“{text[:20]}…” is not a code")


# --- Into intake's import ------------------------------------------------------------


def qualifying_table(reports: list[CareReport]) -> Table:
    """The qualifying reports as rows of intake's import, numbered by their place in the file."""
    rows = [
        (report.position, [report.values.get(column) for column in COLUMNS]) for report in reports
    ]
    return Table(headers=list(COLUMNS), rows=rows)


MAPPING = {column: column for column in COLUMNS}


def element_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Intake's field errors for one row (`person.given_name`), named by NEMSIS element."""
    named: dict[str, list[str]] = {}
    for key, messages in errors.items():
        field_name = key.split(".", 1)[-1]
        element = ELEMENT_OF.get(field_name) or ELEMENT_OF.get(key.split(".", 1)[0]) or key
        said = named.setdefault(element, [])
        # One element may give two fields (the time of the call and of the overdose): its
        # problem is said once.
        said.extend(message for message in messages if message not in said)
    return named
