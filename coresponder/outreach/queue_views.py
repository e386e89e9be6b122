"""The follow-up queue with its filters, the Missed list, and closing a task by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from coresponder.core.audit import record_list_read
from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.policy import FieldGroup
from coresponder.domain.vocabulary import Role
from coresponder.outreach.actions import checklist_of, close_task
from coresponder.outreach.forms import AttemptForm, CloseTaskForm
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.outreach.pages import (
    DUE_STATES,
    close_reason_said,
    int_or_none,
    my_teams,
    task_in,
    task_response,
)
from coresponder.outreach.queue import QueueFilter, expired_tasks, outreach_queue, queue_districts
from coresponder.outreach.tiers import EVERYONE_ELSE, tier_labels
from coresponder.people.contact_requests import asked_tags
from coresponder.privacy.access import may_read, role_in, visible_people
from coresponder.programs.duty import on_duty
from coresponder.programs.home import OVERSIGHT_ROLES
from coresponder.programs.local_time import format_date, today_in
from coresponder.programs.middleware import open_program
from coresponder.programs.models import Program
from coresponder.reports.periods import date_range

QUEUE_PAGE_SIZE = 50
MISSED_PAGE_SIZE = 50
WHO_CHOICES = (("", "Everyone's"), ("mine", "Claimed by my team"), ("unclaimed", "Not claimed"))
WHEN_CHOICES = (("", "Any time"), ("due_today", "Window closes today"), ("overdue", "Overdue"))
TARGETS = dict(OutreachTask.Target.choices)


def _names(request: HttpRequest, person_ids: list[int]) -> dict[int, str]:
    """Names through the gate's scope, in one query for the whole list."""
    return {
        pk: f"{given} {family}".strip()
        for pk, given, family in visible_people(request.user)
        .filter(pk__in=person_ids)
        .values_list("pk", "given_name", "family_name")
    }


def _choice(value: str | None, choices: tuple[tuple[str, str], ...]) -> str:
    return value if value in {key for key, _label in choices} else ""


def _may_see_missed(request: HttpRequest, program: Program) -> bool:
    return role_in(request.user, program) in OVERSIGHT_ROLES


def _may_route(role: Role | None) -> bool:
    """Field roles and coordinators read addresses, so they may print a team's route."""
    return role is not None and may_read(role, FieldGroup.CONTACT)


@login_required
@require_GET
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    """Live tasks, due now first, as a table on a desk and cards on a phone."""
    program = open_program(request, slug, reads=FieldGroup.OUTREACH)
    now = timezone.now()
    districts = list(program.districts.filter(active=True).order_by("name"))
    district_names = {d.code: d.name for d in districts}
    chosen = request.GET.get("district") or ""
    if chosen not in district_names:
        chosen = ""
    on_shift = {
        duty.team_id: duty.team_name or ""
        for duty in on_duty(program, now)
        if duty.team_id is not None
    }
    team_id = int_or_none(request.GET.get("team"))
    if team_id not in on_shift:
        team_id = None
    who = _choice(request.GET.get("who"), WHO_CHOICES)
    when = _choice(request.GET.get("when"), WHEN_CHOICES)
    team_ids = tuple(my_teams(request, program).values_list("pk", flat=True))
    scope = queue_districts(program, now, chosen or None, team_id)
    result = outreach_queue(
        program,
        now,
        scope,
        int_or_none(request.GET.get("page")) or 1,
        QUEUE_PAGE_SIZE,
        QueueFilter(who=who, when=when, my_teams=team_ids),
    )
    rows = result.items
    names = _names(request, [row["person_id"] for row in rows])
    # The reader's role, looked up once for the tiers, the links and the requests below.
    role = role_in(request.user, program)
    tiers = tier_labels(program, role)
    # How each person asked to be reached, for readers of contact details: one query.
    asked = asked_tags(request.user, program, list(names), role=role)
    cards = [
        {
            **row,
            "name": names.get(row["person_id"]) or "Name not shown",
            "due_label": (
                f"Contact again on {format_date(row['contact_later'], with_year=True)}"
                if row["contact_later"]
                else DUE_STATES[row["due_state"]][0]
            ),
            "due_class": "usa-tag" if row["contact_later"] else DUE_STATES[row["due_state"]][1],
            "tier_label": (tiers.get(row["priority_tier"], EVERYONE_ELSE) if tiers else ""),
            "target_label": TARGETS.get(row["target"], ""),
            "district_name": district_names.get(row["district"] or "", ""),
            "asked": asked.get(row["person_id"]),
        }
        for row in rows
    ]
    expired = expired_tasks(program, now).count()
    record_list_read(
        actor_for(request),
        object_type="outreach.outreachtask",
        ids=sorted({row["person_id"] for row in rows if row["person_id"] is not None}),
        program_slug=program.slug,
        fields=["identity", "outreach", *(["contact"] if asked else [])],
        detail={"list": "outreach queue", "tasks": [row["task_id"] for row in rows][:500]},
    )
    filters = {"who": who, "when": when, "district": chosen, "team": team_id or ""}
    counts = result.counts or {}
    context = {
        "program": program,
        "cards": cards,
        "result": result,
        "districts": districts,
        "chosen_district": chosen,
        "teams_on_shift": sorted(on_shift.items(), key=lambda pair: pair[1]),
        "chosen_team": team_id,
        "who_choices": [(key, label, counts.get(key or "everyone")) for key, label in WHO_CHOICES],
        "when_choices": [
            (key, label, counts.get(key or "everyone")) for key, label in WHEN_CHOICES
        ],
        "who": who,
        "when": when,
        "filtered": any(filters.values()),
        "has_teams": bool(team_ids),
        "expired": expired,
        "may_see_missed": role in OVERSIGHT_ROLES,
        "may_route": _may_route(role),
        "previous_page": _page_query(filters, result.page - 1) if result.page > 1 else None,
        "next_page": _page_query(filters, result.page + 1) if result.page < result.pages else None,
    }
    return render(request, "outreach/queue.html", context)


