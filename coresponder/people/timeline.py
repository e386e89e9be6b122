"""A person's history as one reader may see it: every dated fact, newest first.

Each entry exists only when the field group that reveals it is shown, and each
detail passes the same gate as the person record (`reading.py`): an encounter is
an outreach fact, what a screening found is clinical, treatment status past
`accepted` is Part 2, offense detail is justice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from coresponder.domain.policy import FieldGroup, GroupVisibility
from coresponder.domain.vocabulary import WITHHELD_CODE, label
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Overdose, Referral
from coresponder.outreach.checklist import answers_read
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.people.reading import (
    case_number_of,
    clinical_shown,
    offense_of,
    shows_consents,
    visible_service_referrals,
)
from coresponder.privacy.access import PersonAccess, consents_kept
from coresponder.programs.local_time import local, program_zones, reader_zone
from coresponder.services.referral_status import (
    service_referral_status,
    service_said,
    status_shown,
)

G = FieldGroup

# Same-instant entries read in the order things happen: referral before the task it
# opens, an encounter before the screening done at it.
_KIND_ORDER = {
    kind: rank
    for rank, kind in enumerate(
        [
            "overdose",
            "referral",
            "outreach_task_opened",
            "attempt",
            "encounter",
            "clinical_note",
            "screening",
            "service_referral",
            "outreach_task_closed",
            "consent_signed",
            "consent_revoked",
        ]
    )
}


@dataclass(frozen=True)
class _Shown:
    """What the reader sees of this person, asked once per read."""

    contact: bool
    referral: bool
    outreach: bool
    justice: bool
    program_id: int | None = None  # whose records these decisions are of


# The history is made of referral, outreach and clinical facts.
HISTORY_GROUPS = (
    FieldGroup.REFERRAL,
    FieldGroup.OUTREACH,
    FieldGroup.CLINICAL,
    FieldGroup.PART2,
)


def has_history(access: PersonAccess) -> bool:
    """Whether the reader may read any of a history's facts: a role that may read none
    of them (a prosecutor) has no history to open, on the page or through the API."""
    return any(access.decision(group) is not GroupVisibility.HIDDEN for group in HISTORY_GROUPS)


def person_timeline(access: PersonAccess) -> list[dict[str, Any]]:
    """Every dated fact of the person the reader may see, in their programs, newest first.

    Each kind of fact is read once for every program the reader sees it in, and each
    program's facts as the reader's role in that program reads them."""
    programs = access.program_ids
    contact = access.shows(G.CONTACT)
    shown = {program_id: _shown_in(access, program_id, contact) for program_id in programs}
    referrals = [p for p in programs if shown[p].referral]
    entries: list[dict[str, Any]] = []
    entries += _referral_entries(access, referrals, shown)
    entries += _overdose_entries(access, referrals, shown)
    entries += _outreach_entries(access, [p for p in programs if shown[p].outreach], shown)
    entries += _encounter_entries(access, programs, shown)
    entries += _service_referral_entries(access, programs)
    if shows_consents(access):
        entries += _consent_entries(access)
    entries.sort(key=lambda e: (e["at"], _KIND_ORDER[e["kind"]], e["detail"].get("id", 0)))
    entries.reverse()
    return _on_program_clocks(access, entries)


def _shown_in(access: PersonAccess, program_id: int, contact: bool) -> _Shown:
    """What the reader's role in one program reads of the person's facts there."""
    referral = access.shows(G.REFERRAL, program_id)
    return _Shown(
        contact=contact,
        referral=referral,
        outreach=access.shows(G.OUTREACH, program_id),
        # Offense detail is asked of the gate only where referrals are read, as the record does.
        justice=referral and access.shows(G.JUSTICE, program_id),
        program_id=program_id,
    )


def _on_program_clocks(access: PersonAccess, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry with `zone`, its program's time zone, and its dated details on that clock.

    `at` stays as stored (UTC) so histories sort and page the same for every reader;
    a fact filed under no program (a consent to every program) reads on the reader's clock.
    """
    zones = program_zones(access.program_ids)
    if any(not entry["program"] for entry in entries):
        zones[""] = reader_zone(access.user).key
    for entry in entries:
        zone = zones.get(entry["program"], "")
        entry["zone"] = zone
        if zone:
            entry["detail"] = {
                key: local(value, zone) if isinstance(value, dt.datetime) else value
                for key, value in entry["detail"].items()
            }
    return entries


def _entry(
    at: dt.datetime, kind: str, program: str, title: str, /, **detail: Any
) -> dict[str, Any]:
    return {"at": at, "kind": kind, "program": program, "title": title, "detail": detail}


