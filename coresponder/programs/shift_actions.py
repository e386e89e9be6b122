"""The one write path for shifts and the secrets behind calendar feed URLs."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from dateutil.rrule import rrulestr
from django.db import transaction
from django.db.models import F

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.tracked import save_tracked
from coresponder.domain.presets import RRULE_RE
from coresponder.domain.vocabulary import Role
from coresponder.privacy.access import role_in
from coresponder.programs.models import District, Program, Shift, Team, User

# Roles that plan a program's shifts and manage its teams' calendars.
SCHEDULER_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
# A shift longer than a day would overlap the next day's occurrence of a daily rule.
MAX_SHIFT_MINUTES = 24 * 60


def may_schedule(user: Any, program: Program) -> bool:
    return role_in(user, program) in SCHEDULER_ROLES


def new_calendar_secret() -> str:
    return secrets.token_urlsafe(32)


def rrule_problem(rrule: str) -> str | None:
    """Why `rrule` is not a usable RFC 5545 recurrence rule, or None."""
    if not RRULE_RE.match(rrule):
        return (
            "Write a recurrence rule such as FREQ=WEEKLY;BYDAY=MO,WE,FR "
            "(daily, weekly or monthly; no DTSTART)."
        )
    # Naive on purpose: shift rules run on local wall-clock time (see domain/shifts.py).
    first = dt.datetime.combine(dt.date(2024, 1, 1), dt.time())
    try:
        rule = rrulestr(rrule, dtstart=first)
    except (ValueError, TypeError) as exc:
        return f"This recurrence rule is not valid: {exc}."
    if rule.after(first, inc=True) is None:
        return "This recurrence rule never produces a shift."
    return None


def _check_scheduler(actor: Actor, program: Program) -> None:
    if not may_schedule(actor.user, program):
        raise Forbidden("Only the program's coordinators plan shifts.")


def add_shift(
    actor: Actor,
    program: Program,
    *,
    name: str,
    team: Team | None,
    rrule: str,
    starts_on: dt.date,
    starts_at: dt.time,
    duration_minutes: int,
    district_codes: Sequence[str] = (),
    exceptions: Iterable[dt.date] = (),
) -> Shift:
    """A new recurring shift for one of the program's teams, or for the whole program."""
    _check_scheduler(actor, program)
    errors: dict[str, list[str]] = {}
    name = name.strip()
    rrule = rrule.strip().upper()
    if not name:
        errors["name"] = ["Give the shift a name."]
    if team is not None and team.program_id != program.pk:
        errors["team"] = ["That team is not in this program."]
    if problem := rrule_problem(rrule):
        errors["rrule"] = [problem]
    if not 1 <= duration_minutes <= MAX_SHIFT_MINUTES:
        errors["duration_minutes"] = ["A shift lasts between 1 minute and 24 hours."]
    districts = list(District.objects.filter(program=program, code__in=list(district_codes)))
    unknown = sorted(set(district_codes) - {d.code for d in districts})
    if unknown:
        errors["districts"] = [f"Unknown district: {code}" for code in unknown]
    if errors:
        raise ActionError("shift not saved", errors)
    with transaction.atomic():
        shift = Shift(
            program=program,
            team=team,
            name=name,
            rrule=rrule,
            starts_on=starts_on,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            exceptions=sorted({day.isoformat() for day in exceptions}),
        )
        save_tracked(shift, actor.user)
        shift.districts.set(districts)
        record_event(
            actor,
            "create",
            obj=shift,
            program_slug=program.slug,
            detail={
                "name": name,
                "team": team.pk if team else None,
                "rrule": rrule,
                "starts_on": starts_on.isoformat(),
                "starts_at": starts_at.isoformat(timespec="minutes"),
                "duration_minutes": duration_minutes,
                "districts": sorted(d.code for d in districts),
                "exceptions": shift.exceptions,
            },
        )
    return shift


def add_shift_exceptions(
    actor: Actor, shift: Shift, dates: Iterable[dt.date], *, expected_version: int
) -> Shift:
    """Days the shift does not run; StaleVersion when someone changed the shift meanwhile."""
    _check_scheduler(actor, shift.program)
    added = sorted({day.isoformat() for day in dates})
    if not added:
        raise ActionError("no dates given", {"exceptions": ["Give at least one date."]})
    with transaction.atomic():
        shift.exceptions = sorted(set(shift.exceptions or []) | set(added))
        save_tracked(shift, actor.user, expected_version=expected_version)
        record_event(
            actor,
            "change",
            obj=shift,
            program_slug=shift.program.slug,
            detail={"exceptions_added": added},
        )
    return shift


def _set_secret(actor: Actor, obj: Team | User, *, only_if_blank: bool, program_slug: str) -> str:
    """A fresh secret, written with a conditional UPDATE so a racing writer cannot be lost."""
    secret = new_calendar_secret()
    rows = obj._meta.model._default_manager.filter(pk=obj.pk)
    if only_if_blank:
        rows = rows.filter(calendar_secret="")
    with transaction.atomic():
        updated = rows.update(calendar_secret=secret, version=F("version") + 1)
        if not updated:
            # Someone else filled it first: use theirs.
            obj.refresh_from_db(fields=["calendar_secret", "version"])
            return obj.calendar_secret
        obj.refresh_from_db(fields=["calendar_secret", "version"])
        record_event(
            actor,
            "change",
            obj=obj,
            program_slug=program_slug,
            # The secret itself never goes in the audit log: it is a credential.
            fields=["calendar_secret"],
            detail={"calendar_secret": "issued" if only_if_blank else "reset"},
        )
    return secret


def team_calendar_secret(actor: Actor, team: Team) -> str:
    """The team's feed secret, issued on first use."""
    if team.calendar_secret:
        return team.calendar_secret
    return _set_secret(actor, team, only_if_blank=True, program_slug=team.program.slug)


def user_calendar_secret(actor: Actor, user: User) -> str:
    """The user's feed secret, issued on first use."""
    if user.calendar_secret:
        return user.calendar_secret
    return _set_secret(actor, user, only_if_blank=True, program_slug="")


def reset_team_calendar_secret(actor: Actor, team: Team) -> str:
    """A new team feed URL; the old one stops working. Coordinators only."""
    _check_scheduler(actor, team.program)
    return _set_secret(actor, team, only_if_blank=False, program_slug=team.program.slug)


def reset_user_calendar_secret(actor: Actor, user: User) -> str:
    """A new personal feed URL; the old one stops working. Only the user resets their own."""
    if actor.user is None or actor.user.pk != user.pk:
        raise Forbidden("Only you can reset your calendar link.")
    return _set_secret(actor, user, only_if_blank=False, program_slug="")
