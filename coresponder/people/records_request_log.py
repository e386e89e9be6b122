"""Records requests as received (45 CFR 164.524): their deadlines and who may open them.

A request is logged when it comes in, and is due 30 days later on the program's calendar,
60 once extended; the export that answers it is `people/records_request.py`. Only the
roles that answer records requests (`RECORDS_REQUEST_ROLES`) in the request's program
open, log, extend, fulfil (in whole or in part) or deny one, and record that a denial's
review was asked and what the reviewer decided (164.524(a)(4), (d)(4)).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from coresponder.core.errors import Forbidden, NotVisible
from coresponder.domain.policy import ACCESS_DENIAL_REVIEWER_ROLES, RECORDS_REQUEST_ROLES
from coresponder.domain.vocabulary import is_reviewable
from coresponder.people.models import RecordsRequest
from coresponder.people.records_request import access_records_request
from coresponder.privacy.access import PersonAccess, access_people, program_for
from coresponder.programs.models import Membership, Program

# A covered entity acts on a request for access no later than 30 days after receiving it
# (45 CFR 164.524(b)(2)(i)); counted in the program's calendar days from `received_on`.
ACT_WITHIN_DAYS = 30
# It may extend that time once, by no more than 30 days, if within the 30 days it tells the
# person in writing why and by when it will act (164.524(b)(2)(ii)).
EXTENSION_DAYS = 30
MAX_TEXT = 10_000
# A denial overturned on review is to be carried out (164.524(d)(4)) with no deadline of its
# own in the rule: the program gives itself the 30 days the rule allows any request, counted
# from the day of the determination on its calendar, with no extension; the deadline of the
# request as received has passed by then, as a rule, and would list it overdue at once.
ACT_AFTER_REVIEW_DAYS = 30

# The requests still to be acted on: awaiting an answer, or granted on review.
TO_FULFIL = (RecordsRequest.Status.OPEN, RecordsRequest.Status.GRANTED_ON_REVIEW)
# The answers that deny access, in whole or in part: a review of either may be asked.
DENYING = (RecordsRequest.Status.DENIED, RecordsRequest.Status.FULFILLED_IN_PART)


def due_on(logged: RecordsRequest) -> dt.date:
    """The last day to act: 30 days after receipt, 60 once extended (164.524(b)(2)); for a
    denial overturned on review, 30 days after the determination."""
    overturned = logged.review_determination == RecordsRequest.Determination.OVERTURNED
    if overturned and logged.reviewed_on:  # to fulfil, or fulfilled by then
        return logged.reviewed_on + dt.timedelta(days=ACT_AFTER_REVIEW_DAYS)
    extension = EXTENSION_DAYS if logged.extended_at is not None else 0
    return logged.received_on + dt.timedelta(days=ACT_WITHIN_DAYS + extension)


def is_overdue(logged: RecordsRequest, today: dt.date) -> bool:
    """Still to be fulfilled after its last day, `today` in the program's calendar. A review
    pending is never overdue: the rule gives the reviewer a reasonable time."""
    return logged.status in TO_FULFIL and today > due_on(logged)


def review_pending(logged: RecordsRequest) -> bool:
    """A denial, in whole or in part, whose review was asked and not yet decided."""
    return (
        logged.status in DENYING
        and logged.review_asked_on is not None
        and not logged.review_determination
    )


def listed_on(logged: RecordsRequest) -> dt.date:
    """The day a listed request is sorted by: the day it is due, or the day a review of its
    denial was asked."""
    if review_pending(logged) and logged.review_asked_on is not None:
        return logged.review_asked_on
    return due_on(logged)


def in_due_order(requests: Iterable[RecordsRequest], today: dt.date) -> list[RecordsRequest]:
    """Overdue requests first, then by the day each is due (or its review was asked): an
    extended request, though received earlier, may be due after one received since."""
    return sorted(requests, key=lambda r: (not is_overdue(r, today), listed_on(r), r.pk))


def parts_withheld(logged: RecordsRequest) -> dict[str, list[str]]:
    """The parts of the record (FieldGroup codes) the request was fulfilled without, each
    with its grounds: all those named, until a review overturned the denial; then those
    still withheld on a ground no review covers (164.524(a)(2))."""
    overturned = logged.review_determination == RecordsRequest.Determination.OVERTURNED
    parts = {}
    for part in logged.withheld_parts:
        grounds = list(part["grounds"])
        if overturned:
            grounds = [g for g in grounds if not is_reviewable(g)]
        if grounds:
            parts[part["group"]] = grounds
    return parts


def extension_problem(logged: RecordsRequest, today: dt.date) -> str:
    """Why the request cannot be extended now, in the words staff read; "" when it can."""
    if logged.status == RecordsRequest.Status.GRANTED_ON_REVIEW:
        return (
            "Access was granted on review: the request is due 30 days after the "
            "determination, and is not extended."
        )
    if logged.status != RecordsRequest.Status.OPEN:
        return "The request is already answered; only a request awaiting an answer is extended."
    if logged.extended_at is not None:
        return (
            "The request was already extended once; 45 CFR 164.524(b)(2) allows one "
            "extension of 30 days."
        )
    if today > due_on(logged):
        return (
            "The 30 days have passed; an extension is given within them (45 CFR 164.524(b)(2)(ii))."
        )
    return ""


def answering_programs(access: PersonAccess) -> list[Program]:
    """The person's programs, among the reader's, where the reader's role answers records
    requests: where a request may be logged."""
    ids = [pk for pk, role in access.roles.items() if role in RECORDS_REQUEST_ROLES]
    return list(Program.objects.filter(pk__in=ids).order_by("name"))


def may_answer_in(access: PersonAccess, program_id: int) -> bool:
    return access.roles.get(program_id) in RECORDS_REQUEST_ROLES


def access_logged_request(user: Any, request_id: Any) -> tuple[RecordsRequest, PersonAccess]:
    """A logged request and its person through the gate, or NotVisible: also for a reader
    who sees the person but does not answer records requests, who may not learn that the
    person asked for their records (a request that exists answers as one that does not)."""
    try:
        logged = RecordsRequest.objects.select_related("program").get(pk=int(request_id))
    except (RecordsRequest.DoesNotExist, TypeError, ValueError) as exc:
        raise NotVisible("records request") from exc
    try:
        access = access_records_request(user, logged.person_id)
    except Forbidden as exc:
        raise NotVisible("records request") from exc
    if logged.program_id not in access.program_ids or not may_answer_in(access, logged.program_id):
        raise NotVisible("records request")
    return logged, access


def program_answering(user: Any, slug: str) -> Program:
    """A program where the user's role answers records requests; otherwise NotVisible."""
    return program_for(user, slug, roles=RECORDS_REQUEST_ROLES)


