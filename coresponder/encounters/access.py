"""The read gate for an encounter, built on the privacy gate's person access and roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coresponder.core.errors import NotVisible
from coresponder.domain.policy import FieldGroup, GroupVisibility, value_group
from coresponder.domain.vocabulary import WITHHELD_CODE, Role
from coresponder.encounters.models import Encounter
from coresponder.privacy.access import (
    PersonAccess,
    access_person,
    may_read,
    role_in,
    unconsented_visibility,
)


@dataclass
class EncounterAccess:
    """An encounter, and whether its clinical part (screenings, note) may be shown."""

    encounter: Encounter
    person_access: PersonAccess | None  # None for an encounter with nobody named
    role: Role

    def clinical(self) -> GroupVisibility:
        """Shown, withheld for want of consent, or hidden; consent-released reads count."""
        if self.person_access is not None:
            # As the reader's role in the encounter's own program reads it.
            program_id = self.encounter.program_id
            self.person_access.shows(FieldGroup.CLINICAL, program_id)
            return self.person_access.decision(FieldGroup.CLINICAL, program_id)
        return unconsented_visibility(self.role, FieldGroup.CLINICAL)

    def value(self, vocabulary: str, code: str) -> str:
        """A coded value of the encounter (its disposition) as this reader reads it: the
        code, or `WITHHELD_CODE` where it is treatment detail they are not shown."""
        if self.person_access is not None:
            return self.person_access.value(vocabulary, code, self.encounter.program_id)
        group = value_group(vocabulary, code)
        if group is None or unconsented_visibility(self.role, group) is GroupVisibility.SHOWN:
            return code
        return WITHHELD_CODE

    def ending(self) -> dict[str, str]:
        """The disposition and destination as this reader reads them: where the disposition
        is withheld, so is where the person was taken."""
        e = self.encounter
        if self.person_access is not None:
            return self.person_access.ending(e.disposition, e.destination, e.program_id)
        shown = self.value("disposition", e.disposition)
        return {
            "disposition": shown,
            "destination": e.destination if shown == e.disposition else "",
        }

    def clinical_hidden(self) -> bool:
        """Whether the reader's role may never read clinical detail here (not even with
        consent); asked without recording a read."""
        if self.person_access is not None:
            decision = self.person_access.decision(FieldGroup.CLINICAL, self.encounter.program_id)
        else:
            decision = unconsented_visibility(self.role, FieldGroup.CLINICAL)
        return decision is GroupVisibility.HIDDEN


def access_encounter(user: Any, encounter_id: Any) -> EncounterAccess:
    """An encounter, for a user whose role sees outreach in its program (and sees its person)."""
    try:
        encounter = Encounter.objects.select_related("program", "person", "team").get(
            pk=int(encounter_id)
        )
    except (Encounter.DoesNotExist, TypeError, ValueError) as exc:
        raise NotVisible("encounter") from exc
    person_access = None
    if encounter.person_id is not None:
        person_access = access_person(user, encounter.person_id)
        role = person_access.roles.get(encounter.program_id)
    else:
        role = role_in(user, encounter.program)
    if role is None or not may_read(role, FieldGroup.OUTREACH):
        raise NotVisible("encounter")
    return EncounterAccess(encounter=encounter, person_access=person_access, role=role)
