"""The coordinators' SLA board, and each user's reminder notices."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.db.models import BooleanField, Case, Min, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from coresponder.core.audit import record_event
from coresponder.core.errors import NotVisible
from coresponder.core.http import actor_for
from coresponder.domain.outreach import expiry_cutoff, follow_up_rules
from coresponder.domain.sla import SlaSummary, TaskRecord, summarize
from coresponder.outreach.models import Notice, OutreachTask
from coresponder.privacy.access import access_program, role_in
from coresponder.programs.home import OVERSIGHT_ROLES
from coresponder.programs.models import Program

DEFAULT_DAYS = 30
UNKNOWN_DISTRICT = "No district"
UNCLAIMED = "Not claimed"


def _sla_program(request: HttpRequest, slug: str) -> Program:
    """The program, if the user coordinates it (or administers); otherwise 404."""
    try:
        program = access_program(request.user, slug)
    except NotVisible as exc:
        raise Http404("No such program") from exc
    if role_in(request.user, program) not in OVERSIGHT_ROLES:
        raise Http404("No SLA board for this role")
    return program


def date_range(params: Any, today: dt.date) -> tuple[dt.date, dt.date, list[str]]:
    """Inclusive program-local dates from ?start=&end=; the last 30 days by default."""
    errors: list[str] = []
    end = today
    start = today - dt.timedelta(days=DEFAULT_DAYS - 1)
    for name in ("start", "end"):
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = dt.date.fromisoformat(raw)
        except ValueError:
            errors.append(f"The {name} date must be a date like 2026-11-01.")
            continue
        if name == "start":
            start = value
        else:
            end = value
    if start > end:
        errors.append("The start date must not be after the end date.")
    return start, end, errors


def task_records(
    program: Program, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> list[TaskRecord]:
    """Tasks whose window closed in [start, end), with their first attempt, in one query.

    With `now`, each says whether it expired unworked by then (moved out of the queue
    by the worker, or past its time and not yet moved).
    """
    expired = Q(status=OutreachTask.Status.EXPIRED)
    if now is not None:
        expired |= Q(
            status__in=[OutreachTask.Status.OPEN, OutreachTask.Status.CLAIMED],
            window_end__lte=expiry_cutoff(
                now, follow_up_rules(program.rules.follow_up).expires_after_hours
            ),
        )
    rows = (
        OutreachTask.objects.filter(program=program, window_end__gte=start, window_end__lt=end)
        .exclude(status=OutreachTask.Status.CANCELLED)
        .annotate(
            first_attempt_at=Min("attempts__attempted_at"),
            expired=Case(
                When(expired, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
        )
        .values(
            "expired",
            "window_start",
            "window_end",
            "first_attempt_at",
            "overdose__occurred_at",
            "referral__received_at",
            "referral__district__name",
            "overdose__district__name",
            "claimed_by__name",
        )
    )
    return [
        TaskRecord(
            window_start=row["window_start"],
            window_end=row["window_end"],
            # API.md: from the overdose, or the referral where there is none.
            anchor=row["overdose__occurred_at"]
            or row["referral__received_at"]
            or row["window_start"],
            first_attempt_at=row["first_attempt_at"],
            district=row["referral__district__name"]
            or row["overdose__district__name"]
            or UNKNOWN_DISTRICT,
            team=row["claimed_by__name"] or UNCLAIMED,
            expired=bool(row["expired"]),
        )
        for row in rows
    ]


def sla_summary(
    program: Program, first_day: dt.date, last_day: dt.date, now: dt.datetime
) -> SlaSummary:
    zone = ZoneInfo(program.timezone)
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return summarize(task_records(program, start, end, now), start, end, now)


@login_required
@require_GET
def sla_board(request: HttpRequest, slug: str) -> HttpResponse:
    program = _sla_program(request, slug)
    now = timezone.now()
    today = now.astimezone(ZoneInfo(program.timezone)).date()
    first_day, last_day, errors = date_range(request.GET, today)
    if errors:
        first_day, last_day, _ = date_range({}, today)
    summary = sla_summary(program, first_day, last_day, now)
    record_event(
        actor_for(request),
        "read",
        object_type="outreach.sla",
        program_slug=program.slug,
        detail={"start": first_day.isoformat(), "end": last_day.isoformat()},
    )
    rate = summary.follow_up_within_window_rate
    median = summary.median_hours_to_first_contact
    context = {
        "program": program,
        "start": first_day,
        "end": last_day,
        "errors": errors,
        "summary": summary,
        "rate_percent": None if rate is None else round(rate * 100, 1),
        "median_hours": None if median is None else round(median, 1),
    }
    return render(request, "outreach/sla.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def notices(request: HttpRequest) -> HttpResponse:
    """The signed-in user's reminders, newest first; POST marks them all read."""
    mine = Notice.objects.filter(recipient_id=request.user.pk)
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("notices")
    rows = list(mine.select_related("program").order_by("-created_at", "-id")[:200])
    unread = sum(1 for notice in rows if notice.read_at is None)
    return render(request, "outreach/notices.html", {"notices": rows, "unread": unread})
