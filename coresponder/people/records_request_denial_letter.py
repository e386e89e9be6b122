"""The written denial of a records request (45 CFR 164.524(d)(2)): its words, once, for the
page to print and for the PDF (set as the amendment's denial letter is).

The letter states, in plain language, (i) the basis for the denial; (ii) where a ground may
be reviewed (164.524(a)(3)), the person's right to have a licensed health care professional
who took no part in the decision review it, and how to ask, and where a ground may not
(164.524(a)(2)), that the denial cannot be reviewed; and (iii) how to complain to the
program and to the Secretary of HHS (the Office for Civil Rights).
"""

from __future__ import annotations

import datetime as dt

from coresponder.domain.privacy_contact import PrivacyContact
from coresponder.domain.vocabulary import is_reviewable, label
from coresponder.people.denial_letter import (
    OCR_COMPLAINTS,
    PRIVACY_CONTACT,
    DenialLetter,
    Section,
    addressee,
    recipient,
    ways,
)
from coresponder.people.models import RecordsRequest
from coresponder.privacy.access import PersonAccess
from coresponder.programs.local_time import format_date
from coresponder.programs.models import Program

CITE = "45 CFR 164.524(d)(2)"


def records_request_denial_letter(
    access: PersonAccess, logged: RecordsRequest, today: dt.date
) -> DenialLetter:
    """The letter answering a request denied, in whole or in part, dated `today` on the
    program's calendar."""
    program = logged.program
    to, groups, mail_note = recipient(access, program)
    privacy = program.rules.privacy_contact
    contact = addressee(program, privacy)
    received = format_date(logged.received_on, with_year=True)
    denied = format_date(logged.denied_at, program, with_year=True)
    source = f" (made by: {logged.requested_by})" if logged.requested_by else ""
    if logged.withheld_parts:
        # 164.524(d)(1): denied in part, the rest was given; the letter covers the part withheld.
        opening = (
            f"On {received} we received a request for a copy of your records{source}. On "
            f"{denied} we gave you your records, except the parts named below: access to them "
            "is denied. Everything else we hold about you was given to you. This letter says "
            "why those parts were withheld, and what you may do."
        )
        title = "Your request for your records is fulfilled in part"
        heading = "What we withheld, and why"
        basis = [
            f"{label('field_group', part['group'])}: withheld on these grounds: "
            + " ".join(f"{label('access_denial_ground', g)}." for g in part["grounds"])
            + f" {part['reason']}"
            for part in logged.withheld_parts
        ]
    else:
        opening = (
            f"On {received} we received a request for a copy of your records{source}. On "
            f"{denied} we denied the request in whole. This letter says why, and what you may "
            "do."
        )
        title = "Your request for your records is denied"
        heading = "Why we denied your request"
        basis = ["We denied access to your records on these grounds:"]
        basis += [f"{label('access_denial_ground', ground)}." for ground in logged.denial_grounds]
        basis.append(logged.denial_reason)
    return DenialLetter(
        program=program.name,
        dated=format_date(today, with_year=True),
        to=to,
        title=title,
        opening=opening,
        sections=[
            Section(heading, basis),
            Section("Having the denial reviewed", _review(logged, contact, privacy)),
            Section("How to complain", complaints(program)),
        ],
        groups=groups,
        cite=CITE,
        mail_note=mail_note,
    )


def complaints(program: Program) -> list[str]:
    """How to complain to the program and to HHS's Office for Civil Rights (45 CFR
    164.524(d)(2)(iii)), naming the program's privacy contact."""
    privacy = program.rules.privacy_contact
    reach_by = ways(privacy, ("phone", "email", "address"))
    return [
        f"You may complain about this decision to {program.name}: write to or call "
        f"{f'its {privacy.title}' if privacy else PRIVACY_CONTACT}{reach_by}.",
        "You may also complain to the Secretary of the U.S. Department of Health and Human "
        f"Services, through its Office for Civil Rights: {OCR_COMPLAINTS}. A complaint to the "
        "Office for Civil Rights is filed within 180 days of when you learned of what you "
        "complain about.",
        "No one may retaliate against you for complaining.",
    ]


def _review(logged: RecordsRequest, contact: str, privacy: PrivacyContact | None) -> list[str]:
    """Whether the denial may be reviewed (164.524(a)(4), (d)(4)), and how to ask."""
    reviewable = [g for g in logged.denial_grounds if is_reviewable(g)]
    others = [g for g in logged.denial_grounds if not is_reviewable(g)]
    said = []
    if reviewable:
        # A review is asked for in writing: by mail or email.
        ask_by = ways(privacy, ("address", "email"))
        said.append(
            "You may ask that the denial be reviewed by a licensed health care professional "
            "who did not take part in the original decision, chosen by "
            f"{logged.program.name} to review it. To ask, write to {contact}{ask_by}. We send "
            "your request to the reviewer promptly; the reviewer decides within a reasonable "
            "time, we tell you the decision in writing, and we do as the reviewer decides."
        )
    if others and reviewable:
        said.append(
            "A review covers only the grounds above that a licensed health care professional "
            "judged. The denial on the other grounds cannot be reviewed (45 CFR "
            "164.524(a)(2)), so a review cannot by itself give you these records."
        )
    elif others:
        said.append(
            "This denial cannot be reviewed: the rule allows no review of a denial on these "
            "grounds (45 CFR 164.524(a)(2))."
        )
    return said
