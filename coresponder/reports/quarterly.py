"""The quarterly report for funders: one program's quarter as a PDF.

Figures come from `coresponder.reports.metrics`, the same definitions as the API
and the dashboard, unsuppressed but for the figures drawn from treatment
providers' reports, which every reader gets for a whole, finished quarter with
small counts hidden (ADR 0015), and for encounters counted by where the person
was taken for treatment, which its readers, who read no clinical detail, get the
same way: the coordinator who downloads the report answers for what goes to the
funder. The copy for publication (`suppress=True`) is de-identified by
`coresponder.reports.disclosure`, so it hides exactly what the public dashboard
and the API hide for the same quarters. Pages holding a figure derived from what
a treatment provider reported carry the 42 CFR Part 2 notice at their foot.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from html import escape
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from coresponder.domain.policy import REDISCLOSURE_NOTICE
from coresponder.domain.vocabulary import label as vocabulary_label
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program
from coresponder.reports import disclosure
from coresponder.reports import metrics as metric_defs
from coresponder.reports.actions import narrative_of
from coresponder.reports.exports import BREAKDOWN_COUNTS, HEADLINE, ONE_PERSON_ONCE, figure_label
from coresponder.reports.forms import LABELS as NARRATIVE_LABELS
from coresponder.reports.metrics import Period

PAGE_WIDTH, PAGE_HEIGHT = LETTER
MARGIN = 0.75 * inch
# Room at the foot of every page for the Part 2 notice (about seven lines) and the footer.
FOOT = 1.45 * inch
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
BLUE = colors.HexColor("#005ea2")  # USWDS primary, as on the dashboard
GOLD = colors.HexColor("#e5a000")
INK = colors.HexColor("#1b1b1b")
MONTHLY_CHART_TITLE = "Referrals and people engaged by month"
FUNNEL_CHART_TITLE = "From referral to treatment this quarter"
SUPPRESSED = "suppressed"
# Twelve months of two series leave no room for the word under a suppressed month's bar.
SUPPRESSED_MARK = "s"
DEIDENTIFIED_NOTE = (
    "De-identified copy: counts from 1 to 10 are suppressed, and so is whatever would let "
    "someone work them out from a total; a suppressed month has no bar and is marked "
    f"“{SUPPRESSED_MARK}” where the bar would be."
)
QUARTER_MONTHS = {1: (1, 3), 2: (4, 6), 3: (7, 9), 4: (10, 12)}


def quarter_period(year: int, quarter: int) -> Period:
    """The quarter's inclusive program-local dates."""
    first, last = QUARTER_MONTHS[quarter]
    end = dt.date(year + (last == 12), last % 12 + 1, 1) - dt.timedelta(days=1)
    return Period(start=dt.date(year, first, 1), end=end)


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def quarter_label(year: int, quarter: int) -> str:
    period = quarter_period(year, quarter)
    start, end = period.start, period.end
    return f"Q{quarter} {year} ({start.day} {start:%B} – {end.day} {end:%B %Y})"


# --- Part 2 pages ------------------------------------------------------------------


class Part2Mark(Flowable):
    """Takes no room; notes that the page it lands on holds Part 2 figures."""

    def __init__(self, pages: set[int]) -> None:
        super().__init__()
        self.pages = pages
        self.width = self.height = 0

    def wrap(self, *_args: Any) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.pages.add(self.canv.getPageNumber())


def _part2(pages: set[int], *flowables: Flowable) -> KeepTogether:
    """Flowables that hold Part 2 figures, kept on one page with the mark that notes it."""
    return KeepTogether([Part2Mark(pages), *flowables])


