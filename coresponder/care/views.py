"""Care plans in the web UI: a person's plans, one plan with its goals and follow-ups, and
a program's plans without an owner, for its coordinators to hand over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coresponder.care import actions
from coresponder.care.forms import (
    FollowUpDoneForm,
    FollowUpForm,
    GoalForm,
    GoalStatusForm,
    PlanForm,
    PlanOwnerForm,
    PlanStatusForm,
    StepDoneForm,
    StepForm,
)
from coresponder.care.models import CarePlan, FollowUp
from coresponder.care.reading import (
    access_care_plan,
    access_follow_up,
    access_goal,
    access_orphaned_plan,
    access_step,
    orphans_of,
    plans_of,
    program_for_orphans,
    repeat_needs_of,
)
from coresponder.core.audit import record_list_read
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.policy import FieldGroup, GroupVisibility, RecordType
from coresponder.people.contact_requests import warnings_for
from coresponder.privacy.access import PersonAccess, access_person
from coresponder.privacy.actions import record_person_read
from coresponder.programs import form_tokens
from coresponder.programs.form_tokens import Kind
from coresponder.programs.models import Program

STALE_MESSAGE = "Changed by someone else — review and retry."
ALREADY_SO = "That was saved already; nothing changed."
Forms = dict[str, forms.Form]


def _name(access: PersonAccess) -> str:
    person = access.person
    if access.decision(FieldGroup.IDENTITY) is GroupVisibility.SHOWN:
        return f"{person.given_name} {person.family_name}"
    return f"Person {person.pk}"


def _writable_programs(access: PersonAccess) -> list[Program]:
    return list(Program.objects.filter(pk__in=actions.plan_programs(access)).order_by("name"))


def _stale(form: forms.Form, current: int) -> forms.Form:
    """The form as typed, carrying the version now stored so the retry can succeed."""
    data = form.data.copy()  # type: ignore[attr-defined]
    data[form.add_prefix("version")] = str(current)
    form.data = data
    form.full_clean()
    form.add_error(None, STALE_MESSAGE)
    return form


# --- A person's plans ---------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def person_care_plans(request: HttpRequest, person_id: int) -> HttpResponse:
    """The person's plans, repeat needs, and a form to open a plan."""
    access = access_person(request.user, person_id)
    programs = _writable_programs(access)
    form = None
    if programs:
        form = PlanForm(programs, request.user.pk, request.POST or None, prefix="plan")
    if request.method == "POST":
        if form is None:  # the person is theirs to see, but not to open a plan for
            raise Forbidden("Your role may not write care plans.")
        earlier = form_tokens.already_saved(request, Kind.CARE_PLAN)
        if earlier is not None:
            return earlier
        if form.is_valid():
            data = form.plan_input()

            def save() -> HttpResponse:
                plan = actions.open_care_plan(actor_for(request), access, data)
                messages.success(request, "Care plan opened.")
                return redirect("care-plan", plan_id=plan.pk)

            try:
                return form_tokens.save_once(request, Kind.CARE_PLAN, save)
            except ActionError as exc:
                add_action_errors(form, exc)
        return _plans_page(request, access, form, status=422)
    return _plans_page(request, access, form)


def _plans_page(
    request: HttpRequest, access: PersonAccess, form: PlanForm | None, status: int = 200
) -> HttpResponse:
    plans = plans_of(access)
    notice = access.notice()
    record_person_read(actor_for(request), access, channel="web")
    now = timezone.now()
    rows = [
        {
            "plan": plan,
            "goals": len(plan.goals.all()),
            "open_goals": sum(1 for g in plan.goals.all() if g.status == "open"),
            "next_follow_up": next((f for f in plan.follow_ups.all() if f.done_at is None), None),
        }
        for plan in plans
    ]
    context = {
        "person": access.person,
        "name": _name(access),
        "shown": access.decision(FieldGroup.CLINICAL) is GroupVisibility.SHOWN,
        "withheld": FieldGroup.CLINICAL in access.withheld,
        "rows": rows,
        "repeat_needs": repeat_needs_of(plans),
        "form": form,
        "now": now,
        "notice": notice,
    }
    return render(request, "care/person_plans.html", context, status=status)


# --- One plan -------------------------------------------------------------------


