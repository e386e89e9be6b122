"""What a service referral's status tells, and to whom: past `accepted` it is Part 2, and
so is a Part 2 program's own answer (accepted or rejected)."""

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


# What the provider answers a referral with. At a Part 2 program the answer is the
# program's own record that the person applied for SUD treatment there (42 CFR 2.11).
PROVIDER_ANSWERS = frozenset({TaskStatus.ACCEPTED, TaskStatus.REJECTED})


def is_part2_status(status: str, part2_program: bool) -> bool:
    """Whether a referral's status is a Part 2 record: past `accepted` anywhere (it tells of
    treatment), and at a Part 2 program its answer too. What the referring side did (drafted,
    requested, cancelled, entered in error) is the referrer's own record."""
    if status not in PRE_TREATMENT_STATUSES:
        return True
    return part2_program and status in PROVIDER_ANSWERS


def service_referral_status(access: PersonAccess, referral: ServiceReferral) -> dict[str, Any]:
    """The status of a service referral, or that it is withheld where it is Part 2."""
    holder = access.user.organization_id
    own = holder is not None and referral.service.organization.partner_id == holder
    shown = {"status": referral.status, "status_reason": referral.status_reason}
    if not is_part2_status(referral.status, referral.service.part2_program):
        return shown
    if own:
        access.release_own_part2(referral.program_id)
        return shown
    if access.shows(FieldGroup.PART2, referral.program_id):
        return shown
    if FieldGroup.PART2 in access.withheld:
        return {"status": "withheld", "status_note": WITHHELD_TEXT}
    return {}


def shown_version(referral: ServiceReferral, shown: dict[str, Any]) -> int:
    """The version a reader works with: the referral's own where its status is shown to
    them (`shown`, from `service_referral_status`), otherwise the shared one, which
    withheld steps do not move. Send it back with `shared=not status_shown(...)`."""
    return referral.version if status_shown(referral, shown) else referral.shared_version


def status_shown(referral: ServiceReferral, shown: dict[str, Any]) -> bool:
    return shown.get("status") == referral.status
