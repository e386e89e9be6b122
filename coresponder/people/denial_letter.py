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
from coresponder.domain.vocabulary import label
from coresponder.intake.models import Referral
from coresponder.people.amendments import GROUP_OF, field_label, value_text
from coresponder.people.contact_requests import mailing_address
from coresponder.people.letter_words import DEFAULT_LANGUAGE, language_of, words
from coresponder.people.models import Amendment, Person
from coresponder.people.records_request_pdf import INK, MARGIN, pdf_fonts
from coresponder.privacy.access import PersonAccess
from coresponder.programs.local_time import format_date
from coresponder.programs.models import Program


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
    # The language it is written in ("en" or "es").
    lang: str = DEFAULT_LANGUAGE


def letter_language(person: Person, program: Program, asked: str | None) -> str:
    """The language a letter of `program` to the person is written in: the one staff chose
    (`asked`; one the letters are not written in reads as English), else the language the
    person's latest referral to the program gives, else English."""
    if asked:
        return language_of(asked)
    given = (
        Referral.objects.filter(person=person, program=program)
        .exclude(language="")
        .order_by("-received_at", "-id")
        .values_list("language", flat=True)
        .first()
    )
    return language_of(given)


def denial_letter(
    access: PersonAccess, amendment: Amendment, today: dt.date, lang: str = DEFAULT_LANGUAGE
) -> DenialLetter:
    """The letter answering a denied request, dated `today` on the program's calendar, in
    `lang`."""
    said = words(lang)
    program = amendment.program
    to, shown, mail_note = recipient(access, program, lang)
    groups = {GROUP_OF[amendment.field].value, *shown}
    privacy = program.rules.privacy_contact
    contact = addressee(program, privacy, lang)
    # A statement of disagreement is written: sent by mail or email. The rest may be a call.
    file_by = ways(privacy, ("address", "email"), lang)
    reach_by = ways(privacy, ("phone", "email", "address"), lang)
    value = amendment.proposed_value
    opening = said["amendment_opening"].format(
        received=format_date(amendment.received_on, with_year=True, lang=lang),
        what=said.get(f"field_{amendment.field}")
        or f"the {field_label(amendment.record_kind, amendment.field).lower()}",
        value=value_text(amendment.field, value, lang)
        if value not in (None, "", [])
        else said["none"],
        decided=format_date(amendment.decided_at, program, with_year=True, lang=lang),
    )
    grounds = label("amendment_denial_ground", amendment.denial_grounds, lang)
    basis = [said["amendment_basis"].format(grounds=grounds or said["not_recorded"])]
    if amendment.denial_reason:
        basis.append(amendment.denial_reason)
    disagree = [said["disagree"].format(contact=contact, ways=file_by)]
    if amendment.disagreement:
        disagree.append(said["disagreement_kept"])
    include = [said["include"].format(contact=contact, ways=reach_by)]
    if amendment.include_with_disclosures:
        include.append(said["include_asked"])
    return DenialLetter(
        program=program.name,
        dated=format_date(today, with_year=True, lang=lang),
        to=to,
        title=said["amendment_title"],
        opening=opening,
        sections=[
            Section(said["why_heading"], basis),
            Section(said["disagree_heading"], disagree),
            Section(said["include_heading"], include),
            Section(said["complain_heading"], complaints(program, lang)),
        ],
        groups=sorted(groups),
        mail_note=mail_note,
        lang=language_of(lang),
    )


def complaints(program: Program, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """How to complain to the program and to HHS's Office for Civil Rights (45 CFR
    164.524(d)(2)(iii), 164.526(d)(1)(iv)), naming the program's privacy contact."""
    said = words(lang)
    privacy = program.rules.privacy_contact
    whom = (
        said["complain_titled"].format(title=contact_names(privacy, lang)[0])
        if privacy
        else said["privacy_contact"]
    )
    return [
        said["complain_program"].format(
            program=program.name, whom=whom, ways=ways(privacy, ("phone", "email", "address"), lang)
        ),
        said["complain_hhs"].format(ocr=said["ocr_complaints"]),
        said["no_retaliation"],
    ]


def recipient(
    access: PersonAccess, program: Program, lang: str = DEFAULT_LANGUAGE
) -> tuple[list[str], list[str], str]:
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
        to.append(words(lang)["person"].format(pk=person.pk))
    address, mail_note = mailing_address(access, program.pk)
    if address or mail_note:
        groups.add(FieldGroup.CONTACT.value)
    if address:
        to.append(address)
    return to, sorted(groups), mail_note


def addressee(
    program: Program, privacy: PrivacyContact | None, lang: str = DEFAULT_LANGUAGE
) -> str:
    """The program, to the attention of its privacy contact's title and office."""
    said = words(lang)
    if privacy is None:
        return said["attention"].format(program=program.name, whom=said["privacy_contact"])
    title, office = contact_names(privacy, lang)
    whom = f"{title}, {office}" if office else title
    return said["attention"].format(program=program.name, whom=whom)


def contact_names(privacy: PrivacyContact, lang: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    """The contact's title and office (blank where none) as a letter in `lang` names them: a
    Spanish letter as the preset gives them in Spanish, or else the English words set apart
    as proper names."""
    if language_of(lang) != "es":
        return privacy.title, privacy.office
    quoted = words(lang)["named_in_english"]
    title = privacy.title_es or quoted.format(name=privacy.title)
    office = privacy.office_es or (quoted.format(name=privacy.office) if privacy.office else "")
    return title, office


def ways(
    privacy: PrivacyContact | None, chosen: tuple[str, ...], lang: str = DEFAULT_LANGUAGE
) -> str:
    """How to reach the contact, of the `chosen` ways, as the end of a sentence; blank when
    none is given."""
    if privacy is None:
        return ""
    said = words(lang)
    by = {
        "phone": said["by_phone"].format(phone=privacy.phone) if privacy.phone else "",
        "email": said["by_email"].format(email=privacy.email) if privacy.email else "",
        "address": (
            said["by_mail"].format(address=privacy.address_on_one_line) if privacy.address else ""
        ),
    }
    given = [by[way] for way in chosen if by[way]]
    if not given:
        return ""
    if len(given) == 1:
        return f": {given[0]}"
    return f": {', '.join(given[:-1])}{said['list_comma']} {said['or']} {given[-1]}"


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
        # The document's language (the catalog's /Lang), so a screen reader reads it aloud
        # in the letter's language.
        lang=letter.lang,
    )
    doc.build(story)
    return buffer.getvalue()


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)
