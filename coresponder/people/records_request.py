"""A records request (HIPAA right of access, 45 CFR 164.524): everything held about one person.

The export is what the gate shows the person answering the request (a coordinator or an
administrator of a program that knows the person), kind by kind, in their programs; a
group the reader is not shown is named under "not included" with where the person may
ask for it instead (docs/security.md). The JSON keeps codes, as the API does; the
readable page says labels, with times on each program's clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Q

from coresponder.care.models import CarePlan, CarePlanGoal
from coresponder.care.reading import plan_record, plans_of
from coresponder.core.errors import Forbidden
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import (
    RECORDS_REQUEST_ROLES,
    Access,
    FieldGroup,
    GroupVisibility,
)
from coresponder.domain.screenings import answers_said
from coresponder.domain.vocabulary import field_words, label
from coresponder.identity.models import Merge
from coresponder.people.amendments import (
    denied_on,
    field_label,
    field_shown,
    value_text,
)
from coresponder.people.models import Amendment
from coresponder.people.reading import DETAIL_VOCABULARIES, detail_label, person_record
from coresponder.people.timeline import person_timeline
from coresponder.privacy.access import PersonAccess, access_person
from coresponder.programs.labels import (
    district_names,
    offense_label,
    organization_names,
    reached_label,
    recipient_label,
)
from coresponder.programs.local_time import format_date, format_datetime, local, zone_of
from coresponder.programs.models import Program

G = FieldGroup

# What a reader not shown a group tells the person about it.
NOT_INCLUDED_REASONS = {
    GroupVisibility.WITHHELD: "held under a consent that does not name this program's staff",
    GroupVisibility.HIDDEN: "not read by this role",
}
# 42 CFR 2.23: a Part 2 program may give a patient their own records without consent;
# the treatment provider that made them answers for them.
PART2_ELSEWHERE = "Ask the treatment provider, who holds these records (42 CFR 2.23)."
CLINICAL_ELSEWHERE = "Ask the program's clinical staff, who read this detail."

IDENTITY_KEYS = ("given_name", "family_name", "aliases", "birth_date", "birth_year")
IDENTITY_CODED = {"sex": "sex", "race": "race", "ethnicity": "ethnicity"}
CONTACT_KEYS = ("phone", "address", "latitude", "longitude")

AMENDMENT_STATUS = dict(Amendment.Status.choices)
GOAL_STATUS = dict(CarePlanGoal.Status.choices)
PLAN_STATUS = dict(CarePlan.Status.choices)


def access_records_request(user: Any, person_id: Any) -> PersonAccess:
    """The person through the gate, for a reader whose role answers records requests there.

    NotVisible as for any read; Forbidden for a reader who sees the person but whose role
    (an officer, a clinician, a prosecutor, a provider) does not answer for the program.
    """
    access = access_person(user, person_id)
    if not may_answer(access):
        raise Forbidden("Your role does not answer records requests.")
    return access


def may_answer(access: PersonAccess) -> bool:
    return any(role in RECORDS_REQUEST_ROLES for role in access.roles.values())


@dataclass
class RecordsRequest:
    """The export: `data` for the JSON file, `kinds` it holds, what it leaves out and why;
    `access` the reader's access it was read with (the parts withheld hidden), to audit."""

    data: dict[str, Any]
    kinds: list[str] = field(default_factory=list)
    access: PersonAccess | None = None


def records_request(
    access: PersonAccess, now: dt.datetime, withheld: Mapping[str, list[str]] | None = None
) -> RecordsRequest:
    """Everything this reader is shown of the person, in their programs, as of `now`; without
    the parts `withheld` (FieldGroup code → the grounds access to it was denied on, 45 CFR
    164.524(d)(1)), each named under "not included" with its grounds."""
    withheld = withheld or {}
    access = _without(access, withheld)
    person = access.person
    programs = list(Program.objects.filter(pk__in=access.program_ids).order_by("name"))
    record = person_record(access)  # asks the gate group by group, noting what it released
    data: dict[str, Any] = {
        "person_id": person.pk,
        "generated_at": now,
        "programs": [
            {"slug": p.slug, "name": p.name, "timezone": p.timezone, "first_seen_at": seen}
            for p in programs
            for seen in person.participations.filter(program=p).values_list(
                "first_seen_at", flat=True
            )
        ],
    }
    kinds = ["programs"]
    if "given_name" in record:
        data["identity"] = {key: record[key] for key in (*IDENTITY_KEYS, *IDENTITY_CODED)}
        kinds.append("identity")
    if "phone" in record:
        data["contact"] = {key: record[key] for key in CONTACT_KEYS}
        data["collaterals"] = record["collaterals"]
        kinds.append("contact")
    history = person_timeline(access)
    data["history"] = [
        {
            "at": local(entry["at"], entry["zone"]) if entry["zone"] else entry["at"],
            "kind": entry["kind"],
            "program": entry["program"],
            "title": entry["title"],
            "detail": entry["detail"],
        }
        for entry in history
    ]
    kinds += sorted({entry["kind"] for entry in history})
    plans = plans_of(access)
    if plans:
        data["care_plans"] = [plan_record(plan, now) for plan in plans]
        kinds.append("care_plans")
    if "given_name" in record:
        data["source_records"] = _source_records(access)
        data["merges"] = _merges(access)
        kinds += ["source_records", "merges"]
    data["amendments"] = _amendments(access)
    if data["amendments"]:
        kinds.append("amendments")
    data["audit_trail"] = _audit_trail(access)
    kinds.append("audit_trail")
    data["not_included"] = _not_included(access, withheld)
    notice = access.notice()
    if notice:
        data["redisclosure_notice"] = notice
    return RecordsRequest(data=data, kinds=kinds, access=access)


