"""A person's request to correct their record, as a program answered it: the cases the
rule of 45 CFR 164.526(d)(4)-(5) tells apart, for the tests of each disclosure that may
carry a refused correction (a referral, a disclosed note, a disclosed record)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from coresponder.encounters.models import Encounter
from coresponder.people.models import Amendment, Participation
from coresponder.privacy.tests.world import World
from coresponder.programs.models import Program


def cases(disagreement: str) -> dict[str, tuple[dict[str, Any], bool]]:
    """Each kind of answered request, and whether it goes with a disclosure."""
    return {
        "denied and disputed": ({"status": "denied", "disagreement": disagreement}, True),
        "denied and asked to go along": (
            {"status": "denied", "include_with_disclosures": True},
            True,
        ),
        "denied and let stand": ({"status": "denied"}, False),
        "accepted": ({"status": "accepted"}, False),
        "denied and disputed in another program": (
            {"status": "denied", "disagreement": disagreement, "elsewhere": True},
            False,
        ),
    }


def answered(
    world: World,
    status: str,
    *,
    statement: str,
    denial_reason: str,
    elsewhere: bool = False,
    on_note: bool = False,
    **answer: Any,
) -> Amendment:
    """The person's request to correct their family name (or, `on_note`, the clinical note
    of their encounter), answered `status` by the world's program (or, `elsewhere`, by
    another program the person then takes part in)."""
    program = world.program
    if elsewhere:
        other = Program.objects.exclude(pk=world.program.pk).order_by("slug").first()
        assert other is not None
        program = other
        Participation.objects.create(
            person=world.person, program=program, first_seen_at=timezone.now()
        )
    encounter = Encounter.objects.get(person=world.person)
    denied = status == "denied"
    return Amendment.objects.create(
        person=world.person,
        program=program,
        record_kind="encounter" if on_note else "person",
        record_id=encounter.pk if on_note else world.person.pk,
        field="clinical_note" if on_note else "family_name",
        proposed_value="Reports occasional use only." if on_note else "Reyes-Ortiz",
        original_value=encounter.clinical_note if on_note else "Reyes",
        statement=statement,
        received_on=timezone.now().date() - dt.timedelta(days=5),
        status=status,
        decided_at=timezone.now() - dt.timedelta(days=1),
        denial_grounds="accurate_and_complete" if denied else "",
        denial_reason=denial_reason if denied else "",
        **answer,
    )
