"""A records request as a PDF to hand or mail to the person: the readable page, on paper."""

from __future__ import annotations

import functools
import io
import logging
from html import escape
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

INK = colors.HexColor("#1b1b1b")
MARGIN = 0.75 * inch
WIDTH = LETTER[0] - 2 * MARGIN
log = logging.getLogger(__name__)

# PDF's built-in Helvetica knows only Western European letters: a name in Cyrillic, Greek,
# Polish or Vietnamese came out as black boxes in the person's own copy. DejaVu Sans (the
# fonts-dejavu-core package; where distributions put it) spells them, embedded in the file.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
FONT, BOLD_FONT = "DejaVuSans", "DejaVuSans-Bold"


@functools.cache
def pdf_fonts() -> tuple[str, str]:
    """The regular and bold fonts the PDF is set in: DejaVu Sans where installed, else
    Helvetica (and a warning, since names outside Western Europe then read as boxes)."""
    for folder in FONT_DIRS:
        regular, bold = folder / f"{FONT}.ttf", folder / f"{BOLD_FONT}.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont(FONT, str(regular)))
            pdfmetrics.registerFont(TTFont(BOLD_FONT, str(bold)))
            pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD_FONT)
            return FONT, BOLD_FONT
    log.warning("DejaVu Sans is not installed: records requests and letters are set in Helvetica")
    return "Helvetica", "Helvetica-Bold"


def records_request_pdf(page: dict[str, Any], person_label: str) -> bytes:
    """The PDF of `readable(...)`'s page: the same sections, labels and times."""
    base = getSampleStyleSheet()
    regular, bold = pdf_fonts()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName=regular, fontSize=9.5, leading=12.5
    )
    styles = {
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontName=bold, fontSize=18, leading=22
        ),
        "h2": ParagraphStyle(
            "h2", parent=base["Heading2"], fontName=bold, textColor=INK, spaceBefore=10
        ),
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5),
        "notice": ParagraphStyle("notice", parent=body, fontSize=7, leading=9),
    }
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Records request: {person_label}",
        creator="Coresponder",
    )
    doc.build(_story(page, person_label, styles))
    return buffer.getvalue()


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _pairs(rows: list[tuple[str, str]], styles: dict[str, ParagraphStyle]) -> Table:
    data = [[_p(name, styles["cell"]), _p(value or "—", styles["cell"])] for name, value in rows]
    table = Table(data, colWidths=[1.6 * inch, WIDTH - 1.6 * inch], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dfe1e2")),
            ]
        )
    )
    return table


def _story(
    page: dict[str, Any], person_label: str, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    story: list[Flowable] = [
        _p(f"Records request: everything held about {person_label}", styles["title"]),
        _p(f"Made {page['generated_at']} for the person (45 CFR 164.524).", styles["body"]),
    ]
    if page["redisclosure_notice"]:
        story += [Spacer(1, 6), _p(page["redisclosure_notice"], styles["notice"])]
    story += [_p("Programs", styles["h2"]), _pairs(page["programs"], styles)]
    for key, title in (("identity", "Identity"), ("contact", "Contact")):
        if page.get(key):
            story += [_p(title, styles["h2"]), _pairs(page[key], styles)]
    if page.get("collaterals"):
        story += [_p("Family and friends", styles["h2"])]
        story += [_p(row, styles["body"]) for row in page["collaterals"]]
    story.append(_p("History", styles["h2"]))
    for entry in page["history"] or [{"at": "", "program": "", "title": "Nothing recorded."}]:
        heading = " · ".join(
            part for part in (entry["at"], entry["program"], entry["title"]) if part
        )
        story.append(_p(heading, styles["body"]))
        if entry.get("facts"):
            story.append(_pairs(entry["facts"], styles))
    for plan in page["care_plans"]:
        story += [
            _p(f"Care plan: {plan['title']} ({plan['program']})", styles["h2"]),
            _pairs([(name, value) for name, value in plan["facts"] if value], styles),
        ]
    if page["source_records"]:
        story.append(_p("What each source reported", styles["h2"]))
        story += [
            _p(f"{row['at']} · {row['source']}: {row['said'] or 'no name given'}", styles["body"])
            for row in page["source_records"]
        ]
    if page["merges"]:
        story += [_p("Records joined to this one", styles["h2"]), _pairs(page["merges"], styles)]
    if page["amendments"]:
        story.append(_p("Amendments", styles["h2"]))
        for a in page["amendments"]:
            rows = [
                ("Field", a["field"]),
                ("Received", a["received"]),
                ("Status", a["status"]),
                ("Decided", a["decided"]),
                ("Asked for", a["proposed"]),
                ("Original (kept)", a["original"]),
                ("Grounds for the denial", a["denial_grounds"]),
                ("Reason for the denial", a["denial_reason"]),
                ("Statement of disagreement", a["disagreement"]),
                ("With future disclosures", a["with_disclosures"]),
            ]
            story += [_pairs([row for row in rows if row[1]], styles), Spacer(1, 6)]
    story.append(_p("Who read or changed this record", styles["h2"]))
    trail = [
        (e["at"], f"{e['who']}: {e['action']} ({e['outcome']}) {e['what']} {e['purpose']}".strip())
        for e in page["audit_trail"]
    ]
    story.append(_pairs(trail, styles) if trail else _p("No one yet.", styles["body"]))
    if page["not_included"]:
        story.append(_p("Not included here", styles["h2"]))
        story += [
            _p(f"{group}: {reason}. {ask}".strip(), styles["body"])
            for group, reason, ask in page["not_included"]
        ]
    return story