def _referral_entries(
    access: PersonAccess, programs: list[int], shown_in: dict[int, _Shown]
) -> list[dict[str, Any]]:
    if not programs:
        return []
    referrals = Referral.objects.filter(person=access.person, program_id__in=programs)
    entries = []
    for referral in referrals.select_related("program", "district", "call"):
        shown = shown_in[referral.program_id]
        detail: dict[str, Any] = {
            "id": referral.pk,
            "pathway": referral.pathway,
            "eligible": referral.eligible,
            "reasons": referral.eligibility_reasons,
            "district": referral.district.code if referral.district else None,
        }
        detail.update(_call_facts(referral, shown))
        offense = offense_of(referral, shown.justice)
        if offense is not None:
            detail["offense"] = offense
        case_number = case_number_of(referral, shown.justice)
        if case_number is not None:
            detail["case_number"] = case_number
        title = f"Referral received: {referral.get_pathway_display()}"
        if not referral.eligible:
            title += " (not eligible)"
        entries.append(
            _entry(referral.received_at, "referral", referral.program.slug, title, **detail)
        )
    return entries


def _call_facts(referral: Referral, shown: _Shown) -> dict[str, Any]:
    """A 911 call's priority is a referral fact; its street address, like an overdose's
    place, is contact."""
    call = getattr(referral, "call", None)
    if call is None:
        return {}
    facts = {"call_priority": call.priority}
    if shown.contact:
        facts["call_address"] = call.address
    return facts


def _overdose_entries(
    access: PersonAccess, programs: list[int], shown_in: dict[int, _Shown]
) -> list[dict[str, Any]]:
    """An overdose is the fact a naloxone-plus referral stands on; where it was is contact."""
    if not programs:
        return []
    overdoses = Overdose.objects.filter(person=access.person, program_id__in=programs)
    entries = []
    for overdose in overdoses.select_related("program"):
        detail: dict[str, Any] = {
            "id": overdose.pk,
            "fatal": overdose.fatal,
            "naloxone_doses": overdose.naloxone_doses,
            "referral_id": overdose.referral_id,
        }
        if shown_in[overdose.program_id].contact and overdose.place:
            detail["place"] = overdose.place
        title = "Fatal overdose" if overdose.fatal else "Overdose"
        entries.append(
            _entry(overdose.occurred_at, "overdose", overdose.program.slug, title, **detail)
        )
    return entries


def _outreach_entries(
    access: PersonAccess, programs: list[int], shown_in: dict[int, _Shown]
) -> list[dict[str, Any]]:
    if not programs:
        return []
    tasks = (
        OutreachTask.objects.filter(person=access.person, program_id__in=programs)
        .select_related("program")
        .prefetch_related(
            Prefetch(
                "attempts",
                queryset=Attempt.objects.order_by("attempted_at", "pk").prefetch_related(
                    "contacts"
                ),
            )
        )
    )
    entries = []
    for task in tasks:
        slug = task.program.slug
        entries.append(
            _entry(
                task.created_at,
                "outreach_task_opened",
                slug,
                "Follow-up opened",
                id=task.pk,
                target=task.target,
                window_start=task.window_start,
                window_end=task.window_end,
                status=task.status,
            )
        )
        if task.closed_at is not None:
            entries.append(
                _entry(
                    task.closed_at,
                    "outreach_task_closed",
                    slug,
                    "Follow-up closed",
                    id=task.pk,
                    close_reason=access.value("close_reason", task.close_reason, task.program_id),
                    closing_checklist=answers_read(task, access),
                )
            )
        for attempt in task.attempts.all():
            outcome = access.value("outcome", attempt.outcome, task.program_id)
            entries.append(_attempt_entry(attempt, outcome, slug, shown_in[task.program_id]))
    return entries


def _attempt_entry(attempt: Attempt, outcome: str, slug: str, shown: _Shown) -> dict[str, Any]:
    """An attempt, its `outcome` as the reader reads it."""
    reached = []
    for contact in attempt.contacts.all():
        who: dict[str, Any] = {"role": contact.role}
        if contact.role != "participant":
            who["relationship"] = contact.relationship
            if shown.contact and contact.name:
                who["name"] = contact.name
        reached.append(who)
    title = f"{label('channel', attempt.channel)}: {label('outcome', outcome)}"
    return _entry(
        attempt.attempted_at,
        "attempt",
        slug,
        title,
        id=attempt.pk,
        task_id=attempt.task_id,
        channel=attempt.channel,
        outcome=outcome,
        reached=reached,
        # Outreach facts, as the attempt is: the next visitor knows the household has a kit.
        **(
            {"naloxone_kits_left": attempt.naloxone_kits_left} if attempt.naloxone_kits_left else {}
        ),
    )


