"""The one write path for closed-loop referrals and the capacity providers report."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.clock import CLOCK_SKEW
from coresponder.domain.consent import referral_disclosure_groups
from coresponder.domain.referrals import (
    ReferralHistory,
    Side,
    history_of,
    transition_problems,
)
from coresponder.domain.vocabulary import Role, TaskStatus, label
from coresponder.outreach.actions import add_notice
from coresponder.outreach.models import Notice
from coresponder.people.amendments_in_disclosures import attached_for_role, ids_of
from coresponder.privacy.access import PersonAccess, role_grants
from coresponder.privacy.actions import record_referral_disclosure
from coresponder.privacy.models import Consent
from coresponder.programs.models import Membership, Organization, Program
from coresponder.services.entries import (
    EDITED_HOURS,
    FIELDS,
    Entry,
    Hours,
    HourSet,
    edited_hours_id,
    entry_of,
    entry_problems,
    hour_sets,
    tidied,
    weekly_hours,
)
from coresponder.services.fhir import BundleReferral, read_referral_bundle
from coresponder.services.hsds_format import (
    HSDS_VERSION,
    INSURANCE,
    LOCATION_TIMEZONE,
    PART2,
    PARTNER,
)
from coresponder.services.hsds_import import (
    KEPT_NEWER,
    REPLACED_EDITS,
    DirectoryImport,
    DirectoryImportFailed,
    Record,
    check_directory,
)
from coresponder.services.hsds_schedules import WEEKLY
from coresponder.services.models import (
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceOrganization,
    ServiceReferral,
    ServiceReferralStatusChange,
    TaxonomyTerm,
)
from coresponder.services.referral_access import (
    NOT_THIS_PROGRAMS,
    may_refer,
    side_of,
    takes_referrals_from,
)
from coresponder.services.referral_consent import consent_for_referral
from coresponder.services.referral_status import is_part2_status
from coresponder.services.units import DEFAULT_UNIT, UNITS

# A warm handoff time a little ahead of the server clock is a phone's clock, not the future.
MAX_CAPACITY = 100_000
# The version a capacity form carries when no figure had been reported for the service.
NO_CAPACITY_YET = 0
# An appointment more than a day gone, or over a year ahead, is a date typed wrong (the
# month, the year): no provider books one, and the referring team would plan around it.
APPOINTMENT_PAST = dt.timedelta(days=1)
APPOINTMENT_AHEAD = dt.timedelta(days=365)
# Endings under which nobody will be seen: the appointment goes with them. A cancelled
# status is the referrer's own record, shown to readers a Part 2 program's acceptance is
# withheld from, and it must not carry the booking that acceptance made.
NO_APPOINTMENT_AFTER = frozenset(
    {TaskStatus.CANCELLED, TaskStatus.REJECTED, TaskStatus.FAILED, TaskStatus.ENTERED_IN_ERROR}
)


def _consent_needed(service: Service, note: str) -> str:
    name = service.organization.partner or service.organization
    covers = "substance use treatment information (Part 2)"
    if note.strip():
        covers += " and clinical detail (the note)"
    return (
        f"{service.name} is a 42 CFR Part 2 program: record the person's consent, in force, "
        f"naming {name} and covering {covers}, before referring."
    )


def refer_to_service(
    actor: Actor, access: PersonAccess, program: Program, service: Service, note: str = ""
) -> ServiceReferral:
    """Send a person to a service; a Part 2 program needs their consent naming the provider."""
    if not may_refer(access.roles.get(program.pk)):
        raise Forbidden("Your role may not refer people to services in this program.")
    if service.status != Service.Status.ACTIVE:
        raise ActionError(
            "This service is not taking referrals.",
            {"service_id": [f"the service is {service.get_status_display().lower()}"]},
        )
    if not takes_referrals_from(service, program):
        raise ActionError(
            "This service does not take referrals from this program: its provider would "
            "never see the referral.",
            {"service_id": [NOT_THIS_PROGRAMS]},
        )
    now = timezone.now()
    consent = None
    if service.part2_program:
        consent = consent_for_referral(access.person.pk, program, service, now, note)
        if consent is None:
            raise ActionError(
                "A consent is needed before referring to this treatment program.",
                {"consent": [_consent_needed(service, note)]},
            )
    with transaction.atomic():
        referral = ServiceReferral(
            program=program,
            person=access.person,
            service=service,
            status=TaskStatus.REQUESTED.value,
            note=note.strip(),
            referred_by=actor.user_or_none,
            requested_at=now,
            status_changed_at=now,
            consent=consent,
        )
        save_tracked(referral, actor.user)
        ServiceReferralStatusChange.objects.create(
            referral=referral, status=referral.status, at=now, by=actor.user_or_none
        )
        record_event(
            actor,
            "create",
            obj=referral,
            person_id=access.person.pk,
            program_slug=program.slug,
            fields=["referral"],
            detail={"service_id": service.pk, "consent_id": consent.pk if consent else None},
        )
        if consent is not None:
            _account_for_referral(actor, referral, consent)
    return referral


def _account_for_referral(
    actor: Actor,
    referral: ServiceReferral,
    consent: Consent,
    disclosed_at: dt.datetime | None = None,
) -> None:
    """The person's accounting of disclosures names the provider a Part 2 referral went to,
    dated now, or `disclosed_at` when another system sent it."""
    service = referral.service
    groups = referral_disclosure_groups(service.part2_program, bool(referral.note))
    partner = service.organization.partner
    told = "that the person seeks substance use treatment"
    if referral.note:
        told += ", and the note written for the provider"
    # The provider reads the person's record of the referral, so the refused corrections of
    # it go along (45 CFR 164.526(d)(5)): its page, API record and FHIR bundle carry them.
    corrections = attached_for_role(referral.person_id, referral.program_id, Role.PROVIDER)
    if corrections:
        told += ", with the person's refused request to correct their record"
    record_referral_disclosure(
        actor,
        referral.person_id,
        consent=consent,
        program=referral.program,
        recipient=partner.name if partner is not None else service.organization.name,
        recipient_organization=partner,
        information=f"Referral {referral.pk} to {service.name}: {told}",
        groups=groups,
        amendments=ids_of(corrections),
        disclosed_at=disclosed_at,
    )


def import_fhir_referral(actor: Actor, data: Any) -> tuple[ServiceReferral, bool]:
    """A referral from a FHIR Bundle, and whether this import made it; the whole bundle is
    refused when any part does not fit. A bundle whose ServiceRequest carries an identifier
    of the sending system's that a referral of the program already has was sent before:
    that referral is the answer, and nothing is written (a sender retries after a timeout)."""
    bundle = read_referral_bundle(data)
    if bundle.source_identifier:
        earlier = _sent_before(bundle)
        if earlier is not None:
            return earlier, False
    try:
        return _record_bundle(actor, bundle), True
    except IntegrityError:
        # Another import of the same bundle committed first.
        earlier = _sent_before(bundle)
        if earlier is None:
            raise
        return earlier, False


def _sent_before(bundle: BundleReferral) -> ServiceReferral | None:
    return ServiceReferral.objects.filter(
        program=bundle.program, source_identifier=bundle.source_identifier
    ).first()


def _record_bundle(actor: Actor, bundle: BundleReferral) -> ServiceReferral:
    with transaction.atomic():
        referral = ServiceReferral(
            program=bundle.program,
            person=bundle.person,
            service=bundle.service,
            status=bundle.status.value,
            status_reason=bundle.status_reason,
            note=bundle.note,
            requested_at=bundle.requested_at,
            status_changed_at=bundle.status_changed_at,
            consent=bundle.consent,
            warm_handoff_by=bundle.warm_handoff_by,
            warm_handoff_at=bundle.warm_handoff_at,
            source_identifier=bundle.source_identifier,
        )
        save_tracked(referral, actor.user)
        # A draft starts its history as a draft: it was never sent, so never requested.
        first = TaskStatus.DRAFT if bundle.status is TaskStatus.DRAFT else TaskStatus.REQUESTED
        ServiceReferralStatusChange.objects.create(
            referral=referral, status=first.value, at=bundle.requested_at
        )
        if bundle.status is not first:
            ServiceReferralStatusChange.objects.create(
                referral=referral,
                status=bundle.status.value,
                reason=referral.status_reason,
                at=bundle.status_changed_at,
            )
        record_event(
            actor,
            "create",
            obj=referral,
            person_id=bundle.person.pk,
            program_slug=bundle.program.slug,
            fields=["referral"],
            detail={
                "source": "fhir",
                "bundle": bundle.bundle_id,
                "identifier": bundle.source_identifier,
            },
        )
        if bundle.consent is not None and bundle.status is not TaskStatus.DRAFT:
            # Sent by the other system when it wrote the Task (authoredOn): the provider was
            # told of the person then, under the consent in force then, as if sent from here.
            _account_for_referral(actor, referral, bundle.consent, bundle.requested_at)
    return referral


def _check_version(current: ServiceReferral, version: int, status_shown: bool) -> int:
    """StaleVersion unless `version` is the one the reader was shown (the shared one where
    the status is withheld from them); the version to save against, the row being locked."""
    if (current.version if status_shown else current.shared_version) != version:
        raise StaleVersion(current, version)
    return current.version


def change_referral_status(
    actor: Actor,
    referral: ServiceReferral,
    status: str,
    reason: str,
    version: int,
    *,
    status_shown: bool,
    appointment_at: dt.datetime | None = None,
) -> ServiceReferral:
    """Move the referral's Task; the provider works it, the referring team may call it off.
    A provider accepting may say when the person is booked (`appointment_at`).

    `status_shown` is whether the gate shows the caller the status as it is
    (`services.referral_status.status_shown`): a status withheld from them is not theirs
    to move, and the refusal must not say what it is.
    """
    side = side_of(actor.user, referral)
    if side is None:
        raise Forbidden("Your role may not change this referral.")
    if not status_shown:
        raise Forbidden(
            "This referral's status is withheld from you (a Part 2 record), so you cannot "
            "change it; a consent naming you or your organisation would show it."
        )
    try:
        new = TaskStatus(status)
    except ValueError as exc:
        raise ActionError(
            "Unknown status.", {"status": [f"{status!r} is not a FHIR Task status"]}
        ) from exc
    if appointment_at is not None:
        if new is not TaskStatus.ACCEPTED:
            raise ActionError(
                "An appointment is given only when accepting the referral.",
                {"appointment_at": ["give an appointment only with Accept"]},
            )
        _check_appointment(appointment_at, timezone.now())
    reason = reason.strip()
    with transaction.atomic():
        current = ServiceReferral.objects.select_for_update().get(pk=referral.pk)
        expected = _check_version(current, version, status_shown=True)
        problems = transition_problems(TaskStatus(current.status), new, side, reason)
        if problems:
            raise ActionError("That status change is not allowed.", problems)
        now = timezone.now()
        was = TaskStatus(current.status)
        sending = was is TaskStatus.DRAFT and new is TaskStatus.REQUESTED
        # A draft tells a Part 2 program of the person only when it is sent: under a consent
        # in force now, not the one it was written under, which may since have ended.
        consent = _consent_to_send(current, now) if sending else None
        current.status = new.value
        current.status_reason = reason
        current.status_changed_at = now
        if sending:
            # A draft is sent now (FHIR authoredOn: when the request became actionable):
            # the provider's inbox dates it from now, and the hours to answer run from now.
            current.requested_at = now
            if consent is not None:
                current.consent = consent
        if appointment_at is not None:
            current.appointment_at = appointment_at
        dropped = new in NO_APPOINTMENT_AFTER and current.appointment_at is not None
        if dropped:
            current.appointment_at = None
        if not is_part2_status(new, referral.service.part2_program):
            current.shared_version += 1
        save_tracked(current, actor.user, expected_version=expected)
        ServiceReferralStatusChange.objects.create(
            referral=current, status=new.value, reason=reason, at=now, by=actor.user_or_none
        )
        # Past `accepted` a provider's word is about SUD treatment, and a Part 2 program's
        # answer is its own: a Part 2 record.
        part2 = side is Side.PROVIDER and is_part2_status(new, referral.service.part2_program)
        if side is Side.PROVIDER:
            told = [] if part2 else _tell_of_answer(referral, new, now)
        else:
            told = _tell_provider_of_calling_off(referral, was, new, now)
        record_event(
            actor,
            "change",
            obj=referral,
            person_id=referral.person_id,
            program_slug=referral.program.slug,
            fields=["part2" if part2 else "referral"],
            detail={"status": new.value, "side": side.value}
            | ({"told": told} if told else {})
            | ({"appointment_at": appointment_at.isoformat()} if appointment_at else {})
            | ({"appointment_dropped": True} if dropped else {}),
        )
        if consent is not None:
            _account_for_referral(actor, current, consent)
    for name in (
        "status",
        "status_reason",
        "status_changed_at",
        "requested_at",
        "consent_id",
        "appointment_at",
        "version",
        "shared_version",
        "modified_at",
    ):
        setattr(referral, name, getattr(current, name))
    return referral


def _check_appointment(at: dt.datetime, now: dt.datetime) -> None:
    """ActionError naming `appointment_at` unless it is a time a provider could have booked."""
    if timezone.is_naive(at):
        problem = "give a time with its offset"
    elif at < now - APPOINTMENT_PAST:
        problem = "The appointment cannot be more than a day in the past: check the date."
    elif at > now + APPOINTMENT_AHEAD:
        problem = "The appointment cannot be more than a year ahead: check the year."
    else:
        return
    raise ActionError("The appointment has invalid fields.", {"appointment_at": [problem]})


def set_appointment(
    actor: Actor,
    referral: ServiceReferral,
    at: dt.datetime | None,
    version: int,
    *,
    status_shown: bool,
) -> ServiceReferral:
    """The provider books, moves or (None) clears the person's appointment while the
    referral is accepted. `version` is the one the provider was shown: a referral changed
    since is StaleVersion, so a colleague's booking is never replaced unseen."""
    if side_of(actor.user, referral) is not Side.PROVIDER or not status_shown:
        raise Forbidden("Only the provider the referral was sent to sets its appointment.")
    if at is not None:
        _check_appointment(at, timezone.now())
    with transaction.atomic():
        current = ServiceReferral.objects.select_for_update().get(pk=referral.pk)
        expected = _check_version(current, version, status_shown)
        if current.status != TaskStatus.ACCEPTED.value:
            said = label("task_status", current.status).lower()
            raise ActionError(
                "An appointment is set while the referral is accepted.",
                {"appointment_at": [f"the referral is {said} now"]},
            )
        current.appointment_at = at
        # At a Part 2 program the acceptance, and so its appointment, is a Part 2 record.
        part2 = is_part2_status(current.status, referral.service.part2_program)
        if not part2:
            current.shared_version += 1
        save_tracked(current, actor.user, expected_version=expected)
        record_event(
            actor,
            "change",
            obj=referral,
            person_id=referral.person_id,
            program_slug=referral.program.slug,
            fields=["part2" if part2 else "referral"],
            detail={"appointment_at": at.isoformat() if at else None},
        )
    for name in ("version", "shared_version", "appointment_at", "modified_at"):
        setattr(referral, name, getattr(current, name))
    return referral


