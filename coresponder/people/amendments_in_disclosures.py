"""A refused correction goes with the information it concerns (45 CFR 164.526(d)(4)-(5)).

When a program denied a person's request to amend their record and the person filed a
statement of disagreement, every later disclosure of the information the disagreement
relates to carries the request, the denial and the statement. Without a statement, the
request and the denial go along only where the person asked for that
(`Amendment.include_with_disclosures`). An accepted request, or one awaiting a decision,
goes with nothing: the record itself says what was changed.

Each channel that discloses a person's information (a referral's page, its API record and
its FHIR bundle, an encounter's page and API record, the FHIR export) asks this module
which refused corrections go with what it discloses, and says so in the accounting of
disclosures (`Disclosure.amendments`). What goes along is only the disclosing program's,
about records the disclosure holds, and about fields the recipient may be shown: a
reader through the gate (`attached_for_reader`) or the role a file is made for
(`attached_for_role`). This repeats the fields' values (as they were, as the person asked
them to be), so nobody learns through it what the record itself would not show them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from ninja import Field, Schema

from coresponder.domain.policy import FieldGroup, Scope
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.people.amendments import (
    GROUP_OF,
    denied_on,
    field_label,
    field_shown,
    release_field,
    value_text,
)
from coresponder.people.models import Amendment
from coresponder.privacy.access import PersonAccess, may_read, scope_of
from coresponder.programs.local_time import as_date, format_date

Kind = Amendment.RecordKind

HEADING = "A correction the person asked for and was refused"
# What a file or an API record calls the element, and what a FHIR receiver reads as its type.
TITLE = (
    "Request for amendment, its denial and the person's statement of disagreement "
    "(45 CFR 164.526(d)(4)-(5))"
)


@dataclass(frozen=True)
class RefusedCorrection:
    """One denied amendment request as it travels with a disclosure: in words, no codes."""

    amendment_id: int
    program: str
    record_kind: str
    record_id: int
    record: str
    field: str
    group: FieldGroup
    received_on: dt.date
    denied_on: dt.date | None
    asked: str
    proposed: str
    held: str
    denial_grounds: str
    denial_reason: str
    disagreement: str
    asked_to_include: bool

    def as_json(self) -> dict[str, Any]:
        """The element an API record or a file carries."""
        return {
            "amendment_id": self.amendment_id,
            "program": self.program,
            "record_kind": self.record_kind,
            "record_id": self.record_id,
            "record": self.record,
            "field": self.field,
            "received_on": self.received_on.isoformat(),
            "denied_on": self.denied_on.isoformat() if self.denied_on else None,
            "request": {"statement": self.asked, "proposed_value": self.proposed},
            "value_kept": self.held,
            "denial": {"grounds": self.denial_grounds, "reason": self.denial_reason},
            "statement_of_disagreement": self.disagreement or None,
            "person_asked_that_it_go_with_disclosures": self.asked_to_include,
        }

    def as_text(self) -> str:
        """The same in plain words, for a reader that does not parse the element."""
        lines = [
            f"{HEADING}: {self.field} ({self.record}).",
            f"The person asked for: {self.proposed}."
            + (f" In their words: {self.asked}" if self.asked else ""),
            f"The record keeps: {self.held}.",
            f"Denied on the ground: {self.denial_grounds}."
            + (f" Reason: {self.denial_reason}" if self.denial_reason else ""),
        ]
        if self.disagreement:
            lines.append(f"The person's statement of disagreement: {self.disagreement}")
        else:
            lines.append("The person asked that the request and the denial go with disclosures.")
        return "\n".join(lines)


class RequestOut(Schema):
    statement: str = Field(..., description="The person's request, in their words")
    proposed_value: str = Field(..., description="What they asked the field to say, in words")


class DenialOut(Schema):
    grounds: str = Field(..., description="The ground of 45 CFR 164.526(a)(2), in words")
    reason: str


class RefusedCorrectionOut(Schema):
    """A denied amendment request that goes with the information it concerns."""

    amendment_id: int
    program: str
    record_kind: str = Field(..., description="'person' or 'encounter'")
    record_id: int
    record: str = Field(..., description="The record, in words")
    field: str = Field(..., description="The field, in words")
    received_on: dt.date
    denied_on: dt.date | None = Field(None, description="On the program's calendar")
    request: RequestOut
    value_kept: str = Field(..., description="What the record says, which the denial kept")
    denial: DenialOut
    statement_of_disagreement: str | None = Field(
        None, description="The person's statement of disagreement; null where they filed none"
    )
    person_asked_that_it_go_with_disclosures: bool


def goes_with_disclosures(amendment: Amendment) -> bool:
    """Whether a request travels with disclosures at all: denied, and either disputed by a
    statement of disagreement or asked by the person to go along."""
    return amendment.status == Amendment.Status.DENIED and (
        bool(amendment.disagreement.strip()) or amendment.include_with_disclosures
    )


def _travelling(
    person_id: int, program_id: int, *, person: bool, encounter_ids: Collection[int]
) -> list[Amendment]:
    """The program's denied requests about these records that go with disclosures."""
    records = Q(pk__in=[])
    if person:
        records |= Q(record_kind=Kind.PERSON, record_id=person_id)
    if encounter_ids:
        records |= Q(record_kind=Kind.ENCOUNTER, record_id__in=list(encounter_ids))
    found = (
        Amendment.objects.filter(
            person_id=person_id, program_id=program_id, status=Amendment.Status.DENIED
        )
        .filter(~Q(disagreement="") | Q(include_with_disclosures=True))
        .filter(records)
        .select_related("program")
        .order_by("decided_at", "id")
    )
    return [a for a in found if goes_with_disclosures(a)]


