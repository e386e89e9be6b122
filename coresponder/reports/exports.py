"""Any report table as CSV or XLSX: the tables, the files, and which carry the Part 2 notice.

Tables are built from `coresponder.reports.metrics` and nothing else, so the
figures in a file are the figures the API and the dashboard show.

Part 2 (42 CFR Part 2). A figure holds Part 2 data when it is derived from what
a treatment provider reported: `people_accepted_treatment` counts referrals to a
treatment service that the provider moved to accepted, in progress or
completed, and any funnel step at or past treatment does the same. A table with
such a figure `holds_part2`; its files carry REDISCLOSURE_NOTICE. Analysts'
suppressed copies carry it too: small-cell suppression is not a de-identification
determination under 42 CFR 2.52 (a breakdown by district, race and sex can still
single someone out by differencing), and the notice costs a recipient nothing.

The CSV is a plain table a program can parse: UTF-8 with a byte-order mark, so
that Excel reads labels such as "12–72 h" correctly. When the table holds Part 2
data its first row is `Notice,<the notice>` and its second is empty; the header
row follows. A table without Part 2 data starts at its header row. A count a
reader may not see (an analyst's small counts; anyone's treatment counts outside
one whole, finished quarter), and a share or median suppression hid, reads `suppressed`;
an empty cell is a rate with nothing to divide by. A file is read apart from the page:
the figures-by-month table's month column names the program's zone in its header
("Month (Eastern time, America/New_York)"), the calendar its months are cut on.
Values stay numbers, rounded for a reader: a share is a fraction from 0 to 1 to four
decimal places (0.8276, the quarterly report's 82.8%), hours are to one decimal place
(45.3 h on the dashboard and in the report). The XLSX keeps each value whole and shows
it so: shares as percentages to one decimal place, hours to one decimal place.

De-identified copies (analysts, providers, prosecutors: ADR 0007) cover one
whole, finished quarter and are suppressed by `coresponder.reports.disclosure`,
exactly as the API and the dashboard suppress the same figures: a cell hidden
in one is hidden in all, with the same complements. Encounters counted by where
the person was taken for treatment read `suppressed` so too for any exact reader
who does not read clinical detail (`disclosure.dispositions_for`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from coresponder.core.audit import Actor, record_event
from coresponder.domain.clock import zone_words
from coresponder.domain.policy import REDISCLOSURE_NOTICE
from coresponder.domain.text import spreadsheet_safe
from coresponder.domain.vocabulary import humanize
from coresponder.reports import disclosure
from coresponder.reports import metrics as metric_defs
from coresponder.reports.dispositions import disposition_rows
from coresponder.reports.metrics import BREAKDOWNS, Period

TABLES = ("metrics", "breakdown", "funnel", "dispositions", "monthly")
SUPPRESSED = "suppressed"
# Decimal places a CSV gives a figure of each kind: fractions to 4 (82.76%), hours to 1.
CSV_DECIMALS = {"share": 4, "hours": 1}
# How an XLSX shows them; the cell keeps the whole value.
XLSX_FORMATS = {"share": "0.0%", "hours": "0.0"}

# Figures derived from a treatment provider's report of a referral's status: the
# headline count, and the funnel's steps from "Accepted treatment" on.
PART2_KEYS = disclosure.TREATMENT_FIGURES | disclosure.TREATMENT_STAGES

# The headline figures in the API's order: (key, label, kind). Kind is "count",
# "share" (0–1), or "hours".
HEADLINE: tuple[tuple[str, str, str], ...] = (
    ("referrals", "Referrals", "count"),
    ("people_referred_to_services", "People referred to services", "count"),
    ("people_engaged", "People engaged", "count"),
    ("people_contacted", "People contacted (participants and family)", "count"),
    ("people_accepted_treatment", "People who accepted treatment", "count"),
    ("overdoses_fatal", "Fatal overdoses", "count"),
    ("overdoses_nonfatal", "Nonfatal overdoses", "count"),
    ("new_person_share", "Share new to the program", "share"),
    ("follow_up_within_window_rate", "Follow-ups inside the window", "share"),
    ("median_hours_to_first_contact", "Median hours to first attempt", "hours"),
)
HEADLINE_LABELS = {key: label for key, label, _kind in HEADLINE}


def figure_label(program: Any, key: str) -> str:
    """A figure's name as the program's dashboard gives it: the preset's own wording
    (`[headline]`, "People contacted (survivors and family)") or the one above."""
    named: Mapping[str, str] = program.rules.headline if program is not None else {}
    return named.get(key) or HEADLINE_LABELS.get(key) or humanize(key)


# Figures a monthly series can follow; overdoses split into fatal and nonfatal above.
MONTHLY_METRICS = tuple(key for key, _label, _kind in HEADLINE if not key.startswith("overdoses"))
# A breakdown's name, as the dashboard, the files and the quarterly report give it.
BREAKDOWN_LABELS = {
    "district": "District",
    "source": "Referral source",
    "pathway": "Pathway",
    "race": "Race",
    "ethnicity": "Ethnicity",
    "sex": "Sex",
    "age_band": "Age band",
}
# A person may fall in several groups (two sources, two pathways); referrals and overdoses
# fall in one each. The total is the program's figure for the period either way.
ONE_PERSON_ONCE = (
    "A person in more than one row counts once in the total, as in the headline figures;"
    " referrals and overdoses add up the rows."
)
BREAKDOWN_COUNTS = (
    "referrals",
    "people_referred_to_services",
    "people_engaged",
    "people_contacted",
    "people_accepted_treatment",
    "overdoses_fatal",
    "overdoses_nonfatal",
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # count, share, hours, number, text, date


@dataclass
class Table:
    """One titled table: what a CSV file or an XLSX sheet holds."""

    name: str  # metrics, breakdown, funnel, dispositions, monthly
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    holds_part2: bool = False
    suppressed: bool = False

    def values(self, row: Mapping[str, Any]) -> list[Any]:
        return [row.get(column.key) for column in self.columns]


# --- Building tables from the metrics ------------------------------------------------


def metrics_table(program: Any, period: Period, *, suppress: bool = False) -> Table:
    """The headline figures, one row each, as `GET /programs/{slug}/metrics` reports them."""
    computed = metric_defs.compute_metrics(program, period)
    treatment = disclosure.gives_treatment(program, period)
    values = disclosure.headline_for(computed, suppress, treatment)
    flat = metric_defs.flatten_metrics(values)
    exact = metric_defs.flatten_metrics(computed.as_api())
    rows = [
        {
            "metric": key,
            "label": figure_label(program, key),
            "value": flat.get(key),
            "_kind": kind,
            # Measured but not given: suppressed, not a rate with nothing to divide by.
            "_hidden": flat.get(key) is None and exact.get(key) is not None,
        }
        for key, _label, kind in HEADLINE
    ]
    return Table(
        name="metrics",
        title=f"Headline figures, {period_label(period)}",
        columns=[
            Column("metric", "Metric", "text"),
            Column("label", "Label", "text"),
            Column("value", "Value", "number"),
        ],
        rows=rows,
        notes=_notes(program, suppress, shares=True, treatment=True),
        holds_part2=True,
        suppressed=suppress,
    )


def breakdown_table(program: Any, period: Period, by: str, *, suppress: bool = False) -> Table:
    """The headline counts for each district, source, pathway, race, ethnicity, sex or age band."""
    if by not in BREAKDOWNS:
        raise ValueError(f"no breakdown by {by!r}")
    found, computed = metric_defs.breakdown_with_headline(program, period, by)
    treatment = disclosure.gives_treatment(program, period)
    rows, totals = disclosure.breakdown_for(
        [dict(row) for row in found], BREAKDOWN_COUNTS, suppress, treatment, computed
    )
    rows.append({"key": "", "label": "Total", **totals})
    label = BREAKDOWN_LABELS.get(by, humanize(by))
    return Table(
        name="breakdown",
        title=f"By {label.lower()}, {period_label(period)}",
        columns=[
            Column("key", "Code", "text"),
            Column("label", label, "text"),
            *(Column(key, figure_label(program, key)) for key in BREAKDOWN_COUNTS),
        ],
        rows=rows,
        notes=[ONE_PERSON_ONCE, *_notes(program, suppress, treatment=True)],
        holds_part2=True,
        suppressed=suppress,
    )


def funnel_table(program: Any, period: Period, *, suppress: bool = False) -> Table:
    """From referral to treatment: how many people reached each step."""
    steps = metric_defs.funnel(program, period)
    treatment = disclosure.gives_treatment(program, period)
    # Each step is drawn from the one before, so a small drop-off is hidden too.
    shown = disclosure.funnel_for([(key, n) for key, _label, n in steps], suppress, treatment)
    rows = [
        {"step": key, "label": label, "people": value}
        for (key, label, _count), value in zip(steps, shown, strict=True)
    ]
    return Table(
        name="funnel",
        title=f"From referral to treatment, {period_label(period)}",
        columns=[
            Column("step", "Step", "text"),
            Column("label", "Label", "text"),
            Column("people", "People"),
        ],
        rows=rows,
        notes=_notes(program, suppress, treatment=True),
        holds_part2=any(row["step"] in PART2_KEYS for row in rows),
        suppressed=suppress,
    )


def dispositions_table(
    program: Any, period: Period, *, suppress: bool = False, clinical: bool = False
) -> Table:
    """How crisis responses and visits ended, as the responders recorded them; where people
    were taken for treatment exact only to a reader who reads `clinical` detail."""
    dispositions = metric_defs.program_metrics(program, period).get("dispositions") or {}
    # The dashboard's rows, with its avoided split: the same cells hidden, in the same order.
    treatment = disclosure.gives_treatment(program, period)
    shown, split = disposition_rows(
        dispositions, suppress=suppress, treatment=treatment, clinical=clinical
    )
    rows = [
        {"code": row["code"], "label": row["label"], "encounters": row["encounters"]}
        for row in shown
    ]
    rows.append({"code": "", "label": "Total", "encounters": split.total})
    # Responders record dispositions, not treatment providers: no Part 2 data here.
    return Table(
        name="dispositions",
        title=f"Dispositions, {period_label(period)}",
        columns=[
            Column("code", "Code", "text"),
            Column("label", "Disposition", "text"),
            Column("encounters", "Encounters"),
        ],
        rows=rows,
        notes=_notes(program, suppress)
        + ([disclosure.CLINICAL_NOTE] if not (suppress or clinical) else []),
        holds_part2=False,
        suppressed=suppress,
    )


def monthly_table(
    program: Any, period: Period, metric: str = "referrals", *, suppress: bool = False
) -> Table:
    """One figure month by month across the period."""
    if metric not in MONTHLY_METRICS:
        raise ValueError(f"no monthly series of {metric!r}")
    kind = next(k for key, _label, k in HEADLINE if key == metric)
    series = metric_defs.monthly_series(program, period, metric)
    beside = None
    if suppress and metric in disclosure.TREATMENT_FIGURES:
        months = [figures for _month, figures in metric_defs.monthly_figures(program, period)]
        quarter = metric_defs.compute_metrics(program, period).as_api()
        beside = disclosure.beside_months(months, quarter, metric)
    # The quarter's months add up to its figure: each month is a cell of one table, a
    # treatment count's read against the people beside it.
    # A month's share or median may rest on a handful of cases: never shown suppressed.
    values: list[Any] = disclosure.monthly_for(
        metric, [value for _month, value in series], kind == "count", suppress, beside
    )
    rows = [
        {"month": month.strftime("%Y-%m"), "value": value, "_kind": kind}
        for (month, _value), value in zip(series, values, strict=True)
    ]
    return Table(
        name="monthly",
        title=f"{figure_label(program, metric)} by month, {period_label(period)}",
        columns=[
            # A file travels without the page: its header names the clock its months are cut on.
            Column("month", f"Month ({zone_words(program.timezone)}, {program.timezone})", "text"),
            Column("value", figure_label(program, metric), kind),
        ],
        rows=rows,
        notes=_notes(program, suppress, shares=kind == "share", treatment=metric in PART2_KEYS)
        + (
            ["Suppressed tables give monthly shares and medians as empty."]
            if suppress and kind != "count"
            else []
        ),
        holds_part2=metric in PART2_KEYS,
        suppressed=suppress,
    )


def build_table(
    name: str,
    program: Any,
    period: Period,
    *,
    by: str = "district",
    metric: str = "referrals",
    suppress: bool = False,
    clinical: bool = False,
) -> Table:
    """The named table; ValueError for an unknown name, breakdown or metric. `clinical`:
    whether the reader reads clinical detail (where people were taken for treatment)."""
    builders: dict[str, Callable[[], Table]] = {
        "metrics": lambda: metrics_table(program, period, suppress=suppress),
        "breakdown": lambda: breakdown_table(program, period, by, suppress=suppress),
        "funnel": lambda: funnel_table(program, period, suppress=suppress),
        "dispositions": lambda: dispositions_table(
            program, period, suppress=suppress, clinical=clinical
        ),
        "monthly": lambda: monthly_table(program, period, metric, suppress=suppress),
    }
    if name not in builders:
        raise ValueError(f"no table {name!r}")
    return builders[name]()


def _notes(
    program: Any, suppress: bool, *, shares: bool = False, treatment: bool = False
) -> list[str]:
    """The table's notes; `treatment` where it holds a treatment figure an exact reader gets
    as everyone does."""
    # A file travels without the page: its dates say nothing of the zone they were cut in.
    notes = [
        "Dates and months are the program's own calendar days, in "
        f"{zone_words(program.timezone)} ({program.timezone})."
    ]
    if shares:
        notes.append("Shares are fractions between 0 and 1; empty where nothing was due.")
    if suppress:
        # As the dashboard says it: complementary suppression hides larger counts too.
        notes.append(
            "Counts from 1 to 10 are suppressed, and so is whatever would let someone work them"
            " out from a total (complementary suppression); a suppressed cell may hold a"
            " larger count. Zero is shown."
        )
    elif treatment:
        notes.append(disclosure.TREATMENT_NOTE)
    return notes


def period_label(period: Period) -> str:
    return f"{period.start.isoformat()} to {period.end.isoformat()}"


def file_name(program_slug: str, table: Table, period: Period, extension: str) -> str:
    """`pco-metrics-2026-10-01-to-2026-12-31.csv`: program, table, period."""
    start, end = period.start.isoformat(), period.end.isoformat()
    return f"{program_slug}-{table.name}-{start}-to-{end}.{extension}"


# --- Files ---------------------------------------------------------------------------


def _kind(column: Column, row: Mapping[str, Any]) -> str:
    """The column's kind; in a metrics-style table each row says its own."""
    return str(row.get("_kind", "number")) if column.kind == "number" else column.kind


