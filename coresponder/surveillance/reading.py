"""Reading spike alerts for pages, the API and the dashboard card."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from coresponder.programs.models import Program
from coresponder.surveillance.models import SpikeAlert

# How far back the alerts page and the API list by default.
RECENT_DAYS = 30


def alerts_between(program: Program, first: dt.date, last: dt.date) -> QuerySet[SpikeAlert]:
    """The program's alerts of local days first..last, newest day first, biggest first."""
    return (
        SpikeAlert.objects.filter(program=program, day__gte=first, day__lte=last)
        .select_related("program")
        .order_by("-day", "-observed", "area_name", "id")
    )


def alerts_on(program: Program, day: dt.date) -> list[SpikeAlert]:
    return list(alerts_between(program, day, day))
