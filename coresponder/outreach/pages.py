"""What the outreach pages share: the program and task a page is about, the task page
itself (shown again with a form's errors), and the words and labels they use."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from coresponder.core.audit import record_event
from coresponder.core.http import actor_for
from coresponder.domain.outreach import due_state, follow_up_rules, missing_checklist
from coresponder.domain.policy import FieldGroup, RecordType
from coresponder.domain.vocabulary import label
from coresponder.identity.existing_records import existing_records
from coresponder.intake.models import Referral
from coresponder.intake.triage import request_words
from coresponder.outreach.access import (
    CLOSE_NOTE_WITHHELD,
    access_task,
    attempt_note_read,
    close_note_read,
)
from coresponder.outreach.actions import CLOSABLE_STATUSES, may_assign
from coresponder.outreach.checklist import (
    answers_read,
    answers_said,
    readable_items,
    unreadable_items,
)
from coresponder.outreach.forms import AttemptForm, ChecklistForm, CloseTaskForm
from coresponder.outreach.models import OPEN_STATUSES, QUEUE_STATUSES, OutreachTask
from coresponder.people.contact_requests import warnings_for
from coresponder.privacy.access import PersonAccess
from coresponder.privacy.actions import record_disclosures
from coresponder.programs.duty import teams_sat_on
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
    if task.status == OutreachTask.Status.OPEN:
        return "No team yet"  # "open" is the window's word, beside it
    return str(task.get_status_display())


def task_in(request: HttpRequest, program: Program, task_id: int) -> tuple[Any, PersonAccess]:
    task, access = access_task(request.user, task_id)
    if task.program_id != program.pk:
        raise Http404("No such task")
    return task, access


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def my_teams(request: HttpRequest, program: Program) -> Any:
    user: Any = request.user
    return teams_sat_on(program, user).filter(active=True).order_by("name")


def task_response(
    request: HttpRequest,
    program: Program,
    task: OutreachTask,
    access: PersonAccess,
    form: AttemptForm,
    checklist_form: ChecklistForm | None = None,
    status: int = 200,
    close_form: CloseTaskForm | None = None,
    visit_not_saved: str = "",
) -> HttpResponse:
    # Only the items this reader reads are asked or shown; an item of clinical detail is
    # said to wait for the clinical team, its answer never shown.
    checklist = readable_items(task, access)
    unread = unreadable_items(task, access)
    person = access.person
    may_write = access.may_write(RecordType.OUTREACH)
    is_open = task.status in OPEN_STATUSES
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
    # Visit notes are free text that may hold clinical detail (`attempt_note_read`).
    notes = {a.pk: attempt_note_read(a, access, task.program_id) for a in attempts}
    asked = _asked_for_help(task, access)
    # How the person asked to be reached (45 CFR 164.522(b)), to whoever reads their contact
    # details in this program: on top, before anyone knocks on the wrong door.
    contact_warnings = warnings_for(access, program.pk)
    # A request for help makes a new person: the program may know them already, and how they
    # asked to be reached then holds now.
    existing = (
        existing_records(request, program, [person], role=access.roles.get(program.pk)).get(
            person.pk, []
        )
        if asked
        else []
    )
    record_event(
        actor_for(request),
        "read",
        obj=task,
        person_id=task.person_id,
        program_slug=program.slug,
        fields=[
            "identity",
            "outreach",
            *(["referral"] if asked else []),
            *(["contact"] if (asked and asked["referrer_phone"]) or contact_warnings else []),
            *(["clinical"] if any(notes.values()) else []),
        ],
    )
    context = {
        "program": program,
        "task": task,
        "name": f"{person.given_name} {person.family_name}".strip(),
        "asked": asked,
        "contact_warnings": contact_warnings,
        "existing": existing,
        "subject": person,
        # A task to reach the family, of a person who asked not to be reached through them.
        "family_warning": task.target == OutreachTask.Target.FAMILY
        and any(w.no_family for w in contact_warnings),
        "due_label": f"Window: {DUE_STATES[due][0].lower()}" if due else "",
        "due_class": DUE_STATES[due][1] if due else "usa-tag",
        "status_text": status_text(task),
        "note_withheld": CLOSE_NOTE_WITHHELD,
        "attempts": [
            {
                "at": a.attempted_at,
                "channel": label("channel", a.channel),
                # Treatment is clinical detail: the outcome as this reader reads it.
                "outcome": label(
                    "outcome", access.value("outcome", a.outcome, task.program_id)
                ).lower(),
                "reached": [
                    "the person"
                    if c.role == "participant"
                    else label("relationship", c.relationship).lower() or "someone"
                    for c in a.contacts.all()
                ],
                # Kits left are outreach facts: the next visitor knows the household has one.
                "kits": kits_left_said(a.naloxone_kits_left),
                "note": notes[a.pk],
            }
            for a in attempts
        ],
        "form": form if is_open and may_write else None,
        "checklist_form": checklist_form if collecting and may_write and checklist else None,
        "missing": missing_checklist(checklist, task.checklist) if collecting else [],
        "missing_elsewhere": missing_checklist(unread, task.checklist) if collecting else [],
        # Answers kept once the case closed, and a save that came after someone closed it.
        "checklist_answers": answers_read(task, access) if not collecting else [],
        "checklist_not_saved": (
            answers_said(checklist, checklist_form.typed())
            if checklist_form is not None and checklist_form.is_bound and not collecting
            else None
        ),
        # A visit sent after the task stopped taking visits: why, and what was typed.
        "visit_not_saved": visit_not_saved,
        "visit_typed": form.typed() if visit_not_saved else [],
        "claimed_by": task.claimed_by.name if task.claimed_by else "",
        "died_on": person.deceased_on,
        **_team_context(request, program, task, may_write),
        **_closing_context(task, access, may_write, close_form),
    }
    # Treatment detail shown by a consent naming the reader (or break-glass) is disclosed.
    if access.disclosed:
        record_disclosures(actor_for(request), access, channel="web")
    return render(request, "outreach/task.html", context, status=status)


def _team_context(
    request: HttpRequest, program: Program, task: OutreachTask, may_write: bool
) -> dict[str, Any]:
    """Which team may take the task: the reader's own teams claim an open one; its team,
    or the program's coordinator, gives a claimed one back; the coordinator gives it to
    any of the program's teams."""
    if not may_write or task.status not in OPEN_STATUSES:
        return {"teams": [], "may_release": False, "assign_teams": []}
    mine = list(my_teams(request, program))
    assigns = may_assign(request.user, program)
    claimed = task.status == OutreachTask.Status.CLAIMED and task.claimed_by_id is not None
    return {
        "teams": mine if not claimed else [],
        "may_release": claimed and (assigns or any(t.pk == task.claimed_by_id for t in mine)),
        "assign_teams": list(
            Team.objects.filter(program=program, active=True)
            .exclude(pk=task.claimed_by_id or 0)
            .order_by("name")
        )
        if assigns
        else [],
    }


