"""/api/v1 metrics: a program's figures, their breakdowns and its follow-up funnel.

Every member of a program may read its aggregate figures. Analysts (de-identified
data only) get them here suppressed: counts of 1 to 10, and shares or medians
resting on so few, come back null. The public dashboard and exports apply the
same suppression, plus complementary suppression for tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema

from coresponder.api_support import actor_for
from coresponder.domain.metrics import BREAKDOWNS
from coresponder.domain.suppression import suppress_small
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import access_program, role_in
from coresponder.privacy.audit import record_event
from coresponder.programs.actions import ActionError
from coresponder.programs.models import Program
from coresponder.reports.metrics import (
    Period,
    compute_metrics,
    funnel,
    metric_breakdown,
    suppressed,
)

router = Router(tags=["metrics"])
DEFAULT_DAYS = 30
# Longer spans would read years of records in one request; exports page by year.
MAX_DAYS = 5 * 366
# Who reads figures de-identified: counts small enough to identify someone are hidden.
SUPPRESSED_ROLES = frozenset({Role.ANALYST})


class Span(Schema):
    start: dt.date | None = None
    end: dt.date | None = None


class BreakdownQuery(Span):
    by: str


def _period(program: Program, span: Span) -> Period:
    """The requested inclusive local dates; the last 30 local days by default."""
    today = timezone.now().astimezone(ZoneInfo(program.timezone)).date()
    end = span.end or today
    start = span.start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise ActionError(
            "The period ends before it starts.",
            {"end": ["The end date must not be before the start date."]},
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise ActionError(
            "The period is too long.", {"end": ["A period may span at most five years."]}
        )
    return Period(start, end)


def _read(request: HttpRequest, slug: str, span: Span) -> tuple[Program, Period, bool]:
    """The program (any member; others 404), the period, and whether to suppress."""
    program = access_program(request.user, slug)
    period = _period(program, span)
    record_event(
        actor_for(request),
        "read",
        object_type="reports.metrics",
        program_slug=program.slug,
        fields=["aggregate"],
        detail={"start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    return program, period, role_in(request.user, program) in SUPPRESSED_ROLES


@router.get("/programs/{slug}/metrics", response=dict[str, Any])
def get_metrics(request: HttpRequest, slug: str, span: Query[Span]) -> dict[str, Any]:
    """The API.md metrics object for the inclusive local dates `start`..`end`."""
    program, period, suppress = _read(request, slug, span)
    metrics = compute_metrics(program, period)
    if suppress:
        return suppressed(metrics.as_api(), metrics.bases())
    return metrics.as_api()


@router.get("/programs/{slug}/metrics/breakdown", response=dict[str, Any])
def get_breakdown(request: HttpRequest, slug: str, query: Query[BreakdownQuery]) -> dict[str, Any]:
    """The count metrics per group; `by` is one of BREAKDOWNS (district, source, age_band…)."""
    if query.by not in BREAKDOWNS:
        raise ActionError(
            "Unknown breakdown.", {"by": [f"Break down by one of: {', '.join(BREAKDOWNS)}."]}
        )
    program, period, suppress = _read(request, slug, query)
    items = metric_breakdown(program, period, query.by)
    if suppress:
        items = [
            {k: suppress_small(v) if isinstance(v, int) else v for k, v in row.items()}
            for row in items
        ]
    return {"items": items, "count": len(items)}


@router.get("/programs/{slug}/metrics/funnel", response=dict[str, Any])
def get_funnel(request: HttpRequest, slug: str, span: Query[Span]) -> dict[str, Any]:
    """Distinct people at each follow-up stage, each stage within the one before."""
    program, period, suppress = _read(request, slug, span)
    items = [
        {"key": key, "label": label, "people": suppress_small(n) if suppress else n}
        for key, label, n in funnel(program, period)
    ]
    return {"items": items, "count": len(items)}
