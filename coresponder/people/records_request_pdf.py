"""A records request as a PDF to hand or mail to the person: the readable page, on paper."""

from __future__ import annotations

import io
from html import escape
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

INK = colors.HexColor("#1b1b1b")
MARGIN = 0.75 * inch
WIDTH = LETTER[0] - 2 * MARGIN


def records_request_pdf(page: dict[str, Any], person_label: str) -> bytes:
    """The PDF of `readable(...)`'s page: the same sections, labels and times."""
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontSize=9.5, leading=12.5)
    styles = {
        "title": ParagraphStyle("title", parent=base["Title"], fontSize=18, leading=22),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], textColor=INK, spaceBefore=10),
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
                ("Asked for", a["proposed"]),
                ("Original (kept)", a["original"]),
                ("Reason for a denial", a["denial_reason"]),
                ("Statement of disagreement", a["disagreement"]),
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