def _page_query(filters: dict[str, Any], page: int) -> str:
    return urlencode({**{k: v for k, v in filters.items() if v}, "page": page})


@login_required
@require_GET
def missed_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Tasks that expired unworked, latest window first: for coordinators to review."""
    program = open_program(request, slug, reads=FieldGroup.OUTREACH)
    if not _may_see_missed(request, program):
        raise Http404("No Missed list for this role")
    now = timezone.now()
    tasks = expired_tasks(program, now)
    # The service-level board links here with its days: the list is then the tasks it counted.
    dated = any(str(request.GET.get(name) or "").strip() for name in ("start", "end"))
    first_day, last_day, errors = date_range(request.GET, today_in(program, now))
    dates: dict[str, str] = {}
    if dated and not errors:
        zone = ZoneInfo(program.timezone)
        tasks = tasks.filter(
            window_end__gte=dt.datetime.combine(first_day, dt.time(), tzinfo=zone),
            window_end__lt=dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), zone),
        )
        dates = {"start": first_day.isoformat(), "end": last_day.isoformat()}
    count = tasks.count()
    pages = max(1, -(-count // MISSED_PAGE_SIZE))
    page = min(max(1, int_or_none(request.GET.get("page")) or 1), pages)
    start = (page - 1) * MISSED_PAGE_SIZE
    rows = list(
        tasks.order_by("-window_end", "-id").values(
            "pk",
            "person_id",
            "window_start",
            "window_end",
            "status",
            "target",
            "claimed_by__name",
            "district__name",
        )[start : start + MISSED_PAGE_SIZE]
    )
    ids = [row["pk"] for row in rows]
    attempts = dict(
        Attempt.objects.filter(task_id__in=ids)
        .values("task_id")
        .annotate(n=Count("id"))
        .values_list("task_id", "n")
    )
    names = _names(request, [row["person_id"] for row in rows])
    items = [
        {
            **row,
            "name": names.get(row["person_id"]) or "Name not shown",
            "target_label": TARGETS.get(row["target"], ""),
            "attempts": attempts.get(row["pk"], 0),
        }
        for row in rows
    ]
    record_list_read(
        actor_for(request),
        object_type="outreach.outreachtask",
        ids=sorted({row["person_id"] for row in rows if row["person_id"] is not None}),
        program_slug=program.slug,
        fields=["identity", "outreach"],
        detail={"list": "missed tasks", "tasks": ids[:500]},
    )
    context = {
        "program": program,
        "items": items,
        "has_districts": program.districts.exists(),
        "count": count,
        "page": page,
        "pages": pages,
        "dates": dates,
        "first_day": first_day,
        "last_day": last_day,
        "errors": errors,
        "previous_page": urlencode({**dates, "page": page - 1}) if page > 1 else None,
        "next_page": urlencode({**dates, "page": page + 1}) if page < pages else None,
    }
    return render(request, "outreach/missed.html", context, status=422 if errors else 200)


@login_required
@require_POST
def close_page(request: HttpRequest, slug: str, task_id: int) -> HttpResponse:
    """Close a task by hand, against the version the user saw; a stale one is told, not lost."""
    program = open_program(request, slug, reads=FieldGroup.OUTREACH)
    task, access = task_in(request, program, task_id)
    zone = ZoneInfo(program.timezone)
    form = CloseTaskForm(request.POST)

    def again(status: int) -> HttpResponse:
        attempt_form = AttemptForm(zone, checklist_of(task), task.checklist)
        return task_response(
            request, program, task, access, attempt_form, status=status, close_form=form
        )

    if not form.is_valid():
        return again(422)
    data = form.cleaned_data
    try:
        close_task(actor_for(request), access, task, data["reason"], data["note"], data["version"])
    except StaleVersion:
        task.refresh_from_db()
        fresh = request.POST.copy()
        fresh[form.add_prefix("version")] = str(task.version)
        form = CloseTaskForm(fresh)
        form.is_valid()
        form.add_error(
            None, "Someone changed this task while you were looking: check it and close again."
        )
        return again(409)
    except ActionError as exc:
        if "task" in exc.errors:
            # Closed already (a second press): the page has no close form to say so on.
            messages.info(request, str(exc))
            return redirect("outreach-task", slug=program.slug, task_id=task.pk)
        add_action_errors(form, exc)
        return again(422)
    said = close_reason_said(data["reason"])
    note = str(data.get("note") or "").strip()
    messages.success(request, f"Task closed: {said}{f' ({note})' if note else ''}.")
    return redirect("outreach-task", slug=program.slug, task_id=task.pk)