def _consent_to_send(referral: ServiceReferral, now: dt.datetime) -> Consent | None:
    """The consent a draft to a Part 2 program is sent under: one in force `now`, naming its
    provider and covering what the referral tells (ActionError when there is none); None for
    any other service, which needs none."""
    service = referral.service
    if not service.part2_program:
        return None
    consent = consent_for_referral(
        referral.person_id, referral.program, service, now, referral.note
    )
    if consent is None:
        raise ActionError(
            "A consent is needed before sending this referral to a treatment program.",
            {"consent": [_consent_needed(service, referral.note)]},
        )
    return consent


# The provider's answer the referring side waits for.
ANSWERS = frozenset({TaskStatus.ACCEPTED, TaskStatus.REJECTED})


def _tell_of_answer(referral: ServiceReferral, new: TaskStatus, now: dt.datetime) -> list[int]:
    """Tell the referring side the provider's answer; the users told.

    The referrer, while they still act in the program; for a rejection the coordinators
    too, as the person still needs a place; the coordinators alone when no referrer is left
    to tell. Only an answer that is not a Part 2 record is sent (the caller checks): a Part 2
    program's answer is read on the referral, where the gate shows it. Messages name the
    program, the service and the referral number, never the person, as reminders may be
    emailed.
    """
    if new not in ANSWERS:
        return []
    members = Membership.objects.filter(
        program_id=referral.program_id, active=True, user__is_active=True
    ).select_related("user")
    referrer = (
        members.filter(user_id=referral.referred_by_id).first()
        if referral.referred_by_id is not None
        else None
    )
    users = [referrer.user] if referrer is not None else []
    if referrer is None or new is TaskStatus.REJECTED:
        users += [m.user for m in members.filter(role=Role.COORDINATOR.value).order_by("user_id")]
    service = referral.service
    said = label("task_status", new).lower()
    message = (
        f"{referral.program.name}: service referral {referral.pk} to {service.name} "
        f"({service.organization.name}) was {said}."
    )
    if new is TaskStatus.REJECTED:
        message += " Open it to read why and to find another service."
    recipients = list({user.pk: user for user in users}.values())
    for user in recipients:
        add_notice(
            user,
            referral.program,
            Notice.Kind.REFERRAL_ANSWERED,
            message[:500],
            now,
            service_referral=referral,
        )
    return [user.pk for user in recipients]


