"""A person's record as one reader may see it, group by group, through the gate."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from coresponder.core.audit import Actor, record_list_read
from coresponder.core.errors import Forbidden
from coresponder.domain.policy import WITHHELD_TEXT, FieldGroup, GroupVisibility, RecordType
from coresponder.domain.text import plain_text
from coresponder.outreach.engagement import is_engaged
from coresponder.people.models import Person
from coresponder.privacy.access import (
    PersonAccess,
    finds_people,
    impossible_dates,
    role_grants,
    search_people,
    searching_in,
)
from coresponder.services.models import ServiceReferral, sent_to_provider
from coresponder.services.referral_status import (
    service_referral_status,
    service_said,
    shown_version,
    status_shown,
)

G = FieldGroup

# The vocabulary each detail key's codes come from, so a person reads labels.
DETAIL_VOCABULARIES = {
    "pathway": "pathway",
    "channel": "channel",
    "outcome": "outcome",
    "close_reason": "close_reason",
    "status": "outreach_status",
    "target": "outreach_target",
    "kind": "encounter_kind",
    "disposition": "disposition",
    "instrument": "instrument",
    "band": "band",
    "role": "contact_role",
    "relationship": "relationship",
    "source": "source",
    "category": "offense",
    "covers": "field_group",
    "organization_kind": "organization_kind",
}


# Detail keys whose label is not the key in words: what the forms and pages call them.
DETAIL_LABELS = {
    "case_number": "Case or docket number",
    "call_priority": "Dispatch priority",
    "call_address": "Street address",
    "appointment_at": "Appointment",
}


def may_search_people(user: Any) -> bool:
    """Whether any role the user holds looks people up by name (not a prosecutor's or an
    analyst's, who see diversions or figures)."""
    return any(finds_people(role) for _program, role in role_grants(user))


# The longest search read: a name and a birth date, and then some.
MAX_QUERY = 200


def search_query(typed: str) -> tuple[str, list[str]]:
    """What a search looks for in what was typed: without control or direction characters,
    at most MAX_QUERY characters; and what to tell the searcher of it."""
    q = " ".join(plain_text(typed).split())
    said: list[str] = []
    if len(q) > MAX_QUERY:
        q = q[:MAX_QUERY].rstrip()
        said.append(f"Only the first {MAX_QUERY} characters were searched.")
    said += [f"“{day}” is not a date: check the day and the month." for day in impossible_dates(q)]
    return q, said


def find_people(actor: Actor, user: Any, q: str, page: Any, per_page: int) -> Page[Person]:
    """One page of the people `user` may see that `q` finds (`privacy.access.search_people`),
    names and birth dates only, audited as one read naming what was typed and the ids shown.

    The one person search, for the web and the API alike. Raises Forbidden for a user no
    role of whom searches people.
    """
    if not may_search_people(user):
        raise Forbidden("Your role does not search people.")
    people = search_people(user, q).only(
        "id", "given_name", "family_name", "birth_date", "birth_year"
    )
    found = Paginator(people, per_page).get_page(page)
    # Filed under the searcher's program where they search in one, and under each person
    # found, so a review of the person finds the search that showed them.
    record_list_read(
        actor,
        object_type="people.person",
        ids=[person.pk for person in found.object_list],
        program_slug=searching_in(user),
        fields=["identity"],
        detail={"q": q, "page": found.number},
    )
    return found


def detail_label(key: str) -> str:
    """The label a person reads for a history entry's detail key."""
    return DETAIL_LABELS.get(key) or key.replace("_", " ").capitalize()


def _withheld() -> dict[str, str]:
    return {"withheld": WITHHELD_TEXT}


def person_record(access: PersonAccess) -> dict[str, Any]:
    """The fields this reader may see; consent-only groups without consent say so."""
    person = access.person
    programs = access.program_ids
    record: dict[str, Any] = {"id": person.pk, "version": person.version}
    if access.shows(G.IDENTITY):
        record.update(
            given_name=person.given_name,
            family_name=person.family_name,
            aliases=person.aliases,
            birth_date=person.birth_date,
            birth_year=person.birth_year,
            sex=person.sex,
            race=person.race,
            ethnicity=person.ethnicity,
        )
    if access.shows(G.CONTACT):
        record.update(
            phone=person.phone,
            address=person.address,
            latitude=person.latitude,
            longitude=person.longitude,
            collaterals=[
                {"id": c.pk, "relationship": c.relationship, "name": c.name, "phone": c.phone}
                for c in person.collaterals.all()
            ],
        )
    # Each program's records as the reader's role in that program reads them.
    if referring := access.programs_showing(G.REFERRAL):
        record["referrals"] = _referrals(access, referring)
    if outreach := access.programs_showing(G.OUTREACH):
        record["outreach_tasks"] = _outreach(access, outreach)
        record["encounters"] = _encounters(access, outreach)
    if engaging := access.programs_showing(G.ENGAGEMENT):
        record["engaged"] = is_engaged(person.pk, engaging)
    record.update(_clinical(access, programs))
    service_referrals = _service_referrals(access, programs)
    if service_referrals is not None:
        record["service_referrals"] = service_referrals
    if access.withheld:
        record["withheld"] = sorted(g.value for g in access.withheld)
    notice = access.notice()
    if notice:
        record["redisclosure_notice"] = notice
    return record


def _referrals(access: PersonAccess, programs: list[int]) -> list[dict[str, Any]]:
    justice = set(access.programs_showing(G.JUSTICE))
    rows = []
    for referral in access.person.referrals.filter(program_id__in=programs).select_related(
        "program", "district"
    ):
        row: dict[str, Any] = {
            "id": referral.pk,
            "program": referral.program.slug,
            "pathway": referral.pathway,
            "received_at": referral.received_at,
            "eligible": referral.eligible,
            "reasons": referral.eligibility_reasons,
            "district": referral.district.code if referral.district else None,
        }
        shows_justice = referral.program_id in justice
        offense = offense_of(referral, shows_justice)
        if offense is not None:
            row["offense"] = offense
        case_number = case_number_of(referral, shows_justice)
        if case_number is not None:
            row["case_number"] = case_number
        rows.append(row)
    return rows


def offense_of(referral: Any, show_offense: bool) -> dict[str, Any] | None:
    """Offense detail (JUSTICE) of a referral, when the reader sees it and there is one."""
    if not show_offense or not referral.offense_category:
        return None
    return {
        "category": referral.offense_category,
        "violent": referral.offense_violent,
        "weapon": referral.offense_weapon,
    }


def case_number_of(referral: Any, show_justice: bool) -> str | None:
    """The case or docket number of a diversion in lieu of arrest (JUSTICE, as its offense),
    when the reader sees offense detail and one was recorded."""
    if not show_justice or not referral.case_number:
        return None
    return str(referral.case_number)


def _outreach(access: PersonAccess, programs: list[int]) -> list[dict[str, Any]]:
    """The follow-ups, each attempt's outcome as the reader reads it (treatment is clinical)."""
    person = access.person
    tasks = person.outreach_tasks.filter(program_id__in=programs).select_related("program")
    return [
        {
            "id": task.pk,
            "program": task.program.slug,
            "status": task.status,
            "target": task.target,
            "window_start": task.window_start,
            "window_end": task.window_end,
            "attempts": [
                {
                    "attempted_at": a.attempted_at,
                    "channel": a.channel,
                    "outcome": access.value("outcome", a.outcome, task.program_id),
                    "naloxone_kits_left": a.naloxone_kits_left,
                }
                for a in task.attempts.all()
            ],
        }
        for task in tasks.prefetch_related("attempts")
    ]


def _encounters(access: PersonAccess, programs: list[int]) -> list[dict[str, Any]]:
    """The encounters, each disposition as the reader reads it (treatment is clinical)."""
    encounters = access.person.encounters.filter(program_id__in=programs).select_related("program")
    return [
        {
            "id": e.pk,
            "program": e.program.slug,
            "occurred_at": e.occurred_at,
            "kind": e.kind,
            **access.ending(e.disposition, e.destination, e.program_id),
        }
        for e in encounters
    ]


def _clinical(access: PersonAccess, programs: list[int]) -> dict[str, Any]:
    """Screenings and encounter notes: clinical, shown, withheld or absent."""
    encounters = access.person.encounters.filter(program_id__in=programs)
    # The programs holding clinical detail of the person: only their reads are decided, so
    # a program with none records no refusal and discloses nothing.
    holding = set(
        encounters.filter(Q(screenings__isnull=False) | ~Q(clinical_note="")).values_list(
            "program_id", flat=True
        )
    )
    if not holding:
        return {}
    shown = [pid for pid in sorted(holding) if access.shows(G.CLINICAL, pid)]
    if not shown:
        return {"screenings": _withheld()} if G.CLINICAL in access.withheld else {}
    encounters = encounters.filter(program_id__in=shown)
    screenings = [
        {
            "encounter_id": s.encounter_id,
            "instrument": s.instrument,
            "answers": s.answers,
            "score": s.score,
            "band": s.band,
        }
        for e in encounters.prefetch_related("screenings")
        for s in e.screenings.all()
    ]
    notes = [{"encounter_id": e.pk, "note": e.clinical_note} for e in encounters if e.clinical_note]
    return {"screenings": screenings, "clinical_notes": notes}


def _service_referrals(access: PersonAccess, programs: list[int]) -> list[dict[str, Any]] | None:
    referrals = visible_service_referrals(access, programs)
    if referrals is None:
        return None
    rows = []
    for referral in referrals:
        row: dict[str, Any] = {
            "id": referral.pk,
            "program": referral.program.slug,
            # Which Part 2 program the person was referred to is Part 2 detail.
            **service_said(access, referral),
            "requested_at": referral.requested_at,
        }
        status = service_referral_status(access, referral)
        row["version"] = shown_version(referral, status)
        row.update(status)
        # The appointment goes with the acceptance: said only where the status is.
        if referral.appointment_at is not None and status_shown(referral, status):
            row["appointment_at"] = referral.appointment_at
        rows.append(row)
    return rows


def visible_service_referrals(
    access: PersonAccess, programs: list[int]
) -> QuerySet[ServiceReferral] | None:
    """The person's service referrals this reader may learn of, or None for none at all."""
    referrals = ServiceReferral.objects.filter(
        person=access.person, program_id__in=programs
    ).select_related("service__organization", "program")
    referring = set(access.programs_showing(G.REFERRAL)) & set(programs)
    # Elsewhere, providers see only what was sent to their own organisation (a draft is
    # the referring team's until it is sent, and stays theirs if called off unsent).
    sent_to_them = [
        pid
        for pid in set(programs) - referring
        if access.decision(G.PART2, pid) is GroupVisibility.SHOWN
    ]
    if not referring and not sent_to_them:
        return None
    return referrals.filter(
        Q(program_id__in=referring)
        | (
            Q(
                program_id__in=sent_to_them,
                service__organization__partner_id=access.user.organization_id,
            )
            & sent_to_provider()
        )
    )


def shows_consents(access: PersonAccess) -> bool:
    """Consents are read by whoever records them (and keeps the accounting of disclosures)."""
    return access.may_write(RecordType.CONSENT)


def clinical_shown(
    access: PersonAccess, has_clinical: bool, program_id: int | None = None
) -> bool | None:
    """True/False when the reader sees clinical facts or not; None when there are none.

    Asked only when there is something clinical, so an empty record is not audited
    as a withheld read.
    """
    if not has_clinical:
        return None
    return access.shows(G.CLINICAL, program_id)
