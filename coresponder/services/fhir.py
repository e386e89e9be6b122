"""Closed-loop referrals as HL7 FHIR: a ServiceRequest and its Task, in one Bundle.

The shapes follow the SDOH Clinical Care IG's referral pattern and validate
against the R4B models of `fhir.resources` (R4B keeps R4's ServiceRequest and
Task unchanged). The patient travels as an identifier only — minimum
necessary: the receiving system already knows the person it was referred, or
matches them by that identifier, so no name, birth date or address leaves here.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from coresponder.core.errors import ActionError
from coresponder.domain.clock import CLOCK_SKEW, EARLIEST_YEAR
from coresponder.domain.policy import REDISCLOSURE_NOTICE
from coresponder.domain.vocabulary import TaskStatus
from coresponder.people.amendments_in_disclosures import TITLE, RefusedCorrection
from coresponder.people.models import Person
from coresponder.privacy.models import Consent
from coresponder.programs.local_time import format_for_message
from coresponder.programs.models import Program
from coresponder.services.models import Service, ServiceReferral
from coresponder.services.referral_access import NOT_THIS_PROGRAMS, takes_referrals_from
from coresponder.services.referral_consent import consent_for_referral
from coresponder.services.referral_status import PRE_TREATMENT_STATUSES

S = TaskStatus
# ServiceRequest.status says whether the order stands; Task.status how it is going.
REQUEST_STATUS: dict[TaskStatus, str] = {
    S.DRAFT: "draft",
    S.REQUESTED: "active",
    S.ACCEPTED: "active",
    S.IN_PROGRESS: "active",
    S.ON_HOLD: "on-hold",
    S.COMPLETED: "completed",
    S.REJECTED: "revoked",
    S.CANCELLED: "revoked",
    S.FAILED: "revoked",
    S.ENTERED_IN_ERROR: "entered-in-error",
}
# HL7 confidentiality label for records under 42 CFR Part 2.
PART2_LABEL = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    "code": "42CFRPart2",
    "display": "42 CFR Part2",
}
WARM_HANDOFF = "Warm handoff"
# Task.code, which the SDOH Clinical Care IG's Task for referral management requires: the
# Task asks its owner to fulfil the ServiceRequest in its focus.
FULFILL = {
    "system": "http://hl7.org/fhir/CodeSystem/task-code",
    "code": "fulfill",
    "display": "Fulfill the focal request",
}

# R4's Task has no element for a time the owner booked: `restriction.period` is the window
# the requester asks fulfilment in, `executionPeriod` when the work was done. What the owner
# produced while fulfilling the request is a Task `output`, typed by a code of ours.
APPOINTMENT_OUTPUT = "Appointment"


def base_url() -> str:
    """The URI under which this deployment's identifiers live."""
    configured = getattr(settings, "CORESPONDER_FHIR_BASE", "")
    if configured:
        return str(configured).rstrip("/")
    hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
    return f"https://{hosts[0] if hosts else 'coresponder.invalid'}/fhir"


def system(kind: str) -> str:
    return f"{base_url()}/identifier/{kind}"


def _ref(kind: str, id_system: str, value: str, display: str = "") -> dict[str, Any]:
    ref: dict[str, Any] = {"type": kind, "identifier": {"system": id_system, "value": value}}
    if display:
        ref["display"] = display
    return ref


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def service_request(referral: ServiceReferral, *, with_note: bool = True) -> dict[str, Any]:
    service = referral.service
    org = service.organization
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": f"sr-{referral.pk}",
        "identifier": [{"system": system("service-referral"), "value": str(referral.pk)}],
        "status": REQUEST_STATUS[S(referral.status)],
        "intent": "order",
        "code": {
            "coding": [{"system": system("hsds-service"), "code": service.hsds_id}],
            "text": service.name,
        },
        "subject": _ref("Patient", system("person"), str(referral.person_id)),
        "authoredOn": _instant(referral.requested_at),
        "requester": _ref(
            "Organization", system("program"), referral.program.slug, referral.program.name
        ),
        "performer": [_ref("Organization", system("hsds-organization"), org.hsds_id, org.name)],
    }
    categories = [
        {
            "coding": [
                {
                    "system": system(f"taxonomy/{term.taxonomy}"),
                    "code": term.code,
                    "display": term.name,
                }
            ]
        }
        for term in service.taxonomy_terms.all()
    ]
    if categories:
        resource["category"] = categories
    if referral.note and with_note:
        resource["note"] = [{"text": referral.note}]
    if referral.consent_id is not None:
        resource["supportingInfo"] = [_ref("Consent", system("consent"), str(referral.consent_id))]
    return resource