# What the referring side does that ends a referral the provider was sent: calls it off, or
# withdraws it as made in error.
CALLED_OFF = frozenset({TaskStatus.CANCELLED, TaskStatus.ENTERED_IN_ERROR})


def called_off(referral: ServiceReferral) -> bool:
    """The referring side cancelled the referral or withdrew it as made in error."""
    return TaskStatus(referral.status) in CALLED_OFF


def _tell_provider_of_calling_off(
    referral: ServiceReferral, was: TaskStatus, new: TaskStatus, now: dt.datetime
) -> list[int]:
    """Tell the provider's staff that the referring program called the referral off; the
    users told.

    Those who work the referral in the provider's inbox: the program's providers from the
    organisation it was sent to, while they still act in the program. A draft was never
    sent, so its cancelling tells them nothing. The message tells no more than the inbox
    showed them: the program, the service and the referral number, never the person (it
    may be emailed) nor the reason, which the referral itself shows where the gate allows.
    Calling off is the referring side's own record, never a Part 2 one.
    """
    partner = referral.service.organization.partner_id
    if new not in CALLED_OFF or was is TaskStatus.DRAFT or partner is None:
        return []
    recipients = [
        m.user
        for m in Membership.objects.filter(
            program_id=referral.program_id,
            role=Role.PROVIDER.value,
            active=True,
            user__is_active=True,
            user__organization_id=partner,
        )
        .select_related("user")
        .order_by("user_id")
    ]
    service = referral.service
    if new is TaskStatus.CANCELLED:
        how = "cancelled by the referring program. It needs no answer"
    else:
        # Never made (NOT_MADE): it leaves the provider's inbox, and the person with it.
        how = (
            "withdrawn by the referring program as made in error. It needs no answer "
            "and no longer appears in your inbox"
        )
    message = (
        f"{referral.program.name}: service referral {referral.pk} to {service.name} "
        f"({service.organization.name}) was {how}."
    )
    for user in recipients:
        add_notice(
            user,
            referral.program,
            Notice.Kind.REFERRAL_CANCELLED,
            message[:500],
            now,
            service_referral=referral,
        )
    return [user.pk for user in recipients]