def _cell(value: Any, column: Column, row: Mapping[str, Any], rounded: bool) -> Any:
    """The value as a file holds it: a number (`rounded` as a CSV gives it), text, or the
    suppression marker."""
    kind = _kind(column, row)
    if value is None:
        # A count is never missing on its own; a share or median is, with nothing to measure,
        # unless suppression hid it.
        return SUPPRESSED if kind == "count" or row.get("_hidden") else ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if kind == "text":
        return spreadsheet_safe(str(value))
    if rounded and kind in CSV_DECIMALS and isinstance(value, int | float):
        return round(float(value), CSV_DECIMALS[kind])
    return value


def table_rows(table: Table, *, rounded: bool = False) -> list[list[Any]]:
    """Header and data rows, as a file holds them (no notice); `rounded`, shares and hours
    to the CSV's decimal places."""
    header = [column.label for column in table.columns]
    body = [[_cell(row.get(c.key), c, row, rounded) for c in table.columns] for row in table.rows]
    return [header, *body]


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark; the Part 2 notice in the first row when the table holds it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if table.holds_part2:
        writer.writerow(["Notice", REDISCLOSURE_NOTICE])
        writer.writerow([])
    writer.writerows(table_rows(table, rounded=True))
    return buffer.getvalue().encode("utf-8-sig")


