"""/api/v1 overdose spike alerts of a program: counts per area and day, never a person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from coresponder.core.errors import ActionError
from coresponder.core.http import Moment
from coresponder.privacy.access import spike_alerts_for
from coresponder.programs.local_time import today_in
from coresponder.surveillance.models import SpikeAlert
from coresponder.surveillance.reading import RECENT_DAYS, alerts_between

router = Router(tags=["surveillance"])

PAGE_SIZE = 50


class AlertQuery(Schema):
    start: dt.date | None = Field(None, description="First local day (default: 29 days ago)")
    end: dt.date | None = Field(None, description="Last local day, inclusive (default: today)")
    page: int = Field(1, ge=1)


class AlertOut(Schema):
    id: int
    program: str
    area_kind: str = Field(..., description="district, or county for the program's whole area")
    area_code: str = Field(..., description="The district's code; empty for the whole area")
    area_name: str
    day: dt.date = Field(..., description="The program's local day")
    method: str = Field(..., description="c1, c2, c3 or threshold")
    method_label: str
    observed: int | None = Field(
        ...,
        description="Overdoses that day (or in the busiest 24 hours); null for a "
        "de-identified reader",
    )
    upper_bound: float | None = Field(
        ...,
        description="The EARS upper bound, or the fixed threshold; null for a de-identified reader",
    )
    expected: float | None = Field(
        None, description="The reference days' mean (EARS); null for a de-identified reader"
    )
    counts_withheld: bool = Field(
        ...,
        description="True for a reader who gets the program's figures de-identified (an "
        "analyst): where and when, not how many",
    )
    created_at: Moment


class AlertList(Schema):
    items: list[AlertOut]
    count: int


def alert_out(alert: SpikeAlert, *, counts: bool) -> dict[str, Any]:
    """An alert as the API gives it; without `counts`, its numbers are withheld."""
    return {
        "id": alert.pk,
        "program": alert.program.slug,
        "area_kind": alert.area_kind,
        "area_code": alert.area_code,
        "area_name": alert.area_name,
        "day": alert.day,
        "method": alert.method,
        "method_label": alert.method_label,
        "observed": alert.observed if counts else None,
        "upper_bound": alert.upper_bound if counts else None,
        "expected": alert.expected if counts else None,
        "counts_withheld": not counts,
        "created_at": alert.created_at,
    }


@router.get(
    "/programs/{slug}/spike-alerts",
    response=AlertList,
    summary="A program's overdose spike alerts, newest day first",
)
def list_spike_alerts(request: HttpRequest, slug: str, query: Query[AlertQuery]) -> dict[str, Any]:
    program, counts = spike_alerts_for(request.user, slug)
    end = query.end or today_in(program)
    start = query.start or end - dt.timedelta(days=RECENT_DAYS - 1)
    if start > end:
        raise ActionError("Check the dates.", {"start": ["The start must not be after the end."]})
    alerts = alerts_between(program, start, end, counts=counts)
    page = Paginator(alerts, PAGE_SIZE).get_page(query.page)
    items = [alert_out(a, counts=counts) for a in page]
    return {"items": items, "count": page.paginator.count}
