"""The one write path for care plans: goals, steps and scheduled follow-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from coresponder.care.models import CarePlan, CarePlanGoal, CarePlanStep, FollowUp
from coresponder.care.reminders import due_follow_ups, message_for
from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.care import OWNER_GONE_LABELS, OwnerGone, owner_gone
from coresponder.domain.clock import a_year_after, date_problem
from coresponder.domain.policy import CARE_HANDOVER_ROLES, FieldGroup, GroupVisibility, RecordType
from coresponder.domain.vocabulary import Role
from coresponder.outreach.actions import add_notice
from coresponder.outreach.models import Notice
from coresponder.privacy.access import PersonAccess, may_read, role_in
from coresponder.programs.local_time import format_date
from coresponder.programs.models import Membership, Program, User

FIELDS = ["clinical"]
# The audit trail names care records as they were first recorded, when care plans
# were part of the encounters app, so each record's history reads under one name.
AUDIT_TYPES: dict[type[Any], str] = {
    CarePlan: "encounters.careplan",
    CarePlanGoal: "encounters.careplangoal",
    CarePlanStep: "encounters.careplanstep",
    FollowUp: "encounters.followup",
}
CLOSED_STATUSES = (CarePlan.Status.COMPLETED, CarePlan.Status.CLOSED)


@dataclass(frozen=True)
class CarePlanInput:
    """A new plan as given; `open_care_plan` checks it.

    `program` is a program's slug, needed only by someone who writes care plans in
    more than one; `owner` is a user id, the actor when not given.
    """

    title: str
    program: str | None = None
    opened_on: dt.date | None = None
    owner: int | None = None
    note: str = ""


@dataclass(frozen=True)
class GoalInput:
    """A goal as given: `need` is any string, which `add_goal` answers with a field error."""

    need: str
    description: str = ""


@dataclass(frozen=True)
class StepInput:
    """A step as given; `owner` is a user id, nobody in particular when not given."""

    description: str
    owner: int | None = None
    due_on: dt.date | None = None


@dataclass(frozen=True)
class FollowUpInput:
    """A follow-up as given; `schedule_follow_up` checks it.

    `due_at` may be naive and `kind` any string: the action answers those with
    field errors. `owner` is a user id, the actor when not given.
    """

    due_at: dt.datetime
    kind: str
    owner: int | None = None


def _must_write(access: PersonAccess) -> None:
    if not access.may_write(RecordType.ENCOUNTER):
        raise Forbidden("Your role may not write care plans.")


def local_today(program: Program, now: dt.datetime | None = None) -> dt.date:
    """Today in the program's own time zone: a plan opened late at night is opened that day."""
    return timezone.localtime(now or timezone.now(), ZoneInfo(program.timezone)).date()


def _text(given: str | None, key: str, *, required: bool, limit: int) -> str:
    value = str(given or "").strip()
    if required and not value:
        raise ActionError("Fill in the required fields.", {key: ["required"]})
    if len(value) > limit:
        raise ActionError("Some fields are too long.", {key: [f"at most {limit} characters"]})
    return value


def care_owners(program: Program) -> QuerySet[Membership]:
    """The program's active members who may own a plan, step or follow-up: those whose
    role reads care plans (clinical detail) outright, so the plan and its reminders
    reach someone who may open them."""
    roles = [role.value for role in Role if may_read(role, FieldGroup.CLINICAL)]
    return Membership.objects.filter(
        program=program, role__in=roles, active=True, user__is_active=True
    ).select_related("user")


def _member(program: Program, user_or_id: Any, field: str) -> User:
    """A user acting in the program whose role reads care plans: only they may own a
    plan, step or follow-up."""
    user_id = getattr(user_or_id, "pk", user_or_id)
    membership = care_owners(program).filter(user_id=user_id).first()
    if membership is not None:
        return membership.user
    member = Membership.objects.filter(
        program=program, user_id=user_id, active=True, user__is_active=True
    ).exists()
    if member:
        raise ActionError(
            "Choose someone whose role reads care plans.",
            {field: ["their role in this program may not read care plans"]},
        )
    raise ActionError("Choose someone in this program.", {field: ["not a member of this program"]})


