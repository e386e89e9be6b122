"""The read gate for a referral, built on the privacy gate's program and person access."""

from __future__ import annotations

from typing import Any

from coresponder.core.errors import NotVisible
from coresponder.domain.policy import FieldGroup
from coresponder.intake.models import Call, Referral
from coresponder.privacy.access import (
    LARGEST_ID,
    access_program,
    may_read,
    role_in,
    visible_people,
)
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


def access_referral_by_id(user: Any, referral_id: Any) -> Referral:
    """A referral by its id alone (an integration knows no program's page): one of a program
    the user acts in with a role that reads referrals, whose person, if it names one, the
    user may see; otherwise NotVisible, as for a missing referral."""
    try:
        key = int(referral_id)
    except (TypeError, ValueError) as exc:
        raise NotVisible("referral") from exc
    if not 0 < key <= LARGEST_ID:
        raise NotVisible("referral")  # no row has such an id; the database cannot hold it
    slug = Referral.objects.filter(pk=key).values_list("program__slug", flat=True).first()
    if slug is None:
        raise NotVisible("referral")
    try:
        program = access_program(user, slug)
    except NotVisible as exc:
        raise NotVisible("referral") from exc
    role = role_in(user, program)
    if role is None or not may_read(role, FieldGroup.REFERRAL):
        raise NotVisible("referral")
    return access_referral(user, program, key)


def access_call_by_id(user: Any, call_id: Any) -> Call:
    """A 911 call by its id: one whose referral the user may read (`access_referral_by_id`);
    otherwise NotVisible, as for a missing call."""
    try:
        key = int(call_id)
    except (TypeError, ValueError) as exc:
        raise NotVisible("call") from exc
    if not 0 < key <= LARGEST_ID:
        raise NotVisible("call")
    referral_id = Call.objects.filter(pk=key).values_list("referral_id", flat=True).first()
    if referral_id is None:
        raise NotVisible("call")
    try:
        referral = access_referral_by_id(user, referral_id)
    except NotVisible as exc:
        raise NotVisible("call") from exc
    return Call.objects.select_related("program", "team", "referral__district").get(
        pk=key, referral=referral
    )
