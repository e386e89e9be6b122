"""The written determination of a review of a denial of access (45 CFR 164.524(d)(4)): its
words, once, for the page to print and for the PDF (set as the denial letter is).

The letter tells the person that a licensed health care professional the program chose,
who did not take part in the denial, reviewed it; what they decided and why; if they
overturned it, that access will be given and by when (and that the grounds no review covers
still stand); and how to complain to the program and to the Secretary of HHS.
"""

from __future__ import annotations

import datetime as dt

from coresponder.domain.vocabulary import AccessReviewDetermination, is_reviewable, label
from coresponder.people.denial_letter import DenialLetter, Section, complaints, recipient
from coresponder.people.letter_words import DEFAULT_LANGUAGE, language_of, words
from coresponder.people.models import RecordsRequest
from coresponder.people.records_request_log import due_on
from coresponder.privacy.access import PersonAccess
from coresponder.programs.local_time import format_date

CITE = "45 CFR 164.524(d)(4)"


def records_request_review_letter(
    access: PersonAccess, logged: RecordsRequest, today: dt.date, lang: str = DEFAULT_LANGUAGE
) -> DenialLetter:
    """The letter telling the person the reviewer's determination, dated `today` on the
    program's calendar, in `lang`."""
    said = words(lang)
    program = logged.program
    to, groups, mail_note = recipient(access, program, lang)
    opening = said["reviewed_opening"].format(
        asked=format_date(logged.review_asked_on, with_year=True, lang=lang),
        denied=format_date(logged.denied_at, program, with_year=True, lang=lang),
        in_part=said["in_part"] if logged.withheld_parts else "",
        program=program.name,
        decided=format_date(logged.reviewed_on, with_year=True, lang=lang),
    )
    overturned = logged.review_determination == AccessReviewDetermination.OVERTURNED
    if overturned:
        due = format_date(due_on(logged), with_year=True, lang=lang)
        decision = [
            said["overturned"],
            logged.review_reason,
            said["give_parts" if logged.withheld_parts else "give_all"].format(due=due),
        ]
        others = [g for g in logged.denial_grounds if not is_reviewable(g)]
        if others:
            decision.append(
                said["others_stand"].format(
                    grounds=" ".join(f"{label('access_denial_ground', g, lang)}." for g in others)
                )
            )
    else:
        decision = [
            said["upheld_parts" if logged.withheld_parts else "upheld_all"],
            logged.review_reason,
        ]
    return DenialLetter(
        program=program.name,
        dated=format_date(today, with_year=True, lang=lang),
        to=to,
        title=said["reviewed_title"],
        opening=opening,
        sections=[
            Section(said["decision_heading"], decision),
            Section(said["complain_heading"], complaints(program, lang)),
        ],
        groups=groups,
        cite=CITE,
        mail_note=mail_note,
        lang=language_of(lang),
    )
