"""The capacity planner: today's teams beside a scenario, simulated over the program's calls.

Coordinators, analysts and administrators use it (the gate's `program_for_planning`).
It reads aggregates only (arrival times, time on scene, travel, the shifts) and
shows model results; each view is an audited aggregate read, as the dashboard's are.
Nothing is saved: the scenario travels in the page's address.
"""

from __future__ import annotations

import math
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from coresponder.core.audit import record_event
from coresponder.core.http import actor_for
from coresponder.domain.suppression import quarter_name, suppress_small
from coresponder.planning import charts
from coresponder.planning.history import History, read_history, todays_teams
from coresponder.planning.plans import Comparison, compare
from coresponder.planning.scenarios import ScenarioForm, example_query, read_form, rows_of
from coresponder.privacy.access import program_for_planning, role_in
from coresponder.programs.models import Program
from coresponder.reports.disclosure import suppresses


@login_required
@require_GET
def planner(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for_planning(request.user, slug)
    today = timezone.now().astimezone(ZoneInfo(program.timezone)).date()
    # A de-identified reader (an analyst) plans from the last full quarter with 1 to 10
    # hidden, as their dashboard reads: a window ending yesterday would give each day's
    # calls away, and one of several quarters a hidden quarter's.
    deidentified = suppresses(role_in(request.user, program))
    history = read_history(program, today, whole_quarters=deidentified)
    today_rows = rows_of(todays_teams(program, today))
    form = read_form(request.GET, today_rows)
    comparison = None
    if history.enough and not form.errors:
        comparison = compare(history, today_rows, form)
    _audit(request, program, history, form)
    context = {
        "program": program,
        "history": history,
        "quarter_name": quarter_name(history.first_day),
        "today_rows": today_rows,
        "form": form,
        "comparison": comparison,
        "example_url": f"{reverse('capacity-planner', args=[program.slug])}?"
        f"{example_query(today_rows)}",
        "calls_per_week": round(history.profile.per_week, 1),
        "mean_on_scene": round(history.service.mean_on_scene),
        "mean_travel": round(history.service.mean_travel),
        "counts": {
            name: suppress_small(count) if deidentified else count
            for name, count in (
                ("observed", history.profile.observed),
                ("on_scene", history.on_scene_recorded),
                ("travel", history.travel_recorded),
            )
        },
    }
    if comparison is not None:
        context.update(_charts(comparison))
    return render(request, "planning/planner.html", context, status=422 if form.errors else 200)


def _charts(comparison: Comparison) -> dict[str, Any]:
    scenario = comparison.scenario.simulated.answered_share_by_hour()
    today = comparison.today.simulated.answered_share_by_hour()
    by_hour = charts.hours_chart(
        "Share of eligible calls answered by a co-responder team, by hour of the day",
        scenario,
        today if comparison.submitted else None,
    )
    waits = charts.share_bars(
        "How long calls waited for a team",
        [
            (f"{label}: {side}", value)
            for label, today_share, scenario_share in comparison.wait_rows
            for side, value in (("today", today_share), ("the plan", scenario_share))
            if comparison.submitted or side == "today"
        ],
    )
    tables = [("Each team today", comparison.today)]
    if comparison.submitted:
        tables.append(("Each team in the plan", comparison.scenario))
    utilisation = charts.share_bars(
        "Share of shift time each team spends on calls",
        [
            (f"{line.name}: {side.lower()}", line.utilisation)
            for side, outcome in (("Today", comparison.today), ("The plan", comparison.scenario))
            if comparison.submitted or side == "Today"
            for line in outcome.team_lines
        ],
    )
    return {
        "utilisation_chart": utilisation,
        "team_tables": tables,
        "hours_chart": by_hour,
        "hours_description": charts.hours_description(by_hour),
        "waits_chart": waits,
    }


def _audit(request: HttpRequest, program: Program, history: History, form: ScenarioForm) -> None:
    window = form.window_minutes if not form.errors else None
    record_event(
        actor_for(request),
        "read",
        object_type="planning.capacity",
        program_slug=program.slug,
        fields=["aggregate"],
        detail={
            "history_start": history.first_day.isoformat(),
            "history_end": history.last_day.isoformat(),
            "scenario": form.submitted,
            "teams": sum(1 for row in form.rows if row.days),
            "answer_window_minutes": window if window is None or math.isfinite(window) else None,
        },
    )