def _source_records(access: PersonAccess) -> list[dict[str, Any]]:
    """What each source reported of the person: identity, and contact where that is shown."""
    contact = access.decision(G.CONTACT) is GroupVisibility.SHOWN
    rows = []
    # The person's own source records, reached from the person the gate gave.
    for source in access.person.source_records.order_by("received_at", "id"):
        if source.program_id is not None and source.program_id not in access.program_ids:
            continue
        row: dict[str, Any] = {
            "source": source.source,
            "received_at": source.received_at,
            "given_name": source.given_name,
            "family_name": source.family_name,
            "birth_date": source.birth_date,
            "birth_year": source.birth_year,
            "sex": source.sex,
            "event_date": source.event_date,
            "facility": source.facility,
        }
        if contact:
            row.update(phone=source.phone, address=source.address)
        rows.append(row)
    return rows


def _merges(access: PersonAccess) -> list[dict[str, Any]]:
    """Records found to be this person's and joined to it (and any undoing)."""
    merges = Merge.objects.filter(kept=access.person).order_by("at", "id")
    return [
        {"at": m.at, "merged_record": m.merged_id, "by": m.actor_label, "undone_at": m.undone_at}
        for m in merges
    ]


def _amendments(access: PersonAccess) -> list[dict[str, Any]]:
    """Every amendment request and its answer; a clinical note's only where clinical is shown."""
    rows = []
    amendments = (
        Amendment.objects.filter(person=access.person, program_id__in=access.program_ids)
        .select_related("program")
        .order_by("received_on", "id")
    )
    for amendment in amendments:
        if not field_shown(access, amendment):
            continue
        rows.append(
            {
                "program": amendment.program.slug,
                "record": amendment.record_kind,
                "record_id": amendment.record_id,
                "field": amendment.field,
                "received_on": amendment.received_on,
                "status": amendment.status,
                "proposed_value": amendment.proposed_value,
                "original_value": amendment.original_value,
                "statement": amendment.statement,
                "decided_at": amendment.decided_at,
                "denial_grounds": amendment.denial_grounds or None,
                "denial_reason": amendment.denial_reason,
                "disagreement": amendment.disagreement,
                "include_with_disclosures": amendment.include_with_disclosures,
            }
        )
    return rows


def _audit_trail(access: PersonAccess) -> list[dict[str, Any]]:
    """Who read or changed the person's record, when, what and why: the audit events about
    them filed under the reader's programs or under none. Another program's events tell of
    what it holds; that program answers for them, as for its records. Events written
    before a program was renamed are filed under the slug it had then."""
    programs = Program.objects.filter(pk__in=list(access.slugs))
    slugs = [slug for program in programs for slug in program.filed_as]
    events = AuditEvent.objects.filter(
        Q(program_slug__in=slugs) | Q(program_slug=""),
        person_id=access.person.pk,
    ).order_by("at", "id")
    return [
        {
            "at": e.at,
            "who": e.actor_label,
            "action": e.action,
            "outcome": e.outcome,
            "what": e.fields,
            "purpose": e.purpose,
            "program": e.program_slug,
        }
        for e in events
    ]


def _without(access: PersonAccess, withheld: Mapping[str, list[str]]) -> PersonAccess:
    """The reader's access with the parts withheld read as hidden, so that every kind the
    export holds leaves them out as the gate leaves out a group the reader does not read.
    What it shows is disclosed and noted on the reader's own access, as before."""
    if not withheld:
        return access
    groups = {FieldGroup(code) for code in withheld}

    def deny(reads: Mapping[FieldGroup, Access]) -> dict[FieldGroup, Access]:
        return {g: Access.DENY if g in groups else a for g, a in reads.items()}

    return replace(
        access,
        reads=deny(access.reads),
        by_program={
            pid: replace(reads, reads=deny(reads.reads)) for pid, reads in access.by_program.items()
        },
    )


