"""Reading spike alerts for pages, the API and the dashboard card."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from coresponder.programs.models import Program
from coresponder.surveillance.models import SpikeAlert

# How far back the alerts page and the API list by default.
RECENT_DAYS = 30


def alerts_between(
    program: Program, first: dt.date, last: dt.date, *, counts: bool
) -> QuerySet[SpikeAlert]:
    """The program's alerts of local days first..last, newest day first, biggest first.

    For a reader given no counts, by area name within a day: ranked by count, the list
    would tell which area had more overdoses.
    """
    by_size = ("-observed",) if counts else ()
    return (
        SpikeAlert.objects.filter(program=program, day__gte=first, day__lte=last)
        .select_related("program")
        .order_by("-day", *by_size, "area_name", "id")
    )


def alerts_on(program: Program, day: dt.date, *, counts: bool) -> list[SpikeAlert]:
    return list(alerts_between(program, day, day, counts=counts))