# --- Styles ------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontSize=10, leading=14, textColor=INK)
    return {
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontSize=26, leading=32, alignment=TA_LEFT
        ),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=14, leading=20),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], textColor=INK, spaceBefore=12),
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11),
        "head": ParagraphStyle(
            "head", parent=body, fontSize=9, leading=11, fontName="Helvetica-Bold"
        ),
        "notice": ParagraphStyle("notice", parent=body, fontSize=6.5, leading=8),
    }


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float], styles: dict[str, Any]) -> Table:
    head = [Paragraph(escape(str(text)), styles["head"]) for text in rows[0]]
    body = [
        [Paragraph(escape(str(v)), styles["cell"]) if i == 0 else v for i, v in enumerate(row)]
        for row in rows[1:]
    ]
    table = Table([head, *body], colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 1, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#dfe1e2")),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


# --- Figures -----------------------------------------------------------------------


def _figure(value: Any, kind: str) -> str:
    if value == SUPPRESSED:
        return SUPPRESSED
    if value is None:
        # A count is never missing on its own: it is hidden (treatment counts for everyone).
        return SUPPRESSED if kind == "count" else "–"
    if kind == "share":
        return f"{float(value) * 100:.1f}%"
    if kind == "hours":
        return f"{float(value):.1f} h"
    return f"{int(value):,}"


def _change(now: Any, before: Any) -> str:
    if SUPPRESSED in (now, before):
        return "–"
    change = metric_defs.percent_change(now, before)
    if change is None:
        return "–"
    return f"{change:+.1f}%"


def _headline(program: Program, period: Period, suppress: bool) -> dict[str, Any]:
    """The figures as given, a figure measured but hidden reading SUPPRESSED."""
    computed = metric_defs.compute_metrics(program, period)
    treatment = disclosure.gives_treatment(program, period)
    shown = metric_defs.flatten_metrics(disclosure.headline_for(computed, suppress, treatment))
    exact = metric_defs.flatten_metrics(computed.as_api())
    return {
        key: SUPPRESSED if value is None and exact.get(key) is not None else value
        for key, value in shown.items()
    }


def headline_rows(
    program: Program, year: int, quarter: int, suppress: bool = False
) -> list[list[str]]:
    """Each headline figure this quarter, last quarter, and the change between."""
    now = _headline(program, quarter_period(year, quarter), suppress)
    before = _headline(program, quarter_period(*previous_quarter(year, quarter)), suppress)
    rows = [["Figure", "This quarter", "Last quarter", "Change"]]
    for key, _label, kind in HEADLINE:
        change = _change(now.get(key), before.get(key)) if kind == "count" else "–"
        rows.append(
            [
                figure_label(program, key),
                _figure(now.get(key), kind),
                _figure(before.get(key), kind),
                change,
            ]
        )
    return rows


def _months(program: Program, periods: Sequence[Period], metric: str, suppress: bool) -> Any:
    """(month, value) for each month of the quarters; de-identified quarter by quarter."""
    points: list[tuple[dt.date, Any]] = []
    for period in periods:
        series = metric_defs.monthly_series(program, period, metric)
        values = disclosure.monthly_for(metric, [value for _month, value in series], True, suppress)
        points += [(month, value) for (month, _), value in zip(series, values, strict=True)]
    return points


def monthly_chart(program: Program, year: int, quarter: int, suppress: bool = False) -> Drawing:
    """Referrals and people engaged in each of the twelve months to the quarter's end."""
    quarters = [(year, quarter)]
    for _ in range(3):
        quarters.insert(0, previous_quarter(*quarters[0]))
    periods = [quarter_period(*each) for each in quarters]
    referrals = _months(program, periods, "referrals", suppress)
    engaged = _months(program, periods, "people_engaged", suppress)
    data = [
        [float(value or 0) for _month, value in referrals],
        [float(value or 0) for _month, value in engaged],
    ]
    names = [f"{month:%b %y}" for month, _value in referrals]
    drawing = Drawing(BODY_WIDTH, 3.1 * inch)
    drawing.add(
        String(0, 3.1 * inch - 14, MONTHLY_CHART_TITLE, fontName="Helvetica-Bold", fontSize=12)
    )
    chart = VerticalBarChart()
    chart.x, chart.y = 36, 40
    chart.width, chart.height = BODY_WIDTH - 60, 3.1 * inch - 90
    chart.data = data if names else [[0.0], [0.0]]
    chart.categoryAxis.categoryNames = names or [""]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    _value_axis(chart, max((max(series, default=0) for series in data), default=0))
    chart.bars[0].fillColor = BLUE
    chart.bars[1].fillColor = GOLD
    chart.bars.strokeColor = None
    # A month hidden in the de-identified copy is marked, so it does not read as none.
    chart.barLabelArray = [
        [SUPPRESSED_MARK if suppress and value is None else "" for _month, value in series]
        for series in (referrals, engaged)
    ]
    chart.barLabelFormat = "values"
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "s"
    chart.barLabels.dy = 2
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = BODY_WIDTH - 200, 3.1 * inch - 8
    legend.alignment = "right"
    legend.fontSize = 8
    legend.columnMaximum = 1
    legend.colorNamePairs = [(BLUE, "Referrals"), (GOLD, "People engaged")]
    drawing.add(legend)
    return drawing


def funnel_chart(steps: Sequence[tuple[str, str, int | None]]) -> Drawing:
    """How many people reached each step, widest first, as horizontal bars."""
    height = max(1.6 * inch, (len(steps) * 26 + 60))
    drawing = Drawing(BODY_WIDTH, height)
    drawing.add(String(0, height - 14, FUNNEL_CHART_TITLE, fontName="Helvetica-Bold", fontSize=12))
    chart = HorizontalBarChart()
    chart.x, chart.y = 170, 24
    chart.width, chart.height = BODY_WIDTH - 200, height - 60
    counts = [float(count or 0) for _key, _label, count in reversed(steps)] or [0.0]
    chart.data = [counts]
    chart.barLabelArray = [
        [SUPPRESSED if count is None else f"{count:d}" for _key, _label, count in reversed(steps)]
        or ["0"]
    ]
    chart.categoryAxis.categoryNames = [label for _key, label, _count in reversed(steps)] or [""]
    chart.categoryAxis.labels.fontSize = 8
    chart.bars[0].fillColor = BLUE
    chart.bars.strokeColor = None
    chart.barLabelFormat = "values"
    chart.barLabels.fontSize = 8
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 4
    _value_axis(chart, max(counts))
    drawing.add(chart)
    return drawing


def _value_axis(chart: Any, top: float) -> None:
    """Whole-number steps from zero, with headroom; an empty quarter still gets an axis."""
    step = max(1, int(top // 5) or 1)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(step * 6, top * 1.1)
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.labelTextFormat = "%d"


def district_rows(program: Program, period: Period, suppress: bool = False) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            "District",
            "Referrals",
            "Referred to services",
            "Engaged",
            "Contacted",
            "Accepted treatment",
            "Fatal OD",
            "Nonfatal OD",
        ]
    ]
    groups, computed = metric_defs.breakdown_with_headline(program, period, "district")
    treatment = disclosure.gives_treatment(program, period)
    groups, totals = disclosure.breakdown_for(
        groups, BREAKDOWN_COUNTS, suppress, treatment, computed
    )
    for row in [*groups, {"label": "Total", **totals}]:
        rows.append(
            [
                row.get("label") or row.get("key") or "Not recorded",
                *(_figure(row.get(key), "count") for key in BREAKDOWN_COUNTS),
            ]
        )
    return rows


def disposition_rows(program: Program, period: Period, suppress: bool = False) -> list[list[Any]]:
    """The quarter's dispositions, as its readers are given them: those who download it
    (coordinators, administrators) and the funders they send it to read no clinical detail,
    so where people were taken for treatment is theirs by whole, finished quarter only
    (`disclosure.dispositions_for`)."""
    dispositions = metric_defs.program_metrics(program, period).get("dispositions") or {}
    treatment = disclosure.gives_treatment(program, period)
    split = disclosure.dispositions_for(dispositions, suppress, treatment, clinical=False)
    rows: list[list[Any]] = [["Disposition", "Encounters"]]
    if suppress or None in split.cells.values():
        # The dashboard's table, hidden the same way; hidden counts are not ranked. A row
        # is left out only where it is shown as zero: a hidden zero is listed as hidden.
        for code in sorted(dispositions, key=lambda code: vocabulary_label("disposition", code)):
            if dispositions[code] or split.cells[code] is None:
                shown = _figure(split.cells[code], "count")
                rows.append([vocabulary_label("disposition", code), shown])
        rows.append(["All encounters", _figure(split.total, "count")])
        return rows
    # Only the dispositions that happened; the CSV and XLSX list every one.
    for code, count in sorted(dispositions.items(), key=lambda pair: (-pair[1], pair[0])):
        if count:
            rows.append([vocabulary_label("disposition", code), f"{count:,}"])
    if len(rows) == 1:
        rows.append(["None recorded this quarter", "0"])
    # The public copy's total, exact: no count in this copy is hidden.
    rows.append(["All encounters", f"{sum(dispositions.values()):,}"])
    return rows


# --- The document ------------------------------------------------------------------


def _story(
    program: Program,
    year: int,
    quarter: int,
    styles: dict[str, Any],
    part2: set[int],
    generated: dt.date,
    suppress: bool = False,
) -> list[Flowable]:
    story: list[Flowable] = [
        Spacer(1, 2 * inch),
        Paragraph(escape(program.name), styles["title"]),
        Paragraph(f"Quarterly report: {escape(quarter_label(year, quarter))}", styles["subtitle"]),
        Spacer(1, 0.3 * inch),
        Paragraph(f"Generated {generated.day} {generated:%B %Y}.", styles["body"]),
        Paragraph(
            "Figures count people and events in the program's own records for the quarter, "
            "by the definitions published with the program's API. Figures about treatment "
            "come from the treatment providers the program refers to.",
            styles["body"],
        ),
    ]
    story.append(
        Paragraph(
            DEIDENTIFIED_NOTE
            if suppress
            else f"{disclosure.TREATMENT_NOTE} {disclosure.CLINICAL_NOTE}",
            styles["body"],
        )
    )
    story += _figures(program, year, quarter, styles, part2, suppress)
    return story + _narrative(program, year, quarter, styles)


def nothing_recorded(year: int, quarter: int) -> str:
    return (
        f"Nothing was recorded in {quarter_label(year, quarter)}: no referrals, overdoses or "
        "contacts. The figures below read 0, or – where there was nothing to compute them from."
    )


def _figures(
    program: Program,
    year: int,
    quarter: int,
    styles: dict[str, Any],
    part2: set[int],
    suppress: bool,
) -> list[Flowable]:
    period = quarter_period(year, quarter)
    exact = metric_defs.funnel(program, period)
    treatment = disclosure.gives_treatment(program, period)
    shown = disclosure.funnel_for([(key, n) for key, _label, n in exact], suppress, treatment)
    steps = [(key, label, n) for (key, label, _), n in zip(exact, shown, strict=True)]
    headline = headline_rows(program, year, quarter, suppress)
    # A quarter with nothing in it says so, rather than leaving a funder a page of zeros.
    quiet = all(row[1] in ("0", "–") for row in headline[1:])
    said = [Paragraph(escape(nothing_recorded(year, quarter)), styles["body"])] if quiet else []
    return [
        PageBreak(),
        Paragraph("Headline figures", styles["h2"]),
        *said,
        _part2(part2, _table(headline, [3.2 * inch, 1.3 * inch, 1.3 * inch, 1.2 * inch], styles)),
        Spacer(1, 0.25 * inch),
        monthly_chart(program, year, quarter, suppress),
        PageBreak(),
        _part2(part2, funnel_chart(steps)),
        Paragraph("By district", styles["h2"]),
        _part2(
            part2,
            _table(
                district_rows(program, period, suppress), [1.4 * inch] + [0.8 * inch] * 7, styles
            ),
        ),
        Paragraph(ONE_PERSON_ONCE, styles["body"]),
        Paragraph("Dispositions of crisis responses and visits", styles["h2"]),
        _table(disposition_rows(program, period, suppress), [4 * inch, 1.5 * inch], styles),
        PageBreak(),
    ]


def _narrative(program: Program, year: int, quarter: int, styles: dict[str, Any]) -> list[Flowable]:
    narrative = narrative_of(program, year, quarter)
    story: list[Flowable] = [Paragraph("From the coordinator", styles["h2"])]
    for name, label in NARRATIVE_LABELS.items():
        text = getattr(narrative, name) or "Not written yet."
        story.append(Paragraph(escape(label), styles["h2"]))
        story += [
            Paragraph(escape(part), styles["body"]) for part in text.split("\n") if part.strip()
        ]
    return story


def quarterly_pdf(
    program: Program,
    year: int,
    quarter: int,
    *,
    generated: dt.date | None = None,
    suppress: bool = False,
) -> bytes:
    """The funders' report for one program's quarter (each period's records read once).

    With `suppress`, the de-identified copy for publication.
    """
    with metric_defs.shared_facts():
        return _quarterly_pdf(program, year, quarter, generated, suppress)


def _quarterly_pdf(
    program: Program, year: int, quarter: int, generated: dt.date | None, suppress: bool
) -> bytes:
    if quarter not in QUARTER_MONTHS:
        raise ValueError("quarter must be 1 to 4")
    # The day it is where the program is, not on the server's UTC clock.
    generated = generated or today_in(program)
    styles = _styles()
    part2: set[int] = set()
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=FOOT,
        title=f"{program.name}: quarterly report Q{quarter} {year}",
        author=program.name,
        subject="Quarterly report",
        creator="Coresponder",
    )
    footer = f"{program.name} · Q{quarter} {year} · generated {generated.isoformat()}"

    def finish_page(canvas: Any, _doc: Any) -> None:
        page = canvas.getPageNumber()
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(INK)
        canvas.drawString(MARGIN, 0.45 * inch, footer)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 0.45 * inch, f"Page {page}")
        if page in part2:
            notice = Paragraph(escape(REDISCLOSURE_NOTICE), styles["notice"])
            _w, h = notice.wrap(BODY_WIDTH, FOOT)
            notice.drawOn(canvas, MARGIN, 0.65 * inch)
            canvas.setStrokeColor(INK)
            canvas.line(MARGIN, 0.7 * inch + h, PAGE_WIDTH - MARGIN, 0.7 * inch + h)
        canvas.restoreState()

    frame = Frame(MARGIN, FOOT, BODY_WIDTH, PAGE_HEIGHT - MARGIN - FOOT, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=finish_page)])
    doc.build(_story(program, year, quarter, styles, part2, generated, suppress))
    return buffer.getvalue()
