"""The one write path for organisations, programs, users and memberships."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from coresponder.common import save_tracked
from coresponder.domain.presets import Preset, load_preset_dir
from coresponder.domain.vocabulary import OrganizationKind, Role
from coresponder.privacy.audit import Actor, record_event
from coresponder.programs.models import District, Membership, Organization, Program, Shift, User

# A shift series loaded from a preset counts from this date; the recurrence does the rest.
PRESET_SHIFT_EPOCH = dt.date(2024, 1, 1)


class ActionError(ValueError):
    """An action refused its input; `errors` maps a field to its messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


@dataclass(frozen=True)
class LoadResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


def preset_digest(preset: Preset) -> str:
    data = json.dumps(preset.as_dict(), sort_keys=True, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def load_programs(actor: Actor, directory: Path | None = None) -> LoadResult:
    """Create or update every program from its preset; an unchanged preset writes nothing."""
    presets = load_preset_dir(directory or settings.PRESETS_DIR)
    result = LoadResult(created=[], updated=[], unchanged=[])
    with transaction.atomic():
        for preset in presets:
            digest = preset_digest(preset)
            program = Program.objects.filter(slug=preset.slug).first()
            if program is not None and program.preset_digest == digest:
                result.unchanged.append(preset.slug)
                continue
            created = program is None
            if program is None:
                program = Program(slug=preset.slug)
            program.name = preset.name
            program.timezone = preset.timezone
            program.description = preset.description
            program.preset = preset.as_dict()
            program.preset_digest = digest
            save_tracked(program, actor.user)
            _sync_districts(program, preset, actor)
            _sync_shifts(program, preset, actor)
            record_event(
                actor,
                "create" if created else "change",
                obj=program,
                program_slug=program.slug,
                detail={"preset_digest": digest},
            )
            (result.created if created else result.updated).append(preset.slug)
    return result


def _sync_districts(program: Program, preset: Preset, actor: Actor) -> None:
    existing = {d.code: d for d in program.districts.all()}
    for spec in preset.districts:
        district = existing.get(spec.code) or District(program=program, code=spec.code)
        boundary = dict(spec.boundary) if spec.boundary else None
        unchanged = (district.name, district.active, district.boundary) == (
            spec.name,
            spec.active,
            boundary,
        )
        if district.pk and unchanged:
            continue
        district.name = spec.name
        district.active = spec.active
        district.boundary = boundary
        save_tracked(district, actor.user)
    for code, district in existing.items():
        if code not in {spec.code for spec in preset.districts} and district.active:
            district.active = False
            save_tracked(district, actor.user)


def _sync_shifts(program: Program, preset: Preset, actor: Actor) -> None:
    existing = {s.name: s for s in program.shifts.filter(team__isnull=True)}
    codes = {d.code: d for d in program.districts.all()}
    for spec in preset.shifts:
        shift = existing.get(spec.name) or Shift(
            program=program, name=spec.name, starts_on=PRESET_SHIFT_EPOCH
        )
        shift.rrule = spec.rrule
        shift.starts_at = spec.starts_at
        shift.duration_minutes = round(spec.duration_hours * 60)
        save_tracked(shift, actor.user)
        shift.districts.set([codes[c] for c in spec.districts if c in codes])
    # A shift the preset dropped or renamed no longer runs; left in place it would
    # stay on every schedule. The program's change event records the new preset.
    wanted = {spec.name for spec in preset.shifts}
    for name, shift in existing.items():
        if name not in wanted:
            shift.delete()


def create_organization(
    actor: Actor, slug: str, name: str, kind: str, programs: list[str] | tuple[str, ...] = ()
) -> Organization:
    """A partner organisation, optionally joined to programs; an existing slug is updated."""
    errors: dict[str, list[str]] = {}
    if kind not in {k.value for k in OrganizationKind}:
        known = ", ".join(k.value for k in OrganizationKind)
        errors["kind"] = [f"unknown kind {kind!r} (known: {known})"]
    if not name.strip():
        errors["name"] = ["is required"]
    found = {p.slug: p for p in Program.objects.filter(slug__in=programs)}
    missing = [slug for slug in programs if slug not in found]
    if missing:
        errors["program"] = [f"unknown program {m!r}" for m in missing]
    if errors:
        raise ActionError("organisation not saved", errors)
    with transaction.atomic():
        org = Organization.objects.filter(slug=slug).first()
        created = org is None
        org = org or Organization(slug=slug)
        org.name = name.strip()
        org.kind = kind
        save_tracked(org, actor.user)
        for program in found.values():
            program.partners.add(org)
        record_event(
            actor,
            "create" if created else "change",
            obj=org,
            detail={"kind": kind, "programs": sorted(found)},
        )
    return org


def create_user(
    actor: Actor,
    username: str,
    *,
    organization: str,
    role: str,
    password: str,
    programs: list[str] | tuple[str, ...] = (),
    display_name: str = "",
    check_password: bool = True,
) -> User:
    """A user in an organisation with one role in each named program."""
    errors: dict[str, list[str]] = {}
    if role not in {r.value for r in Role}:
        errors["role"] = [f"unknown role {role!r} (known: {', '.join(r.value for r in Role)})"]
    org = Organization.objects.filter(slug=organization).first()
    if org is None:
        errors["org"] = [f"unknown organisation {organization!r}"]
    found = {p.slug: p for p in Program.objects.filter(slug__in=programs)}
    missing = [slug for slug in programs if slug not in found]
    if missing:
        errors["program"] = [f"unknown program {m!r}" for m in missing]
    if not username.strip():
        errors["username"] = ["is required"]
    elif User.objects.filter(username=username).exists():
        errors["username"] = [f"user {username!r} already exists"]
    if check_password:
        try:
            validate_password(password)
        except Exception as exc:  # noqa: BLE001 - Django raises ValidationError with messages
            errors["password"] = list(getattr(exc, "messages", [str(exc)]))
    elif not password:
        errors["password"] = ["is required"]
    if errors:
        raise ActionError("user not saved", errors)
    with transaction.atomic():
        user = User(
            username=username,
            organization=org,
            role=role,
            display_name=display_name,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        user.set_password(password)
        save_tracked(user, actor.user)
        record_event(actor, "create", obj=user, detail={"role": role, "org": organization})
        for program in found.values():
            grant_role(actor, user, program, Role(role))
    return user


def grant_role(actor: Actor, user: User, program: Program, role: Role) -> Membership:
    """Give a user a role in a program (a permission change, audited)."""
    membership = Membership.objects.filter(user=user, program=program).first()
    membership = membership or Membership(user=user, program=program)
    membership.role = role.value
    membership.active = True
    save_tracked(membership, actor.user)
    record_event(
        actor,
        "permission",
        obj=membership,
        program_slug=program.slug,
        detail={"user": user.username, "role": role.value},
    )
    return membership


def describe_program(program: Program) -> dict[str, Any]:
    """The public shape of a program: slug, name, pathways, follow-up window."""
    preset = program.preset or {}
    follow_up = preset.get("follow_up")
    return {
        "slug": program.slug,
        "name": program.name,
        "timezone": program.timezone,
        "pathways": list(preset.get("pathways", [])),
        "follow_up": (
            {
                "min_hours": follow_up["opens_after_hours"],
                "max_hours": follow_up["closes_after_hours"],
                "anchor": follow_up["anchor"],
            }
            if follow_up
            else None
        ),
    }