def record_warm_handoff(
    actor: Actor,
    referral: ServiceReferral,
    by: str,
    at: dt.datetime,
    version: int,
    *,
    status_shown: bool,
) -> ServiceReferral:
    """The person was introduced to the provider in person or by phone: by whom, when.
    `version` is the one the caller was shown (`shown_version`): where the status is
    withheld from them (`status_shown` false), the shared one, which withheld steps do
    not move. A referral changed since is StaleVersion: a colleague's handoff is never
    replaced unseen."""
    if side_of(actor.user, referral) is None:
        raise Forbidden("Your role may not record a handoff for this referral.")
    if called_off(referral):
        raise ActionError(
            "This referral was called off by the referring program: there is no handoff "
            "to record. Make a new referral if the person still needs the service."
        )
    errors: dict[str, list[str]] = {}
    if not by.strip():
        errors["by"] = ["say who made the handoff"]
    if timezone.is_naive(at):
        errors["at"] = ["give a time with its offset"]
    elif at > timezone.now() + CLOCK_SKEW:
        errors["at"] = ["cannot be in the future"]
    elif at < referral.requested_at - dt.timedelta(days=1):
        errors["at"] = ["cannot be more than 24 hours before the referral was made"]
    if errors:
        raise ActionError("The handoff has invalid fields.", errors)
    with transaction.atomic():
        # Saved from the row as it stands, so a status changed meanwhile is kept.
        current = ServiceReferral.objects.select_for_update().get(pk=referral.pk)
        expected = _check_version(current, version, status_shown)
        current.warm_handoff_by = by.strip()[:200]
        current.warm_handoff_at = at
        current.shared_version += 1
        save_tracked(current, actor.user, expected_version=expected)
        record_event(
            actor,
            "change",
            obj=referral,
            person_id=referral.person_id,
            program_slug=referral.program.slug,
            fields=["referral"],
            detail={"warm_handoff_at": at.isoformat()},
        )
    for name in ("version", "shared_version", "warm_handoff_by", "warm_handoff_at", "modified_at"):
        setattr(referral, name, getattr(current, name))
    return referral