@login_required
@require_GET
def care_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan, access = access_care_plan(request.user, plan_id)
    return _plan_page(request, plan, access)


@login_required
@require_GET
def follow_up_link(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    """Where a reminder links: the follow-up on its plan's page."""
    follow_up, _access = access_follow_up(request.user, follow_up_id)
    url = reverse("care-plan", kwargs={"plan_id": follow_up.plan_id})
    return redirect(f"{url}#follow-up-{follow_up.pk}")


def _plan_page(
    request: HttpRequest,
    plan: CarePlan,
    access: PersonAccess,
    bound: Forms | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    plan = (
        CarePlan.objects.select_related("program", "owner")
        .prefetch_related("goals__steps__owner", "follow_ups__owner")
        .get(pk=plan.pk)
    )
    notice = access.notice()
    record_person_read(actor_for(request), access, channel="web", program=plan.program)
    # Written by the reader's role in the plan's own program.
    writer = access.may_write(RecordType.ENCOUNTER, plan.program_id)
    active = plan.status == CarePlan.Status.ACTIVE
    now = timezone.now()
    today = actions.local_today(plan.program, now)
    program = plan.program
    may_own = set(actions.care_owners(program).values_list("user_id", flat=True))
    goals = [
        {
            "goal": goal,
            "step_form": bound.get(f"step-{goal.pk}")
            or StepForm(program, prefix=f"step-{goal.pk}"),
            "status_form": bound.get(f"goal-{goal.pk}")
            or GoalStatusForm(
                prefix=f"goal-{goal.pk}", initial={"version": goal.version, "status": goal.status}
            ),
            "steps": [
                {
                    "step": step,
                    "overdue": bool(step.due_on and not step.done_at and step.due_on < today),
                    "form": bound.get(f"stepdone-{step.pk}")
                    or StepDoneForm(
                        prefix=f"stepdone-{step.pk}",
                        initial={"version": step.version, "done": step.done_at is None},
                    ),
                }
                for step in goal.steps.all()
            ],
        }
        for goal in plan.goals.all()
    ]
    follow_ups = [
        {
            "follow_up": f,
            "overdue": f.done_at is None and f.due_at < now,
            "owner_gone": f.done_at is None and f.owner_id not in may_own,
            "form": bound.get(f"fudone-{f.pk}")
            or FollowUpDoneForm(prefix=f"fudone-{f.pk}", initial={"version": f.version}),
        }
        for f in plan.follow_ups.all()
    ]
    # How the person asked to be reached (45 CFR 164.522(b)), to a reader of their contact
    # details in the plan's program: its visits and calls are follow-ups.
    contact_warnings = warnings_for(access, program.pk)
    context = {
        "contact_warnings": contact_warnings,
        "plan": plan,
        "program": program,
        "name": _name(access),
        "goals": goals,
        "follow_ups": follow_ups,
        "writer": writer,
        "active": active,
        "goal_form": bound.get("goal") or GoalForm(prefix="goal"),
        "follow_up_form": bound.get("followup")
        or FollowUpForm(program, request.user.pk, prefix="followup"),
        "status_form": bound.get("plan")
        or PlanStatusForm(
            prefix="plan",
            initial={"version": plan.version, "status": plan.status, "note": plan.note},
        ),
        "owner_gone": plan.owner_id not in may_own,
        "owner_form": bound.get("owner")
        or PlanOwnerForm(program, prefix="owner", initial={"version": plan.version}),
        "bound": bool(bound),
        "notice": notice,
    }
    return render(request, "care/plan.html", context, status=status)


def _submit(
    request: HttpRequest,
    plan: CarePlan,
    access: PersonAccess,
    key: str,
    form: forms.Form,
    write: Callable[[dict[str, Any]], Any],
    done: str,
    current_version: Callable[[], int] | None = None,
    kind: str | None = None,
    stands: Callable[[dict[str, Any]], bool] | None = None,
) -> HttpResponse:
    """Validate, write through the action, and redirect; or show the form again as typed.

    A create form names its `kind`: sent again with the same form token, it shows
    the plan it was saved on rather than adding a second one. An edit refused as stale
    whose change already `stands` (a double tap, Back and send) lands on the plan as saved.
    """
    if kind is not None:
        earlier = form_tokens.already_saved(request, kind)
        if earlier is not None:
            return earlier
    if not form.is_valid():
        return _plan_page(request, plan, access, {key: form}, status=422)

    def save() -> HttpResponse:
        write(form.cleaned_data)
        messages.success(request, done)
        return redirect("care-plan", plan_id=plan.pk)

    try:
        if kind is None:
            return save()
        return form_tokens.save_once(request, kind, save)
    except ActionError as exc:
        add_action_errors(form, exc)
        return _plan_page(request, plan, access, {key: form}, status=422)
    except StaleVersion:
        if current_version is None:
            raise
        if stands is not None and stands(form.cleaned_data):
            messages.info(request, ALREADY_SO)
            return redirect("care-plan", plan_id=plan.pk)
        return _plan_page(request, plan, access, {key: _stale(form, current_version())}, status=409)


@login_required
@require_POST
def add_goal(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan, access = access_care_plan(request.user, plan_id, write=True)
    form = GoalForm(request.POST, prefix="goal")
    return _submit(
        request,
        plan,
        access,
        "goal",
        form,
        lambda _data: actions.add_goal(actor_for(request), access, plan, form.goal_input()),
        "Goal added.",
        kind=Kind.CARE_GOAL,
    )


@login_required
@require_POST
def goal_status(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal, access = access_goal(request.user, goal_id, write=True)
    form = GoalStatusForm(request.POST, prefix=f"goal-{goal.pk}")
    return _submit(
        request,
        goal.plan,
        access,
        f"goal-{goal.pk}",
        form,
        lambda data: actions.set_goal_status(
            actor_for(request), access, goal, data["status"], data["version"]
        ),
        "Goal updated.",
        lambda: type(goal).objects.get(pk=goal.pk).version,
        stands=lambda data: type(goal).objects.get(pk=goal.pk).status == data["status"],
    )


@login_required
@require_POST
def add_step(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal, access = access_goal(request.user, goal_id, write=True)
    form = StepForm(goal.plan.program, request.POST, prefix=f"step-{goal.pk}")
    return _submit(
        request,
        goal.plan,
        access,
        f"step-{goal.pk}",
        form,
        lambda _data: actions.add_step(actor_for(request), access, goal, form.step_input()),
        "Step added.",
        kind=Kind.CARE_STEP,
    )


@login_required
@require_POST
def step_done(request: HttpRequest, step_id: int) -> HttpResponse:
    step, access = access_step(request.user, step_id, write=True)
    form = StepDoneForm(request.POST, prefix=f"stepdone-{step.pk}")
    return _submit(
        request,
        step.goal.plan,
        access,
        f"stepdone-{step.pk}",
        form,
        lambda data: actions.complete_step(
            actor_for(request), access, step, data["version"], bool(data["done"])
        ),
        "Step updated.",
        lambda: type(step).objects.get(pk=step.pk).version,
        # The button says what the step was when drawn: a second press asks the same again.
        stands=lambda data: (
            (type(step).objects.get(pk=step.pk).done_at is not None) == bool(data["done"])
        ),
    )


@login_required
@require_POST
def add_follow_up(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan, access = access_care_plan(request.user, plan_id, write=True)
    form = FollowUpForm(plan.program, request.user.pk, request.POST, prefix="followup")
    return _submit(
        request,
        plan,
        access,
        "followup",
        form,
        lambda _data: actions.schedule_follow_up(
            actor_for(request), access, plan, form.follow_up_input()
        ),
        "Follow-up scheduled.",
        kind=Kind.FOLLOW_UP,
    )


@login_required
@require_POST
def follow_up_done(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    follow_up, access = access_follow_up(request.user, follow_up_id, write=True)
    form = FollowUpDoneForm(request.POST, prefix=f"fudone-{follow_up.pk}")
    return _submit(
        request,
        follow_up.plan,
        access,
        f"fudone-{follow_up.pk}",
        form,
        lambda data: actions.complete_follow_up(
            actor_for(request), access, follow_up, data["outcome"], data["version"]
        ),
        "Follow-up marked done.",
        lambda: type(follow_up).objects.get(pk=follow_up.pk).version,
        stands=lambda data: _follow_up_stands(follow_up.pk, data["outcome"]),
    )


@login_required
@require_POST
def plan_status(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan, access = access_care_plan(request.user, plan_id, write=True)
    form = PlanStatusForm(request.POST, prefix="plan")
    return _submit(
        request,
        plan,
        access,
        "plan",
        form,
        lambda data: actions.close_care_plan(
            actor_for(request), access, plan, data["status"], data["version"], data["note"]
        ),
        "Care plan updated.",
        lambda: CarePlan.objects.get(pk=plan.pk).version,
        stands=lambda data: _plan_stands(plan.pk, data["status"], data["note"]),
    )


@login_required
@require_POST
def plan_owner(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Hand the plan over, with the open follow-ups nobody is left to make."""
    plan, access = access_care_plan(request.user, plan_id, write=True)
    form = PlanOwnerForm(plan.program, request.POST, prefix="owner")
    return _submit(
        request,
        plan,
        access,
        "owner",
        form,
        lambda data: actions.hand_over_care_plan(
            actor_for(request), access, plan, int(data["owner"]), data["version"]
        ),
        "Care plan handed over.",
        lambda: CarePlan.objects.get(pk=plan.pk).version,
        stands=lambda data: CarePlan.objects.get(pk=plan.pk).owner_id == int(data["owner"]),
    )


def _follow_up_stands(follow_up_id: int, outcome: str) -> bool:
    """Whether the follow-up is done with this outcome already."""
    now = FollowUp.objects.get(pk=follow_up_id)
    return now.done_at is not None and now.outcome == outcome.strip()


def _plan_stands(plan_id: int, status: str, note: str) -> bool:
    """Whether the plan has this status and note already."""
    now = CarePlan.objects.get(pk=plan_id)
    return now.status == status and now.note == note.strip()


# --- Plans without an owner -------------------------------------------------------------


@login_required
@require_GET
def orphaned_plans(request: HttpRequest, slug: str) -> HttpResponse:
    """The program's active plans whose owner may no longer own care there, each with a
    form to hand it over: who it is for, never what it says."""
    return _orphans_page(request, program_for_orphans(request.user, slug))


def _orphans_page(
    request: HttpRequest,
    program: Program,
    bound: tuple[int, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    orphans = orphans_of(request.user, program)
    record_list_read(
        actor_for(request),
        object_type="encounters.careplan",
        ids=sorted({row.plan.person_id for row in orphans}),
        program_slug=program.slug,
        detail={"orphaned_care_plans": [row.plan.pk for row in orphans]},
    )
    rows = [
        {
            "orphan": row,
            "form": bound[1]
            if bound is not None and bound[0] == row.plan.pk
            else PlanOwnerForm(
                program, prefix=f"plan-{row.plan.pk}", initial={"version": row.plan.version}
            ),
        }
        for row in orphans
    ]
    listed = bound is not None and any(row.plan.pk == bound[0] for row in orphans)
    context = {
        "program": program,
        "rows": rows,
        # A refused handover of a plan no longer listed says why at the top.
        "refused": bound if bound is not None and not listed else None,
    }
    return render(request, "care/orphaned_plans.html", context, status=status)


@login_required
@require_POST
def orphaned_plan_handover(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Hand a plan without an owner over; sent twice, it lands on the list as saved."""
    plan = access_orphaned_plan(request.user, plan_id)
    program = plan.program
    form = PlanOwnerForm(program, request.POST, prefix=f"plan-{plan.pk}")
    if not form.is_valid():
        return _orphans_page(request, program, (plan.pk, form), status=422)
    owner = int(form.cleaned_data["owner"])
    try:
        done = actions.hand_over_orphaned_care_plan(
            actor_for(request), plan, owner, form.cleaned_data["version"]
        )
    except ActionError as exc:
        add_action_errors(form, exc)
        return _orphans_page(request, program, (plan.pk, form), status=422)
    except StaleVersion:
        now = CarePlan.objects.get(pk=plan.pk)
        if now.owner_id == owner:
            messages.info(request, ALREADY_SO)
            return redirect("care-plans-orphaned", slug=program.slug)
        return _orphans_page(request, program, (plan.pk, _stale(form, now.version)), status=409)
    messages.success(request, f"Care plan {plan.pk} handed over to {done.plan.owner}.")
    return redirect("care-plans-orphaned", slug=program.slug)
