"""Outreach in the web UI: the follow-up queue and one task, built for a phone on a doorstep."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.policy import FieldGroup
from coresponder.domain.vocabulary import AttemptOutcome, label
from coresponder.outreach.actions import (
    assign_task,
    claim_task,
    complete_checklist,
    record_attempt,
    release_task,
    visits_no_more,
)
from coresponder.outreach.checklist import readable_items
from coresponder.outreach.forms import AttemptForm, ChecklistForm
from coresponder.outreach.models import OPEN_STATUSES, OutreachTask
from coresponder.outreach.pages import int_or_none, my_teams, status_text, task_in, task_response
from coresponder.outreach.task_map import build_task_map
from coresponder.privacy.access import PersonAccess
from coresponder.programs import form_tokens
from coresponder.programs.local_time import format_date, format_datetime
from coresponder.programs.middleware import open_program
from coresponder.programs.models import Program, Team


@login_required
@require_http_methods(["GET", "POST"])
def task_page(request: HttpRequest, slug: str, task_id: int) -> HttpResponse:
    """One task: who, when, what was tried; the visit form below."""
    program = open_program(request, slug, reads=FieldGroup.OUTREACH)
    task, access = task_in(request, program, task_id)
    zone = ZoneInfo(program.timezone)
    checklist = readable_items(task, access)
    if request.method != "POST":
        return task_response(
            request, program, task, access, AttemptForm(zone, checklist, task.checklist)
        )
    earlier = form_tokens.already_saved(request, form_tokens.Kind.ATTEMPT)
    if earlier is not None:
        return earlier
    to_family = task.target == OutreachTask.Target.FAMILY
    form = AttemptForm(zone, checklist, task.checklist, request.POST, to_family=to_family)
    if task.status not in OPEN_STATUSES:
        # Closed (by someone else, say) since the form was opened: said why, typed kept.
        return _not_saved(request, program, task, access, form, visits_no_more(task, access))
    if not form.is_valid():
        return task_response(request, program, task, access, form, status=422)

    def save() -> HttpResponse:
        data = form.attempt_input()
        attempt = record_attempt(actor_for(request), access, task, data)
        task.refresh_from_db()
        messages.success(request, _saved_message(task, attempt.outcome, zone))
        if data.died_on is not None:
            access.person.refresh_from_db(fields=["deceased_on"])
            recorded = access.person.deceased_on
            if recorded is not None and recorded != data.died_on:
                messages.warning(request, _death_kept(recorded, data.died_on, program))
        return redirect("outreach-task", slug=program.slug, task_id=task.pk)

    try:
        return form_tokens.save_once(request, form_tokens.Kind.ATTEMPT, save)
    except ActionError as exc:
        task.refresh_from_db()
        if task.status not in OPEN_STATUSES:
            return _not_saved(request, program, task, access, form, exc)
        # Who was reached is asked under "Who was reached", first by "The person".
        add_action_errors(form, exc, renamed={"contacted": "reached_person"})
        return task_response(request, program, task, access, form, status=422)


def _not_saved(
    request: HttpRequest,
    program: Program,
    task: OutreachTask,
    access: PersonAccess,
    form: AttemptForm,
    why: ActionError,
) -> HttpResponse:
    """The task page as it now is, saying why the visit was not saved and what was typed."""
    return task_response(request, program, task, access, form, status=409, visit_not_saved=str(why))


def _saved_message(task: OutreachTask, outcome: str, zone: ZoneInfo) -> str:
    said = f"Visit recorded: {label('outcome', outcome)}."
    if task.status == OutreachTask.Status.COLLECTING:
        return f"{said} Fill in the closing checklist below to close this case."
    if task.status == OutreachTask.Status.CLOSED:
        return f"{said} This case is closed."
    if task.next_attempt_after:
        after = format_datetime(task.next_attempt_after, zone, named=True)
        if outcome == AttemptOutcome.DECLINED_INTERESTED_LATER:
            return (
                f"{said} Contact them again after {after}: the task stays in the queue "
                "until then, and leaves it if nobody does."
            )
        if task.next_attempt_after >= task.window_end:
            closes = format_datetime(task.window_end, zone, named=True)
            return (
                f"{said} Next attempt after {after}, which is after this task's window "
                f"closes ({closes}): a visit then is late."
            )
        return f"{said} Next attempt after {after}."
    return said


def _death_kept(recorded: dt.date, given: dt.date, program: Program) -> str:
    on = format_date(recorded, program, with_year=True)
    said = format_date(given, program, with_year=True)
    return (
        f"A death was already recorded for this person on {on}; that date is kept, not {said}."
        " Their follow-ups end all the same."
    )


@login_required
@require_POST
def checklist_page(request: HttpRequest, slug: str, task_id: int) -> HttpResponse:
    """The data-collection step, against the version the visitor saw."""
    program = open_program(request, slug, reads=FieldGroup.OUTREACH)
    task, access = task_in(request, program, task_id)
    zone = ZoneInfo(program.timezone)
    checklist = readable_items(task, access)
    form = ChecklistForm(checklist, task.checklist, request.POST)
    if not form.is_valid():
        return task_response(
            request, program, task, access, AttemptForm(zone, checklist, task.checklist), form, 422
        )
    try:
        done = complete_checklist(
            actor_for(request), access, task, form.values(), form.cleaned_data["version"]
        )
    except StaleVersion:
        task.refresh_from_db()
        if all(task.checklist.get(key) == value for key, value in form.values().items()):
            # Sent twice (a double tap, Back and save): the first sending saved it.
            messages.info(request, "The checklist was saved already; nothing changed.")
            return redirect("outreach-task", slug=program.slug, task_id=task.pk)
        fresh = request.POST.copy()
        fresh["version"] = str(task.version)
        form = ChecklistForm(checklist, task.checklist, fresh)
        form.is_valid()
        form.add_error(None, "Changed by someone else — review and retry.")
        return task_response(
            request, program, task, access, AttemptForm(zone, checklist, task.checklist), form, 409
        )
    except ActionError as exc:
        form.add_error(None, str(exc))
        return task_response(
            request, program, task, access, AttemptForm(zone, checklist, task.checklist), form, 422
        )
    if done.status == OutreachTask.Status.CLOSED:
        messages.success(request, "Checklist complete: this case is closed.")
    else:
        messages.success(request, "Checklist saved.")
    return redirect("outreach-task", slug=program.slug, task_id=task.pk)


def _why_not_claimed(request: HttpRequest, program: Program, task: OutreachTask) -> str:
    """What stood in the way of a claim, as the task now is."""
    task.refresh_from_db()
    if task.claimed_by_id is not None:
        if my_teams(request, program).filter(pk=task.claimed_by_id).exists():
            return f"Your team {task.claimed_by} has this task already."
        return "Another team already claimed this task."
    status = task.get_status_display()
    return f"This task is no longer open ({status}): only an open task is claimed."


@login_required
@require_POST
def claim_page(request: HttpRequest, slug: str, task_id: int) -> HttpResponse:
    """A team takes the task; the second team to try is told, not overwritten."""
    program = open_program(request, slug, reads=FieldGroup.OUTREACH)
    task, access = task_in(request, program, task_id)
    team = (
        my_teams(request, program).filter(pk=request.POST.get("team") or 0).first()
        if str(request.POST.get("team") or "").isdigit()
        else None
    )
    if team is None:
        messages.error(request, "Choose one of your teams.")
        return redirect("outreach-task", slug=program.slug, task_id=task.pk)
    try:
        claim_task(actor_for(request), access, task, team)
    except StaleVersion:
        messages.error(request, _why_not_claimed(request, program, task))
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Claimed for {team.name}.")
    return redirect("outreach-task", slug=program.slug, task_id=task.pk)


@login_required
@require_POST
def release_page(request: HttpRequest, slug: str, task_id: int) -> HttpResponse:
    """A claimed task back to the queue, against the version the user saw."""
    program = open_program(request, slug, reads=FieldGroup.OUTREACH)
    task, access = task_in(request, program, task_id)
    team = task.claimed_by
    version = int_or_none(request.POST.get("version"))
    try:
        release_task(actor_for(request), access, task, version or 0)
    except StaleVersion:
        task.refresh_from_db()
        if task.status == OutreachTask.Status.OPEN:
            messages.info(request, "This task is back in the queue already.")
        else:
            messages.error(request, _changed_meanwhile(task))
    except (ActionError, Forbidden) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Given back to the queue: {team} no longer has this task.")
    return redirect("outreach-task", slug=program.slug, task_id=task.pk)


@login_required
@require_POST
def assign_page(request: HttpRequest, slug: str, task_id: int) -> HttpResponse:
    """The coordinator gives the task to one of the program's teams."""
    program = open_program(request, slug, reads=FieldGroup.OUTREACH)
    task, access = task_in(request, program, task_id)
    team = Team.objects.filter(
        program=program, active=True, pk=int_or_none(request.POST.get("team")) or 0
    ).first()
    if team is None:
        messages.error(request, "Choose one of the program's teams.")
        return redirect("outreach-task", slug=program.slug, task_id=task.pk)
    version = int_or_none(request.POST.get("version"))
    try:
        assign_task(actor_for(request), access, task, team, version or 0)
    except StaleVersion:
        task.refresh_from_db()
        if task.claimed_by_id == team.pk:
            messages.info(request, f"{team.name} has this task already.")
        else:
            messages.error(request, _changed_meanwhile(task))
    except (ActionError, Forbidden) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Given to {team.name}; its members are told.")
    return redirect("outreach-task", slug=program.slug, task_id=task.pk)


def _changed_meanwhile(task: OutreachTask) -> str:
    now = status_text(task)
    return f"Someone changed this task while you were looking (now: {now}). Try again."


@login_required
@require_GET
def task_map(request: HttpRequest, slug: str) -> HttpResponse:
    """Today's open tasks by district: a map for the briefing, a table for everyone."""
    program = open_program(request, slug, reads=FieldGroup.OUTREACH)
    drawn = build_task_map(program, timezone.now())
    return render(request, "outreach/map.html", {"program": program, "map": drawn})