def _encounter_entries(
    access: PersonAccess, programs: list[int], shown_in: dict[int, _Shown]
) -> list[dict[str, Any]]:
    """Encounters took place (OUTREACH); what was found there is CLINICAL."""
    by_program: dict[int, list[Encounter]] = {}
    for encounter in (
        Encounter.objects.filter(person=access.person, program_id__in=programs)
        .select_related("program")
        .prefetch_related("screenings")
    ):
        by_program.setdefault(encounter.program_id, []).append(encounter)
    entries = []
    for program_id, encounters in by_program.items():
        entries += _program_encounter_entries(access, encounters, shown_in[program_id])
    return entries


def _program_encounter_entries(
    access: PersonAccess, encounters: list[Encounter], shown: _Shown
) -> list[dict[str, Any]]:
    """One program's encounters, as the reader's role there reads them (the clinical
    facts asked of the gate once for the program, and only where there are some)."""
    has_clinical = any(e.clinical_note or e.screenings.all() for e in encounters)
    # Asked only where there is something clinical: a withheld group is named once in the
    # reader's `withheld`, and the read audited as refused, however many screenings.
    clinical = clinical_shown(access, has_clinical, shown.program_id)
    entries = []
    for encounter in encounters:
        slug = encounter.program.slug
        if shown.outreach:
            ending = access.ending(encounter.disposition, encounter.destination, shown.program_id)
            detail: dict[str, Any] = {"id": encounter.pk, "kind": encounter.kind, **ending}
            if encounter.clinical_note and clinical:
                detail["note"] = encounter.clinical_note
            kind = label("encounter_kind", encounter.kind)
            title = f"{kind}: {label('disposition', ending['disposition'])}"
            entries.append(_entry(encounter.occurred_at, "encounter", slug, title, **detail))
        elif encounter.clinical_note and clinical:
            entries.append(
                _entry(
                    encounter.occurred_at,
                    "clinical_note",
                    slug,
                    "Clinical note",
                    id=encounter.pk,
                    note=encounter.clinical_note,
                )
            )
        if not clinical:
            # Neither what a screening found nor that one took place, nor how often: a
            # reader without clinical detail learns only that some is withheld.
            continue
        for screening in encounter.screenings.all():
            entries.append(
                _entry(
                    encounter.occurred_at,
                    "screening",
                    slug,
                    f"Screening: {screening.get_instrument_display()}",
                    id=screening.pk,
                    encounter_id=encounter.pk,
                    instrument=screening.instrument,
                    answers=screening.answers,
                    score=screening.score,
                    band=screening.band,
                )
            )
    return entries


def _service_referral_entries(access: PersonAccess, programs: list[int]) -> list[dict[str, Any]]:
    referrals = visible_service_referrals(access, programs)
    if referrals is None:
        return []
    entries = []
    for referral in referrals:
        status = service_referral_status(access, referral)
        # Which Part 2 program the person was referred to is Part 2 detail.
        service = service_said(access, referral)
        withheld = service["service"] == WITHHELD_CODE
        title = (
            "Referred to a service (withheld)" if withheld else f"Referred to {service['service']}"
        )
        shown = {"service_withheld": service["service_withheld"]} if withheld else service
        # The appointment goes with the acceptance: said only where the status is, as on
        # the person's record (`reading.py`).
        if referral.appointment_at is not None and status_shown(referral, status):
            status = {**status, "appointment_at": referral.appointment_at}
        entries.append(
            _entry(
                referral.requested_at,
                "service_referral",
                referral.program.slug,
                title,
                id=referral.pk,
                **shown,
                **status,
            )
        )
    return entries


def _consent_entries(access: PersonAccess) -> list[dict[str, Any]]:
    """The consents the reader keeps: those of the programs where their role records them.
    Another program's consent tells what it holds (a Part 2 consent, treatment)."""
    consents = consents_kept(access).select_related("program")
    entries = []
    for consent in consents:
        slug = consent.program.slug if consent.program else ""
        detail = {
            "id": consent.pk,
            "discloser": consent.discloser,
            "recipients": consent.recipients,
            "covers": consent.covers,
            "purpose": consent.purpose,
        }
        # The day the person chose, where they chose one; its end is the midnight after.
        if consent.expires_on is not None:
            detail["expires_on"] = consent.expires_on
        else:
            detail["expires_at"] = consent.expires_at
        entries.append(
            _entry(consent.signed_at, "consent_signed", slug, "Consent signed", **detail)
        )
        if consent.revoked_at is not None:
            entries.append(
                _entry(
                    consent.revoked_at, "consent_revoked", slug, "Consent revoked", id=consent.pk
                )
            )
    return entries