def withheld_words(grounds: list[str]) -> str:
    """Why a part withheld from the answer is not included: the grounds, in words."""
    said = "; ".join(label("access_denial_ground", ground) for ground in grounds)
    return f"withheld from this answer, access denied on these grounds: {said}"


def _not_included(access: PersonAccess, withheld: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"group": code, "reason": withheld_words(grounds), "ask": "", "grounds": grounds}
        for code, grounds in withheld.items()
    ]
    for group in FieldGroup:
        if group.value in withheld:
            continue
        # The person's own fields as the reader sees the person; a program's records as the
        # reader's role there reads them, so what one program's copy left out is listed.
        decisions = {access.decision(group)}
        if group not in (G.IDENTITY, G.CONTACT):
            decisions |= {access.decision(group, pid) for pid in access.roles}
        decisions.discard(GroupVisibility.SHOWN)
        if not decisions:
            continue
        consent_only = GroupVisibility.WITHHELD in decisions
        decision = GroupVisibility.WITHHELD if consent_only else GroupVisibility.HIDDEN
        where = ""
        if group is G.PART2:
            where = PART2_ELSEWHERE
        elif group is G.CLINICAL:
            where = CLINICAL_ELSEWHERE
        rows.append({"group": group.value, "reason": NOT_INCLUDED_REASONS[decision], "ask": where})
    return rows


# --- The readable page --------------------------------------------------------


def readable(export: RecordsRequest, zone: Any) -> dict[str, Any]:
    """The export in words: labels for codes, times on each program's clock (`zone` else)."""
    data = export.data
    zones = {p["slug"]: p["timezone"] for p in data["programs"]}
    names = {p["slug"]: p["name"] for p in data["programs"]}
    districts = district_names(zones)

    def when(value: Any, program: str = "") -> str:
        where = zones.get(program) or zone
        if isinstance(value, dt.datetime):
            return format_datetime(value, zone_of(where), named=True, with_year=True)
        if isinstance(value, dt.date):
            return format_date(value, with_year=True)
        return ""

    page: dict[str, Any] = {
        "generated_at": when(data["generated_at"]),
        "programs": [
            (p["name"], f"since {when(p['first_seen_at'], p['slug'])}") for p in data["programs"]
        ],
    }
    if "identity" in data:
        identity = data["identity"]
        born = (
            format_date(identity["birth_date"], with_year=True)
            if identity["birth_date"]
            else (f"{identity['birth_year']} (year only)" if identity["birth_year"] else "")
        )
        page["identity"] = [
            ("Name", f"{identity['given_name']} {identity['family_name']}"),
            ("Other names", "; ".join(identity["aliases"] or [])),
            ("Born", born or "Not known"),
            *[
                (vocab.capitalize(), label(vocab, identity[key]))
                for key, vocab in IDENTITY_CODED.items()
            ],
        ]
    if "contact" in data:
        contact = data["contact"]
        page["contact"] = [("Phone", contact["phone"]), ("Address", contact["address"])]
        page["collaterals"] = [_collateral(c) for c in data["collaterals"]]
    # The organisations the consents name, read at once for every consent in the history.
    organizations = organization_names(e["detail"].get("recipients") for e in data["history"])
    page["history"] = [
        {
            "at": when(entry["at"], entry["program"]),
            "program": names.get(entry["program"], ""),
            "title": entry["title"],
            "facts": _facts(entry, when, districts.get(entry["program"], {}), organizations),
        }
        for entry in data["history"]
    ]
    page["care_plans"] = [
        {
            "title": plan["title"],
            "program": names.get(plan["program"], ""),
            "facts": [
                ("Status", PLAN_STATUS.get(plan["status"], plan["status"])),
                ("Opened", when(plan["opened_on"])),
                # Completed or closed: the plan's page says "Ended" for both.
                ("Ended", when(plan["closed_on"]) if plan["closed_on"] else ""),
                ("Note", plan["note"]),
                *[
                    (goal["need_label"], _goal_said(goal, plan["program"], when))
                    for goal in plan["goals"]
                ],
                *[
                    (f"{f['kind_label']} follow-up", _follow_up_said(f, plan["program"], when))
                    for f in plan["follow_ups"]
                ],
            ],
        }
        for plan in data.get("care_plans", [])
    ]
    page["source_records"] = [
        {
            "source": label("source", row["source"]),
            "at": when(row["received_at"]),
            "said": ", ".join(
                str(value)
                for key in (
                    "given_name",
                    "family_name",
                    "birth_date",
                    "birth_year",
                    "phone",
                    "address",
                )
                if (value := row.get(key))
            ),
        }
        for row in data.get("source_records", [])
    ]
    page["merges"] = [
        (
            when(m["at"]),
            f"Record {m['merged_record']} joined to this one"
            + (f", undone {when(m['undone_at'])}" if m["undone_at"] else ""),
        )
        for m in data.get("merges", [])
    ]
    page["amendments"] = [
        {
            "field": field_label(a["record"], a["field"]),
            "received": when(a["received_on"]),
            "status": AMENDMENT_STATUS[a["status"]],
            "decided": when(a["decided_at"], a["program"]) if a["decided_at"] else "",
            "proposed": value_text(a["field"], a["proposed_value"]),
            "original": value_text(a["field"], a["original_value"]),
            "statement": a["statement"],
            "denial_grounds": denied_on(a["status"], a["denial_grounds"]),
            "denial_reason": a["denial_reason"],
            "disagreement": a["disagreement"],
            "with_disclosures": (
                "The request and the denial go with future disclosures, at the person's request"
                if a.get("include_with_disclosures")
                else ""
            ),
        }
        for a in data["amendments"]
    ]
    actions = dict(AuditEvent.Action.choices)
    outcomes = dict(AuditEvent.Outcome.choices)
    page["audit_trail"] = [
        {
            "at": when(e["at"], e["program"]),
            "who": e["who"],
            "action": actions.get(e["action"], e["action"]),
            "outcome": outcomes.get(e["outcome"], e["outcome"]),
            "what": "; ".join(field_words(str(g)) for g in e["what"]),
            "purpose": e["purpose"],
        }
        for e in data["audit_trail"]
    ]
    page["not_included"] = [
        (label("field_group", row["group"]), row["reason"], row["ask"])
        for row in data["not_included"]
    ]
    page["redisclosure_notice"] = data.get("redisclosure_notice", "")
    return page


