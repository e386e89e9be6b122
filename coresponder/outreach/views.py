"""Outreach in the web UI: the follow-up queue and one task, built for a phone on a doorstep."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coresponder.core.audit import record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.http import actor_for
from coresponder.domain.outreach import due_state, follow_up_rules, missing_checklist
from coresponder.domain.policy import FieldGroup, RecordType
from coresponder.domain.vocabulary import label
from coresponder.outreach.actions import (
    CLOSABLE_STATUSES,
    checklist_of,
    claim_task,
    complete_checklist,
    record_attempt,
)
from coresponder.outreach.forms import AttemptForm, ChecklistForm, CloseTaskForm
from coresponder.outreach.models import OutreachTask
from coresponder.outreach.queue import QUEUE_STATUSES
from coresponder.outreach.task_map import build_task_map
from coresponder.privacy.access import PersonAccess, access_task, program_for
from coresponder.programs import form_tokens
from coresponder.programs.local_time import format_datetime
from coresponder.programs.middleware import SESSION_KEY
from coresponder.programs.models import Program, Team

DUE_STATES = {
    "not_yet_open": ("Not yet open", "usa-tag"),
    "open": ("Open", "usa-tag bg-green"),
    "closing_soon": ("Closing soon", "usa-tag bg-accent-warm-darker"),
    "overdue": ("Overdue", "usa-tag bg-secondary-darker"),
}


def status_text(task: OutreachTask) -> str:
    """Where the task stands, said once: "Claimed by PCO Team 1", not "claimed by a team" twice."""
    if task.status == OutreachTask.Status.CLAIMED and task.claimed_by is not None:
        return f"Claimed by {task.claimed_by.name}"
    return str(task.get_status_display())


def _program_for_outreach(request: HttpRequest, slug: str) -> Program:
    """The program, when the user's role there works outreach; otherwise 404, as for missing."""
    program = program_for(request.user, slug, reads=FieldGroup.OUTREACH)
    request.session[SESSION_KEY] = program.slug
    request.current_program_slug = program.slug  # type: ignore[attr-defined]
    return program


def _task_in(request: HttpRequest, program: Program, task_id: int) -> tuple[Any, PersonAccess]:
    task, access = access_task(request.user, task_id)
    if task.program_id != program.pk:
        raise Http404("No such task")
    return task, access


def _tier_labels(program: Program) -> dict[int, str]:
    priority = program.rules.priority
    if priority.policy != "tiers":
        return {}
    return {t.tier: t.label for t in priority.tiers}


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def task_page(request: HttpRequest, slug: str, task_id: int) -> HttpResponse:
    """One task: who, when, what was tried; the visit form below."""
    program = _program_for_outreach(request, slug)
    task, access = _task_in(request, program, task_id)
    zone = ZoneInfo(program.timezone)
    checklist = checklist_of(task)
    if request.method != "POST":
        return _task_response(
            request, program, task, access, AttemptForm(zone, checklist, task.checklist)
        )
    earlier = form_tokens.already_saved(request, form_tokens.Kind.ATTEMPT)
    if earlier is not None:
        return earlier
    form = AttemptForm(zone, checklist, task.checklist, request.POST)
    if not form.is_valid():
        return _task_response(request, program, task, access, form, status=422)

    def save() -> HttpResponse:
        attempt = record_attempt(actor_for(request), access, task, form.payload())
        task.refresh_from_db()
        messages.success(request, _saved_message(task, attempt.get_outcome_display(), zone))
        return redirect("outreach-task", slug=program.slug, task_id=task.pk)

    try:
        return form_tokens.save_once(request, form_tokens.Kind.ATTEMPT, save)
    except ActionError as exc:
        for key, errors in (exc.errors or {"": [str(exc)]}).items():
            form.add_error(key if key in form.fields else None, errors)
        return _task_response(request, program, task, access, form, status=422)
    except Forbidden as exc:
        raise Http404("No outreach for this role") from exc


def _saved_message(task: OutreachTask, outcome: str, zone: ZoneInfo) -> str:
    said = f"Visit recorded: {outcome}."
    if task.status == OutreachTask.Status.COLLECTING:
        return f"{said} Fill in the closing checklist below to close this case."
    if task.status == OutreachTask.Status.CLOSED:
        return f"{said} This case is closed."
    if task.next_attempt_after:
        return f"{said} Next attempt after {format_datetime(task.next_attempt_after, zone)}."
    return said


@login_required
@require_POST
def checklist_page(request: HttpRequest, slug: str, task_id: int) -> HttpResponse:
    """The data-collection step, against the version the visitor saw."""
    program = _program_for_outreach(request, slug)
    task, access = _task_in(request, program, task_id)
    zone = ZoneInfo(program.timezone)
    checklist = checklist_of(task)
    form = ChecklistForm(checklist, task.checklist, request.POST)
    if not form.is_valid():
        return _task_response(
            request, program, task, access, AttemptForm(zone, checklist, task.checklist), form, 422
        )
    try:
        done = complete_checklist(
            actor_for(request), access, task, form.values(), form.cleaned_data["version"]
        )
    except StaleVersion:
        task.refresh_from_db()
        fresh = request.POST.copy()
        fresh["version"] = str(task.version)
        form = ChecklistForm(checklist, task.checklist, fresh)
        form.is_valid()
        form.add_error(None, "Changed by someone else — review and retry.")
        return _task_response(
            request, program, task, access, AttemptForm(zone, checklist, task.checklist), form, 409
        )
    except ActionError as exc:
        form.add_error(None, str(exc))
        return _task_response(
            request, program, task, access, AttemptForm(zone, checklist, task.checklist), form, 422
        )
    except Forbidden as exc:
        raise Http404("No outreach for this role") from exc
    if done.status == OutreachTask.Status.CLOSED:
        messages.success(request, "Checklist complete: this case is closed.")
    else:
        messages.success(request, "Checklist saved.")
    return redirect("outreach-task", slug=program.slug, task_id=task.pk)


