"""Reading care plans through the read gate: all of a plan is clinical detail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q

from coresponder.care.actions import local_today, orphaned_plans, owners_gone
from coresponder.care.models import CarePlan, CarePlanGoal, CarePlanStep, FollowUp
from coresponder.core.errors import Forbidden, NotVisible
from coresponder.domain.care import (
    OWNER_GONE_LABELS,
    GoalFact,
    OwnerGone,
    repeat_label,
    repeat_needs,
)
from coresponder.domain.policy import CARE_HANDOVER_ROLES, FieldGroup, GroupVisibility, RecordType
from coresponder.privacy.access import PersonAccess, access_people, access_person, program_for
from coresponder.programs.models import Program

NEEDS = dict(CarePlanGoal.Need.choices)


def plans_of(access: PersonAccess) -> list[CarePlan]:
    """The person's plans in the reader's programs whose clinical detail their role there is
    shown; a program's plans withheld are noted as such for the read's audit.

    Goals, steps and follow-ups come in a fixed number of queries however many plans there are.
    """
    mine = CarePlan.objects.filter(person=access.person, program_id__in=access.program_ids)
    holding = set(mine.values_list("program_id", flat=True))
    if not holding:
        if access.decision(FieldGroup.CLINICAL) is not GroupVisibility.SHOWN:
            access.shows(FieldGroup.CLINICAL)  # notes the withheld group for the audit
        return []
    # Each program's plans as the reader's role in that program reads clinical detail: a
    # consent-based read of them is a disclosure, a refused one a withheld group.
    shown = [pid for pid in sorted(holding) if access.shows(FieldGroup.CLINICAL, pid)]
    if not shown:
        return []
    return list(
        mine.filter(program_id__in=shown)
        .select_related("program", "owner")
        .prefetch_related(
            Prefetch(
                "goals",
                queryset=CarePlanGoal.objects.prefetch_related(
                    Prefetch("steps", queryset=CarePlanStep.objects.select_related("owner"))
                ),
            ),
            Prefetch("follow_ups", queryset=FollowUp.objects.select_related("owner")),
        )
    )


def _load(user: Any, plan: CarePlan | None, *, write: bool) -> PersonAccess:
    """The reader's access to the plan's person: NotVisible alike for a missing plan and
    one they may not see; Forbidden only when they see it but their role may not write."""
    if plan is None:
        raise NotVisible("care plan")
    access = access_person(user, plan.person_id)
    if plan.program_id not in access.program_ids:
        raise NotVisible("care plan")
    if access.decision(FieldGroup.CLINICAL, plan.program_id) is not GroupVisibility.SHOWN:
        raise NotVisible("care plan")
    if write and not access.may_write(RecordType.ENCOUNTER, plan.program_id):
        raise Forbidden("Your role may not write care plans.")
    # Released: a consent-based read is a disclosure.
    access.shows(FieldGroup.CLINICAL, plan.program_id)
    return access


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise NotVisible("care plan") from exc


def access_care_plan(
    user: Any, plan_id: Any, *, write: bool = False
) -> tuple[CarePlan, PersonAccess]:
    """A plan the user may read (or write), or NotVisible alike for missing and not theirs."""
    plan = CarePlan.objects.select_related("program").filter(pk=_pk(plan_id)).first()
    access = _load(user, plan, write=write)
    if plan is None:  # _load raised already; this narrows the type
        raise NotVisible("care plan")
    return plan, access


def access_goal(
    user: Any, goal_id: Any, *, write: bool = False
) -> tuple[CarePlanGoal, PersonAccess]:
    goal = CarePlanGoal.objects.select_related("plan__program").filter(pk=_pk(goal_id)).first()
    access = _load(user, goal.plan if goal else None, write=write)
    if goal is None:  # _load raised already; this narrows the type
        raise NotVisible("care plan")
    return goal, access


def access_step(
    user: Any, step_id: Any, *, write: bool = False
) -> tuple[CarePlanStep, PersonAccess]:
    step = (
        CarePlanStep.objects.select_related("goal__plan__program").filter(pk=_pk(step_id)).first()
    )
    access = _load(user, step.goal.plan if step else None, write=write)
    if step is None:  # _load raised already; this narrows the type
        raise NotVisible("care plan")
    return step, access


def access_follow_up(
    user: Any, follow_up_id: Any, *, write: bool = False
) -> tuple[FollowUp, PersonAccess]:
    follow_up = (
        FollowUp.objects.select_related("plan__program").filter(pk=_pk(follow_up_id)).first()
    )
    access = _load(user, follow_up.plan if follow_up else None, write=write)
    if follow_up is None:  # _load raised already; this narrows the type
        raise NotVisible("care plan")
    return follow_up, access


def repeat_needs_of(plans: list[CarePlan]) -> list[dict[str, Any]]:
    """Needs that recur across the person's plans, as badges: 'Housing: 3rd time'."""
    facts = [
        GoalFact(need=goal.need, plan_id=plan.pk, times_reopened=goal.times_reopened)
        for plan in plans
        for goal in plan.goals.all()
    ]
    return [
        {
            "need": r.need,
            "times": r.times,
            "plans": r.plans,
            "label": repeat_label(NEEDS.get(r.need, r.need), r.times),
        }
        for r in repeat_needs(facts)
    ]