def _facts(
    entry: dict[str, Any], when: Any, districts: dict[str, str], names: Mapping[str, str]
) -> list[tuple[str, str]]:
    """A history entry's detail as label/value pairs; ids left out."""
    program = entry["program"]
    # A service referral's status is the FHIR Task's; a follow-up's is the task's own.
    own = {"status": "task_status"} if entry["kind"] == "service_referral" else {}
    facts = []
    for key, value in entry["detail"].items():
        if key == "id" or key.endswith("_id") or value in (None, "", [], {}):
            continue
        if key == "district":
            value = districts.get(value, value)  # the program's name for it, not its code
        if key == "answers" and entry["detail"].get("instrument"):
            # Each item and its answer, not the option numbers the record keeps.
            facts.append(("Answers", answers_said(entry["detail"]["instrument"], value)))
            continue
        said = _said(value, key, program, when, own.get(key), names)
        # The labels the person's history page gives ("Dispatch priority"), not the keys.
        facts.append((detail_label(key), said))
    return facts


def _said(
    value: Any,
    key: str,
    program: str,
    when: Any,
    vocabulary: str | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if key == "recipient":
            return recipient_label(value, names)
        if key == "reached":
            return reached_label(value)
        if key == "offense":
            return offense_label(value)
        if key == "closing_checklist":
            # As the history page says it: the item, then its answer.
            return f"{value['item']}: {value['answer']}"
        return ", ".join(
            f"{k.replace('_', ' ')}: {_said(v, k, program, when)}" for k, v in value.items()
        )
    if isinstance(value, list):
        item = "recipient" if key == "recipients" else key
        return "; ".join(_said(v, item, program, when, names=names) for v in value)
    if isinstance(value, dt.date):
        return when(value, program)
    vocabulary = vocabulary or DETAIL_VOCABULARIES.get(key)
    return label(vocabulary, value) if vocabulary else str(value)


def _goal_said(goal: dict[str, Any], program: str, when: Any) -> str:
    """A care plan goal in words: what it is, where it stands, and each step toward it."""
    said = [goal["description"], GOAL_STATUS.get(goal["status"], goal["status"])]
    for step in goal["steps"]:
        parts = [f"Step: {step['description']}"]
        if step["due_on"]:
            parts.append(f"due {when(step['due_on'])}")
        parts.append(f"done {when(step['done_at'], program)}" if step["done_at"] else "not done")
        said.append(", ".join(parts))
    return "; ".join(part for part in said if part)


def _follow_up_said(follow_up: dict[str, Any], program: str, when: Any) -> str:
    """A scheduled follow-up in words: when it was due, and when it took place and what came
    of it."""
    said = f"due {when(follow_up['due_at'], program)}"
    if follow_up["done_at"]:
        said += f"; done {when(follow_up['done_at'], program)}"
        if follow_up["outcome"]:
            said += f": {follow_up['outcome']}"
    return said


def _collateral(row: dict[str, Any]) -> str:
    relationship = label("relationship", row["relationship"])
    return f"{row['name'] or 'Unnamed'} ({relationship}) {row['phone']}".strip()