@login_required
@require_POST
def claim_page(request: HttpRequest, slug: str, task_id: int) -> HttpResponse:
    """A team takes the task; the second team to try is told, not overwritten."""
    program = _program_for_outreach(request, slug)
    task, access = _task_in(request, program, task_id)
    team = (
        _my_teams(request, program).filter(pk=request.POST.get("team") or 0).first()
        if str(request.POST.get("team") or "").isdigit()
        else None
    )
    if team is None:
        messages.error(request, "Choose one of your teams.")
        return redirect("outreach-task", slug=program.slug, task_id=task.pk)
    try:
        claim_task(actor_for(request), access, task, team)
    except StaleVersion:
        messages.error(request, "Another team already claimed this task.")
    except ActionError as exc:
        messages.error(request, str(exc))
    except Forbidden as exc:
        raise Http404("No outreach for this role") from exc
    else:
        messages.success(request, f"Claimed for {team.name}.")
    return redirect("outreach-task", slug=program.slug, task_id=task.pk)


def _my_teams(request: HttpRequest, program: Program) -> Any:
    user: Any = request.user
    return (
        Team.objects.filter(program=program, active=True, members__user=user)
        .distinct()
        .order_by("name")
    )


def _task_response(
    request: HttpRequest,
    program: Program,
    task: OutreachTask,
    access: PersonAccess,
    form: AttemptForm,
    checklist_form: ChecklistForm | None = None,
    status: int = 200,
    close_form: CloseTaskForm | None = None,
) -> HttpResponse:
    checklist = checklist_of(task)
    person = access.person
    may_write = access.may_write(RecordType.OUTREACH)
    is_open = task.status in (OutreachTask.Status.OPEN, OutreachTask.Status.CLAIMED)
    collecting = task.status == OutreachTask.Status.COLLECTING
    if collecting and checklist_form is None:
        checklist_form = ChecklistForm(checklist, task.checklist, initial={"version": task.version})
    due = (
        due_state(
            task.window_start,
            task.window_end,
            timezone.now(),
            follow_up_rules(program.rules.follow_up).closing_soon_hours,
        )
        if task.status in QUEUE_STATUSES
        else None
    )
    attempts = list(task.attempts.order_by("attempted_at", "id").prefetch_related("contacts"))
    record_event(
        actor_for(request),
        "read",
        obj=task,
        person_id=task.person_id,
        program_slug=program.slug,
        fields=["identity", "outreach"],
    )
    context = {
        "program": program,
        "task": task,
        "name": f"{person.given_name} {person.family_name}".strip(),
        "due_label": f"Window: {DUE_STATES[due][0].lower()}" if due else "",
        "due_class": DUE_STATES[due][1] if due else "usa-tag",
        "status_text": status_text(task),
        "attempts": [
            {
                "at": a.attempted_at,
                "channel": label("channel", a.channel),
                "outcome": label("outcome", a.outcome).lower(),
                "reached": [
                    "the person"
                    if c.role == "participant"
                    else label("relationship", c.relationship).lower() or "someone"
                    for c in a.contacts.all()
                ],
            }
            for a in attempts
        ],
        "form": form if is_open and may_write else None,
        "checklist_form": checklist_form if collecting and may_write else None,
        "missing": missing_checklist(checklist, task.checklist) if collecting else [],
        "teams": list(_my_teams(request, program))
        if may_write and task.status == OutreachTask.Status.OPEN and not task.claimed_by_id
        else [],
        "claimed_by": task.claimed_by.name if task.claimed_by else "",
        **_closing_context(task, may_write, close_form),
    }
    return render(request, "outreach/task.html", context, status=status)


def _closing_context(
    task: OutreachTask, may_write: bool, close_form: CloseTaskForm | None
) -> dict[str, Any]:
    """The close-with-a-reason form for who may write, and why a closed task was closed."""
    closable = may_write and task.status in CLOSABLE_STATUSES
    if closable and close_form is None:
        close_form = CloseTaskForm(initial={"version": task.version})
    return {
        "close_form": close_form if closable else None,
        "closed_because": task.get_close_reason_display() if task.close_reason else "",
        "close_note": task.close_note,
    }


@login_required
@require_GET
def task_map(request: HttpRequest, slug: str) -> HttpResponse:
    """Today's open tasks by district: a map for the briefing, a table for everyone."""
    program = _program_for_outreach(request, slug)
    drawn = build_task_map(program, timezone.now())
    return render(request, "outreach/map.html", {"program": program, "map": drawn})
