"""The requests for help from the public page that wait on a coordinator's triage, and what
each is compared with to tell a request asked again."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from coresponder.domain.repeats import REPEAT_WINDOW
from coresponder.intake.models import Referral, TriageStatus
from coresponder.outreach.models import OPEN_STATUSES, OutreachTask
from coresponder.programs.models import Program


def waiting_requests(program: Program) -> QuerySet[Referral]:
    """The program's public requests nobody has triaged yet, oldest first."""
    return (
        Referral.objects.filter(
            program=program, channel=Referral.Channel.PUBLIC, triage_status=TriageStatus.NEW
        )
        .select_related("person")
        .order_by("received_at", "id")
    )


def decided_requests(program: Program, now: dt.datetime) -> QuerySet[Referral]:
    """The program's public requests triaged already, received or decided within
    `REPEAT_WINDOW` of `now`."""
    since = now - REPEAT_WINDOW
    return (
        Referral.objects.filter(program=program, channel=Referral.Channel.PUBLIC)
        .exclude(triage_status=TriageStatus.NEW)
        .filter(Q(received_at__gte=since) | Q(triaged_at__gte=since))
        .select_related("person")
        .order_by("received_at", "id")
    )


def open_tasks(program: Program) -> QuerySet[OutreachTask]:
    """The program's follow-ups still open (not yet reached, whatever their age)."""
    return (
        OutreachTask.objects.filter(program=program, status__in=OPEN_STATUSES)
        .select_related("person")
        .order_by("created_at", "id")
    )
