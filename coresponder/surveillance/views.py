"""Spike alert pages: the alerts of recent days, the day's map, and the button that checks now."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from coresponder.core.errors import ActionError
from coresponder.core.http import actor_for
from coresponder.domain.surveillance import Method
from coresponder.privacy.access import (
    may_check_spikes,
    program_for_spike_alerts,
    spike_alerts_for,
)
from coresponder.programs import form_tokens
from coresponder.programs.local_time import today_in
from coresponder.surveillance.actions import check_program
from coresponder.surveillance.forms import CheckForm, DayForm
from coresponder.surveillance.reading import RECENT_DAYS, alerts_between, alerts_on
from coresponder.surveillance.spike_map import build_spike_map


@login_required
@require_http_methods(["GET", "HEAD"])
def spike_alerts(request: HttpRequest, slug: str) -> HttpResponse:
    """The program's spike alerts of the last 30 days and the map of one day (today by default)."""
    program, counts = spike_alerts_for(request.user, slug)
    today = today_in(program)
    form = DayForm(request.GET or None)
    day = today
    status = 200
    if form.is_bound:
        if form.is_valid():
            day = form.cleaned_data["day"] or today
        else:
            status = 422
    rules = program.rules.surveillance
    first = today - dt.timedelta(days=RECENT_DAYS - 1)
    recent = list(alerts_between(program, first, today, counts=counts))
    of_day = alerts_on(program, day, counts=counts)
    context = {
        "program": program,
        "form": form,
        "day": day,
        "today": today,
        "alerts": recent,
        "day_alerts": of_day,
        "map": build_spike_map(program, day, of_day),
        "counts": counts,
        "method_label": Method(rules.method).label,
        "rules": rules,
        "check_form": CheckForm() if may_check_spikes(request.user, program) else None,
    }
    return render(request, "surveillance/alerts.html", context, status=status)


@login_required
@require_POST
def check_spikes(request: HttpRequest, slug: str) -> HttpResponse:
    """A coordinator checks yesterday and today for spikes now; the worker also does it often."""
    program = program_for_spike_alerts(request.user, slug, run=True)
    earlier = form_tokens.already_saved(request, form_tokens.Kind.SPIKE_CHECK)
    if earlier is not None:
        return earlier

    def save() -> HttpResponse:
        found = check_program(actor_for(request), program, timezone.now())
        new = sum(len(d.new_alerts) for d in found)
        if new:
            messages.success(request, f"Checked: {new} new spike alert{'s' if new != 1 else ''}.")
        else:
            messages.info(request, "Checked: no new spike since the last check.")
        return redirect(reverse("spike-alerts", args=[program.slug]))

    try:
        return form_tokens.save_once(request, form_tokens.Kind.SPIKE_CHECK, save)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("spike-alerts", args=[program.slug]))