def task(referral: ServiceReferral) -> dict[str, Any]:
    org = referral.service.organization
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": f"task-{referral.pk}",
        "identifier": [{"system": system("service-referral-task"), "value": str(referral.pk)}],
        "status": referral.status,
        "intent": "order",
        "code": {"coding": [dict(FULFILL)]},
        "focus": {"reference": f"ServiceRequest/sr-{referral.pk}"},
        "for": _ref("Patient", system("person"), str(referral.person_id)),
        "owner": _ref("Organization", system("hsds-organization"), org.hsds_id, org.name),
        "requester": _ref(
            "Organization", system("program"), referral.program.slug, referral.program.name
        ),
        "authoredOn": _instant(referral.requested_at),
        "lastModified": _instant(referral.status_changed_at),
    }
    if referral.status_reason:
        resource["statusReason"] = {"text": referral.status_reason}
    if referral.appointment_at is not None:
        resource["output"] = [
            {
                "type": {
                    "coding": [
                        {
                            "system": system("task-output"),
                            "code": "appointment",
                            "display": APPOINTMENT_OUTPUT,
                        }
                    ],
                    "text": APPOINTMENT_OUTPUT,
                },
                "valueDateTime": _instant(referral.appointment_at),
            }
        ]
    if referral.warm_handoff_at is not None:
        resource["note"] = [
            {
                "authorString": referral.warm_handoff_by or "unknown",
                "time": _instant(referral.warm_handoff_at),
                "text": WARM_HANDOFF,
            }
        ]
    return resource


def amendment_document(referral: ServiceReferral, correction: RefusedCorrection) -> dict[str, Any]:
    """A refused correction that goes with the referral (45 CFR 164.526(d)(4)-(5)), as a
    DocumentReference the ServiceRequest names in `supportingInfo`.

    A DocumentReference is FHIR's resource for a document kept with a patient's record:
    it carries the element whole, as a JSON attachment (the same the API gives), and its
    plain words as a second attachment for a receiver that does not know the element.
    A ServiceRequest `note` (an Annotation) would lose which field, which ground and
    which statement; a Provenance tells who changed a record, and here nothing changed.
    """

    def attachment(content_type: str, title: str, text: str) -> dict[str, Any]:
        data = base64.b64encode(text.encode("utf-8")).decode("ascii")
        return {"attachment": {"contentType": content_type, "title": title, "data": data}}

    element = json.dumps(correction.as_json(), ensure_ascii=False, sort_keys=True)
    return {
        "resourceType": "DocumentReference",
        "id": f"amendment-{correction.amendment_id}",
        "identifier": [{"system": system("amendment"), "value": str(correction.amendment_id)}],
        "status": "current",
        "type": {"text": TITLE},
        "subject": _ref("Patient", system("person"), str(referral.person_id)),
        "description": f"{correction.field} of {correction.record}: a correction the person "
        "asked for and was refused",
        "content": [
            attachment("application/json", TITLE, element),
            attachment("text/plain; charset=utf-8", TITLE, correction.as_text()),
        ],
        "context": {"related": [{"reference": f"ServiceRequest/sr-{referral.pk}"}]},
    }


def notice_narrative() -> dict[str, Any]:
    """The 42 CFR 2.32 notice as a resource's human-readable text, which travels with it."""
    div = f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{escape(REDISCLOSURE_NOTICE)}</p></div>'
    return {"status": "additional", "div": div}


def mark_part2(resource: dict[str, Any]) -> None:
    """Label a resource as a Part 2 record and carry the redisclosure notice in its text."""
    resource["meta"] = {"security": [PART2_LABEL]}
    resource["text"] = notice_narrative()


def carries_part2(referral: ServiceReferral) -> bool:
    """A referral to a Part 2 program, or one whose status tells of treatment, is Part 2 data."""
    return referral.service.part2_program or referral.status not in PRE_TREATMENT_STATUSES


