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
from coresponder.people.denial_letter import DenialLetter, Section, recipient
from coresponder.people.models import RecordsRequest
from coresponder.people.records_request_denial_letter import complaints
from coresponder.people.records_request_log import due_on
from coresponder.privacy.access import PersonAccess
from coresponder.programs.local_time import format_date

CITE = "45 CFR 164.524(d)(4)"


def records_request_review_letter(
    access: PersonAccess, logged: RecordsRequest, today: dt.date
) -> DenialLetter:
    """The letter telling the person the reviewer's determination, dated `today` on the
    program's calendar."""
    program = logged.program
    to, groups, mail_note = recipient(access, program)
    asked = format_date(logged.review_asked_on, with_year=True)
    denied = format_date(logged.denied_at, program, with_year=True)
    decided = format_date(logged.reviewed_on, with_year=True)
    in_part = " in part" if logged.withheld_parts else ""
    opening = (
        f"On {asked} you asked that our decision of {denied} to deny your request for a "
        f"copy of your records{in_part} be reviewed. A licensed health care professional "
        "chosen by "
        f"{program.name} to review it, who did not take part in the denial, reviewed it and "
        f"decided on {decided}. This letter tells you the decision, which we follow."
    )
    overturned = logged.review_determination == AccessReviewDetermination.OVERTURNED
    if overturned:
        decision = [
            "The reviewer overturned the denial. The reviewer's reasons:",
            logged.review_reason,
            (
                "We will give you the parts of your records we withheld"
                if logged.withheld_parts
                else "We will give you access to your records as you asked"
            )
            + f", by {format_date(due_on(logged), with_year=True)}.",
        ]
        others = [g for g in logged.denial_grounds if not is_reviewable(g)]
        if others:
            decision.append(
                "The denial also rested on grounds the rule allows no review of (45 CFR "
                "164.524(a)(2)); the records it withheld on them stay withheld: "
                + " ".join(f"{label('access_denial_ground', g)}." for g in others)
            )
    else:
        decision = [
            "The reviewer upheld the denial: you will not be given "
            + (
                "the parts of your records we withheld"
                if logged.withheld_parts
                else "these records"
            )
            + ". The "
            "reviewer's reasons:",
            logged.review_reason,
        ]
    return DenialLetter(
        program=program.name,
        dated=format_date(today, with_year=True),
        to=to,
        title="The review of the denial of your request for your records",
        opening=opening,
        sections=[
            Section("The reviewer's decision", decision),
            Section("How to complain", complaints(program)),
        ],
        groups=groups,
        cite=CITE,
        mail_note=mail_note,
    )
