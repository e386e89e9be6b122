"""The written denial of an amendment request (45 CFR 164.526(d)(1)): its words, once, for
the page to print and for the PDF.

The letter states (i) the basis for the denial, (ii) the person's right to a written
statement of disagreement and how to file it, (iii) that, without one, the person may ask
that the request and the denial go with future disclosures, and (iv) how to complain to the
program and to the Secretary of HHS (the Office for Civil Rights).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from html import escape

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from coresponder.domain.policy import FieldGroup, GroupVisibility
from coresponder.domain.privacy_contact import PrivacyContact
from coresponder.people.amendments import GROUP_OF, denied_on, field_label, value_text
from coresponder.people.contact_requests import mailing_address
from coresponder.people.models import Amendment
from coresponder.people.records_request_pdf import INK, MARGIN, pdf_fonts
from coresponder.privacy.access import PersonAccess
from coresponder.programs.local_time import format_date
from coresponder.programs.models import Program

# A program whose preset names no privacy contact: the letter names the role, under the
# program's name, for whoever sends it to fill in or attach.
PRIVACY_CONTACT = "the program's privacy contact"
# Where the Secretary takes complaints (hhs.gov/ocr/complaints).
OCR_COMPLAINTS = (
    "online at https://www.hhs.gov/ocr/complaints; by mail to Centralized Case Management "
    "Operations, U.S. Department of Health and Human Services, 200 Independence Avenue, S.W., "
    "Room 509F HHH Bldg., Washington, D.C. 20201; by email to OCRComplaint@hhs.gov; or by "
    "phone at 1-800-368-1019 (TDD 1-800-537-7697)"
)


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: list[str]


@dataclass(frozen=True)
class DenialLetter:
    program: str
    dated: str
    to: list[str]
    title: str
    opening: str
    sections: list[Section]
    # The field groups the letter shows, for the audited read.
    groups: list[str] = field(default_factory=list)
    # The rule the letter answers, printed at its foot.
    cite: str = "45 CFR 164.526(d)(1)"
    # For whoever sends it, on the page only: where the person asked their mail to go.
    mail_note: str = ""


def denial_letter(access: PersonAccess, amendment: Amendment, today: dt.date) -> DenialLetter:
    """The letter answering a denied request, dated `today` on the program's calendar."""
    program = amendment.program
    to, shown, mail_note = recipient(access, program)
    groups = {GROUP_OF[amendment.field].value, *shown}
    privacy = program.rules.privacy_contact
    contact = addressee(program, privacy)
    # A statement of disagreement is written: sent by mail or email. The rest may be a call.
    file_by = ways(privacy, ("address", "email"))
    reach_by = ways(privacy, ("phone", "email", "address"))
    what = field_label(amendment.record_kind, amendment.field).lower()
    received = format_date(amendment.received_on, with_year=True)
    decided = format_date(amendment.decided_at, program, with_year=True)
    opening = (
        f"On {received} you asked us to change the {what} in your record to "
        f"“{value_text(amendment.field, amendment.proposed_value)}”. On {decided} we "
        "denied your request. This letter says why, and what you may do."
    )
    basis = [f"Basis for the denial: {denied_on(amendment.status, amendment.denial_grounds)}."]
    if amendment.denial_reason:
        basis.append(amendment.denial_reason)
    disagree = [
        "You may write a statement disagreeing with this denial and saying why. To file it, "
        f"send or give it to {contact}{file_by}. We keep it with your record, and it goes with any "
        "future disclosure of the information. We may write a reply to it; if we do, we "
        "send you a copy."
    ]
    if amendment.disagreement:
        disagree.append("We have your statement of disagreement; it is kept with your record.")
    include = [
        "If you do not write a statement of disagreement, you may ask that we include your "
        "request for amendment and this denial with any future disclosures of the "
        f"information. To ask, write to or call {contact}{reach_by}."
    ]
    if amendment.include_with_disclosures:
        include.append(
            "You have asked that we include your request for amendment and this denial with "
            "any future disclosures of the information; we will."
        )
    complain = [
        f"You may complain about this decision to {program.name}: write to or call "
        f"{f'its {privacy.title}' if privacy else PRIVACY_CONTACT}{reach_by}.",
        "You may also complain to the Secretary of the U.S. Department of Health and Human "
        f"Services, through its Office for Civil Rights: {OCR_COMPLAINTS}. A complaint to the "
        "Office for Civil Rights is filed within 180 days of when you learned of what you "
        "complain about.",
        "No one may retaliate against you for complaining.",
    ]
    return DenialLetter(
        program=program.name,
        dated=format_date(today, with_year=True),
        to=to,
        title="Your request to amend your record is denied",
        opening=opening,
        sections=[
            Section("Why we denied your request", basis),
            Section("If you disagree", disagree),
            Section("If you do not write a statement", include),
            Section("How to complain", complain),
        ],
        groups=sorted(groups),
        mail_note=mail_note,
    )


