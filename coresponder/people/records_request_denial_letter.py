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
    DenialLetter,
    Section,
    addressee,
    complaints,
    recipient,
    ways,
)
from coresponder.people.letter_words import DEFAULT_LANGUAGE, language_of, words
from coresponder.people.models import RecordsRequest
from coresponder.privacy.access import PersonAccess
from coresponder.programs.local_time import format_date

CITE = "45 CFR 164.524(d)(2)"


def records_request_denial_letter(
    access: PersonAccess, logged: RecordsRequest, today: dt.date, lang: str = DEFAULT_LANGUAGE
) -> DenialLetter:
    """The letter answering a request denied, in whole or in part, dated `today` on the
    program's calendar, in `lang`."""
    said = words(lang)
    program = logged.program
    to, groups, mail_note = recipient(access, program, lang)
    privacy = program.rules.privacy_contact
    contact = addressee(program, privacy, lang)
    dates = {
        "received": format_date(logged.received_on, with_year=True, lang=lang),
        "denied": format_date(logged.denied_at, program, with_year=True, lang=lang),
        "made_by": said["made_by"].format(who=logged.requested_by) if logged.requested_by else "",
    }
    if logged.withheld_parts:
        # 164.524(d)(1): denied in part, the rest was given; the letter covers the part withheld.
        opening = said["in_part_opening"].format(**dates)
        title = said["in_part_title"]
        heading = said["in_part_heading"]
        basis = [
            said["withheld_part"].format(
                group=label("field_group", part["group"], lang),
                grounds=" ".join(
                    f"{label('access_denial_ground', g, lang)}." for g in part["grounds"]
                ),
                reason=part["reason"],
            )
            for part in logged.withheld_parts
        ]
    else:
        opening = said["request_opening"].format(**dates)
        title = said["request_title"]
        heading = said["why_heading"]
        basis = [said["request_grounds"]]
        basis += [
            f"{label('access_denial_ground', ground, lang)}." for ground in logged.denial_grounds
        ]
        basis.append(logged.denial_reason)
    return DenialLetter(
        program=program.name,
        dated=format_date(today, with_year=True, lang=lang),
        to=to,
        title=title,
        opening=opening,
        sections=[
            Section(heading, basis),
            Section(said["review_heading"], _review(logged, contact, privacy, lang)),
            Section(said["complain_heading"], complaints(program, lang)),
        ],
        groups=groups,
        cite=CITE,
        mail_note=mail_note,
        lang=language_of(lang),
    )


def _review(
    logged: RecordsRequest, contact: str, privacy: PrivacyContact | None, lang: str
) -> list[str]:
    """Whether the denial may be reviewed (164.524(a)(4), (d)(4)), and how to ask."""
    said = words(lang)
    reviewable = [g for g in logged.denial_grounds if is_reviewable(g)]
    others = [g for g in logged.denial_grounds if not is_reviewable(g)]
    told = []
    if reviewable:
        # A review is asked for in writing: by mail or email.
        told.append(
            said["review_may"].format(
                program=logged.program.name,
                contact=contact,
                ways=ways(privacy, ("address", "email"), lang),
            )
        )
    if others and reviewable:
        told.append(said["review_covers_some"])
    elif others:
        told.append(said["review_none"])
    return told
