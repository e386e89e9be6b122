"""The UI shell: health check, home, program home."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from coresponder.privacy.access import NotVisible, access_program, visible_programs
from coresponder.programs.home import program_home_context
from coresponder.programs.middleware import SESSION_KEY


@require_GET
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
    try:
        program = access_program(request.user, slug)
    except NotVisible as exc:
        raise Http404("No such program") from exc
    request.session[SESSION_KEY] = program.slug
    request.current_program_slug = program.slug  # type: ignore[attr-defined]
    context = program_home_context(request.user, program)
    return render(request, "programs/program_home.html", context)
