"""What a service referral's status tells, and to whom: past `accepted` it is Part 2, and
so is a Part 2 program's own answer (accepted or rejected)."""

from __future__ import annotations

from typing import Any

from coresponder.domain.consent import referral_disclosure_groups
from coresponder.domain.policy import SERVICE_WITHHELD_TEXT, WITHHELD_TEXT, FieldGroup, RecordType
from coresponder.domain.vocabulary import WITHHELD_CODE, TaskStatus
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


def service_tells_part2(referral: ServiceReferral) -> bool:
    """Whether which service a referral went to is Part 2 detail: a referral to a Part 2
    program says the person seeks SUD treatment (`domain.consent.referral_disclosure_groups`)."""
    return FieldGroup.PART2 in referral_disclosure_groups(referral.service.part2_program, False)


def service_shown(access: PersonAccess, referral: ServiceReferral) -> bool:
    """Whether this reader learns which service the referral went to (its name, its
    organisation, that it is a Part 2 program). Of a Part 2 program: the provider it was sent
    to, and the referring team whose record the referral is (the roles that refer people in
    its program); anyone else only where the gate shows them the person's Part 2 detail there
    (a consent naming them, break-glass)."""
    if not service_tells_part2(referral):
        return True
    holder = access.user.organization_id
    if holder is not None and referral.service.organization.partner_id == holder:
        return True
    if access.may_write(RecordType.SERVICE_REFERRAL, referral.program_id):
        return True
    return access.shows(FieldGroup.PART2, referral.program_id)


def service_said(access: PersonAccess, referral: ServiceReferral) -> dict[str, str]:
    """`service` and `organization` by name where this reader learns them (`service_shown`);
    otherwise `service` is `WITHHELD_CODE`, `organization` empty, and `service_withheld` says
    why: the reader learns that a referral to a service was made, not which."""
    if service_shown(access, referral):
        return {
            "service": referral.service.name,
            "organization": referral.service.organization.name,
        }
    return {"service": WITHHELD_CODE, "organization": "", "service_withheld": SERVICE_WITHHELD_TEXT}


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
