"""The read gate for a referral, built on the privacy gate's program and person access."""

from __future__ import annotations

from typing import Any

from coresponder.core.errors import NotVisible
from coresponder.intake.models import Referral
from coresponder.privacy.access import visible_people
from coresponder.programs.models import Program


def access_referral(user: Any, program: Program, referral_id: Any) -> Referral:
    """A referral of `program` (opened through the gate) whose person, if it names one, the
    user may see; otherwise NotVisible, as for a missing referral."""
    try:
        key = int(referral_id)
    except (TypeError, ValueError) as exc:
        raise NotVisible("referral") from exc
    referral = (
        Referral.objects.filter(program=program, pk=key)
        .select_related("person", "district")
        .first()
    )
    if referral is None:
        raise NotVisible("referral")
    if referral.person_id is not None and not (
        visible_people(user).filter(pk=referral.person_id).exists()
    ):
        raise NotVisible("referral")
    return referral