def plan_programs(access: PersonAccess) -> list[int]:
    """The programs whose care plans for the person the user may open: their role there
    writes care plans and reads the clinical detail a plan is."""
    return [
        pk
        for pk in access.roles
        if access.may_write(RecordType.ENCOUNTER, pk)
        and access.decision(FieldGroup.CLINICAL, pk) is GroupVisibility.SHOWN
    ]


def _plan_program(access: PersonAccess, slug: str | None) -> Program:
    """The plan's program: one where the user writes care plans and knows the person."""
    writable = set(plan_programs(access))
    programs = list(Program.objects.filter(pk__in=writable).order_by("slug"))
    if slug:
        chosen = [p for p in programs if p.slug == slug]
        if not chosen:
            raise ActionError("Choose one of your programs.", {"program": ["not one of yours"]})
        return chosen[0]
    if len(programs) != 1:
        raise ActionError(
            "Say which program this plan belongs to.",
            {"program": ["required when you act in more than one program"]},
        )
    return programs[0]


def _must_be_active(plan: CarePlan) -> None:
    """A completed or closed plan, its goals, steps and follow-ups stay as they ended."""
    if plan.status != CarePlan.Status.ACTIVE:
        raise ActionError(
            "This care plan is closed.",
            {"plan": ["This care plan is closed; open it again first."]},
        )


def _on_the_calendar(day: dt.date | None, field: str) -> None:
    """A date the calendar checks take (1900 to 2200), or a field error naming it."""
    if day is not None and (problem := date_problem(day)) is not None:
        raise ActionError("A date is off the calendar.", {field: [problem]})


def _check_due(plan: CarePlan, day: dt.date | None, field: str) -> None:
    """A due date on or after the plan opened and at most a calendar year from today (in
    the program's calendar: 7 Dec 2027 on 7 Dec 2026): one further off is a mistyped year,
    2099 for 2026."""
    if day is not None and day < plan.opened_on:
        opened = format_date(plan.opened_on, with_year=True)
        raise ActionError(
            "A due date falls before the plan opened.",
            {field: [f"on or after {opened}, when the plan opened"]},
        )
    latest_day = a_year_after(timezone.localdate(timezone=ZoneInfo(plan.program.timezone)))
    if day is not None and day > latest_day:
        latest = format_date(latest_day, with_year=True)
        raise ActionError(
            "A due date is more than a year away.",
            {field: [f"by {latest}, a year from today: check the year"]},
        )


def _audit(actor: Actor, action: str, obj: Any, on: CarePlan, **detail: Any) -> None:
    record_event(
        actor,
        action,
        obj=obj,
        object_type=AUDIT_TYPES[type(obj)],
        person_id=on.person_id,
        program_slug=on.program.slug,
        fields=FIELDS,
        detail=detail,
    )


def open_care_plan(actor: Actor, access: PersonAccess, data: CarePlanInput) -> CarePlan:
    """A new active plan for the person, owned by `owner` (the actor when not given)."""
    _must_write(access)
    program = _plan_program(access, data.program)
    title = _text(data.title, "title", required=True, limit=200)
    owner = _member(program, data.owner or actor.user, "owner")
    opened_on = data.opened_on or local_today(program)
    _on_the_calendar(opened_on, "opened_on")
    if opened_on > local_today(program):
        raise ActionError("A plan cannot open in the future.", {"opened_on": ["in the future"]})
    born = access.person.birth_date
    if born is not None and opened_on < born:
        said = format_date(born, with_year=True)
        raise ActionError(
            "A plan cannot open before the person was born.",
            {"opened_on": [f"is before the person was born ({said}): check the year"]},
        )
    with transaction.atomic():
        plan = CarePlan(
            program=program,
            person=access.person,
            title=title,
            opened_on=opened_on,
            owner=owner,
            note=_text(data.note, "note", required=False, limit=5000),
        )
        save_tracked(plan, actor.user)
        _audit(actor, "create", plan, plan, owner=owner.pk)
    return plan


