"""/programs/<slug>/evaluation/: did the program work? An interrupted time series.

Who may see it is who may see the dashboard: any member of the program (404 for
anyone else). Roles whose scope is the whole program see the exact monthly
counts and the fit; every other member sees the de-identified quarters
(`reports/evaluation.py`). Each look is an audited read of aggregates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from coresponder.core.audit import record_event
from coresponder.core.http import actor_for
from coresponder.domain import its
from coresponder.privacy.access import program_for, role_in
from coresponder.reports import disclosure
from coresponder.reports import evaluation as ev


def _start_asked(raw: str) -> tuple[dt.date | None, str | None]:
    raw = raw.strip()
    if not raw:
        return None, None
    try:
        return dt.date.fromisoformat(raw), None
    except ValueError:
        return None, "The start date must be a date like 2025-03-01."


def _estimate_text(estimate: its.Estimate) -> dict[str, str]:
    return {
        "value": f"{estimate.value:+.1f}",
        "interval": f"{estimate.low:+.1f} to {estimate.high:+.1f}",
        "p": "< 0.001" if estimate.p_value < 0.001 else f"{estimate.p_value:.3f}",
    }


@login_required
@require_GET
def evaluation(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for(request.user, slug)
    role = role_in(request.user, program)
    if role is None:
        raise Http404("No such program")
    suppress = disclosure.suppresses(role)
    errors: list[str] = []
    outcome = str(request.GET.get("outcome") or ev.OVERDOSES)
    if outcome not in ev.OUTCOME_LABELS:
        errors.append("Choose overdoses, non-fatal overdoses or arrests.")
        outcome = ev.OVERDOSES
    asked, problem = _start_asked(str(request.GET.get("start") or ""))
    if problem:
        errors.append(problem)
    if request.GET.get("outcome"):
        reading = ev.read(program, outcome, asked, suppress)
    else:
        outcome, reading = ev.read_first_that_fits(program, asked, suppress)
    held, start, result = reading.outcomes, reading.start, reading.result
    record_event(
        actor_for(request),
        "read",
        object_type="reports.evaluation",
        program_slug=program.slug,
        fields=["aggregate"],
        detail={
            "start": start.isoformat() if start else None,
            "outcome": outcome,
            "suppressed": suppress,
        },
    )
    context: dict[str, Any] = {
        "program": program,
        "outcome": outcome,
        "outcome_label": ev.OUTCOME_LABELS[outcome],
        "outcomes": [(key, ev.OUTCOME_LABELS[key]) for key in held],
        "missing_outcomes": [
            ev.OUTCOME_LABELS[key] for key in ev.OUTCOME_LABELS if key not in held
        ],
        "start": start,
        "form_start": str(request.GET.get("start") or (start.isoformat() if start else "")),
        "start_note": reading.default_note,
        "errors": errors,
        "suppress": suppress,
        "result": result,
        "min_points": its.MIN_POINTS,
        "recommended_points": its.RECOMMENDED_POINTS,
    }
    if result is not None:
        word = ev.OUTCOME_WORDS[outcome]
        context["chart"] = ev.chart(result)
        if result.fit is not None:
            fit = result.fit
            context.update(
                summary=its.summary(fit, word, result.unit, reading.began),
                coefficients=[
                    {"name": name, "words": words, **_estimate_text(estimate)}
                    for name, words, estimate in its.coefficient_words(fit, word, result.unit)
                ],
                caveats=its.caveats(fit, result.unit),
                lags=fit.lags,
                seasonal=fit.seasonal,
                expected_after=f"{fit.expected_after:,.0f}",
                observed_after=f"{fit.observed_after:,.0f}",
            )
    status = 422 if errors else 200
    return render(request, "reports/evaluation.html", context, status=status)