def _asked_for_help(task: OutreachTask, access: PersonAccess) -> dict[str, Any] | None:
    """What was asked on the public help page, when the task answers such a request: the
    asker's phone only where the reader sees contact details."""
    referral = task.referral
    if referral is None or referral.channel != Referral.Channel.PUBLIC:
        return None
    if not access.shows(FieldGroup.REFERRAL, referral.program_id):
        return None
    asked = request_words(referral)
    if not access.shows(FieldGroup.CONTACT):
        asked["referrer_phone"] = ""
    return asked


def _closing_context(
    task: OutreachTask, access: PersonAccess, may_write: bool, close_form: CloseTaskForm | None
) -> dict[str, Any]:
    """The close-with-a-reason form for who may write, and why a closed task was closed."""
    closable = may_write and task.status in CLOSABLE_STATUSES
    if closable and close_form is None:
        close_form = CloseTaskForm(initial={"version": task.version})
    # A task waiting for its closing checklist has its outcome already, but is not closed.
    closed = task.close_reason and task.status != OutreachTask.Status.COLLECTING
    reason = access.value("close_reason", task.close_reason, task.program_id) if closed else ""
    # The note is free text that may tell of treatment: clinical detail (`close_note_read`).
    note = close_note_read(task, access) if closed else ""
    return {
        "close_form": close_form if closable else None,
        "closed_because": close_reason_said(reason) if closed else "",
        "close_note": note or "",
        "close_note_withheld": CLOSE_NOTE_WITHHELD if note is None else "",
    }


def kits_left_said(kits: int) -> str:
    """The naloxone kits left at an attempt, in words ("2 naloxone kits left"); "" for none."""
    if not kits:
        return ""
    return f"{kits} naloxone kit{'s' if kits != 1 else ''} left"


def close_reason_said(reason: str) -> str:
    """A close reason as staff read it once chosen: the listed label without the form's
    prompt ("Other", not "Other (say why)"), or the outcome's words."""
    # An outcome that closed the case reads as the visit form names it.
    return label("close_reason", reason).removesuffix(" (say why)")
