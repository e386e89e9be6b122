"""Who may see and set legal holds: coordinators and administrators of the program.

A hold decides what the program keeps, so only the roles that run the program hold and
release; anyone else finds the program's holds as they would a missing program.
"""

from __future__ import annotations

from typing import Any

from coresponder.core.errors import NotVisible
from coresponder.domain.vocabulary import Role
from coresponder.identity.access import merged_number
from coresponder.operations.models import LegalHold
from coresponder.people.models import Person
from coresponder.privacy.access import access_person, access_program, role_in
from coresponder.programs.models import Program

HOLD_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})


def program_for_holds(user: Any, slug: str) -> Program:
    """A program whose holds this user may see, set and release; otherwise NotVisible."""
    program = access_program(user, slug)
    if role_in(user, program) not in HOLD_ROLES:
        raise NotVisible(f"legal holds of program {slug!r}")
    return program


def access_hold(user: Any, hold_id: Any) -> LegalHold:
    """A hold of a program whose holds the user may see; otherwise NotVisible."""
    try:
        pk = int(hold_id)
    except (TypeError, ValueError) as exc:
        raise NotVisible("legal hold") from exc
    hold = LegalHold.objects.select_related("program").filter(pk=pk).first()
    if hold is None:
        raise NotVisible("legal hold")
    program_for_holds(user, hold.program.slug)
    return hold


def person_for_hold(user: Any, person_id: Any, program: Program) -> Person:
    """The person to hold in `program`, through the read gate: only someone the user may
    see who takes part in that program. Anyone else is as missing (NotVisible): a hold
    lists its person and reason to the program's staff, who would learn of someone only
    another program knows.

    A merged person's old number holds the person kept (their records now), where the
    user may see that person; otherwise it is as missing as any number nobody has."""
    try:
        access = access_person(user, person_id)
    except NotVisible:
        found = merged_number(user, person_id)
        if found is None:
            raise
        access = found.kept
    if program.pk not in access.program_ids:
        raise NotVisible("person")
    return access.person