@dataclass(frozen=True)
class ReferralReminder:
    """An unanswered referral, what to tell and whom: the reminders module decides it is due."""

    referral: ServiceReferral
    message: str
    recipients: list[Any]


def remind_of_unanswered_referrals(
    actor: Actor, due: Iterable[ReferralReminder], now: dt.datetime
) -> int:
    """Claim each referral and leave its notices; one audit event per pass that sent any.

    `ServiceReferral.reminded_at` is the guard: a conditional UPDATE claims the
    referral before the notices are written, so workers running at once never send
    the same reminder twice. The number of notices sent.
    """
    sent = 0
    reminded: list[int] = []
    for reminder in due:
        referral = reminder.referral
        with transaction.atomic():
            # Not a version bump: a worker's note must not make a person's edit stale.
            claimed = ServiceReferral.objects.filter(
                pk=referral.pk, reminded_at__isnull=True, status=TaskStatus.REQUESTED.value
            ).update(reminded_at=now)
            if not claimed:
                continue  # another worker sent it, or the provider answered meanwhile
            for user in reminder.recipients:
                add_notice(
                    user,
                    referral.program,
                    Notice.Kind.REFERRAL_NO_ANSWER,
                    reminder.message,
                    now,
                    service_referral=referral,
                )
                sent += 1
        reminded.append(referral.pk)
    if reminded:
        # One event per pass that sent anything; idle passes leave the chain alone.
        record_event(
            actor,
            "create",
            object_type="outreach.notice",
            detail={Notice.Kind.REFERRAL_NO_ANSWER.value: sent, "referrals": reminded[:500]},
        )
    return sent


def may_update_capacity(user: Any, service: Service) -> bool:
    """Only a provider user of the organisation that runs the service."""
    partner = service.organization.partner_id
    return (
        partner is not None
        and getattr(user, "organization_id", None) == partner
        and any(role is Role.PROVIDER for _program, role in role_grants(user))
    )


def update_capacity(
    actor: Actor,
    service: Service,
    available: int,
    maximum: int | None = None,
    version: int | None = None,
    unit: str | None = None,
) -> ServiceCapacity:
    """A provider says how many places are free, now; the time of saying is kept.

    `version` is that of the figure the provider read (NO_CAPACITY_YET when none had been
    reported): a figure someone changed since is StaleVersion, so one tab cannot put back a
    count another has replaced. Without it (a provider's feed pushing its own count) the
    last count sent stands: the time is taken under the row's lock, so the figure saved last
    is dated last, and never before the figure it replaces. `unit` is what the places are
    (beds, appointments…); without it the service's stays, and a first figure counts places.
    """
    if not may_update_capacity(actor.user, service):
        raise Forbidden("Only the provider running this service may update its capacity.")
    errors: dict[str, list[str]] = {}
    if not 0 <= available <= MAX_CAPACITY:
        errors["available"] = [f"must be from 0 to {MAX_CAPACITY}"]
    if maximum is not None and not available <= maximum <= MAX_CAPACITY:
        errors["maximum"] = ["must be at least the number available"]
    with transaction.atomic():
        capacity = (
            ServiceCapacity.objects.select_for_update()
            .filter(service=service)
            .order_by("-updated", "-id")
            .first()
        )
        if unit is not None and unit not in UNITS and (capacity is None or unit != capacity.unit):
            errors["unit"] = [f"must be one of {', '.join(UNITS)}"]
        if errors:
            raise ActionError("The capacity has invalid fields.", errors)
        if version is not None and version != (capacity.version if capacity else NO_CAPACITY_YET):
            # Checked under the row's lock, before the numbers: they were typed over an old one.
            raise StaleVersion(capacity or ServiceCapacity(service=service), version)
        if capacity is None:
            capacity = ServiceCapacity(
                service=service,
                hsds_id=f"{service.hsds_id}-capacity",
                available=available,
                unit=DEFAULT_UNIT,
            )
        elif maximum is None and capacity.maximum is not None and available > capacity.maximum:
            # Checked under the row's lock, against the maximum as it stands.
            message = (
                f"must be at most the service's {capacity.maximum} {capacity.unit}; "
                "a larger number needs a new maximum"
            )
            raise ActionError("The capacity has invalid fields.", {"available": [message]})
        capacity.available = available
        if maximum is not None:
            capacity.maximum = maximum
        if unit is not None:
            capacity.unit = unit
        capacity.updated = _dated_after(capacity, timezone.now())
        save_tracked(capacity, actor.user, expected_version=version)
        record_event(
            actor,
            "change",
            obj=capacity,
            detail={
                "service_id": service.pk,
                "available": available,
                "maximum": maximum,
                "unit": capacity.unit,
            },
        )
    return capacity


def _dated_after(capacity: ServiceCapacity, now: dt.datetime) -> dt.datetime:
    """When a new count replacing `capacity` is said: now, or the stored figure's time where
    a directory file dated it ahead of this server's clock, within CLOCK_SKEW. Dated before
    it, the new count would be older than the figure it replaced, and that file imported
    again would put its count back."""
    stands = capacity.updated if capacity.pk is not None else None
    if stands is not None and now < stands <= now + CLOCK_SKEW:
        return stands
    return now


# --- A provider's own entry ------------------------------------------------------


def may_edit_service(user: Any, service: Service) -> bool:
    """Who corrects a service's directory entry: whoever updates its capacity, a provider
    user of the organisation that runs it."""
    return may_update_capacity(user, service)


