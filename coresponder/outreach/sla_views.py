"""The coordinators' SLA board, and each user's reminder notices."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from coresponder.core.audit import record_event
from coresponder.core.http import actor_for
from coresponder.outreach.actions import mark_notices_read
from coresponder.outreach.models import Notice
from coresponder.outreach.sla import sla_summary
from coresponder.privacy.access import programs_of
from coresponder.programs.home import OVERSIGHT_ROLES
from coresponder.programs.middleware import open_program
from coresponder.reports.periods import date_range


@login_required
@require_GET
def sla_board(request: HttpRequest, slug: str) -> HttpResponse:
    program = open_program(request, slug, roles=OVERSIGHT_ROLES)
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
    return render(request, "outreach/sla.html", context, status=422 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def notices(request: HttpRequest) -> HttpResponse:
    """The signed-in user's reminders, newest first; POST marks them all read."""
    if request.method == "POST":
        newest = str(request.POST.get("newest") or "")
        mark_notices_read(
            actor_for(request), request.user, int(newest) if newest.isdigit() else None
        )
        return redirect("notices")
    # Only the programs the reader still acts in: a reminder tells of a program's tasks and
    # counts, which someone whose role in it was taken away no longer reads.
    mine = Notice.objects.filter(
        recipient_id=request.user.pk, program__in=programs_of(request.user)
    )
    rows = list(
        mine.select_related("program", "service_referral").order_by("-created_at", "-id")[:200]
    )
    unread = sum(1 for notice in rows if notice.read_at is None)
    # "Mark all read" covers what this page shows: a reminder that comes meanwhile stays unread.
    shown = max((notice.pk for notice in rows), default=None)
    context = {"notices": rows, "unread": unread, "newest": shown}
    return render(request, "outreach/notices.html", context)