def add_goal(actor: Actor, access: PersonAccess, plan: CarePlan, data: GoalInput) -> CarePlanGoal:
    _must_write(access)
    _must_be_active(plan)
    need = str(data.need or "")
    if need not in CarePlanGoal.Need.values:
        raise ActionError("Choose a need.", {"need": ["choose one of the listed needs"]})
    with transaction.atomic():
        goal = CarePlanGoal(
            plan=plan,
            need=need,
            description=_text(data.description, "description", required=False, limit=500),
        )
        save_tracked(goal, actor.user)
        _audit(actor, "create", goal, plan, plan=plan.pk, need=need)
    return goal


def add_step(
    actor: Actor, access: PersonAccess, goal: CarePlanGoal, data: StepInput
) -> CarePlanStep:
    _must_write(access)
    plan = goal.plan
    _must_be_active(plan)
    description = _text(data.description, "description", required=True, limit=500)
    due_on = data.due_on
    _on_the_calendar(due_on, "due_on")
    _check_due(plan, due_on, "due_on")
    owner = _member(plan.program, data.owner, "owner") if data.owner else None
    with transaction.atomic():
        step = CarePlanStep(goal=goal, description=description, owner=owner, due_on=due_on)
        save_tracked(step, actor.user)
        _audit(actor, "create", step, plan, goal=goal.pk, due_on=due_on)
    return step


def complete_step(
    actor: Actor, access: PersonAccess, step: CarePlanStep, version: int, done: bool = True
) -> CarePlanStep:
    """Mark a step done, or not done again."""
    _must_write(access)
    plan = step.goal.plan
    _must_be_active(plan)
    with transaction.atomic():
        step.done_at = (step.done_at or timezone.now()) if done else None
        save_tracked(step, actor.user, expected_version=version)
        _audit(actor, "change", step, plan, done=done)
    return step


def set_goal_status(
    actor: Actor, access: PersonAccess, goal: CarePlanGoal, status: str, version: int
) -> CarePlanGoal:
    """Met, dropped, or open again; opening a settled goal again counts as a repeat need."""
    _must_write(access)
    if status not in CarePlanGoal.Status.values:
        raise ActionError("Choose a status.", {"status": ["one of open, met, dropped"]})
    plan = goal.plan
    _must_be_active(plan)
    with transaction.atomic():
        reopened = status == CarePlanGoal.Status.OPEN and goal.status != CarePlanGoal.Status.OPEN
        if reopened:
            goal.times_reopened += 1
        goal.status = status
        save_tracked(goal, actor.user, expected_version=version)
        _audit(actor, "change", goal, plan, status=status, reopened=reopened)
    return goal


def schedule_follow_up(
    actor: Actor, access: PersonAccess, plan: CarePlan, data: FollowUpInput
) -> FollowUp:
    _must_write(access)
    _must_be_active(plan)
    kind = str(data.kind or "")
    if kind not in FollowUp.Kind.values:
        raise ActionError("Choose how to follow up.", {"kind": ["choose one of the listed kinds"]})
    due_at = data.due_at
    if not isinstance(due_at, dt.datetime) or timezone.is_naive(due_at):
        raise ActionError(
            "Say when the follow-up is due.", {"due_at": ["a date and time with its time zone"]}
        )
    _on_the_calendar(due_at.date(), "due_at")  # before the time zone, which may overflow
    _check_due(plan, timezone.localtime(due_at, ZoneInfo(plan.program.timezone)).date(), "due_at")
    owner = _member(plan.program, data.owner or actor.user, "owner")
    with transaction.atomic():
        follow_up = FollowUp(plan=plan, due_at=due_at, kind=kind, owner=owner)
        save_tracked(follow_up, actor.user)
        _audit(actor, "create", follow_up, plan, plan=plan.pk, kind=kind, owner=owner.pk)
    return follow_up


def complete_follow_up(
    actor: Actor, access: PersonAccess, follow_up: FollowUp, outcome: str, version: int
) -> FollowUp:
    """The follow-up took place; `outcome` says what came of it."""
    _must_write(access)
    plan = follow_up.plan
    _must_be_active(plan)
    outcome = _text(outcome, "outcome", required=False, limit=5000)
    with transaction.atomic():
        follow_up.done_at = follow_up.done_at or timezone.now()
        follow_up.outcome = outcome
        save_tracked(follow_up, actor.user, expected_version=version)
        _audit(actor, "change", follow_up, plan, done=True)
    return follow_up