def _sheet_title(title: str, taken: set[str]) -> str:
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()[:31] or "Table"
    name, n = clean, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table: title, the Part 2 notice when it holds Part 2 data, header, rows."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, taken))
        width = len(table.columns)
        sheet.cell(row=1, column=1, value=table.title).font = Font(bold=True, size=13)
        row_at = 3
        if table.holds_part2:
            notice = sheet.cell(row=2, column=1, value=REDISCLOSURE_NOTICE)
            notice.data_type = "s"
            notice.alignment = Alignment(wrap_text=True, vertical="top")
            notice.font = Font(italic=True, size=9)
            sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(width, 4))
            sheet.row_dimensions[2].height = 120
            row_at = 4
        rows = table_rows(table)
        for r, values in enumerate(rows):
            for c, value in enumerate(values, start=1):
                cell = sheet.cell(row=row_at + r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text begins with
                if r == 0:
                    cell.font = Font(bold=True)
                    cell.alignment = Alignment(wrap_text=True, vertical="bottom")
                elif shown := XLSX_FORMATS.get(_kind(table.columns[c - 1], table.rows[r - 1])):
                    cell.number_format = shown
        sheet.freeze_panes = sheet.cell(row=row_at + 1, column=1)
        for c in range(1, width + 1):
            longest = max((len(str(values[c - 1])) for values in rows), default=8)
            sheet.column_dimensions[get_column_letter(c)].width = min(max(10, longest + 2), 50)
        for n, note in enumerate(table.notes):
            sheet.cell(row=row_at + len(rows) + 1 + n, column=1, value=note).font = Font(
                italic=True, size=9
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- The audit -----------------------------------------------------------------------


def record_export(
    actor: Actor,
    program: Any,
    table: str,
    *,
    file_format: str,
    period: Period,
    holds_part2: bool,
    suppressed: bool,
    by: str = "",
    metric: str = "",
) -> None:
    """One audit event per file handed out: what, for whom, and whether it held Part 2 data."""
    detail: dict[str, Any] = {
        "format": file_format,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "by": by,
        "suppressed": suppressed,
    }
    if metric:
        detail["metric"] = metric
    record_event(
        actor,
        "export",
        object_type=f"reports.{table}",
        program_slug=program.slug,
        fields=["aggregate", "part2"] if holds_part2 else ["aggregate"],
        detail=detail,
    )
