"""What a service referral's status tells, and to whom: past `accepted` it is Part 2."""

from __future__ import annotations

from typing import Any

from coresponder.domain.policy import WITHHELD_TEXT, FieldGroup
from coresponder.domain.vocabulary import TaskStatus
from coresponder.privacy.access import PersonAccess
from coresponder.services.models import ServiceReferral

# A provider's status up to `accepted` says only that the referral was taken up;
# beyond it (in progress, completed, failed…) it tells of SUD treatment: Part 2.
PRE_TREATMENT_STATUSES = frozenset(
    {
        TaskStatus.DRAFT,
        TaskStatus.REQUESTED,
        TaskStatus.ACCEPTED,
        TaskStatus.REJECTED,
        TaskStatus.CANCELLED,
        TaskStatus.ENTERED_IN_ERROR,
    }
)


def service_referral_status(access: PersonAccess, referral: ServiceReferral) -> dict[str, Any]:
    """The status of a service referral, or that it is withheld: past `accepted` it is Part 2."""
    holder = access.user.organization_id
    own = holder is not None and referral.service.organization.partner_id == holder
    shown = {"status": referral.status, "status_reason": referral.status_reason}
    if referral.status in PRE_TREATMENT_STATUSES:
        return shown
    if own:
        access.release_own_part2()
        return shown
    if access.shows(FieldGroup.PART2):
        return shown
    if FieldGroup.PART2 in access.withheld:
        return {"status": "withheld", "status_note": WITHHELD_TEXT}
    return {}