def close_care_plan(
    actor: Actor,
    access: PersonAccess,
    plan: CarePlan,
    status: str,
    version: int,
    note: str | None = None,
) -> CarePlan:
    """Completed (goals reached) or closed (ended otherwise); `active` opens it again."""
    _must_write(access)
    if status not in CarePlan.Status.values:
        raise ActionError("Choose a status.", {"status": ["one of active, completed, closed"]})
    with transaction.atomic():
        plan.status = status
        plan.closed_on = local_today(plan.program) if status in CLOSED_STATUSES else None
        if note is not None:
            plan.note = _text(note, "note", required=False, limit=5000)
        save_tracked(plan, actor.user, expected_version=version)
        _audit(actor, "change", plan, plan, status=status)
    return plan


def hand_over_care_plan(
    actor: Actor, access: PersonAccess, plan: CarePlan, owner: int, version: int
) -> CarePlan:
    """The plan gets a new owner, with its open follow-ups that were the last owner's or
    are held by someone who may no longer own care in the program (they left it, their
    role changed, their account was disabled): the new owner is reminded of those."""
    _must_write(access)
    _must_be_active(plan)
    new_owner = _member(plan.program, owner, "owner")
    former = str(plan.owner)
    with transaction.atomic():
        given = _hand_over(actor, plan, new_owner, version)
        if new_owner.pk != getattr(actor.user, "pk", None):
            _tell_new_owner(
                actor, plan, new_owner, _handover_message(actor, plan, former, None, len(given))
            )
    return plan


def _hand_over(
    actor: Actor, plan: CarePlan, new_owner: User, version: int, **detail: Any
) -> list[FollowUp]:
    """Give the plan to `new_owner`, with its open follow-ups nobody else is left to make;
    the follow-ups given, each to be reminded again. `detail` goes on the plan's event."""
    was = plan.owner_id
    may_own = set(care_owners(plan.program).values_list("user_id", flat=True))
    given = []
    with transaction.atomic():
        plan.owner = new_owner
        save_tracked(plan, actor.user, expected_version=version)
        _audit(actor, "change", plan, plan, owner=new_owner.pk, was=was, **detail)
        for follow_up in plan.follow_ups.filter(done_at__isnull=True):
            if follow_up.owner_id == new_owner.pk:
                continue
            if follow_up.owner_id != was and follow_up.owner_id in may_own:
                continue
            previous = follow_up.owner_id
            follow_up.owner = new_owner
            follow_up.reminded_at = None
            save_tracked(follow_up, actor.user)
            _audit(actor, "change", follow_up, plan, owner=new_owner.pk, was=previous)
            given.append(follow_up)
    return given


def owners_gone(program: Program, owners: Collection[User]) -> dict[int, OwnerGone]:
    """Of these owners of the program's care plans, why each who may no longer own care
    there no longer may (by user id); those who still may are left out. One query."""
    roles = dict(
        Membership.objects.filter(
            program=program, user__in=[u.pk for u in owners], active=True
        ).values_list("user_id", "role")
    )
    gone = {}
    for user in owners:
        role = roles.get(user.pk)
        why = owner_gone(
            account_active=user.is_active,
            member=role is not None,
            role_owns_care=role is not None and may_read(Role(role), FieldGroup.CLINICAL),
        )
        if why is not None:
            gone[user.pk] = why
    return gone


def orphaned_plans(program: Program) -> QuerySet[CarePlan]:
    """The program's active plans whose owner may no longer own care there: they left it,
    their role changed or their account was disabled. One query to count."""
    owners = care_owners(program).values("user_id")
    return CarePlan.objects.filter(program=program, status=CarePlan.Status.ACTIVE).exclude(
        owner_id__in=owners
    )


def may_hand_over_orphans(user: Any, program: Program) -> bool:
    """Whether the user hands over the program's care plans whose owner is gone."""
    return role_in(user, program) in CARE_HANDOVER_ROLES


