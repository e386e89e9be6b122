"""The requests for help from the public page that wait on a coordinator's triage."""

from __future__ import annotations

from django.db.models import QuerySet

from coresponder.intake.models import Referral, TriageStatus
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
