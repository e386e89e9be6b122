"""How the person asked to be reached (HIPAA 45 CFR 164.522(b)), as the gate shows it.

A request says where the person lives, which phone is theirs and who around them does not
know: it is read as the person's contact details are (`FieldGroup.CONTACT` in
`domain/policy.py`), by the reader's role in the program the person asked. A role that does
not read contact details is shown no request and no warning. Writes are
`people/actions/contact_requests.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coresponder.core.errors import Forbidden, NotVisible
from coresponder.domain.policy import FieldGroup, GroupVisibility, RecordType
from coresponder.domain.vocabulary import ContactLimit, Role, label
from coresponder.people.models import ContactRequest
from coresponder.privacy.access import (
    PersonAccess,
    access_person,
    may_read,
    role_in,
    visible_people,
)
from coresponder.programs.models import Program


class Unset:
    """No role given: `asked_tags` looks the reader's role up."""


UNSET = Unset()

NO_CONTACT = "Your role does not read this person's contact details."
# What the letters' pages say when the person asked for no mail to their home address.
SEND_TO_ASKED = "Send to the address the person asked for."
NO_ADDRESS_GIVEN = (
    "The person asked for no mail to their home address and gave no other: do not mail this "
    "letter to their home; give it to them another way."
)


def programs_reading(access: PersonAccess) -> list[int]:
    """The programs whose contact requests this reader is shown: where their role reads the
    person's contact details."""
    return [
        pid
        for pid in sorted(access.roles)
        if access.decision(FieldGroup.CONTACT, pid) is GroupVisibility.SHOWN
    ]


def must_read(access: PersonAccess) -> None:
    """Forbidden to a reader whose role reads the person's contact details in no program."""
    if not programs_reading(access):
        raise Forbidden(NO_CONTACT)


def programs_recording(access: PersonAccess) -> list[int]:
    """The programs where this reader records or withdraws a request: they read the person's
    contact details there and write the person's record."""
    return [pid for pid in programs_reading(access) if access.may_write(RecordType.PERSON, pid)]


def requests_shown(
    access: PersonAccess, *, program_id: int | None = None, in_force: bool = True
) -> list[ContactRequest]:
    """The person's requests this reader is shown, of one program or of every program they
    read; only those in force unless `in_force` is False (then withdrawn ones too)."""
    programs = programs_reading(access)
    if program_id is not None:
        programs = [pid for pid in programs if pid == program_id]
    if not programs:
        return []
    found = ContactRequest.objects.filter(
        person_id=access.person.pk, program_id__in=programs
    ).select_related("program")
    if in_force:
        found = found.filter(withdrawn_at__isnull=True)
    return list(found.order_by("-asked_on", "-id"))


def access_contact_request(user: Any, request_id: int) -> tuple[ContactRequest, PersonAccess]:
    """One request, when its person passes the gate and the reader's role in its program
    reads contact details; otherwise NotVisible, as for a missing one."""
    found = ContactRequest.objects.filter(pk=request_id).select_related("program").first()
    if found is None:
        raise NotVisible("No such request.")
    access = access_person(user, found.person_id)
    if found.program_id not in programs_reading(access):
        raise NotVisible("No such request.")
    return found, access


@dataclass(frozen=True)
class ContactWarning:
    """One request in force, in words for a team about to reach the person."""

    program: str
    avoid: list[str]  # "Asked not to be visited at home", …
    instead: list[str]  # "Call or text 215-555-0101 instead", …
    note: str
    no_family: bool = False  # asked not to be reached through family or friends


AVOID_WORDS = {
    ContactLimit.NO_HOME_VISITS: "Asked not to be visited at home",
    ContactLimit.NO_VISITS_AT_ADDRESS: "Asked not to be visited at {address}",
    ContactLimit.NO_VOICEMAIL: "Asked that no voicemail be left",
    ContactLimit.NO_HOME_PHONE_CALLS: "Asked not to be called on the home phone",
    ContactLimit.NO_TEXTS: "Asked not to be texted",
    ContactLimit.NO_HOME_MAIL: "Asked for no mail to the home address",
    ContactLimit.NO_CONTACT_THROUGH_FAMILY: "Asked not to be reached through family or friends",
}