def recipient(access: PersonAccess, program: Program) -> tuple[list[str], list[str], str]:
    """Whom a letter of `program` to the person is to: the person's name and the
    address their mail goes to (the one they asked for, where they asked for no mail to their
    home address, 45 CFR 164.522(b)) as the reader is shown them; the field groups that shows
    (for the audited read); and what the page says of the address."""
    person = access.person
    groups: set[str] = set()
    to: list[str] = []
    if access.decision(FieldGroup.IDENTITY) is GroupVisibility.SHOWN:
        groups.add(FieldGroup.IDENTITY.value)
        to.append(str(person))
    else:
        to.append(f"Person {person.pk}")
    address, mail_note = mailing_address(access, program.pk)
    if address or mail_note:
        groups.add(FieldGroup.CONTACT.value)
    if address:
        to.append(address)
    return to, sorted(groups), mail_note


def addressee(program: Program, privacy: PrivacyContact | None) -> str:
    """The program, to the attention of its privacy contact's title and office."""
    if privacy is None:
        return f"{program.name}, attention: {PRIVACY_CONTACT}"
    office = f", {privacy.office}" if privacy.office else ""
    return f"{program.name}, attention: {privacy.title}{office}"


def ways(privacy: PrivacyContact | None, chosen: tuple[str, ...]) -> str:
    """How to reach the contact, of the `chosen` ways, as the end of a sentence; blank when
    none is given."""
    if privacy is None:
        return ""
    said = {
        "phone": f"by phone at {privacy.phone}" if privacy.phone else "",
        "email": f"by email to {privacy.email}" if privacy.email else "",
        "address": f"by mail to {privacy.address_on_one_line}" if privacy.address else "",
    }
    given = [said[way] for way in chosen if said[way]]
    if not given:
        return ""
    if len(given) == 1:
        return f": {given[0]}"
    return f": {', '.join(given[:-1])}, or {given[-1]}"


def denial_letter_pdf(letter: DenialLetter) -> bytes:
    """The letter as a PDF to print or mail, set as the records request is."""
    base = getSampleStyleSheet()
    regular, bold = pdf_fonts()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName=regular, fontSize=10.5, leading=14
    )
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=14, leading=18)
    heading = ParagraphStyle(
        "h2", parent=base["Heading2"], fontName=bold, fontSize=11.5, textColor=INK, spaceBefore=8
    )
    story: list[Flowable] = [
        _p(letter.program, title),
        _p(letter.dated, body),
        Spacer(1, 10),
        _p("\n".join(letter.to), body),
        Spacer(1, 10),
        _p(letter.title, title),
        _p(letter.opening, body),
    ]
    for section in letter.sections:
        story.append(_p(section.heading, heading))
        story += [_p(text, body) for text in section.paragraphs]
    story += [Spacer(1, 10), _p(letter.cite, body)]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=letter.title,
        creator="Coresponder",
    )
    doc.build(story)
    return buffer.getvalue()


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)
