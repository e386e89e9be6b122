"""/api/v1 metrics: a program's figures, their breakdowns and its follow-up funnel.

Every member of a program may read its aggregate figures. Members whose role
does not see the whole program (analysts, providers, prosecutors) get them
de-identified, exactly as the dashboard, the public dashboard and the files give
them (`coresponder.reports.disclosure`, ADR 0007): only for one whole, finished
calendar quarter (anything else is 422 naming `start` or `end`), hidden values
null, and `suppressed` listing their paths so a client can say "suppressed"
where they stood. Figures drawn from treatment providers' reports (42 CFR Part 2)
reach every reader that way, whatever the role: exact readers get them for a
whole, finished quarter with small counts hidden, and null for any other period,
with `suppressed` and `note` saying so. Counts of encounters by where the person was
taken for treatment (clinical detail) reach that way every exact reader who does not
read clinical detail; the clinical team reads them exact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from coresponder.core.audit import record_event
from coresponder.core.errors import ActionError
from coresponder.core.http import actor_for
from coresponder.domain.clock import date_problem
from coresponder.domain.metrics import BREAKDOWN_FIELDS, BREAKDOWNS, breakdown_total
from coresponder.privacy.access import access_program, role_in
from coresponder.programs.models import Program
from coresponder.reports import disclosure
from coresponder.reports import evaluation as ev
from coresponder.reports.metrics import (
    Period,
    breakdown_with_headline,
    compute_metrics,
    figures_as_of,
    funnel,
)
from coresponder.reports.periods import DEFAULT_DAYS, MAX_DAYS

router = Router(tags=["metrics"])


class Span(Schema):
    start: dt.date | None = None
    end: dt.date | None = None


class BreakdownQuery(Span):
    by: str


# What the figures' answers hold (docs/api.md, "Metrics"); a count is null where a
# de-identified reader's figure is hidden, and `suppressed` then lists where.

COUNT = "A count; null where hidden (1 to 10) for a de-identified reader"


class Deidentified(Schema):
    suppressed: list[str] | None = Field(
        None,
        description="The paths of the values hidden (`dispositions.arrested`, "
        "`items[2].referrals`); exact readers get it only where treatment figures are",
    )
    small_count_max: int | None = Field(
        None, description="Where values are hidden: the largest count that is hidden"
    )
    note: str | None = Field(
        None,
        description="Where treatment figures, or where people were taken for treatment, are "
        "hidden from an exact reader: why",
    )


class OverdoseCounts(Schema):
    fatal: int | None = Field(..., description=COUNT)
    nonfatal: int | None = Field(..., description=COUNT)


class MetricsOut(Deidentified):
    referrals: int | None = Field(..., description="Referrals received in the period")
    people_referred_to_services: int | None = Field(
        ..., description="Distinct participants with a service referral made in the period"
    )
    people_engaged: int | None = Field(
        ...,
        description="Distinct participants reached in person or by phone: an attempt outcome "
        "other than not located, family or friends only, deceased or moved away, or an "
        "encounter",
    )
    people_contacted: int | None = Field(
        ...,
        description="Distinct humans reached in follow-up: participants, and their family "
        "and friends (collaterals)",
    )
    people_accepted_treatment: int | None = Field(
        ...,
        description="Distinct participants with an accepted_treatment outcome, or a referral "
        "to a treatment service that reached accepted, in-progress or completed",
    )
    overdoses: OverdoseCounts
    new_person_share: float | None = Field(
        ...,
        description="Of the period's referrals and encounters, the share whose person had "
        "none in the program before",
    )
    follow_up_within_window_rate: float | None = Field(
        ...,
        description="Of the outreach tasks whose window closed in the period, the share "
        "with a first attempt inside the window",
    )
    median_hours_to_first_contact: float | None = Field(
        None,
        description="Median hours from the overdose (or the referral, where there is none) "
        "to the first attempt, over the tasks whose window closed in the period",
    )
    dispositions: dict[str, int | None] = Field(
        ...,
        description="Encounters by disposition code; null where hidden: a de-identified "
        "reader's small count, and where the person was taken for treatment to a reader who "
        "does not read clinical detail, outside a whole, finished quarter or beside few",
    )


class BreakdownTotal(Schema):
    """The count metrics of a group, or of all the groups (`total`)."""

    referrals: int | None = None
    people_referred_to_services: int | None = None
    people_engaged: int | None = None
    people_contacted: int | None = None
    people_accepted_treatment: int | None = None
    overdoses_fatal: int | None = None
    overdoses_nonfatal: int | None = None


class BreakdownRow(BreakdownTotal):
    key: str
    label: str


class BreakdownOut(Deidentified):
    items: list[BreakdownRow]
    count: int
    total: BreakdownTotal


class FunnelStage(Schema):
    key: str
    label: str
    people: int | None = Field(..., description=COUNT)


class FunnelOut(Deidentified):
    items: list[FunnelStage]
    count: int


def _period(program: Program, span: Span, suppress: bool) -> Period:
    """The requested inclusive local dates; the last 30 local days by default.

    De-identified: one whole, finished quarter, the last one by default.
    """
    problems = {
        name: [problem]
        for name, day in (("start", span.start), ("end", span.end))
        if day is not None and (problem := date_problem(day))
    }
    if problems:
        raise ActionError("The period's dates are out of range.", problems)
    if suppress:
        period = disclosure.default_period(program, span.start, span.end)
        problems = disclosure.period_problems(program, period)
        if problems:
            raise ActionError(
                "De-identified figures cover one whole, finished calendar quarter.", problems
            )
        return period
    today = disclosure.program_today(program)
    ahead = {
        name: [f"{problem[:1].upper()}{problem[1:]}."]
        for name, day in (("start", span.start), ("end", span.end))
        if day is not None and (problem := disclosure.ahead_problem(name, day, today))
    }
    if ahead:
        raise ActionError("The period's dates are after today.", ahead)
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
    suppress = disclosure.suppresses(role_in(request.user, program))
    period = _period(program, span, suppress)
    record_event(
        actor_for(request),
        "read",
        object_type="reports.metrics",
        program_slug=program.slug,
        fields=["aggregate"],
        detail={"start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    return program, period, suppress


AS_OF_HEADER = "X-Figures-As-Of"


def _say_as_of(response: HttpResponse, program: Program, period: Period) -> None:
    """When the figures come from the daily facts, the instant their records were read."""
    as_of = figures_as_of(program, period)
    if as_of is not None:
        response[AS_OF_HEADER] = as_of.astimezone(dt.UTC).isoformat(timespec="seconds")


def _marked(exact: dict[str, Any], shown: dict[str, Any], suppress: bool) -> dict[str, Any]:
    """The body as given: hidden values null, and where they stood.

    De-identified readers always get the paths; exact readers only where treatment
    figures, or where people were taken for treatment, were hidden from them, with the
    reason.
    """
    hidden = disclosure.hidden_paths(exact, shown)
    if not suppress and not hidden:
        return shown
    marks = {"suppressed": hidden, "small_count_max": disclosure.SMALL_CELL_MAX}
    return {**shown, **marks, **({} if suppress else {"note": disclosure.note_for(hidden)})}


@router.get("/programs/{slug}/metrics", response=MetricsOut, exclude_unset=True)
def get_metrics(
    request: HttpRequest, response: HttpResponse, slug: str, span: Query[Span]
) -> dict[str, Any]:
    """The docs/api.md metrics object for the inclusive local dates `start`..`end`."""
    program, period, suppress = _read(request, slug, span)
    _say_as_of(response, program, period)
    metrics = compute_metrics(program, period)
    treatment = disclosure.gives_treatment(program, period)
    clinical = disclosure.reads_clinical(role_in(request.user, program))
    shown = disclosure.headline_for(metrics, suppress, treatment, clinical=clinical)
    return _marked(metrics.as_api(), shown, suppress)


@router.get("/programs/{slug}/metrics/breakdown", response=BreakdownOut, exclude_unset=True)
def get_breakdown(
    request: HttpRequest, response: HttpResponse, slug: str, query: Query[BreakdownQuery]
) -> dict[str, Any]:
    """The count metrics per group and their totals; `by` is one of BREAKDOWNS."""
    if query.by not in BREAKDOWNS:
        raise ActionError(
            "Unknown breakdown.", {"by": [f"Break down by one of: {', '.join(BREAKDOWNS)}."]}
        )
    program, period, suppress = _read(request, slug, query)
    _say_as_of(response, program, period)
    items, computed = breakdown_with_headline(program, period, query.by)
    total = breakdown_total(items, computed)
    exact = {"items": items, "count": len(items), "total": total}
    treatment = disclosure.gives_treatment(program, period)
    rows, totals = disclosure.breakdown_for(items, BREAKDOWN_FIELDS, suppress, treatment, computed)
    shown = {"items": rows, "count": len(rows), "total": totals}
    return _marked(exact, shown, suppress)


@router.get("/programs/{slug}/metrics/funnel", response=FunnelOut, exclude_unset=True)
def get_funnel(
    request: HttpRequest, response: HttpResponse, slug: str, span: Query[Span]
) -> dict[str, Any]:
    """Distinct people at each follow-up stage, each stage within the one before."""
    program, period, suppress = _read(request, slug, span)
    _say_as_of(response, program, period)
    stages = funnel(program, period)
    exact = [{"key": key, "label": label, "people": n} for key, label, n in stages]
    treatment = disclosure.gives_treatment(program, period)
    shown = disclosure.funnel_for([(key, n) for key, _, n in stages], suppress, treatment)
    items = [{**item, "people": n} for item, n in zip(exact, shown, strict=True)]
    return _marked({"items": exact}, {"items": items, "count": len(items)}, suppress)


class EvaluationQuery(Schema):
    start: dt.date | None = None
    outcome: str = ev.OVERDOSES


@router.get("/programs/{slug}/evaluation", response=dict[str, Any])
def get_evaluation(
    request: HttpRequest, slug: str, query: Query[EvaluationQuery]
) -> dict[str, Any]:
    """The interrupted time series the evaluation page draws (docs/api.md)."""
    if query.outcome not in ev.OUTCOME_LABELS:
        raise ActionError(
            "Unknown outcome.", {"outcome": [f"Use one of: {', '.join(ev.OUTCOME_LABELS)}."]}
        )
    program = access_program(request.user, slug)
    suppress = disclosure.suppresses(role_in(request.user, program))
    reading = ev.read(program, query.outcome, query.start, suppress)
    record_event(
        actor_for(request),
        "read",
        object_type="reports.evaluation",
        program_slug=program.slug,
        fields=["aggregate"],
        detail={
            "start": reading.start.isoformat() if reading.start else None,
            "outcome": query.outcome,
            "suppressed": suppress,
        },
    )
    return ev.as_api(reading, query.outcome)
