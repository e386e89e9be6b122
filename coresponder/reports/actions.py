"""The reports room's one write path: the coordinator's quarterly narrative."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import role_in
from coresponder.programs.models import Program
from coresponder.reports.models import NARRATIVE_FIELDS, NARRATIVE_MAX_CHARS, QuarterlyNarrative


def may_write_narrative(user: Any, program: Program) -> bool:
    """Coordinators answer to funders for their program, so they write its narrative."""
    return bool(user is not None and role_in(user, program) is Role.COORDINATOR)


def narrative_of(program: Program, year: int, quarter: int) -> QuarterlyNarrative:
    """The stored narrative, or an unsaved empty one (version 0 means not yet written)."""
    found = QuarterlyNarrative.objects.filter(program=program, year=year, quarter=quarter).first()
    if found is not None:
        return found
    return QuarterlyNarrative(program=program, year=year, quarter=quarter, version=0)


def _check(year: int, quarter: int, data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    if not 2000 <= year <= 2100:
        errors["year"] = ["Give a year from 2000 to 2100."]
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = ["Give a quarter from 1 to 4."]
    values = {}
    for name in NARRATIVE_FIELDS:
        text = str(data.get(name) or "").replace("\x00", "").strip()
        if len(text) > NARRATIVE_MAX_CHARS:
            errors[name] = [f"Keep this to {NARRATIVE_MAX_CHARS} characters ({len(text)} now)."]
        values[name] = text
    if errors:
        raise ActionError("The narrative was not saved.", errors)
    return values


def save_narrative(
    actor: Actor,
    program: Program,
    year: int,
    quarter: int,
    data: Mapping[str, Any],
    version: int | None,
) -> QuarterlyNarrative:
    """Write the quarter's narrative against the version the coordinator saw.

    `version` 0 or None writes a first narrative; if someone wrote one meanwhile
    the write is stale, as is any write naming a version that moved on.
    """
    if not may_write_narrative(actor.user_or_none, program):
        raise Forbidden("Only the program's coordinators write the quarterly narrative.")
    values = _check(year, quarter, data)
    expected = version or 0
    with transaction.atomic():
        narrative = (
            QuarterlyNarrative.objects.select_for_update()
            .filter(program=program, year=year, quarter=quarter)
            .first()
        )
        if narrative is None:
            narrative = QuarterlyNarrative(program=program, year=year, quarter=quarter, **values)
            try:
                with transaction.atomic():
                    save_tracked(narrative, actor.user_or_none)
            except IntegrityError as exc:
                # A coordinator wrote the first narrative while this one was being typed.
                current = narrative_of(program, year, quarter)
                raise StaleVersion(current, expected) from exc
            action, changed = "create", sorted(k for k, v in values.items() if v)
        else:
            if expected != narrative.version:
                raise StaleVersion(narrative, expected)
            changed = sorted(k for k, v in values.items() if getattr(narrative, k) != v)
            for name, text in values.items():
                setattr(narrative, name, text)
            save_tracked(narrative, actor.user_or_none, expected_version=expected)
            action = "change"
        record_event(
            actor,
            action,
            obj=narrative,
            program_slug=program.slug,
            detail={"year": year, "quarter": quarter, "changed": changed},
        )
    return narrative