def _user(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": str(user)}


def step_record(step: CarePlanStep, today: dt.date) -> dict[str, Any]:
    return {
        "id": step.pk,
        "version": step.version,
        "description": step.description,
        "owner": _user(step.owner),
        "due_on": step.due_on,
        "done_at": step.done_at,
        "overdue": bool(step.due_on and step.done_at is None and step.due_on < today),
    }


def goal_record(goal: CarePlanGoal, today: dt.date) -> dict[str, Any]:
    return {
        "id": goal.pk,
        "version": goal.version,
        "need": goal.need,
        "need_label": goal.get_need_display(),
        "description": goal.description,
        "status": goal.status,
        "times_reopened": goal.times_reopened,
        "steps": [step_record(step, today) for step in goal.steps.all()],
    }


def follow_up_record(follow_up: FollowUp, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": follow_up.pk,
        "version": follow_up.version,
        "due_at": follow_up.due_at,
        "kind": follow_up.kind,
        "kind_label": follow_up.get_kind_display(),
        "owner": _user(follow_up.owner),
        "done_at": follow_up.done_at,
        "outcome": follow_up.outcome,
        "overdue": follow_up.done_at is None and follow_up.due_at < now,
    }


def plan_record(plan: CarePlan, now: dt.datetime) -> dict[str, Any]:
    today = local_today(plan.program, now)
    return {
        "id": plan.pk,
        "version": plan.version,
        "program": plan.program.slug,
        "person_id": plan.person_id,
        "title": plan.title,
        "status": plan.status,
        "opened_on": plan.opened_on,
        "closed_on": plan.closed_on,
        "owner": _user(plan.owner),
        "note": plan.note,
        "goals": [goal_record(goal, today) for goal in plan.goals.all()],
        "follow_ups": [follow_up_record(f, now) for f in plan.follow_ups.all()],
    }


# --- Plans without an owner, as a coordinator reads them ------------------------------


@dataclass(frozen=True)
class OrphanedPlan:
    """A plan whose owner may no longer own care in its program, with only what the
    program's coordinators may know of it: never a goal, step, note or title."""

    plan: CarePlan
    person_name: str
    owner_gone: OwnerGone
    open_follow_ups: int

    @property
    def owner_gone_label(self) -> str:
        return OWNER_GONE_LABELS[self.owner_gone]

    def record(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "id": plan.pk,
            "version": plan.version,
            "person_id": plan.person_id,
            "person_name": self.person_name,
            "opened_on": plan.opened_on,
            "former_owner": _user(plan.owner),
            "owner_gone": self.owner_gone.value,
            "owner_gone_label": self.owner_gone_label,
            "open_follow_ups": self.open_follow_ups,
        }


def program_for_orphans(user: Any, slug: str) -> Program:
    """A program whose care plans without an owner the user hands over, or NotVisible as
    for a missing program."""
    return program_for(user, slug, roles=CARE_HANDOVER_ROLES)


def orphans_of(user: Any, program: Program) -> list[OrphanedPlan]:
    """The program's active plans whose owner is gone, oldest first, of people the gate
    lets the user learn of there; each named as the gate lets the user see the name."""
    plans = list(
        orphaned_plans(program)
        .select_related("owner", "program")
        .annotate(open_count=Count("follow_ups", filter=Q(follow_ups__done_at__isnull=True)))
        .order_by("opened_on", "id")
    )
    gone = owners_gone(program, list({plan.owner_id: plan.owner for plan in plans}.values()))
    access = access_people(user, {plan.person_id for plan in plans})
    rows = []
    for plan in plans:
        seen = access.get(plan.person_id)
        if seen is None or program.pk not in seen.roles or plan.owner_id not in gone:
            continue
        rows.append(
            OrphanedPlan(plan, _person_name(seen, program), gone[plan.owner_id], plan.open_count)
        )
    return rows


def _person_name(access: PersonAccess, program: Program) -> str:
    person = access.person
    if access.decision(FieldGroup.IDENTITY, program.pk) is GroupVisibility.SHOWN:
        return f"{person.given_name} {person.family_name}"
    return f"Person {person.pk}"


def access_orphaned_plan(user: Any, plan_id: Any) -> CarePlan:
    """A plan of a program where the user hands over plans without an owner, of a person
    the gate lets them learn of there; NotVisible alike for missing and not theirs. Whether
    its owner is gone is the action's to say: it reads nothing clinical to say it."""
    plan = CarePlan.objects.select_related("program", "owner").filter(pk=_pk(plan_id)).first()
    if plan is None:
        raise NotVisible("care plan")
    program_for_orphans(user, plan.program.slug)
    if plan.program_id not in access_person(user, plan.person_id).program_ids:
        raise NotVisible("care plan")
    return plan