def referral_bundle(
    referral: ServiceReferral,
    *,
    with_note: bool = True,
    corrections: Sequence[RefusedCorrection] = (),
) -> dict[str, Any]:
    """A FHIR R4 collection Bundle: the referral's ServiceRequest and its Task, validated,
    with a DocumentReference for each refused correction that goes with it.

    When it holds Part 2 data both resources carry the security label and, as text,
    the redisclosure notice.
    """
    base = base_url()
    # The referrer's note may hold clinical detail: left out for a reader not shown it.
    sr, tk = service_request(referral, with_note=with_note), task(referral)
    if carries_part2(referral):
        mark_part2(sr)
        mark_part2(tk)
    documents = [amendment_document(referral, correction) for correction in corrections]
    if documents:
        sr.setdefault("supportingInfo", []).extend(
            {"reference": f"DocumentReference/{document['id']}"} for document in documents
        )
    data = {
        "resourceType": "Bundle",
        "id": f"referral-{referral.pk}",
        "type": "collection",
        "timestamp": _instant(referral.modified_at or referral.status_changed_at),
        "entry": [
            {"fullUrl": f"{base}/ServiceRequest/{sr['id']}", "resource": sr},
            {"fullUrl": f"{base}/Task/{tk['id']}", "resource": tk},
            *(
                {"fullUrl": f"{base}/DocumentReference/{document['id']}", "resource": document}
                for document in documents
            ),
        ],
    }
    validate_bundle(data)
    return data


def validate_bundle(data: Any) -> Bundle:
    """The R4B Bundle, or ActionError naming what does not fit."""
    try:
        return Bundle.model_validate(data)
    except (ValidationError, ValueError, TypeError) as exc:
        raise ActionError(
            "The bundle is not valid FHIR R4.", {"bundle": [_what_does_not_fit(exc)[:2000]]}
        ) from exc


def _what_does_not_fit(exc: Exception) -> str:
    """The validator's findings on one line, each as `where: what`, without its links."""
    if not isinstance(exc, ValidationError):
        return " ".join(str(exc).split())
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'bundle'}: {error['msg']}"
        for error in exc.errors()
    )


# --- Import -----------------------------------------------------------------------


# A version-specific reference or fullUrl ends in /_history/<version>; the version is
# not part of what the entry is (FHIR R4, Bundle: "Resolving references in Bundles").
HISTORY = re.compile(r"/_history/[^/]+$")
# A relative reference: [type]/[id].
RELATIVE = re.compile(r"(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})")
# A RESTful fullUrl, [root][type]/[id]: what a relative reference in its resource is read against.
RESTFUL = re.compile(r"(?P<root>https?://\S+/)[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}")


@dataclass(frozen=True)
class Entry:
    """A bundle entry: its resource and the fullUrl that names it in the bundle ("" if none)."""

    full_url: str
    resource: dict[str, Any]


def _entries(data: dict[str, Any]) -> list[Entry]:
    return [
        Entry(HISTORY.sub("", str(entry.get("fullUrl") or "")), entry.get("resource") or {})
        for entry in data.get("entry") or []
    ]


def _one(entries: list[Entry], kind: str) -> Entry:
    found = [e for e in entries if e.resource.get("resourceType") == kind]
    if len(found) != 1:
        raise ActionError(
            "The bundle must hold one ServiceRequest and one Task.",
            {"bundle": [f"found {len(found)} {kind} resources"]},
        )
    return found[0]


def _resolve(ref: Any, source: Entry, entries: list[Entry]) -> dict[str, Any] | None:
    """The bundle's resource a Reference points at, by FHIR R4's rules for bundles.

    An absolute reference (`https://…/ServiceRequest/1`, `urn:uuid:…`) is an entry's
    fullUrl; a relative one (`ServiceRequest/1`) is read against the root of the fullUrl
    of the entry that holds it, else (a transaction's entries may have none) is the
    entry of that type and id. A version (`/_history/2`) is left out of either.
    """
    reference = HISTORY.sub("", str((ref or {}).get("reference") or "").strip())
    if not reference:
        return None
    relative = RELATIVE.fullmatch(reference)
    root = RESTFUL.fullmatch(source.full_url)
    url = f"{root['root']}{reference}" if relative and root else reference
    found = next((e.resource for e in entries if e.full_url and e.full_url == url), None)
    if found is None and relative:
        found = next(
            (
                e.resource
                for e in entries
                if e.resource.get("resourceType") == relative["type"]
                and e.resource.get("id") == relative["id"]
            ),
            None,
        )
    return found


