"""A team's route for today's shift or the next: cards in order on a phone, and a sheet to print."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from coresponder.core.audit import record_list_read
from coresponder.core.http import actor_for
from coresponder.domain.policy import FieldGroup
from coresponder.outreach.pages import int_or_none
from coresponder.outreach.routes import team_route, teams_for_route
from coresponder.programs.middleware import open_program
from coresponder.programs.models import Team


def _page(request: HttpRequest, slug: str, template: str) -> HttpResponse:
    program = open_program(request, slug, reads=(FieldGroup.OUTREACH, FieldGroup.CONTACT))
    now = timezone.now()
    choice = teams_for_route(program, now)
    teams = choice.teams
    chosen = int_or_none(request.GET.get("team"))
    picked = next(((team_id, duty) for team_id, _name, duty in teams if team_id == chosen), None)
    if picked is None and chosen is None and len(teams) == 1:
        picked = (teams[0][0], teams[0][2])
    plan = None
    if picked is not None:
        team = Team.objects.get(pk=picked[0], program=program)
        plan = team_route(request.user, program, team, picked[1], now)
    # Names and addresses are a read of people's data, audited as the queue is, even
    # when the answer lists no one.
    record_list_read(
        actor_for(request),
        object_type="outreach.outreachtask",
        ids=plan.person_ids if plan else [],
        program_slug=program.slug,
        fields=["identity", "contact", "outreach"],
        detail={
            "list": "team route",
            "team": plan.team.pk if plan else None,
            "tasks": plan.task_ids[:500] if plan else [],
        },
    )
    context = {
        "program": program,
        "teams": [(team_id, name) for team_id, name, _duty in teams],
        "chosen_team": picked[0] if picked else None,
        "unknown_team": chosen is not None and picked is None,
        "shift_day": choice.day,
        "shift_today": choice.today,
        "plan": plan,
        "now": now,
    }
    return render(request, template, context)


@login_required
@require_GET
def route_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's route as cards in visiting order, with the times it arrives."""
    return _page(request, slug, "outreach/route.html")


@login_required
@require_GET
def route_sheet(request: HttpRequest, slug: str) -> HttpResponse:
    """The same route on one printed page, with no navigation around it."""
    return _page(request, slug, "outreach/route_sheet.html")