@dataclass(frozen=True)
class OrphanHandover:
    """A plan handed over for want of an owner: the follow-ups that came with it."""

    plan: CarePlan
    follow_ups: list[FollowUp]


def hand_over_orphaned_care_plan(
    actor: Actor, plan: CarePlan, owner: int, version: int
) -> OrphanHandover:
    """A coordinator or administrator gives a plan whose owner may no longer own care in
    its program to one who may, with the follow-ups nobody is left to make, and tells the
    new owner. They read none of the plan's clinical detail to do it, so a plan whose owner
    still owns care is theirs to hand over (or a clinician's), not the coordinator's."""
    program = plan.program
    if not may_hand_over_orphans(actor.user, program):
        raise Forbidden("Your role may not hand over care plans without an owner.")
    if plan.status != CarePlan.Status.ACTIVE:
        raise ActionError(
            "This care plan is closed.",
            {"plan": ["This care plan is closed: it has no follow-ups left to hand over."]},
        )
    if version != plan.version:
        raise StaleVersion(plan, version)  # checked first: a second press finds it done
    why = owners_gone(program, [plan.owner]).get(plan.owner_id)
    if why is None:
        raise ActionError(
            "This care plan's owner still owns care in this program.",
            {"plan": ["its owner still owns care here: they or a clinician hand it over"]},
        )
    new_owner = _member(program, owner, "owner")
    former = str(plan.owner)
    with transaction.atomic():
        given = _hand_over(
            actor, plan, new_owner, version, owner_gone=why.value, notified=new_owner.pk
        )
        _tell_new_owner(
            actor, plan, new_owner, _handover_message(actor, plan, former, why, len(given))
        )
    return OrphanHandover(plan, given)


def _tell_new_owner(actor: Actor, plan: CarePlan, new_owner: User, message: str) -> None:
    add_notice(
        new_owner,
        plan.program,
        Notice.Kind.CARE_PLAN_HANDED_OVER,
        message[:500],
        timezone.now(),
        care_plan=plan,
    )


def _handover_message(
    actor: Actor, plan: CarePlan, former: str, why: OwnerGone | None, follow_ups: int
) -> str:
    """What the new owner is told: the plan's number and whose it was (and why no longer,
    when they left), never the person (a notice may be emailed) nor anything the plan says."""
    by = str(actor.user) if actor.user is not None else actor.name
    came = f" {follow_ups} open follow-up{'s' if follow_ups != 1 else ''} came with it."
    held = f" ({OWNER_GONE_LABELS[why].lower()})" if why is not None else ""
    return (
        f"{plan.program.name}: care plan {plan.pk} is yours now, handed over by {by}; "
        f"{former} held it{held}.{came if follow_ups else ''}"
    )


def send_follow_up_reminders(actor: Actor, now: dt.datetime) -> int:
    """One pass: notify owners of follow-ups due within a day or overdue; the number sent.

    A follow-up whose owner may no longer read care plans (their role changed, or it was
    given them before owners were checked) is told to the plan's owner instead, and to
    nobody when neither may open it: a notice never leads to a page its reader is refused.
    """
    sent: list[int] = []
    for follow_up in due_follow_ups(now):
        program = follow_up.plan.program
        may_own = set(care_owners(program).values_list("user_id", flat=True))
        recipient = next(
            (u for u in (follow_up.owner, follow_up.plan.owner) if u and u.pk in may_own), None
        )
        with transaction.atomic():
            # Not a version bump: a worker's note must not make a person's edit stale.
            claimed = FollowUp.objects.filter(pk=follow_up.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed or recipient is None:
                continue  # another worker sent it, or nobody may open it
            add_notice(
                recipient,
                follow_up.plan.program,
                Notice.Kind.FOLLOW_UP_DUE,
                message_for(follow_up),
                now,
                follow_up=follow_up,
            )
        sent.append(follow_up.pk)
    if sent:
        # One event per pass that sent anything; idle passes leave the chain alone.
        record_event(
            actor,
            "create",
            object_type="outreach.notice",
            detail={Notice.Kind.FOLLOW_UP_DUE.value: len(sent), "follow_ups": sent[:500]},
        )
    return len(sent)