def edit_service_entry(
    actor: Actor, service: Service, entry: Entry, version: int, zone: str
) -> Service:
    """A provider corrects its service's entry: contact details, words, languages and the
    weekly hours, typed on the clock of `zone` (the service's first place's), or, for a
    service offered at more than one place, each place's on its own clock.

    `version` is the service's as the provider read it: an entry someone changed since is
    StaleVersion, never saved over. The weekly hours replace those the entry had; monthly
    or dated hours stay. Hours of a service at more than one place must each name the
    place they are kept on (`entries.hour_sets`), so no place's hours are flattened into
    another's. Nothing changed writes nothing. The audit event names each field changed,
    with what it was and what it is.
    """
    if not may_edit_service(actor.user, service):
        raise Forbidden("Only the provider running this service may edit its entry.")
    entry = tidied(entry)
    if problems := entry_problems(entry):
        raise ActionError("The entry has invalid fields.", problems)
    with transaction.atomic():
        current = Service.objects.select_for_update().get(pk=service.pk)
        if version != current.version:
            raise StaleVersion(current, version)
        before = entry_of(current)
        changed: dict[str, dict[str, Any]] = {}
        for name in FIELDS:
            old, new = getattr(before, name), getattr(entry, name)
            if old != new:
                changed[name] = {"from": _said(old), "to": _said(new)}
                setattr(current, name, list(new) if isinstance(new, tuple) else new)
        sets = hour_sets(current, zone)
        if before.hours != entry.hours:
            _check_places(entry.hours, sets)
            changed["hours"] = {
                "from": [hours.words() for hours in before.hours],
                "to": [hours.words() for hours in entry.hours],
            }
        if not changed:
            return current
        save_tracked(current, actor.user, expected_version=version)
        if "hours" in changed:
            _replace_hours(actor, current, entry.hours, sets)
        record_event(actor, "change", obj=current, detail={"changed": changed, "zone": zone})
    return current


