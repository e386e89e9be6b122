"""NEMSIS v3.5 EMSDataSet files for tests, built from the data dictionary's element names.

`report(...)` gives one PatientCareReport as element name -> value; `dataset(...)`
writes the XML an ePCR system exports, each element in its section and group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

# The groups NEMSIS nests some elements in.
GROUPS = {
    "ePatient.02": "ePatient.PatientNameGroup",
    "ePatient.03": "ePatient.PatientNameGroup",
    "ePatient.04": "ePatient.PatientNameGroup",
    "ePatient.15": "ePatient.AgeGroup",
    "ePatient.16": "ePatient.AgeGroup",
    "eResponse.01": "eResponse.AgencyGroup",
    "eResponse.02": "eResponse.AgencyGroup",
}
SECTION_ORDER = (
    "eRecord",
    "eResponse",
    "eTimes",
    "ePatient",
    "eScene",
    "eSituation",
    "eArrest",
    "eMedications",
    "eDisposition",
)
EASTERN = dt.timezone(dt.timedelta(hours=-5))
WHEN = dt.datetime(2025, 2, 1, 9, 0, tzinfo=EASTERN)
NALOXONE = "7242"
IMPROVED = "9916001"
UNCHANGED = "9916003"


def report(
    number: str,
    *,
    notified: dt.datetime | None = WHEN,
    given: str | None = "Pat",
    family: str | None = "Lee",
    birth: str | None = "1980-01-01",
    impressions: Sequence[str] = (),
    naloxone: Sequence[str] = (),
    **elements: Any,
) -> dict[str, Any]:
    """One PatientCareReport; `naloxone` lists the response code of each dose given.

    Extra elements go by name with the dot written as a double underscore
    (`eScene__11="41.95,-70.66"`).
    """
    found: dict[str, Any] = {"eRecord.01": number, "eResponse.03": f"INC-{number}"}
    if notified is not None:
        found["eTimes.03"] = notified.isoformat()
        found["eTimes.05"] = (notified + dt.timedelta(minutes=1)).isoformat()
    if given is not None:
        found["ePatient.03"] = given
    if family is not None:
        found["ePatient.02"] = family
    if birth is not None:
        found["ePatient.17"] = birth
    for name, code in zip(("eSituation.11", "eSituation.12"), impressions, strict=False):
        found[name] = code
    if len(impressions) > 2:
        found["eSituation.12"] = list(impressions[1:])
    if naloxone:
        found["medications"] = [(NALOXONE, response) for response in naloxone]
    for key, value in elements.items():
        found[key.replace("__", ".")] = value
    return found


def _element(name: str, value: Any) -> str:
    if value is None:
        return f'<{name} xsi:nil="true" NV="7701003"/>'
    return f"<{name}>{escape(str(value))}</{name}>"


def _section(section: str, elements: Mapping[str, Any]) -> str:
    parts: list[str] = []
    groups: dict[str, list[str]] = {}
    for name, value in elements.items():
        values = value if isinstance(value, list) else [value]
        written = [_element(name, v) for v in values]
        group = GROUPS.get(name)
        if group:
            groups.setdefault(group, []).extend(written)
        else:
            parts.extend(written)
    for group, inner in groups.items():
        parts.append(f"<{group}>{''.join(inner)}</{group}>")
    return f"<{section}>{''.join(parts)}</{section}>"


def _medications(given: Iterable[tuple[str, str]]) -> str:
    groups = "".join(
        "<eMedications.MedicationGroup>"
        f"<eMedications.01>{WHEN.isoformat()}</eMedications.01>"
        f"<eMedications.03>{escape(code)}</eMedications.03>"
        f"<eMedications.07>{escape(response)}</eMedications.07>"
        "</eMedications.MedicationGroup>"
        for code, response in given
    )
    return f"<eMedications>{groups}</eMedications>"


def write_report(found: Mapping[str, Any]) -> str:
    sections: dict[str, dict[str, Any]] = {}
    for name, value in found.items():
        if name == "medications":
            continue
        sections.setdefault(name.split(".", 1)[0], {})[name] = value
    body = []
    for section in SECTION_ORDER:
        if section == "eMedications" and found.get("medications"):
            body.append(_medications(found["medications"]))
        elif section in sections:
            body.append(_section(section, sections.pop(section)))
    body += [_section(section, elements) for section, elements in sections.items()]
    uuid = escape(str(found.get("eRecord.01")))
    return f'<PatientCareReport UUID="{uuid}">{"".join(body)}</PatientCareReport>'


def dataset(*reports: Mapping[str, Any]) -> bytes:
    """An EMSDataSet XML file holding the reports, as an agency exports it."""
    body = "".join(write_report(found) for found in reports)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<EMSDataSet xmlns="http://www.nemsis.org" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<Header><DemographicGroup><dAgency.01>AG-1</dAgency.01>"
        "<dAgency.02>AG-1</dAgency.02><dAgency.04>25</dAgency.04></DemographicGroup>"
        f"{body}</Header></EMSDataSet>"
    ).encode()