def attached_for_reader(
    access: PersonAccess,
    program_id: int,
    *,
    person: bool = True,
    encounter_ids: Collection[int] = (),
) -> list[RefusedCorrection]:
    """What goes with a disclosure to a reader through the gate: only fields `access` shows.

    A field shown by a consent or break-glass is noted on `access` as released, so the
    caller's accounting (`privacy.actions.record_person_read`) lists it with its notice."""
    attached = []
    for amendment in _travelling(
        access.person.pk, program_id, person=person, encounter_ids=encounter_ids
    ):
        if field_shown(access, amendment):
            release_field(access, amendment)
            attached.append(amendment)
    return _in_words(attached)


def attached_to_release(
    access: PersonAccess,
    program_id: int,
    *,
    person: bool = True,
    encounter_ids: Collection[int] = (),
) -> list[RefusedCorrection]:
    """`attached_for_reader`, where the read is a disclosure: only fields released to the
    reader by a consent or break-glass. The holder's own staff reading their own record
    (the clinical team its notes) disclose nothing, and carry nothing."""
    return [
        correction
        for correction in attached_for_reader(
            access, program_id, person=person, encounter_ids=encounter_ids
        )
        if access.disclosure_basis(
            correction.group, program_id if correction.record_kind != Kind.PERSON else None
        )
    ]


def attached_to_person_record(
    access: PersonAccess, encounter_ids: Collection[int] = ()
) -> list[RefusedCorrection]:
    """What goes with a person's record as `access` reads it, where that read is a
    disclosure: the person's own fields, to a reader whose role learns of people from
    outside the program that holds them (a provider, of the people referred to it); the
    clinical notes shown (`encounter_ids`), where a consent or break-glass released them.
    The program's own staff reading its record disclose nothing, and carry nothing."""
    attached: list[RefusedCorrection] = []
    for program_id, role in sorted(access.roles.items()):
        if scope_of(role) is not Scope.PROGRAM:
            attached += attached_for_reader(access, program_id)
        if encounter_ids and access.disclosure_basis(FieldGroup.CLINICAL, program_id):
            attached += attached_to_release(
                access, program_id, person=False, encounter_ids=encounter_ids
            )
    return attached


def attached_for_role(
    person_id: int,
    program_id: int,
    role: Role,
    *,
    person: bool = True,
    encounter_ids: Collection[int] = (),
) -> list[RefusedCorrection]:
    """What goes with a file made for a role outside the program (a provider's FHIR bundle):
    only fields that role reads outright, never one it would need a consent to see."""
    return _in_words(
        [
            amendment
            for amendment in _travelling(
                person_id, program_id, person=person, encounter_ids=encounter_ids
            )
            if may_read(role, GROUP_OF[amendment.field])
        ]
    )


def _in_words(amendments: Sequence[Amendment]) -> list[RefusedCorrection]:
    encounter_days = _encounter_days(
        [a.record_id for a in amendments if a.record_kind == Kind.ENCOUNTER]
    )
    return [
        RefusedCorrection(
            amendment_id=a.pk,
            program=a.program.slug,
            record_kind=a.record_kind,
            record_id=a.record_id,
            record=_record_words(a, encounter_days),
            field=field_label(a.record_kind, a.field),
            group=GROUP_OF[a.field],
            received_on=a.received_on,
            denied_on=as_date(a.decided_at, a.program) if a.decided_at else None,
            asked=a.statement,
            proposed=value_text(a.field, a.proposed_value),
            held=value_text(a.field, a.original_value),
            denial_grounds=denied_on(a.status, a.denial_grounds),
            denial_reason=a.denial_reason,
            disagreement=a.disagreement,
            asked_to_include=a.include_with_disclosures,
        )
        for a in amendments
    ]


def _encounter_days(ids: Iterable[int]) -> dict[int, str]:
    ids = list(ids)
    if not ids:
        return {}
    return {
        e.pk: format_date(e.occurred_at, e.program, with_year=True)
        for e in Encounter.objects.filter(pk__in=ids).select_related("program")
    }


def _record_words(amendment: Amendment, encounter_days: Mapping[int, str]) -> str:
    if amendment.record_kind == Kind.PERSON:
        return "the person's record"
    day = encounter_days.get(amendment.record_id)
    return f"the encounter of {day}" if day else "an encounter"


def ids_by_group(corrections: Iterable[RefusedCorrection]) -> dict[FieldGroup, list[int]]:
    """Which refused corrections went with the release of each field group: what the
    accounting of a read notes beside each group it released."""
    grouped: dict[FieldGroup, list[int]] = {}
    for correction in corrections:
        grouped.setdefault(correction.group, []).append(correction.amendment_id)
    return grouped


def ids_of(corrections: Iterable[RefusedCorrection]) -> list[int]:
    return [correction.amendment_id for correction in corrections]
