"""What a NEMSIS file would import, before anything is written: reads only.

The qualifying reports go through intake's own preview (`intake.imports.preview_import`
and its plan of which overdose each report joins); reports whose PCR number and time
are already on one of the program's EMS reports were imported before and are left out,
so an agency's system may send a file again, unless the report now says the patient
died: that correction is imported, and intake records the death.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from coresponder.domain.vocabulary import OverdoseSource
from coresponder.feeds.nemsis import (
    MAPPING,
    CareReport,
    NemsisFile,
    element_errors,
    qualifying_table,
)
from coresponder.intake.imports import ImportOptions, Preview, options_for, preview_import
from coresponder.intake.models import OverdoseReport
from coresponder.programs.models import Program


def already_imported(program: Program, reports: list[CareReport]) -> set[int]:
    """The places in the file of the `reports` already on the program's EMS overdose
    reports, as they were: a report on file as survived that now says the patient died is
    the agency's correction, imported to be taken (intake records the death).

    A PCR number names a report within one agency's ePCR system, and a program takes files
    from many agencies: a report on file is this one sent again only when it also tells of
    the same run (the same time), so another agency's report of that number is imported."""
    numbers = [r.number for r in reports if r.number]
    if not numbers:
        return set()
    fatal_on_file: dict[tuple[str, dt.datetime], bool] = {}
    for number, raw in OverdoseReport.objects.filter(
        overdose__program=program, source=OverdoseSource.EMS, external_id__in=numbers
    ).values_list("external_id", "raw"):
        run = _run_time((raw or {}).get("occurred_at"))
        if run is None:
            continue
        key = (number, run)
        fatal_on_file[key] = fatal_on_file.get(key, False) or bool((raw or {}).get("fatal"))
    found = set()
    for report in reports:
        sent = (report.number, report.values.get("occurred_at"))
        if sent in fatal_on_file and not (report.values.get("fatal") and not fatal_on_file[sent]):
            found.add(report.position)
    return found


def _run_time(value: Any) -> dt.datetime | None:
    """The time a report on file gives its run, as an instant (its raw copy writes it out)."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def import_options(program: Program) -> ImportOptions:
    return options_for(program, MAPPING, source=OverdoseSource.EMS.value)


@dataclass
class NemsisPreview:
    """A file's reports, which of them it would import, and intake's preview of those."""

    parsed: NemsisFile
    fresh: list[CareReport]
    known: set[int] = field(default_factory=set)  # places in the file of reports sent before
    intake: Preview | None = None

    @property
    def reports(self) -> int:
        return len(self.parsed.reports)

    @property
    def qualifying(self) -> int:
        return len(self.parsed.qualifying)

    @property
    def not_qualifying(self) -> int:
        return self.reports - self.qualifying

    @property
    def already(self) -> int:
        return self.qualifying - len(self.fresh)

    @property
    def unnamed(self) -> int:
        """The reports to import that do not name their patient (in full)."""
        return sum(1 for report in self.fresh if report.unnamed)

    def errors(self) -> dict[str, list[str]]:
        """Every problem, structure and intake's checks alike, by report and element."""
        found = self.parsed.errors()
        if self.intake is not None:
            by_position = {report.position: report for report in self.fresh}
            for row in self.intake.bad:
                report = by_position[row.number]
                for element, messages in element_errors(row.errors).items():
                    pcr = f"PCR {report.number}: " if report.number else ""
                    key = f"PatientCareReport[{report.position}].{element}"
                    found.setdefault(key, []).extend(pcr + m for m in messages)
        return found

    def error_lines(self) -> list[str]:
        lines = self.parsed.error_lines()
        if self.intake is not None:
            by_position = {report.position: report for report in self.fresh}
            for row in self.intake.bad:
                label = by_position[row.number].label
                lines += [
                    f"{label}, {element}: {message}"
                    for element, messages in element_errors(row.errors).items()
                    for message in messages
                ]
        return lines

    @property
    def ok(self) -> bool:
        return not self.parsed.bad and (self.intake is None or not self.intake.bad)


def preview_nemsis(program: Program, parsed: NemsisFile, *, user: Any = None) -> NemsisPreview:
    """Check every qualifying report as intake would record it; with `user`, plan the joins."""
    qualifying = parsed.qualifying
    known = already_imported(program, qualifying)
    fresh = [report for report in qualifying if report.position not in known]
    preview = NemsisPreview(parsed=parsed, fresh=fresh, known=known)
    # Intake checks the reports whose structure is sound, so one look names every problem;
    # which overdose each joins is planned only for a file that can be imported.
    checkable = [report for report in fresh if not report.errors]
    if checkable:
        preview.intake = preview_import(
            program,
            qualifying_table(checkable),
            import_options(program),
            user=None if parsed.bad else user,
        )
    return preview