def warning_of(request: ContactRequest) -> ContactWarning:
    avoid = []
    for code in request.limits:
        words = AVOID_WORDS.get(ContactLimit(code)) if code in set(ContactLimit) else None
        text = words or label("contact_limit", code)
        avoid.append(text.format(address=request.avoid_address or "the address named"))
    instead = []
    if request.phone:
        texts = ContactLimit.NO_TEXTS not in request.limits
        instead.append(f"{'Call or text' if texts else 'Call'} {request.phone} instead")
    if request.address:
        instead.append(f"Use {request.address} instead")
    return ContactWarning(
        program=request.program.name,
        avoid=avoid,
        instead=instead,
        note=request.note,
        no_family=ContactLimit.NO_CONTACT_THROUGH_FAMILY in request.limits,
    )


def warnings_for(access: PersonAccess, program_id: int | None = None) -> list[ContactWarning]:
    """The requests in force, in words, for a reader who reads the person's contact details
    in the program (or in any program, without one); none for any other reader."""
    return [warning_of(r) for r in requests_shown(access, program_id=program_id)]


def mailing_address(access: PersonAccess, program_id: int) -> tuple[str, str]:
    """Where a letter of the program goes, and what its page says about that: the person's
    address, or the one they asked for where they asked for no mail to their home address
    ("" and a note where they gave none). ("", "") when the reader is not shown contact
    details."""
    if access.decision(FieldGroup.CONTACT, program_id) is not GroupVisibility.SHOWN:
        return "", ""
    for request in requests_shown(access, program_id=program_id):
        if ContactLimit.NO_HOME_MAIL in request.limits:
            if request.address:
                return request.address, SEND_TO_ASKED
            return "", NO_ADDRESS_GIVEN
    if access.decision(FieldGroup.CONTACT) is not GroupVisibility.SHOWN:
        return "", ""
    return access.person.address, ""


@dataclass(frozen=True)
class AskedTag:
    """A person's requests in force in one program, compactly for a card or a printed
    route: the limit codes and their words ("Asked: no visits at home; no texts")."""

    codes: list[str]
    words: list[str]

    @property
    def text(self) -> str:
        if not self.words:
            return "Asked to be reached another way"
        return "Asked: " + "; ".join(self.words)

    @property
    def no_family(self) -> bool:
        return ContactLimit.NO_CONTACT_THROUGH_FAMILY in self.codes


def asked_tags(
    user: Any, program: Program, person_ids: list[int], *, role: Role | None | Unset = UNSET
) -> dict[int, AskedTag]:
    """The requests in force in `program` of each listed person the reader may see, in one
    query for a whole list; none at all for a reader whose role in the program does not read
    contact details. A page that already holds `role_in(user, program)` passes it as `role`,
    saving the query that looks it up."""
    if isinstance(role, Unset):
        role = role_in(user, program)
    if role is None or not may_read(role, FieldGroup.CONTACT) or not person_ids:
        return {}
    rows = (
        ContactRequest.objects.filter(
            program=program,
            withdrawn_at__isnull=True,
            person_id__in=visible_people(user).filter(pk__in=person_ids).values("pk"),
        )
        .order_by("asked_on", "id")
        .values_list("person_id", "limits")
    )
    codes: dict[int, list[str]] = {}
    for person_id, limits in rows:
        found = codes.setdefault(person_id, [])
        found.extend(code for code in limits if code not in found)
    return {
        person_id: AskedTag(
            codes=found,
            words=[label("contact_limit", code).lower() for code in found],
        )
        for person_id, found in codes.items()
    }


def warnings_of_people(
    user: Any, program: Program, person_ids: list[int], *, role: Role | None | Unset = UNSET
) -> dict[int, list[ContactWarning]]:
    """`warnings_for` of each listed person the reader may see, in `program`, newest first,
    in one query for a whole list; none at all for a reader whose role in the program does
    not read contact details."""
    if isinstance(role, Unset):
        role = role_in(user, program)
    if role is None or not may_read(role, FieldGroup.CONTACT) or not person_ids:
        return {}
    rows = (
        ContactRequest.objects.filter(
            program=program,
            withdrawn_at__isnull=True,
            person_id__in=visible_people(user).filter(pk__in=person_ids).values("pk"),
        )
        .select_related("program")
        .order_by("-asked_on", "-id")
    )
    found: dict[int, list[ContactWarning]] = {}
    for request in rows:
        found.setdefault(request.person_id, []).append(warning_of(request))
    return found
