"""Is a team complete, and who may sit on one? Each preset names the places a full team
must fill."""

from __future__ import annotations

from collections.abc import Sequence

from coresponder.domain.policy import works_in_the_field
from coresponder.domain.presets import TeamSlot
from coresponder.domain.vocabulary import FIELD_ROLES, Role


def missing_slots(slots: Sequence[TeamSlot], member_roles: Sequence[Role]) -> list[TeamSlot]:
    """The slots the members cannot fill; each member fills at most one slot.

    Slots with fewer acceptable roles are filled first, so a clinician is not
    spent on "clinician or social worker" when "clinician" alone needs them.
    """
    available = list(member_roles)
    missing: list[TeamSlot] = []
    for slot in sorted(slots, key=lambda s: len(s.roles)):
        for _ in range(slot.min_count):
            match = next((role for role in available if role in slot.roles), None)
            if match is None:
                missing.append(slot)
                break
            available.remove(match)
    return missing


def team_roles(slots: Sequence[TeamSlot]) -> frozenset[Role]:
    """The roles that may sit on a program's team: those that go out on a team, and any
    other the program's team composition names, so long as the role works in the field.
    A team's members are told of its tasks and give them back; nobody else may be."""
    named = {role for slot in slots for role in slot.roles}
    return frozenset(role for role in FIELD_ROLES | named if works_in_the_field(role))
