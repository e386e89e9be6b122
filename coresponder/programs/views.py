"""The UI shell: health check, home, program home, and the locked-accounts page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_safe

from coresponder.privacy.access import program_for, visible_programs
from coresponder.programs.home import program_home_context
from coresponder.programs.middleware import open_program
from coresponder.programs.work import last_looked, mark_looked


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers; 503 otherwise. No sign-in."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the program they last worked in, or their first."""
    programs = visible_programs(request.user).order_by("slug")
    current = getattr(request, "current_program_slug", None)
    chosen = programs.filter(slug=current).first() if current else None
    chosen = chosen or programs.first()
    if chosen is None:
        return render(request, "programs/no_program.html", status=200)
    return redirect("program-home", slug=chosen.slug)


@login_required
def program_home(request: HttpRequest, slug: str) -> HttpResponse:
    program = open_program(request, slug)
    now = timezone.now()
    since = last_looked(request.session, program)
    context = program_home_context(request.user, program, since)
    mark_looked(request.session, program, now)
    return render(request, "programs/program_home.html", context)


@login_required
@require_GET
def switch_program(request: HttpRequest) -> HttpResponse:
    """The program switcher's form target: works without JavaScript."""
    program = program_for(request.user, str(request.GET.get("program", "")))
    return redirect("program-home", slug=program.slug)
