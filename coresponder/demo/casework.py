"""Casework a program keeps beside its follow-up: care plans whose owner left the program,
and the records requests people sent it, at every stage of their answer.

Both go through the product's own actions, as staff would record them, after the
program's people are loaded. Who gets a plan or sent a request is chosen by the order the
load made the program's people in, never by another draw, so the rest of the demo stays
as the seed made it.

A care plan's days count back from the last day of the demo's data. A records request's
count back from the program's today: the actions that extend, fulfil, deny and review one
date their answer today, and a request is extended only within 30 days of its receipt.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from coresponder.care.actions import (
    CarePlanInput,
    FollowUpInput,
    GoalInput,
    StepInput,
    add_goal,
    add_step,
    local_today,
    open_care_plan,
    schedule_follow_up,
)
from coresponder.care.models import CarePlanGoal, FollowUp
from coresponder.core.audit import Actor
from coresponder.demo.cast import DEMO_PASSWORD, Cast, persona_username, staff_name
from coresponder.domain.vocabulary import (
    AccessDenialGround,
    AccessReviewDetermination,
    Role,
)
from coresponder.intake.models import Referral
from coresponder.people.actions.records_requests import (
    RecordsRequestDenial,
    RecordsRequestInput,
    ReviewDetermination,
    ask_for_review,
    deny_records_request,
    extend_records_request,
    fulfil_records_request,
    log_records_request,
    record_review,
)
from coresponder.people.models import Person, RecordsRequest
from coresponder.privacy.access import PersonAccess, access_person
from coresponder.programs.actions import create_user, grant_role, revoke_role
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Membership, Program, User

# The plans the clinician who left still holds, one person each.
PLANS = (
    ("Housing and treatment after a crisis", CarePlanGoal.Need.HOUSING, "Apply for a shelter bed"),
    ("Recovery support", CarePlanGoal.Need.TREATMENT, "Book the intake at the clinic"),
)


def left_clinician_username(program: Program) -> str:
    """`pad-clinician-left`: the clinician who owned care plans and left the program."""
    return f"{persona_username(program.slug, Role.CLINICIAN)}-left"


def _demo_people(program: Program, count: int) -> list[Person]:
    """`count` of the program's living demo people, spread over the order they were made."""
    ids = list(
        Person.objects.filter(
            referrals__program=program,
            referrals__channel=Referral.Channel.DEMO,
            deceased_on=None,
            merged_into=None,
        )
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    if not ids:
        return []
    chosen = list(dict.fromkeys(ids[(len(ids) * (n + 1)) // (count + 1)] for n in range(count)))
    return list(Person.objects.filter(pk__in=chosen).order_by("pk"))


def _left_clinician(actor: Actor, cast: Cast) -> tuple[User, Membership]:
    """The clinician, a member again while the plans open (a fresh load finds them gone)."""
    program = cast.program
    username = left_clinician_username(program)
    user = User.objects.filter(username=username).first()
    if user is None:
        org = cast.personas[Role.CLINICIAN].organization
        if org is None:
            raise ValueError(f"{program.slug}: the clinician persona works for no organisation")
        user = create_user(
            actor,
            username,
            organization=org.slug,
            role=Role.CLINICIAN.value,
            password=DEMO_PASSWORD,
            programs=[program.slug],
            display_name=staff_name(username),
            check_password=False,
        )
    membership = Membership.objects.filter(user=user, program=program).first()
    if membership is None or not membership.active:
        membership = grant_role(actor, user, program, Role.CLINICIAN)
    return user, membership


def leave_care_plans_behind(actor: Actor, cast: Cast, anchor_at: dt.datetime) -> Counter[str]:
    """Two active plans with open follow-ups, owned by a clinician who then left the
    program: the coordinator's list of care plans without an owner shows them."""
    program = cast.program
    people = _demo_people(program, len(PLANS))
    if not people:
        return Counter()
    zone = ZoneInfo(program.timezone)
    user, membership = _left_clinician(actor, cast)
    owner = Actor(user=user, where="demo", label="demo data")
    last_day = min(anchor_at.astimezone(zone).date() - dt.timedelta(days=1), local_today(program))
    made: Counter[str] = Counter()
    for number, (person, (title, need, step)) in enumerate(zip(people, PLANS, strict=False)):
        access = access_person(user, person.pk)
        opened_on = last_day - dt.timedelta(days=60 + 20 * number)
        plan = open_care_plan(
            owner, access, CarePlanInput(title=title, program=program.slug, opened_on=opened_on)
        )
        goal = add_goal(owner, access, plan, GoalInput(need=need.value))
        add_step(
            owner,
            access,
            goal,
            StepInput(description=step, owner=user.pk, due_on=last_day - dt.timedelta(days=7)),
        )
        # One follow-up overdue by the time the clinician left, one still to come.
        for days, hour, kind in ((-3, 10, FollowUp.Kind.PHONE), (5, 14, FollowUp.Kind.VISIT)):
            due = dt.datetime.combine(last_day + dt.timedelta(days=days), dt.time(hour), zone)
            schedule_follow_up(owner, access, plan, FollowUpInput(due_at=due, kind=kind.value))
            made["care.followup"] += 1
        made["care.careplan"] += 1
    revoke_role(actor, membership, expected_version=membership.version)
    return made


def log_records_requests(cast: Cast, index: int) -> Counter[str]:
    """Six requests for records, answered by the program's coordinator: one just received,
    one overdue, one extended, one fulfilled, one denied on a reviewable ground whose review
    the person asked for, and one whose review was decided (upheld in one program, overturned
    in the next)."""
    coordinator = cast.personas.get(Role.COORDINATOR)
    reviewer = cast.personas.get(Role.CLINICIAN)
    program = cast.program
    people = _demo_people(program, 6)
    if coordinator is None or reviewer is None or len(people) < 6:
        return Counter()
    actor = Actor(user=coordinator, where="demo", label="demo data")
    today = today_in(program)
    # Days before today: the denied ones (the last two) denied today, within their 30 days.
    received = (6, 41, 22, 27, 12, 20)

    def logged(
        number: int, requested_by: str, notes: str = ""
    ) -> tuple[PersonAccess, RecordsRequest]:
        access = access_person(coordinator, people[number].pk)
        data = RecordsRequestInput(
            received_on=today - dt.timedelta(days=received[number]),
            program=program.slug,
            requested_by=requested_by,
            notes=notes,
        )
        return access, log_records_request(actor, access, data)

    logged(0, "The person, in writing at the office")
    logged(1, "The person, by letter", "Asks for every visit note since the first referral.")
    access, extended = logged(2, "The person's daughter, as personal representative")
    extend_records_request(
        actor,
        access,
        extended,
        "The hospital partner's records of the crisis visit are still being gathered.",
        extended.version,
    )
    access, fulfilled = logged(3, "The person, by email")
    fulfil_records_request(actor, access, fulfilled, fulfilled.version)
    grounds = (
        (
            AccessDenialGround.ENDANGERS_LIFE_OR_SAFETY,
            "A clinician judged that the crisis notes are reasonably likely to endanger the "
            "person's safety at this time.",
        ),
        (
            AccessDenialGround.HARMS_PERSON_REFERRED_TO,
            "The notes name a relative who spoke to the team; a clinician judged access "
            "likely to cause them substantial harm.",
        ),
    )
    for number, (ground, reason) in zip((4, 5), grounds, strict=True):
        access, denied = logged(number, "The person, in writing at the office")
        denial = RecordsRequestDenial(grounds=(ground.value,), reason=reason)
        deny_records_request(actor, access, denied, denial, denied.version)
        ask_for_review(actor, access, denied, today, denied.version)
        if number == 5:
            determination = (
                AccessReviewDetermination.UPHELD
                if index % 2 == 0
                else AccessReviewDetermination.OVERTURNED
            )
            found = ReviewDetermination(
                reviewer=reviewer.pk,
                determination=determination.value,
                reason="Reviewed the notes and the clinician's judgment with the team.",
            )
            record_review(actor, access, denied, found, denied.version)
    return Counter({"people.recordsrequest": len(received)})