def _identifier(ref: Any, id_system: str, source: Entry, entries: list[Entry]) -> str:
    """The value under `id_system` a Reference carries, or that the resource it points at has."""
    identifier = (ref or {}).get("identifier") or {}
    if identifier.get("system") == id_system:
        return str(identifier.get("value", ""))
    target = _resolve(ref, source, entries) or {}
    return next(
        (
            str(i.get("value", ""))
            for i in target.get("identifier") or []
            if i.get("system") == id_system
        ),
        "",
    )


def _moment(raw: Any, now: dt.datetime) -> dt.datetime | str:
    """The time a bundle gives, or why it cannot be taken: it has happened, so it is no later
    than now (give or take the CLOCK_SKEW a sender's clock may run ahead) and not before 1900."""
    try:
        moment = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return "give a time with its offset"
    if moment.tzinfo is None:
        return "give a time with its offset"
    if moment.year < EARLIEST_YEAR:
        return f"give a time from {EARLIEST_YEAR} on, not {moment.isoformat()}"
    if moment > now + CLOCK_SKEW:
        minutes = int(CLOCK_SKEW.total_seconds() // 60)
        return (
            f"{moment.isoformat()} is later than now: give the time it happened (a sending "
            f"system's clock may run at most {minutes} minutes ahead)"
        )
    return moment


@dataclass(frozen=True)
class _Times:
    requested_at: dt.datetime
    status_changed_at: dt.datetime
    warm_handoff_at: dt.datetime | None


def _times(sr: dict[str, Any], tk: dict[str, Any], handoff: dict[str, Any] | None) -> _Times:
    """The referral's times, each one that has happened, in order: the Task changed no earlier
    than the referral was made, and the handoff, as a handoff recorded here, no more than 24
    hours before it. ActionError naming every field that does not fit."""
    now = timezone.now()
    errors: dict[str, list[str]] = {}

    def read(raw: Any, field: str) -> dt.datetime | None:
        moment = _moment(raw, now)
        if isinstance(moment, str):
            errors[field] = [moment]
            return None
        return moment

    authored = tk.get("authoredOn") or sr.get("authoredOn")
    if authored:
        requested = read(authored, "authoredOn")
    else:
        requested = None
        errors["authoredOn"] = [
            "is missing: the Task, or its ServiceRequest, must say when the referral was sent"
        ]
    changed = read(tk["lastModified"], "lastModified") if tk.get("lastModified") else requested
    handed_off = read(handoff["time"], "note") if handoff else None
    if requested is not None and changed is not None and changed < requested:
        errors["lastModified"] = [
            f"is before the referral was made: {changed.isoformat()} is earlier than "
            f"authoredOn {requested.isoformat()}"
        ]
    if (
        requested is not None
        and handed_off is not None
        and handed_off < requested - dt.timedelta(days=1)
    ):
        errors["note"] = ["the warm handoff is more than 24 hours before the referral was made"]
    if errors or requested is None or changed is None:
        raise ActionError("The bundle has invalid times.", errors)
    return _Times(requested, changed, handed_off)


def _lookup(
    sr_entry: Entry, tk_entry: Entry, entries: list[Entry]
) -> tuple[Person, Service, Program]:
    sr, tk = sr_entry.resource, tk_entry.resource
    errors: dict[str, list[str]] = {}
    person_id = _identifier(sr.get("subject"), system("person"), sr_entry, entries)
    person = Person.objects.filter(pk=int(person_id)).first() if person_id.isdigit() else None
    if person is None:
        errors["subject"] = ["no person here carries the patient's identifier"]
    codings = (sr.get("code") or {}).get("coding") or []
    hsds = next((c.get("code") for c in codings if c.get("system") == system("hsds-service")), "")
    service = Service.objects.select_related("organization__partner").filter(hsds_id=hsds).first()
    if service is None:
        errors["code"] = ["no service in the directory carries the HSDS service id"]
    slug = _identifier(sr.get("requester"), system("program"), sr_entry, entries)
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        errors["requester"] = ["the requesting program is not known here"]
    if person is not None and program is not None:
        # A bundle may refer only someone the requesting program already knows.
        if not person.participations.filter(program=program).exists():
            errors["subject"] = ["no person here carries the patient's identifier"]
    if service is not None and program is not None and not takes_referrals_from(service, program):
        # Its provider's staff would never see the referral in their inbox.
        errors["code"] = [NOT_THIS_PROGRAMS]
    if _identifier(tk.get("for"), system("person"), tk_entry, entries) != person_id:
        errors["for"] = ["the Task is for a different patient than the ServiceRequest"]
    if _resolve(tk.get("focus"), tk_entry, entries) is not sr:
        focus = str((tk.get("focus") or {}).get("reference") or "")
        errors["focus"] = [
            f"the Task does not point at the bundle's ServiceRequest ({focus or 'no reference'})"
        ]
    if errors or person is None or service is None or program is None:
        raise ActionError("The bundle does not match records here.", errors)
    return person, service, program


@dataclass(frozen=True)
class BundleReferral:
    """A bundle's referral, checked against the records here and ready to store."""

    person: Person
    service: Service
    program: Program
    status: TaskStatus
    status_reason: str
    note: str
    requested_at: dt.datetime
    status_changed_at: dt.datetime
    consent: Consent | None
    warm_handoff_by: str
    warm_handoff_at: dt.datetime | None
    bundle_id: str
    # The sending system's identifier of the ServiceRequest, "system|value" ("" if none).
    source_identifier: str = ""


def read_referral_bundle(data: Any) -> BundleReferral:
    """The referral a FHIR Bundle holds; ActionError when any part of the bundle does not fit."""
    validate_bundle(data)
    entries = _entries(data)
    sr_entry, tk_entry = _one(entries, "ServiceRequest"), _one(entries, "Task")
    sr, tk = sr_entry.resource, tk_entry.resource
    person, service, program = _lookup(sr_entry, tk_entry, entries)
    own = next(
        (
            str(i.get("value", ""))
            for i in sr.get("identifier") or []
            if i.get("system") == system("service-referral")
        ),
        "",
    )
    if own.isdigit() and ServiceReferral.objects.filter(pk=int(own)).exists():
        raise ActionError(
            "This referral is already here.", {"identifier": [f"service referral {own} exists"]}
        )
    try:
        status = S(str(tk.get("status")))
    except ValueError as exc:
        raise ActionError(
            "The Task status is not a FHIR Task status.",
            {"status": [f"{tk.get('status')!r} is not one of {', '.join(S)}"]},
        ) from exc
    handoff = next(
        (n for n in tk.get("note") or [] if n.get("text") == WARM_HANDOFF and n.get("time")), None
    )
    times = _times(sr, tk, handoff)
    note = "\n".join(str(n.get("text", "")) for n in sr.get("note") or [])
    consent = None
    if service.part2_program:
        # What the provider was told, it was told when the referral was sent (authoredOn):
        # a consent in force then covers it, whatever became of the consent since.
        consent = consent_for_referral(person.pk, program, service, times.requested_at, note)
        if consent is None:
            raise ActionError(
                "A consent is needed for this treatment program.",
                {"consent": [_no_consent(service, program, times.requested_at, tk, status)]},
            )
    return BundleReferral(
        person=person,
        service=service,
        program=program,
        status=status,
        status_reason=str((tk.get("statusReason") or {}).get("text", ""))[:300],
        note=note,
        requested_at=times.requested_at,
        status_changed_at=times.status_changed_at,
        consent=consent,
        warm_handoff_by=str(handoff.get("authorString", ""))[:200] if handoff else "",
        warm_handoff_at=times.warm_handoff_at,
        bundle_id=str(data.get("id", ""))[:64],
        source_identifier=_source_identifier(sr),
    )


def _no_consent(
    service: Service, program: Program, at: dt.datetime, tk: dict[str, Any], status: TaskStatus
) -> str:
    """Why a Part 2 referral is refused: no consent in force when it was sent (or written, for
    a draft), naming the entry whose authoredOn gives that time, on the program's clock."""
    entry = "Task" if tk.get("authoredOn") else "ServiceRequest"
    sent = "written" if status is S.DRAFT else "sent"
    return (
        f"no consent in force at {format_for_message(at, program)}, when the {entry}'s "
        f"authoredOn says the referral was {sent}, names the provider of {service.name} and "
        "covers what it discloses"
    )


def _source_identifier(sr: dict[str, Any]) -> str:
    """The first identifier another system gave the ServiceRequest, as "system|value": the
    business identifier a sender keeps when it sends the same referral again."""
    ours = system("service-referral")
    for identifier in sr.get("identifier") or []:
        if not isinstance(identifier, dict):
            continue
        id_system = str(identifier.get("system") or "").strip()
        value = str(identifier.get("value") or "").strip()
        if value and id_system != ours:
            return f"{id_system}|{value}"[:300]
    return ""
