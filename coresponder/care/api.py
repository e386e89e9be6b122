"""/api/v1 care plans: goals, steps and follow-ups, through the read gate and the write path."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from coresponder.care import actions
from coresponder.care.actions import CarePlanInput, FollowUpInput, GoalInput, StepInput
from coresponder.care.models import CarePlan
from coresponder.care.reading import (
    access_care_plan,
    access_follow_up,
    access_goal,
    access_orphaned_plan,
    access_step,
    follow_up_record,
    goal_record,
    orphans_of,
    plan_record,
    plans_of,
    program_for_orphans,
    repeat_needs_of,
    step_record,
)
from coresponder.core.audit import record_list_read
from coresponder.core.http import Moment, actor_for
from coresponder.core.models import MAX_VERSION
from coresponder.core.paging import page_of
from coresponder.domain.policy import FieldGroup
from coresponder.privacy.access import access_person
from coresponder.privacy.actions import record_person_read

# Operation ids stay as published when these routes were part of the encounters app.
router = Router(tags=["care plans"])

PAGE_SIZE = 50

OWNER = "User id of a member of the plan's program whose role reads care plans"
VERSION = Field(..., ge=1, le=MAX_VERSION, description="The version you read; a stale one gets 409")


class UserRef(Schema):
    id: int
    name: str


class StepOut(Schema):
    id: int
    version: int
    description: str
    owner: UserRef | None
    due_on: dt.date | None
    done_at: dt.datetime | None
    overdue: bool


class GoalOut(Schema):
    id: int
    version: int
    need: str
    need_label: str
    description: str
    status: str
    times_reopened: int
    steps: list[StepOut]


class FollowUpOut(Schema):
    id: int
    version: int
    due_at: dt.datetime
    kind: str
    kind_label: str
    owner: UserRef | None
    done_at: dt.datetime | None
    outcome: str
    overdue: bool


class CarePlanOut(Schema):
    id: int
    version: int
    program: str
    person_id: int
    title: str
    status: str
    opened_on: dt.date
    closed_on: dt.date | None
    owner: UserRef | None
    note: str
    goals: list[GoalOut]
    follow_ups: list[FollowUpOut]


class RepeatNeedOut(Schema):
    need: str
    times: int = Field(..., description="Goals naming the need, plus each time one was reopened")
    plans: int
    label: str = Field(..., description="For example 'Housing: 3rd time'")


class CarePlanList(Schema):
    items: list[CarePlanOut]
    count: int
    repeat_needs: list[RepeatNeedOut]
    withheld: list[str] = Field(
        default_factory=list, description="'clinical' when care plans need a consent you lack"
    )
    redisclosure_notice: str | None = Field(
        None, description="The 42 CFR 2.32 notice, when the plans are disclosed under a consent"
    )


class CarePlanIn(Schema):
    title: str = Field(..., max_length=200)
    program: str | None = Field(
        None, description="Program slug; required when you act in more than one program"
    )
    opened_on: dt.date | None = Field(
        None, description="Between 1900 and 2200; today when not given"
    )
    owner: int | None = Field(None, description=OWNER + "; you when not given")
    note: str = Field("", max_length=5000)


class CarePlanPatch(Schema):
    version: int = VERSION
    status: CarePlan.Status
    note: str | None = Field(None, max_length=5000)


class CarePlanOwnerIn(Schema):
    version: int = VERSION
    owner: int = Field(..., description=OWNER)


class OrphanedPlanOut(Schema):
    id: int
    version: int
    person_id: int
    person_name: str = Field(..., description="As the gate shows you the name")
    opened_on: dt.date
    former_owner: UserRef
    owner_gone: str = Field(..., description="left_program, role_changed or account_disabled")
    owner_gone_label: str
    open_follow_ups: int


class OrphanedPlanList(Schema):
    items: list[OrphanedPlanOut]
    count: int


class HandoverOut(Schema):
    id: int
    version: int
    program: str
    owner: UserRef
    follow_ups_handed_over: int


class GoalIn(Schema):
    need: str = Field(..., description="treatment, housing, benefits, id_documents, …")
    description: str = Field("", max_length=500)


class GoalPatch(Schema):
    version: int = VERSION
    status: str = Field(..., description="open, met or dropped")


class StepIn(Schema):
    description: str = Field(..., max_length=500)
    owner: int | None = Field(None, description=OWNER + "; nobody in particular when not given")
    due_on: dt.date | None = Field(None, description="Between 1900 and 2200")


class StepPatch(Schema):
    version: int = VERSION
    done: bool = True


class FollowUpIn(Schema):
    due_at: Moment
    kind: str = Field(..., description="phone, visit, text or in_person")
    owner: int | None = Field(None, description=OWNER + "; you when not given")


class FollowUpPatch(Schema):
    version: int = VERSION
    outcome: str = Field("", max_length=5000)


@router.get(
    "/persons/{person_id}/care-plans",
    response=CarePlanList,
    summary="A person's care plans and repeat needs",
    operation_id="coresponder_encounters_care_api_list_care_plans",
)
def list_care_plans(
    request: HttpRequest, person_id: int, purpose: str = "", page: int = Query(1, ge=1)
) -> dict[str, Any]:
    """Clinical detail: empty, with `withheld`, for roles that need a consent they lack.
    `repeat_needs` are read over every plan, whichever page is given."""
    access = access_person(request.user, person_id)
    plans = plans_of(access)
    shown, count = page_of(plans, page, PAGE_SIZE)
    now = timezone.now()
    notice = access.notice()
    record_person_read(actor_for(request), access, channel="api", purpose=purpose)
    withheld = FieldGroup.CLINICAL in access.withheld
    return {
        "items": [plan_record(plan, now) for plan in shown],
        "count": count,
        "repeat_needs": repeat_needs_of(plans),
        "withheld": [FieldGroup.CLINICAL.value] if withheld else [],
        "redisclosure_notice": notice or None,
    }


def _fresh_plan(plan_id: int) -> dict[str, Any]:
    plan = (
        CarePlan.objects.select_related("program", "owner")
        .prefetch_related("goals__steps__owner", "follow_ups__owner")
        .get(pk=plan_id)
    )
    return plan_record(plan, timezone.now())


@router.post(
    "/persons/{person_id}/care-plans",
    response={201: CarePlanOut},
    summary="Open a care plan",
    operation_id="coresponder_encounters_care_api_open_plan",
)
def open_plan(request: HttpRequest, person_id: int, payload: CarePlanIn) -> Status[dict[str, Any]]:
    access = access_person(request.user, person_id)
    plan = actions.open_care_plan(actor_for(request), access, CarePlanInput(**payload.dict()))
    return Status(201, _fresh_plan(plan.pk))


@router.patch(
    "/care-plans/{plan_id}",
    response=CarePlanOut,
    summary="Complete or close a plan",
    operation_id="coresponder_encounters_care_api_patch_plan",
)
def patch_plan(request: HttpRequest, plan_id: int, payload: CarePlanPatch) -> dict[str, Any]:
    plan, access = access_care_plan(request.user, plan_id, write=True)
    actions.close_care_plan(
        actor_for(request), access, plan, payload.status, payload.version, payload.note
    )
    return _fresh_plan(plan.pk)


@router.post(
    "/care-plans/{plan_id}/owner",
    response=CarePlanOut,
    summary="Hand a plan over to a new owner, with the open follow-ups nobody is left to make",
)
def hand_over_plan(request: HttpRequest, plan_id: int, payload: CarePlanOwnerIn) -> dict[str, Any]:
    plan, access = access_care_plan(request.user, plan_id, write=True)
    actions.hand_over_care_plan(actor_for(request), access, plan, payload.owner, payload.version)
    return _fresh_plan(plan.pk)


@router.get(
    "/programs/{slug}/care-plans/orphaned",
    response=OrphanedPlanList,
    summary="A program's active care plans whose owner may no longer own care there",
)
def list_orphaned_plans(
    request: HttpRequest, slug: str, page: int = Query(1, ge=1)
) -> dict[str, Any]:
    """For the program's coordinators and administrators: who each plan is for, when it
    opened, who held it and why they no longer may, and its open follow-ups; nothing the
    plan says. Oldest first. An audited list read."""
    program = program_for_orphans(request.user, slug)
    orphans = orphans_of(request.user, program)
    shown, count = page_of(orphans, page, PAGE_SIZE)
    record_list_read(
        actor_for(request),
        object_type="encounters.careplan",
        ids=sorted({row.plan.person_id for row in shown}),
        program_slug=program.slug,
        detail={"orphaned_care_plans": [row.plan.pk for row in shown], "channel": "api"},
    )
    return {"items": [row.record() for row in shown], "count": count}


@router.post(
    "/care-plans/{plan_id}/handover",
    response=HandoverOut,
    summary="Hand a plan whose owner may no longer own care to one who may (coordinators)",
)
def hand_over_orphaned_plan(
    request: HttpRequest, plan_id: int, payload: CarePlanOwnerIn
) -> dict[str, Any]:
    plan = access_orphaned_plan(request.user, plan_id)
    done = actions.hand_over_orphaned_care_plan(
        actor_for(request), plan, payload.owner, payload.version
    )
    return {
        "id": plan.pk,
        "version": plan.version,
        "program": plan.program.slug,
        "owner": {"id": plan.owner.pk, "name": str(plan.owner)},
        "follow_ups_handed_over": len(done.follow_ups),
    }


@router.post(
    "/care-plans/{plan_id}/goals",
    response={201: GoalOut},
    summary="Add a goal",
    operation_id="coresponder_encounters_care_api_post_goal",
)
def post_goal(request: HttpRequest, plan_id: int, payload: GoalIn) -> Status[dict[str, Any]]:
    plan, access = access_care_plan(request.user, plan_id, write=True)
    goal = actions.add_goal(actor_for(request), access, plan, GoalInput(**payload.dict()))
    return Status(201, goal_record(goal, actions.local_today(plan.program)))


@router.patch(
    "/care-goals/{goal_id}",
    response=GoalOut,
    summary="Met, dropped or open again",
    operation_id="coresponder_encounters_care_api_patch_goal",
)
def patch_goal(request: HttpRequest, goal_id: int, payload: GoalPatch) -> dict[str, Any]:
    goal, access = access_goal(request.user, goal_id, write=True)
    actions.set_goal_status(actor_for(request), access, goal, payload.status, payload.version)
    return goal_record(goal, actions.local_today(goal.plan.program))


@router.post(
    "/care-goals/{goal_id}/steps",
    response={201: StepOut},
    summary="Add a step",
    operation_id="coresponder_encounters_care_api_post_step",
)
def post_step(request: HttpRequest, goal_id: int, payload: StepIn) -> Status[dict[str, Any]]:
    goal, access = access_goal(request.user, goal_id, write=True)
    step = actions.add_step(actor_for(request), access, goal, StepInput(**payload.dict()))
    return Status(201, step_record(step, actions.local_today(goal.plan.program)))


@router.patch(
    "/care-steps/{step_id}",
    response=StepOut,
    summary="Mark a step done or not",
    operation_id="coresponder_encounters_care_api_patch_step",
)
def patch_step(request: HttpRequest, step_id: int, payload: StepPatch) -> dict[str, Any]:
    step, access = access_step(request.user, step_id, write=True)
    actions.complete_step(actor_for(request), access, step, payload.version, payload.done)
    return step_record(step, actions.local_today(step.goal.plan.program))


@router.post(
    "/care-plans/{plan_id}/follow-ups",
    response={201: FollowUpOut},
    summary="Schedule a follow-up",
    operation_id="coresponder_encounters_care_api_post_follow_up",
)
def post_follow_up(
    request: HttpRequest, plan_id: int, payload: FollowUpIn
) -> Status[dict[str, Any]]:
    plan, access = access_care_plan(request.user, plan_id, write=True)
    data = FollowUpInput(**payload.dict())
    follow_up = actions.schedule_follow_up(actor_for(request), access, plan, data)
    return Status(201, follow_up_record(follow_up, timezone.now()))


@router.patch(
    "/follow-ups/{follow_up_id}",
    response=FollowUpOut,
    summary="A follow-up took place",
    operation_id="coresponder_encounters_care_api_patch_follow_up",
)
def patch_follow_up(
    request: HttpRequest, follow_up_id: int, payload: FollowUpPatch
) -> dict[str, Any]:
    follow_up, access = access_follow_up(request.user, follow_up_id, write=True)
    actions.complete_follow_up(
        actor_for(request), access, follow_up, payload.outcome, payload.version
    )
    return follow_up_record(follow_up, timezone.now())