def _said(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


MULTI_PLACE_HOURS = (
    "this service is offered at more than one place: give the hours of each place, "
    "named by it, so no place's hours replace another's"
)


def _check_places(hours: tuple[Hours, ...], sets: list[HourSet]) -> None:
    """Hours name the sets the service has: none for a service at one place or none, one
    of its places for a service at several."""
    if any(each.place not in {s.place for s in sets} for each in hours):
        raise ActionError("The entry has invalid fields.", {"hours": [MULTI_PLACE_HOURS]})


def _replace_hours(
    actor: Actor, service: Service, hours: tuple[Hours, ...], sets: list[HourSet]
) -> None:
    """The service's weekly hours become `hours`, named as edited here (`EDITED_HOURS`):
    kept on the service itself (so they hold at each of its places) when they name no
    place, else on their place, each on its own place's clock."""
    zones = {each.place: each.zone for each in sets}
    Schedule.objects.filter(pk__in=[row.pk for row in weekly_hours(service)]).delete()
    for each in hours:
        schedule = Schedule(
            hsds_id=edited_hours_id(),
            service=service if each.place is None else None,
            service_at_location_id=each.place,
            freq=WEEKLY,
            byday=",".join(each.days),
            opens_at=each.opens,
            closes_at=each.closes,
            timezone=zones[each.place],
        )
        save_tracked(schedule, actor.user)


# --- The HSDS directory -------------------------------------------------------------


class _Rollback(Exception):
    """Undoes a dry run's writes once its counts are known."""


def import_directory(
    actor: Actor, data: Any, *, source: str = "", dry_run: bool = False
) -> DirectoryImport:
    """Upsert every record by its HSDS id in one transaction, or raise and write nothing.

    Counts are per entity: created, updated and unchanged. A second import of
    the same file finds everything unchanged and writes nothing but its audit event.
    A capacity the file gives no later than the stored figure was said is kept, and
    counted so. Everything else the file gives overwrites the stored entry, what a provider
    corrected on the edit page too: weekly hours written there give way to the file's for
    each service it lists, counted as replaced.
    Notes say what was read otherwise than the file wrote it (a DAILY schedule).
    A stored service the file changes anywhere its edit page reads (its hours, its
    categories, its places, their names and zones) gets a new version even where its own
    row did not change, so an edit page drawn before is stale.
    """
    checked = check_directory(data)
    if checked.problems:
        raise DirectoryImportFailed(checked.problems)
    counts: dict[str, Counter[str]] = {}
    notes = [str(note) for note in checked.notes]
    try:
        with transaction.atomic():
            _DirectoryImporter(actor, counts).run(checked.records)
            summary = {entity: dict(tally) for entity, tally in sorted(counts.items())}
            record_event(
                actor,
                "change",
                object_type="services.directory",
                detail={
                    "format": f"hsds-{HSDS_VERSION}",
                    "source": source,
                    "counts": summary,
                    **({"notes": notes} if notes else {}),
                },
            )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return DirectoryImport(
        {entity: dict(tally) for entity, tally in sorted(counts.items())}, checked.notes
    )


class _DirectoryImporter:
    def __init__(self, actor: Actor, counts: dict[str, Counter[str]]) -> None:
        self.user = actor.user_or_none
        self.counts = counts
        # Services this import created or gave a new version already.
        self.versioned: set[int] = set()
        # Stored services changed in what their edit page reads besides their own row.
        self.touched: set[int] = set()

    def upsert(
        self,
        model: type[Any],
        stored: dict[str, Any],
        key: str,
        lookup: str,
        values: dict[str, Any],
    ) -> Any:
        tally = self.counts.setdefault(model._meta.model_name, Counter())
        obj = stored.get(key)
        if obj is None:
            obj = model(**{lookup: key}, **values)
            save_tracked(obj, self.user)
            tally["created"] += 1
            return obj
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            save_tracked(obj, self.user)
            tally["updated"] += 1
        else:
            tally["unchanged"] += 1
        return obj

    def run(self, records: dict[str, list[Record]]) -> None:
        terms = self.terms(records["taxonomy_terms"])
        orgs = self.organizations(records["organizations"])
        locations = self.locations(records["locations"], orgs)
        services = self.services(records["services"], orgs, terms)
        places = self.places(records["service_at_locations"], services, locations)
        self.schedules(records["schedules"], services, places)
        self.new_versions(self.touched - self.versioned)

    def terms(self, records: list[Record]) -> dict[str, TaxonomyTerm]:
        stored = {t.code: t for t in TaxonomyTerm.objects.filter(code__in=[r.id for r in records])}
        result: dict[str, TaxonomyTerm] = {}
        for record in records:
            values = {k: record.values[k] for k in ("name", "description", "taxonomy")}
            result[record.id] = self.upsert(TaxonomyTerm, stored, record.id, "code", values)
        # Parents second: a term may name a parent that comes later in the file.
        for record in records:
            term = result[record.id]
            parent_id = record.values["parent_id"]
            parent = result[parent_id].pk if parent_id else None
            if term.parent_id != parent:
                term.parent_id = parent
                save_tracked(term, self.user)
                self._moved("taxonomyterm", created=record.id not in stored)
        return result

    def _moved(self, model_name: str, *, created: bool) -> None:
        """A record first counted unchanged that a second pass changed after all."""
        tally = self.counts[model_name]
        if not created and tally["unchanged"]:
            tally["unchanged"] -= 1
            tally["updated"] += 1

    def organizations(self, records: list[Record]) -> dict[str, ServiceOrganization]:
        stored = _stored_by_hsds_id(ServiceOrganization, records)
        partners = dict(Organization.objects.values_list("slug", "pk"))
        result = {}
        for record in records:
            v = record.values
            values = {
                "name": v["name"],
                "description": v["description"],
                "email": v["email"],
                "website": v["website"],
                "partner_id": partners[v[PARTNER]] if v[PARTNER] else None,
            }
            result[record.id] = self.upsert(
                ServiceOrganization, stored, record.id, "hsds_id", values
            )
        return result

    def locations(
        self, records: list[Record], orgs: dict[str, ServiceOrganization]
    ) -> dict[str, Location]:
        stored = _stored_by_hsds_id(Location, records)
        # The hours on the edit page are typed on a place's clock and named by it.
        read = {key: (place.name, place.timezone) for key, place in stored.items()}
        result = {}
        for record in records:
            v = record.values
            addresses = record.children.get("addresses") or []
            address = addresses[0].values if addresses else NO_ADDRESS
            values = {
                "organization_id": orgs[v["organization_id"]].pk if v["organization_id"] else None,
                "name": v["name"],
                "latitude": v["latitude"],
                "longitude": v["longitude"],
                "timezone": v[LOCATION_TIMEZONE],
                "address_1": address["address_1"],
                "city": address["city"],
                "region": address["state_province"],
                "postal_code": address["postal_code"],
                "country": address["country"],
            }
            result[record.id] = self.upsert(Location, stored, record.id, "hsds_id", values)
        moved = [
            place.pk
            for key, place in result.items()
            if key in read and read[key] != (place.name, place.timezone)
        ]
        self.touched |= set(
            ServiceAtLocation.objects.filter(location__in=moved).values_list("service", flat=True)
        )
        return result

    def services(
        self,
        records: list[Record],
        orgs: dict[str, ServiceOrganization],
        terms: dict[str, TaxonomyTerm],
    ) -> dict[str, Service]:
        stored = _stored_by_hsds_id(Service, records)
        result = {}
        capacities: list[tuple[Service, Record]] = []
        for record in records:
            v = record.values
            phones = record.children.get("phones") or []
            values = {
                "organization_id": orgs[v["organization_id"]].pk,
                "name": v["name"],
                "description": v["description"],
                "url": v["url"],
                "email": v["email"],
                "phone": phones[0].values["number"] if phones else "",
                "status": v["status"],
                "languages": [lang.values["code"] for lang in record.children.get("languages", [])],
                "eligibility_description": v["eligibility_description"],
                "fees_description": v["fees_description"],
                "insurance_accepted": v[INSURANCE],
                "part2_program": v[PART2],
            }
            before = stored[record.id].version if record.id in stored else None
            service = self.upsert(Service, stored, record.id, "hsds_id", values)
            if service.version != before:
                self.versioned.add(service.pk)
            result[record.id] = service
            wanted = {
                terms[a.values["taxonomy_term_id"]].pk
                for a in record.children.get("attributes", [])
            }
            if record.id not in stored:
                if wanted:
                    service.taxonomy_terms.set(wanted)
            elif set(service.taxonomy_terms.values_list("pk", flat=True)) != wanted:
                service.taxonomy_terms.set(wanted)
                self._moved("service", created=False)
                self.touched.add(service.pk)
            capacities += [(service, c) for c in record.children.get("capacities", [])]
        self.capacities(capacities)
        return result

    def capacities(self, pairs: list[tuple[Service, Record]]) -> None:
        """A figure the file says no later than the stored one was said does not replace it:
        a provider's newer count stands, and the import counts it as kept."""
        stored = _stored_by_hsds_id(ServiceCapacity, [record for _, record in pairs])
        for service, record in pairs:
            v = record.values
            values = {
                "service_id": service.pk,
                "unit": v["unit"],
                "available": v["available"],
                "maximum": v["maximum"],
                "description": v["description"],
                "updated": v["updated"],
            }
            current = stored.get(record.id)
            if current is not None and _stored_capacity_is_newer(current, values):
                self.counts.setdefault("servicecapacity", Counter())[KEPT_NEWER] += 1
                continue
            self.upsert(ServiceCapacity, stored, record.id, "hsds_id", values)

    def places(
        self, records: list[Record], services: dict[str, Service], locations: dict[str, Location]
    ) -> dict[str, ServiceAtLocation]:
        stored = _stored_by_hsds_id(ServiceAtLocation, records)
        result = {}
        for record in records:
            values = {
                "service_id": services[record.values["service_id"]].pk,
                "location_id": locations[record.values["location_id"]].pk,
            }
            old = stored.get(record.id)
            was = (old.service_id, old.location_id) if old is not None else None
            place = self.upsert(ServiceAtLocation, stored, record.id, "hsds_id", values)
            if was != (place.service_id, place.location_id):
                # A place added, or moved: each service's edit page has a set of hours per place.
                self.touched |= {place.service_id, *(was[:1] if was else ())}
            result[record.id] = place
        return result

    def schedules(
        self,
        records: list[Record],
        services: dict[str, Service],
        places: dict[str, ServiceAtLocation],
    ) -> None:
        stored = _stored_by_hsds_id(Schedule, records)
        place_services = dict(
            ServiceAtLocation.objects.filter(
                pk__in={s.service_at_location_id for s in stored.values()}
                | {p.pk for p in places.values()}
            ).values_list("pk", "service_id")
        )

        def service_of(schedule: Schedule) -> int | None:
            if schedule.service_id is not None:
                return schedule.service_id
            if schedule.service_at_location_id is None:
                return None
            return place_services.get(schedule.service_at_location_id)

        rehoured: set[int | None] = set()
        for record in records:
            v = record.values
            values = {
                "service_id": services[v["service_id"]].pk if v["service_id"] else None,
                "service_at_location_id": places[v["service_at_location_id"]].pk
                if v["service_at_location_id"]
                else None,
                **{
                    name: v[name]
                    for name in (
                        "freq",
                        "byday",
                        "opens_at",
                        "closes_at",
                        "valid_from",
                        "valid_to",
                        "timezone",
                        "description",
                    )
                },
            }
            old = stored.get(record.id)
            was = (old.version, service_of(old)) if old is not None else None
            schedule = self.upsert(Schedule, stored, record.id, "hsds_id", values)
            if was is None or schedule.version != was[0]:
                rehoured |= {service_of(schedule), was[1] if was else None}
        # The file is the directory's source: for each service it lists, hours its provider
        # wrote on the edit page give way to the file's, whose own rows came back above.
        listed = list(services.values())
        edited = Schedule.objects.filter(
            Q(service__in=listed) | Q(service_at_location__service__in=listed),
            hsds_id__startswith=EDITED_HOURS,
        ).exclude(hsds_id__in=[record.id for record in records])
        for own, at_place in edited.values_list("service_id", "service_at_location__service_id"):
            rehoured.add(own or at_place)
        replaced, _ = edited.delete()
        if replaced:
            self.counts.setdefault("schedule", Counter())[REPLACED_EDITS] += replaced
        self.touched |= {pk for pk in rehoured if pk is not None}

    def new_versions(self, service_ids: set[int]) -> None:
        """Services whose hours, categories or places changed though their own row did not
        get a new version: the entry a provider reads is all of them."""
        for service in Service.objects.select_for_update().filter(pk__in=service_ids):
            save_tracked(service, self.user)
            self.versioned.add(service.pk)


def _stored_capacity_is_newer(stored: ServiceCapacity, values: dict[str, Any]) -> bool:
    """The stored figure was said after the file's, or at the same moment but otherwise.

    A stored figure dated later than now by more than CLOCK_SKEW (a file let in before
    imports refused such times) was never said then, so it is not newer: the file's figure,
    whose time the import checked, replaces it."""
    if stored.updated > timezone.now() + CLOCK_SKEW:
        return False
    if values["updated"] != stored.updated:
        return bool(values["updated"] < stored.updated)
    return any(getattr(stored, name) != value for name, value in values.items())


NO_ADDRESS = {
    "address_1": "",
    "city": "",
    "state_province": "",
    "postal_code": "",
    "country": "US",
}


def _stored_by_hsds_id(model: type[Any], records: list[Record]) -> dict[str, Any]:
    ids = [record.id for record in records]
    return {obj.hsds_id: obj for obj in model.objects.filter(hsds_id__in=ids)}


def referral_histories(referrals: Iterable[ServiceReferral]) -> list[ReferralHistory]:
    """The facts `people_accepted_treatment` reads, from stored referrals (prefetched)."""
    return [
        history_of(
            referral.person_id,
            [term.code for term in referral.service.taxonomy_terms.all()],
            referral.service.part2_program,
            [(change.status, change.at) for change in referral.status_changes.all()],
            referral.status,
            referral.status_changed_at,
        )
        for referral in referrals
    ]
