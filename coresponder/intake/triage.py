"""Triage of public requests for help: a coordinator takes each one up or closes it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError
from coresponder.core.tracked import save_tracked
from coresponder.intake.models import Referral, TriageStatus

# Where a request may go from "new"; setting it back to "new" is not a decision.
TRIAGE_DECISIONS = (TriageStatus.ACCEPTED, TriageStatus.NOT_REACHED, TriageStatus.CLOSED)


def set_triage_status(
    actor: Actor, referral: Referral, status: str, *, version: int | None = None
) -> Referral:
    """Record a triage decision; `version` is the one the coordinator read (else the loaded one).

    Raises StaleVersion when someone else changed the referral since.
    """
    if status not in TRIAGE_DECISIONS:
        raise ActionError("Unknown triage status.", {"status": [f"{status!r} is not one"]})
    previous = referral.triage_status
    with transaction.atomic():
        referral.triage_status = status
        referral.triaged_by = actor.user_or_none
        referral.triaged_at = timezone.now()
        save_tracked(referral, actor.user, expected_version=version)
        record_event(
            actor,
            "change",
            obj=referral,
            person_id=referral.person_id,
            program_slug=referral.program.slug,
            fields=["referral"],
            detail={"triage_status": status, "was": previous},
        )
    return referral