def open_requests(program: Program) -> QuerySet[RecordsRequest]:
    """The program's requests awaiting an answer: open, granted on review, or denied with a
    review asked and not yet decided (so that nobody loses track of it)."""
    return RecordsRequest.objects.filter(
        Q(status__in=TO_FULFIL)
        | Q(
            status__in=DENYING,
            review_asked_on__isnull=False,
            review_determination="",
        ),
        program=program,
    ).select_related("program")


def overdue_requests(program: Program, today: dt.date) -> QuerySet[RecordsRequest]:
    """The program's requests still to be fulfilled after their last day (`due_on`)."""
    first_days = today - dt.timedelta(days=ACT_WITHIN_DAYS)
    extended = first_days - dt.timedelta(days=EXTENSION_DAYS)
    reviewed = today - dt.timedelta(days=ACT_AFTER_REVIEW_DAYS)
    return RecordsRequest.objects.filter(
        Q(status=RecordsRequest.Status.OPEN, extended_at__isnull=True, received_on__lt=first_days)
        | Q(status=RecordsRequest.Status.OPEN, extended_at__isnull=False, received_on__lt=extended)
        | Q(status=RecordsRequest.Status.GRANTED_ON_REVIEW, reviewed_on__lt=reviewed),
        program=program,
    ).select_related("program")


def visible_open_requests(user: Any, program: Program, today: dt.date) -> list[RecordsRequest]:
    """The program's requests awaiting an answer whose people `user` may see, overdue first,
    then by the day each is due (`today` in the program's calendar)."""
    return _openable(user, program, in_due_order(open_requests(program), today))


def visible_overdue_requests(user: Any, program: Program, today: dt.date) -> list[RecordsRequest]:
    return _openable(user, program, overdue_requests(program, today))


def _openable(
    user: Any, program: Program, requests: Iterable[RecordsRequest]
) -> list[RecordsRequest]:
    """The requests `access_logged_request` would open; their people decided at once."""
    requests = list(requests)
    people = access_people(user, {r.person_id for r in requests})
    return [
        r
        for r in requests
        if (found := people.get(r.person_id)) is not None
        and r.program_id in found.program_ids
        and may_answer_in(found, program.pk)
    ]


def open_requests_of(access: PersonAccess) -> list[RecordsRequest]:
    """The person's requests still to be fulfilled in programs where the reader answers
    them."""
    ids = [pk for pk in access.program_ids if may_answer_in(access, pk)]
    return list(
        RecordsRequest.objects.filter(
            person=access.person, program_id__in=ids, status__in=TO_FULFIL
        ).select_related("program")
    )


def designable_reviewers(logged: RecordsRequest) -> QuerySet[Membership]:
    """Who may review the request's denial (45 CFR 164.524(a)(4)): the active members of its
    program in a role a licensed health care professional holds, but whoever denied it."""
    roles = [str(role) for role in ACCESS_DENIAL_REVIEWER_ROLES]
    members = Membership.objects.filter(
        program_id=logged.program_id, role__in=roles, active=True, user__is_active=True
    ).select_related("user")
    if logged.denied_by_id is not None:
        members = members.exclude(user_id=logged.denied_by_id)
    return members
