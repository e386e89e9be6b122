"""The one write path for organisations, programs, users and memberships."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_USER_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from coresponder.core.audit import UNAUTHENTICATED, Actor, record_event
from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.models import AuditEvent
from coresponder.core.tracked import save_tracked
from coresponder.domain.clock import date_problem, date_sentence
from coresponder.domain.presets import Preset, PresetError, PresetsError, load_preset_dir
from coresponder.domain.recurrence import RuleProblem, rule_problem, wall_clock_rule
from coresponder.domain.vocabulary import ROLE_LABELS, OrganizationKind, Role
from coresponder.privacy.access import role_in
from coresponder.privacy.actions import revoke_api_token
from coresponder.privacy.models import ApiToken
from coresponder.programs.duty import seat_roles
from coresponder.programs.local_time import zone_of
from coresponder.programs.models import (
    District,
    FormToken,
    Membership,
    Organization,
    Program,
    RequestKey,
    Shift,
    Team,
    TeamMember,
    User,
)
from coresponder.programs.signin import (
    FAILED_SIGN_IN_LIMIT,
    FAILED_SIGN_IN_WINDOW,
    PENDING_USER,
    address_failure_limit,
    new_setup_code,
    setup_code_digest,
    setup_code_lifetime,
    setup_code_matches,
)

# A shift series loaded from a preset counts from this date; the recurrence does the rest.
PRESET_SHIFT_EPOCH = dt.date(2024, 1, 1)


@dataclass(frozen=True)
class LoadResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    # (former slug, slug now) of each program a preset's `formerly` renamed.
    renamed: list[tuple[str, str]]
    # New slugs not created: a program no preset names still holds records (`warnings`).
    held_back: list[str]
    warnings: list[str]


def preset_digest(preset: Preset) -> str:
    data = json.dumps(preset.as_dict(), sort_keys=True, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def load_programs(
    actor: Actor, directory: Path | None = None, *, new_programs: Collection[str] = ()
) -> LoadResult:
    """Create or update every program from its preset; an unchanged preset writes nothing.

    A preset naming a slug it had before (`formerly`) renames that program, people and all.
    A new slug is held back, with a warning, while a program no preset names holds records
    (its file renamed without `formerly`, most likely), unless `new_programs` names it.
    """
    folder = directory or settings.PRESETS_DIR
    presets = load_preset_dir(folder)
    renames = _renames_of(presets, folder)
    result = LoadResult([], [], [], renamed=[], held_back=[], warnings=[])
    left_behind: list[tuple[Program, list[str]]] | None = None
    with transaction.atomic():
        for preset in presets:
            program = Program.objects.filter(slug=preset.slug).first()
            if preset.slug in renames:
                program = renames[preset.slug]
                result.renamed.append((program.slug, preset.slug))
                rename_program(actor, program, preset.slug)
            elif program is None and preset.slug not in new_programs:
                if left_behind is None:
                    left_behind = _programs_left_behind(presets)
                if left_behind:
                    result.held_back.append(preset.slug)
                    result.warnings.append(_held_back_warning(preset.slug, left_behind))
                    continue
            digest = preset_digest(preset)
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
    result.warnings.extend(_agreements_naming_old_slugs(presets, result.renamed))
    return result


def rename_program(actor: Actor, program: Program, slug: str) -> Program:
    """Give a program a new slug; its people, referrals, users and records stay with it.

    Earlier audit events keep the slug they were written under; this one names both.
    """
    former = program.slug
    with transaction.atomic():
        program.slug = slug
        save_tracked(program, actor.user, expected_version=program.version)
        record_event(
            actor,
            "change",
            obj=program,
            program_slug=slug,
            fields=["slug"],
            detail={"renamed_from": former, "renamed_to": slug},
        )
    return program


def _renames_of(presets: Sequence[Preset], folder: Path) -> dict[str, Program]:
    """The program each preset renames (by its slug now), or PresetsError naming every
    `formerly` that cannot be followed; nothing is written before this is settled."""
    file_of = {preset.slug: f"{preset.slug}.toml" for preset in presets}
    claimed: dict[str, str] = {}
    renames: dict[str, Program] = {}
    refused: list[PresetError] = []
    for preset in presets:
        problems: list[tuple[str, str]] = []
        for former in preset.formerly:
            if former in file_of:
                problems.append(
                    (
                        "formerly",
                        f"{former!r} is the slug of {file_of[former]}, a program of its own",
                    )
                )
            elif former in claimed:
                problems.append(
                    ("formerly", f"{former!r} is also named formerly by {file_of[claimed[former]]}")
                )
            claimed.setdefault(former, preset.slug)
        found = list(Program.objects.filter(slug__in=preset.formerly).order_by("slug"))
        if len(found) > 1:
            names = ", ".join(repr(p.slug) for p in found)
            problems.append(
                ("formerly", f"{names} are each a program; only one can become {preset.slug!r}")
            )
        elif found and Program.objects.filter(slug=preset.slug).exists():
            old = found[0].slug
            problems.append(
                (
                    "formerly",
                    f"{old!r} and {preset.slug!r} are both programs, so {old!r} cannot be"
                    f" renamed {preset.slug!r} (each keeps its own people); take {old!r} out"
                    " of formerly to load them apart",
                )
            )
        elif found:
            renames[preset.slug] = found[0]
        if problems:
            refused.append(PresetError(str(folder / file_of[preset.slug]), problems))
    if refused:
        raise PresetsError(refused)
    return renames


def _programs_left_behind(presets: Sequence[Preset]) -> list[tuple[Program, list[str]]]:
    """Programs no preset names (by slug or `formerly`) that hold records, with what they hold."""
    named = {preset.slug for preset in presets} | {s for p in presets for s in p.formerly}
    held = []
    for program in Program.objects.exclude(slug__in=named).order_by("slug"):
        records = _records_of(program)
        if records:
            held.append((program, records))
    return held


def _records_of(program: Program) -> list[str]:
    """What a program holds beyond what its preset makes (districts and shifts): "3 memberships"."""
    records = []
    for relation in Program._meta.related_objects:
        model = relation.related_model
        if not relation.one_to_many or model in (District, Shift) or isinstance(model, str):
            continue
        count = model._default_manager.filter(**{relation.field.name: program}).count()
        if count:
            meta = model._meta
            name = meta.verbose_name if count == 1 else meta.verbose_name_plural
            records.append(f"{count} {name}")
    return records


def _held_back_warning(slug: str, left_behind: Sequence[tuple[Program, list[str]]]) -> str:
    programs = "; ".join(
        f"program {p.slug!r} ({p.name}) has no preset file and holds {', '.join(records)}"
        for p, records in left_behind
    )
    formerly = ", ".join(f'"{p.slug}"' for p, _ in left_behind)
    return (
        f"{slug!r} was not created: {programs}. If {slug}.toml is that program renamed, add"
        f" formerly = [{formerly}] to it (keep just the one it was) and load again; if"
        f" {slug!r} is a new program, load again with --new {slug}."
    )


def _agreements_naming_old_slugs(
    presets: Sequence[Preset], renamed: Sequence[tuple[str, str]]
) -> list[str]:
    """A data-sharing agreement names its partner by slug: one still naming a former slug no
    longer holds, until that preset names the new one."""
    warnings = []
    for former, slug in renamed:
        for preset in presets:
            if former in preset.data_sharing.programs:
                warnings.append(
                    f"{preset.slug}.toml: data_sharing.programs names {former!r}, which is now"
                    f" {slug!r}; the agreement holds again once it names {slug!r}."
                )
    return warnings


def _sync_districts(program: Program, preset: Preset, actor: Actor) -> None:
    existing = {d.code: d for d in program.districts.all()}
    for spec in preset.districts:
        district = existing.get(spec.code) or District(program=program, code=spec.code)
        boundary = dict(spec.boundary) if spec.boundary else None
        unchanged = (district.name, district.name_es, district.active, district.boundary) == (
            spec.name,
            spec.name_es,
            spec.active,
            boundary,
        )
        if district.pk and unchanged:
            continue
        district.name = spec.name
        district.name_es = spec.name_es
        district.active = spec.active
        district.boundary = boundary
        save_tracked(district, actor.user)
    for code, district in existing.items():
        if code not in {spec.code for spec in preset.districts} and district.active:
            district.active = False
            save_tracked(district, actor.user)


def _sync_shifts(program: Program, preset: Preset, actor: Actor) -> None:
    existing = {s.name: s for s in program.shifts.filter(from_preset=True)}
    codes = {d.code: d for d in program.districts.all()}
    for spec in preset.shifts:
        shift = existing.get(spec.name) or Shift(
            program=program, name=spec.name, starts_on=PRESET_SHIFT_EPOCH, from_preset=True
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


# What a user name may hold: Django's own rule, in ASCII.
USERNAME_RE = re.compile(r"[\w.@+-]+", re.ASCII)


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
    mfa_secret: str = "",
) -> User:
    """A user in an organisation with one role in each named program.

    `mfa_secret` enrols the second factor up front (the demo personas); everyone
    else enrols at their first sign-in, after a set-up code when an administrator made
    the account (`create_user_with_setup_code`).
    """
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
    elif not USERNAME_RE.fullmatch(username):
        errors["username"] = ["use letters, digits and @ . + - _ only, no spaces"]
    elif User.objects.filter(username__iexact=username).exists():
        # "PCO-Officer" beside "pco-officer" would be one person to colleagues' eyes.
        errors["username"] = [f"{username} is taken (user names are told apart without case)"]
    if check_password:
        try:
            # The unsaved user lets the similarity check compare its name and username.
            validate_password(password, User(username=username, display_name=display_name))
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
            mfa_secret=mfa_secret,
            mfa_enrolled_at=timezone.now() if mfa_secret else None,
        )
        user.set_password(password)
        save_tracked(user, actor.user)
        detail = {"role": role, "org": organization, "mfa_enrolled": bool(mfa_secret)}
        record_event(actor, "create", obj=user, detail=detail)
        for program in found.values():
            grant_role(actor, user, program, Role(role))
    return user


def grant_role(
    actor: Actor,
    user: User,
    program: Program,
    role: Role,
    *,
    expected_version: int | None = None,
) -> Membership:
    """Give a user a role in a program (a permission change, audited); with
    `expected_version`, only over the membership as the administrator saw it."""
    with transaction.atomic():
        membership = Membership.objects.filter(user=user, program=program).first()
        membership = membership or Membership(user=user, program=program)
        was = membership.role if membership.pk and membership.active else None
        membership.role = role.value
        membership.active = True
        save_tracked(membership, actor.user, expected_version=expected_version)
        record_event(
            actor,
            "permission",
            obj=membership,
            program_slug=program.slug,
            detail={"user": user.username, "role": role.value, "was": was},
        )
    return membership


def revoke_role(actor: Actor, membership: Membership, *, expected_version: int) -> Membership:
    """A user no longer acts in the program: the membership is kept, inactive, so what they
    did there still names them; audited as a permission change."""
    if actor.user_or_none is not None and membership.user_id == actor.user_or_none.pk:
        raise ActionError(
            "role not removed", {"program": ["Another administrator removes your own roles."]}
        )
    if not membership.active:
        raise ActionError("role not removed", {"program": ["No longer in this program."]})
    with transaction.atomic():
        membership.active = False
        save_tracked(membership, actor.user, expected_version=expected_version)
        record_event(
            actor,
            "permission",
            obj=membership,
            program_slug=membership.program.slug,
            detail={"user": membership.user.username, "role": None, "was": membership.role},
        )
    return membership


def describe_program(program: Program) -> dict[str, Any]:
    """The public shape of a program: slug, name, pathways, follow-up window."""
    rules = program.rules
    follow_up = rules.follow_up
    return {
        "slug": program.slug,
        "name": program.name,
        "timezone": program.timezone,
        "pathways": [str(p) for p in rules.pathways],
        "follow_up": (
            {
                "min_hours": follow_up.opens_after_hours,
                "max_hours": follow_up.closes_after_hours,
                "anchor": follow_up.anchor,
            }
            if follow_up
            else None
        ),
    }


# --- Accounts: second factor, lockout, disabling -----------------------------


def enrol_mfa(actor: Actor, user: User, secret: str) -> User:
    """Give the user a TOTP secret; audited, but never with the secret itself.

    A user who has one keeps it until an administrator clears it (`reset_mfa`).
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.mfa_secret:
            raise ActionError("second factor not changed", {"mfa": ["already enrolled"]})
        user.mfa_secret = secret
        user.mfa_enrolled_at = timezone.now()
        # The set-up code (or the ticket it became) is spent by the enrolment it allowed.
        user.mfa_setup_code = ""
        user.mfa_setup_code_expires_at = None
        save_tracked(user, actor.user)
        record_event(
            actor,
            "change",
            obj=user,
            fields=["mfa_secret", "mfa_enrolled_at", *SETUP_CODE_FIELDS],
            detail={"user": user.username, "change": "mfa enrolled"},
        )
    return user


SETUP_CODE_FIELDS = ("mfa_setup_code", "mfa_setup_code_expires_at")


@dataclass(frozen=True)
class SetupCode:
    """A one-time set-up code as the administrator is shown it, once: only its digest is kept."""

    code: str
    expires_at: dt.datetime


def _give_setup_code(user: User) -> SetupCode:
    """Put a new set-up code on the (locked, unsaved) user, replacing any earlier one."""
    given = SetupCode(new_setup_code(), timezone.now() + setup_code_lifetime())
    user.mfa_setup_code = setup_code_digest(given.code)
    user.mfa_setup_code_expires_at = given.expires_at
    return given


@dataclass(frozen=True)
class MfaReset:
    """What a reset did: the set-up code to hand over, and every way in it cut."""

    setup_code: SetupCode
    sessions_ended: int
    tokens_revoked: int


def reset_mfa(actor: Actor, user: User) -> MfaReset:
    """Clear a lost second factor and give a one-time set-up code: at their next sign-in the
    user gives the password, then this code, and only then sets up a new authenticator.

    Someone who knows only the password cannot set it up in their place. Their sessions end
    and their live API tokens are revoked too: a lost phone stays signed in otherwise, and
    may hold a token. For an account with no authenticator yet (a code that expired, or an
    account made before set-up codes) it gives a new code, cutting the same ways in.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        was_enrolled = bool(user.mfa_secret)
        user.mfa_secret = ""
        user.mfa_enrolled_at = None
        given = _give_setup_code(user)
        save_tracked(user, actor.user)
        ended = end_sessions(user)
        revoked = _revoke_live_tokens(actor, user)
        record_event(
            actor,
            AuditEvent.Action.PERMISSION,
            obj=user,
            fields=["mfa_secret", "mfa_enrolled_at", *SETUP_CODE_FIELDS],
            detail={
                "user": user.username,
                "change": "mfa reset",
                "was_enrolled": was_enrolled,
                "sessions_ended": ended,
                # Which: each is revoked by its own event too, naming the same prefix.
                "tokens_revoked": sorted(token.prefix for token in revoked),
                "setup_code_expires_at": given.expires_at.isoformat(),
            },
        )
    return MfaReset(setup_code=given, sessions_ended=ended, tokens_revoked=len(revoked))


def _revoke_live_tokens(actor: Actor, user: User) -> list[ApiToken]:
    """Revoke each of the user's API tokens that still works; those it revoked."""
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    tokens = list(live.order_by("id"))
    for token in tokens:
        revoke_api_token(actor, token)
    return tokens


@dataclass(frozen=True)
class PasswordSet:
    user: User
    sessions_ended: int
    tokens_revoked: int = 0


def set_password(
    actor: Actor,
    user: User,
    password: str,
    *,
    keep_session: str = "",
    temporary: bool = False,
) -> PasswordSet:
    """Give the user a new password that passes every validator, and end their sessions, all
    but `keep_session` (the one a user changing their own password is using), and revoke
    their live API tokens: a password someone else learnt no longer keeps them signed in,
    nor does a token they were given with it. A `temporary` one (an administrator chose it)
    must be changed by the user at their next sign-in; the user's own choice clears that.
    Audited as a change of the user, never with the password."""
    try:
        # The stored user lets the similarity check compare its name and username.
        validate_password(password, user)
    except ValidationError as exc:
        raise ActionError("password not changed", {"password": list(exc.messages)}) from exc
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        flag_changed = user.password_must_change != temporary
        user.password_must_change = temporary
        save_tracked(user, actor.user)
        ended = end_sessions(user, keep=keep_session)
        revoked = _revoke_live_tokens(actor, user)
        record_event(
            actor,
            AuditEvent.Action.CHANGE,
            obj=user,
            fields=["password", "password_must_change"] if flag_changed else ["password"],
            detail={
                "user": user.username,
                "change": "password",
                "sessions_ended": ended,
                # Which: each is revoked by its own event too, naming the same prefix.
                "tokens_revoked": sorted(token.prefix for token in revoked),
                "must_change": temporary,
            },
        )
    return PasswordSet(user=user, sessions_ended=ended, tokens_revoked=len(revoked))


def confirm_password(actor: Actor, user: User, typed: str) -> bool:
    """Whether `typed` is the user's password now, asked before they change it. A wrong one
    is a failed sign-in (`factor: "current password"`), counted towards the lock like one
    at the sign-in page, so a session left open is no way to guess the password."""
    if user.check_password(typed):
        return True
    note_failed_sign_in(actor, user.username, user=user, factor="current password")
    return False


def create_user_with_setup_code(
    actor: Actor, username: str, **fields: Any
) -> tuple[User, SetupCode]:
    """A new account (`create_user`) with a set-up code its owner gives, after the first
    password, before setting up their authenticator: the administrator hands both over."""
    with transaction.atomic():
        user = create_user(actor, username, **fields)
        given = _give_setup_code(user)
        # The administrator chose the first password: the owner picks their own at sign-in.
        user.password_must_change = True
        save_tracked(user, actor.user)
        record_event(
            actor,
            AuditEvent.Action.PERMISSION,
            obj=user,
            fields=[*SETUP_CODE_FIELDS, "password_must_change"],
            detail={
                "user": user.username,
                "change": "mfa setup code",
                "must_change_password": True,
                "setup_code_expires_at": given.expires_at.isoformat(),
            },
        )
    return user, given


class SetupCodeExpired(Exception):
    """The set-up code's time ran out before it was given: an administrator gives a new one."""


def use_setup_code(actor: Actor, user: User, typed: str) -> str | None:
    """The user gives their set-up code: right, it is spent and a ticket for this session's
    enrolment takes its place (returned); wrong, None, counted like a wrong password.

    Raises SetupCodeExpired, audited as a refusal but not counted: no code works then.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        usable = not user.mfa_secret and user.locked_at is None and user.is_active
        expires_at = user.mfa_setup_code_expires_at
        expired = usable and (expires_at is None or expires_at <= timezone.now())
        if usable and not expired and setup_code_matches(typed, user.mfa_setup_code):
            # Works once: the code no longer matches, only this session's ticket does.
            ticket = secrets.token_urlsafe(32)
            user.mfa_setup_code = setup_code_digest(ticket)
            save_tracked(user, actor.user)
            record_event(
                actor,
                AuditEvent.Action.LOGON,
                obj=user,
                detail={"username": user.username, "factor": "setup code"},
            )
            return ticket
    if expired:
        record_event(
            actor,
            AuditEvent.Action.LOGON,
            obj=user,
            outcome=AuditEvent.Outcome.DENIED,
            detail={"username": user.username, "factor": "setup code", "reason": "expired"},
        )
        raise SetupCodeExpired(user.username)
    note_failed_sign_in(actor, user.username, user=user, factor="setup code")
    return None


def failed_sign_ins(user: User) -> int:
    """Failed sign-ins in the last 15 minutes since the user last signed in or was unlocked.

    Counted from the audit trail, where the auth signal writes each failed
    password and `note_failed_sign_in` each failed code, both with the username.
    """
    since = timezone.now() - FAILED_SIGN_IN_WINDOW
    unlocked_at = (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.PERMISSION,
            object_type="programs.user",
            object_id=str(user.pk),
            detail__change="unlock",
        )
        .order_by("-id")
        .values_list("at", flat=True)
        .first()
    )
    # CJIS counts consecutive failures: a sign-in or an unlock starts the count again.
    since = max(moment for moment in (since, user.last_login, unlocked_at) if moment is not None)
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGON,
        outcome=AuditEvent.Outcome.FAILED,
        at__gt=since,
        detail__username=user.username,
    ).count()


def failed_sign_ins_from(address: str) -> int:
    """Failed sign-ins from one client address in the last 15 minutes, whatever the account.

    Counted from the audit trail like `failed_sign_ins`, by the address each was made from;
    a sign-in does not start this count again, or one account's owner could clear it.
    """
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGON,
        outcome=AuditEvent.Outcome.FAILED,
        at__gt=timezone.now() - FAILED_SIGN_IN_WINDOW,
        where=address,
    ).count()


def address_is_limited(address: str) -> bool:
    """True while the address has failed to sign in as often as it may (password spraying)."""
    return bool(address) and failed_sign_ins_from(address) >= address_failure_limit()


def refuse_sign_in_from(actor: Actor, username: str) -> None:
    """Audit a sign-in refused, its password unread, because its address is limited."""
    record_event(
        Actor(label=f"{UNAUTHENTICATED}{username}", where=actor.where),
        AuditEvent.Action.LOGON,
        outcome=AuditEvent.Outcome.DENIED,
        detail={"username": username, "reason": "too many failed sign-ins from this address"},
    )


def _note_failure_from(address: str) -> None:
    """Audit the failure that brings an address to its limit, as a lock is audited."""
    limit = address_failure_limit()
    if not address or failed_sign_ins_from(address) != limit:
        return
    record_event(
        Actor(label="lockout", where=address),
        AuditEvent.Action.PERMISSION,
        detail={
            "change": "limit address",
            "address": address,
            "reason": f"{limit} failed sign-ins in 15 minutes from this address",
        },
    )


def note_failed_sign_in(
    actor: Actor, username: str, *, user: User | None = None, factor: str = "password"
) -> bool:
    """Count one failed sign-in against the account and the address it came from, and lock
    the account past its limit; True when it locked.

    A wrong password is already audited by the auth signal; a wrong code is audited here.
    """
    with transaction.atomic():
        if factor != "password":
            record_event(
                actor,
                AuditEvent.Action.LOGON,
                obj=user,
                outcome=AuditEvent.Outcome.FAILED,
                detail={"username": username, "factor": factor},
            )
        _note_failure_from(actor.where)
        user = user or User.objects.filter(username=username).first()
        if user is None or user.locked_at is not None:
            return False
        if failed_sign_ins(user) <= FAILED_SIGN_IN_LIMIT:
            return False
        reason = f"more than {FAILED_SIGN_IN_LIMIT} failed sign-ins in 15 minutes"
        lock_user(Actor(label="lockout", where=actor.where), user, reason)
        return True


def lock_user(actor: Actor, user: User, reason: str) -> User:
    """Refuse every sign-in and end every session until an administrator unlocks."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.locked_at = timezone.now()
        user.locked_reason = reason[:200]
        save_tracked(user, actor.user)
        record_event(
            actor,
            AuditEvent.Action.PERMISSION,
            obj=user,
            detail={"user": user.username, "change": "lock", "reason": reason},
        )
    return user


def unlock_user(actor: Actor, user: User) -> User:
    """An administrator lets a locked user sign in again (a permission change)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.locked_at is None:
            raise ActionError("user not unlocked", {"user": [f"{user.username} is not locked"]})
        user.locked_at = None
        user.locked_reason = ""
        save_tracked(user, actor.user)
        record_event(
            actor,
            AuditEvent.Action.PERMISSION,
            obj=user,
            detail={"user": user.username, "change": "unlock"},
        )
    return user


@dataclass(frozen=True)
class Disabled:
    user: User
    sessions_ended: int
    tokens_revoked: int


def end_sessions(user: User, *, keep: str = "") -> int:
    """Delete the user's stored sessions, signed in or half-way through signing in, all but
    the one whose key is `keep`.

    Sessions are signed blobs, so each live one is decoded; disabling is rare.
    """
    ended = 0
    live = Session.objects.filter(expire_date__gt=timezone.now()).exclude(session_key=keep)
    for session in live.iterator(chunk_size=500):
        data = session.get_decoded()
        if str(user.pk) in (str(data.get(AUTH_USER_KEY)), str(data.get(PENDING_USER))):
            session.delete()
            ended += 1
    return ended


# The reason kept in the audit log for disabling an account (the form's field holds as much).
DISABLE_REASON_LENGTH = 200


def disable_user(actor: Actor, user: User, reason: str) -> Disabled:
    """Stop the user signing in: deactivate, end their sessions, revoke their API tokens."""
    if actor.user_or_none is not None and user.pk == actor.user_or_none.pk:
        raise ActionError("user not disabled", {"reason": ["You cannot disable your own account."]})
    reason = reason.strip()
    if not reason:
        raise ActionError(
            "user not disabled", {"reason": ["Say why, such as: left the department."]}
        )
    if len(reason) > DISABLE_REASON_LENGTH:
        raise ActionError(
            "user not disabled",
            {"reason": [f"is longer than {DISABLE_REASON_LENGTH} characters"]},
        )
    if not user.is_active:
        raise ActionError(
            "user not disabled", {"username": [f"{user.username} is disabled already"]}
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.is_active = False
        save_tracked(user, actor.user)
        tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
        for token in tokens:
            revoke_api_token(actor, token)
        ended = end_sessions(user)
        record_event(
            actor,
            AuditEvent.Action.PERMISSION,
            obj=user,
            detail={
                "user": user.username,
                "change": "disable",
                "reason": reason,
                "sessions_ended": ended,
                "tokens_revoked": len(tokens),
            },
        )
    return Disabled(user=user, sessions_ended=ended, tokens_revoked=len(tokens))


def enable_user(actor: Actor, user: User) -> User:
    """Let a disabled user sign in again; they start with no sessions and no tokens."""
    if user.is_active:
        raise ActionError("user not enabled", {"username": [f"{user.username} is not disabled"]})
    with transaction.atomic():
        user.is_active = True
        save_tracked(user, actor.user)
        record_event(
            actor,
            AuditEvent.Action.PERMISSION,
            obj=user,
            detail={"user": user.username, "change": "enable"},
        )
    return user


# A longer idle period than this reaches past the start of the calendar.
IDLE_DAYS_MAX = 36500


def _idle(days: int) -> QuerySet[User]:
    """Active users with no sign-in, no API token use (or issue) and no enabling by an
    administrator in `days` days, as a query.

    An account enabled again starts a new period: its last sign-in is still the old one,
    and counting from it would disable the account the next night, before its owner is back.
    """
    cutoff = timezone.now() - dt.timedelta(days=days)
    token_users = (
        ApiToken.objects.annotate(seen=Coalesce("last_used_at", "created_at"))
        .filter(seen__gte=cutoff)
        .values("user_id")
    )
    enabled = {
        int(pk)
        for pk in AuditEvent.objects.filter(
            action=AuditEvent.Action.PERMISSION,
            object_type="programs.user",
            detail__change="enable",
            at__gte=cutoff,
        ).values_list("object_id", flat=True)
        if str(pk).isdigit()
    }
    quiet = Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    users = User.objects.filter(quiet, is_active=True).exclude(pk__in=token_users)
    return users.exclude(pk__in=sorted(enabled))


def idle_users(days: int) -> list[User]:
    """Active users idle for `days` days (see `_idle`), by username."""
    return list(_idle(days).order_by("username"))


def disable_idle_accounts(actor: Actor, days: int = 90) -> list[Disabled]:
    """CJIS AC-2(3): disable accounts unused for 90 days; administrators too.

    Each account is locked and looked at again before it is disabled: a second copy of
    the job running at once does not disable it again, and someone who signed in after
    the job listed them keeps their account."""
    reason = f"no sign-in or API use in {days} days"
    disabled = []
    for user in idle_users(days):
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()
            if not _idle(days).filter(pk=user.pk).exists():
                continue
            disabled.append(disable_user(actor, user, reason))
    return disabled


# --- Create forms' one-time tokens (ADR 0009) -------------------------------
# Bookkeeping about a submission, not about a person: the record the form saves
# is written and audited by its own action, in the same transaction as the claim.


def claim_form_token(
    kind: str, token: str, *, user: User | None, anonymous_key: str = ""
) -> FormToken:
    """Claim a token for one submission, for the signed-in `user` or else an anonymous
    visitor's session key; a second claim fails on the unique constraint."""
    return FormToken.objects.create(
        kind=kind, token=token, user=user, anonymous_key="" if user else anonymous_key
    )


def note_form_saved(claim: FormToken, url: str) -> None:
    """Where the claimed submission's record is shown, for a resubmission to be sent to."""
    claim.saved_url = url[:500]
    claim.save(update_fields=["saved_url"])


def forget_form_tokens(before: dt.datetime) -> int:
    """Delete tokens claimed before `before`; the records they saved stay. Returns how many."""
    deleted, _ = FormToken.objects.filter(created_at__lt=before).delete()
    return deleted


def forget_expired_sessions(now: dt.datetime) -> int:
    """Delete sessions past their expiry: nobody can use them again, and each visit to a
    public page (the help form) leaves one. A signed-in one lapsed when idle: its sign-out
    is audited as it goes (`end_lapsed_sign_in`). Returns how many."""
    expired = Session.objects.filter(expire_date__lt=now)
    signed_in = [
        session
        for session in expired.iterator(chunk_size=500)
        if AUTH_USER_KEY in session.get_decoded()
    ]
    for session in signed_in:
        end_lapsed_sign_in(session, "worker")
    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    return len(signed_in) + deleted


def end_lapsed_session_of(session_key: str, where: str) -> bool:
    """The next request bringing a session that lapsed (SESSION_IDLE_SECONDS idle) ends it:
    `end_lapsed_sign_in`, unless the worker already did."""
    session = Session.objects.filter(
        session_key=session_key, expire_date__lte=timezone.now()
    ).first()
    return session is not None and end_lapsed_sign_in(session, where)


def end_lapsed_sign_in(session: Session, where: str) -> bool:
    """Delete a session past its expiry; if it was signed in, audit the sign-out its lapse
    was, by its user, as idle (CJIS: every logoff is audited, not only the button's).

    Deleted with a conditional DELETE, so of two requests (or a request and the worker)
    ending the same session, one audits it. Whether it audited a sign-out is returned."""
    user_id = session.get_decoded().get(AUTH_USER_KEY)
    with transaction.atomic():
        deleted, _ = Session.objects.filter(
            session_key=session.session_key, expire_date=session.expire_date
        ).delete()
        user = User.objects.filter(pk=user_id).first() if deleted and user_id else None
        if user is None:
            return False
        record_event(
            Actor(user=user, where=where),
            AuditEvent.Action.LOGOFF,
            obj=user,
            detail={"ended": "idle", "lapsed_at": session.expire_date.isoformat()},
        )
    return True


def claim_request_key(user: User, key: str, fingerprint: str) -> RequestKey:
    """Claim an API request key for its first sending; a second claim fails on the
    unique constraint (and waits for the first to finish on PostgreSQL)."""
    return RequestKey.objects.create(user=user, key=key, fingerprint=fingerprint)


def note_request_answered(
    claim: RequestKey, status: int, content_type: str, body: str, seen: Mapping[str, Any]
) -> None:
    """The answer the claimed request got, and what of whom it could show, for a resend."""
    claim.status = status
    claim.content_type = content_type[:100]
    claim.body = body
    claim.seen = dict(seen)
    claim.save(update_fields=["status", "content_type", "body", "seen"])


def note_answer_replayed(actor: Actor, earlier: RequestKey, path: str) -> None:
    """A resend got the first answer again: a read of what that answer holds, audited."""
    with transaction.atomic():
        record_event(
            actor,
            "read",
            obj=earlier,
            detail={
                "replayed": path,
                "status": earlier.status,
                "first_answered_at": earlier.created_at.isoformat(),
            },
        )


def release_request_key(claim: RequestKey) -> None:
    """Free a key whose request was refused, so the corrected request can use it."""
    RequestKey.objects.filter(pk=claim.pk).delete()


def forget_request_keys(before: dt.datetime) -> int:
    """Delete request keys claimed before `before`; the records they saved stay."""
    deleted, _ = RequestKey.objects.filter(created_at__lt=before).delete()
    return deleted


# --- Shifts and the secrets behind calendar feed URLs -----------------------------------

# Roles that plan a program's shifts and manage its teams' calendars.
SCHEDULER_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
# A shift longer than a day would overlap the next day's occurrence of a daily rule.
MAX_SHIFT_MINUTES = 24 * 60


def may_schedule(user: Any, program: Program) -> bool:
    return role_in(user, program) in SCHEDULER_ROLES


def new_calendar_secret() -> str:
    return secrets.token_urlsafe(32)


def rrule_problem(
    rrule: str, first_day: dt.date | None = None, zone: ZoneInfo | None = None
) -> str | None:
    """Why `rrule` is not a usable RFC 5545 recurrence rule from `first_day`, in a sentence a
    coordinator understands, or None. An end (UNTIL) in UTC, as calendar tools export it, is
    read in `zone`, the program's (see domain/recurrence.py)."""
    if problem := rule_problem(rrule):
        return problem
    # Naive on purpose: shift rules run on local wall-clock time (see domain/shifts.py).
    first = dt.datetime.combine(first_day or dt.date(2024, 1, 1), dt.time())
    try:
        rule = wall_clock_rule(rrule, first, zone)
    except RuleProblem as exc:
        return str(exc)
    if rule.after(first, inc=True) is None:
        return "This recurrence rule produces no shift from the first day on."
    return None


def _calendar_problems(days: Iterable[dt.date]) -> list[str]:
    """Why each of `days` cannot be a shift's day, as sentences."""
    return [sentence for day in days if (sentence := date_sentence(day))]


def _check_scheduler(actor: Actor, program: Program) -> None:
    if not may_schedule(actor.user, program):
        raise Forbidden("Only the program's coordinators plan shifts.")


@dataclass(frozen=True)
class ShiftInput:
    """A shift as a coordinator plans it: what it is called, who works it, when and where.

    The name is kept without the spaces around it and the rule in capitals, as stored.
    """

    name: str
    team: Team | None
    rrule: str
    starts_on: dt.date
    starts_at: dt.time
    duration_minutes: int
    district_codes: Sequence[str] = ()
    # Days it does not run; only a new shift takes them here (a planned one adds them apart).
    exceptions: Sequence[dt.date] = ()
    ends_on: dt.date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self.name.strip())
        object.__setattr__(self, "rrule", self.rrule.strip().upper())

    def stands_in(self, shift: Shift) -> bool:
        """Whether `shift` already reads as this (its days off aside)."""
        return (
            shift.name == self.name
            and shift.team_id == (self.team.pk if self.team else None)
            and shift.rrule == self.rrule
            and (shift.starts_on, shift.starts_at) == (self.starts_on, self.starts_at)
            and shift.duration_minutes == self.duration_minutes
            and sorted(d.code for d in shift.districts.all()) == sorted(self.district_codes)
            and shift.ends_on == self.ends_on
        )


def _checked_shift(program: Program, data: ShiftInput) -> list[District]:
    """The districts a shift covers; ActionError naming each field that cannot be kept."""
    errors: dict[str, list[str]] = {}
    if not data.name:
        errors["name"] = ["Give the shift a name."]
    if data.team is not None and data.team.program_id != program.pk:
        errors["team"] = ["That team is not in this program."]
    starts_on, ends_on = data.starts_on, data.ends_on
    first_day = None if date_problem(starts_on) else starts_on
    if problem := rrule_problem(data.rrule, first_day, zone_of(program)):
        errors["rrule"] = [problem]
    if not 1 <= data.duration_minutes <= MAX_SHIFT_MINUTES:
        errors["duration_minutes"] = ["A shift lasts between 1 minute and 24 hours."]
    days = [("starts_on", [starts_on]), ("exceptions", list(data.exceptions))]
    for field, given in (*days, ("ends_on", [ends_on] if ends_on else [])):
        if problems := _calendar_problems(given):
            errors[field] = problems
    if ends_on is not None and "ends_on" not in errors and ends_on < starts_on:
        errors["ends_on"] = ["The last day cannot come before the first."]
    codes = list(data.district_codes)
    districts = list(District.objects.filter(program=program, code__in=codes))
    unknown = sorted(set(codes) - {d.code for d in districts})
    if unknown:
        errors["districts"] = [f"Unknown district: {code}" for code in unknown]
    if errors:
        raise ActionError("shift not saved", errors)
    return districts


def _shift_facts(shift: Shift) -> dict[str, Any]:
    """What a shift's audit event says of it."""
    return {
        "name": shift.name,
        "team": shift.team_id,
        "rrule": shift.rrule,
        "starts_on": shift.starts_on.isoformat(),
        "starts_at": shift.starts_at.isoformat(timespec="minutes"),
        "duration_minutes": shift.duration_minutes,
        "districts": sorted(d.code for d in shift.districts.all()),
        "exceptions": list(shift.exceptions or []),
        "ends_on": shift.ends_on.isoformat() if shift.ends_on else None,
    }


def add_shift(actor: Actor, program: Program, data: ShiftInput) -> Shift:
    """A new recurring shift for one of the program's teams, or for the whole program."""
    _check_scheduler(actor, program)
    districts = _checked_shift(program, data)
    with transaction.atomic():
        shift = Shift(
            program=program,
            team=data.team,
            name=data.name,
            rrule=data.rrule,
            starts_on=data.starts_on,
            starts_at=data.starts_at,
            duration_minutes=data.duration_minutes,
            exceptions=sorted({day.isoformat() for day in data.exceptions}),
            ends_on=data.ends_on,
        )
        save_tracked(shift, actor.user)
        shift.districts.set(districts)
        record_event(
            actor, "create", obj=shift, program_slug=program.slug, detail=_shift_facts(shift)
        )
    return shift


def change_shift(actor: Actor, shift: Shift, data: ShiftInput, *, expected_version: int) -> Shift:
    """A shift planned on the web, changed or given a last day, against the version the
    coordinator saw (StaleVersion when someone changed it meanwhile). Its days off stay
    (`data.exceptions` is not read); a shift from the program's preset is changed in the
    preset."""
    program = shift.program
    _check_scheduler(actor, program)
    if shift.from_preset:
        raise ActionError(
            "shift not saved",
            {"__all__": ["This shift comes from the program's preset: change it there."]},
        )
    districts = _checked_shift(program, replace(data, exceptions=()))
    before = _shift_facts(shift)
    with transaction.atomic():
        shift.name, shift.team, shift.rrule = data.name, data.team, data.rrule
        shift.starts_on, shift.starts_at = data.starts_on, data.starts_at
        shift.duration_minutes, shift.ends_on = data.duration_minutes, data.ends_on
        save_tracked(shift, actor.user, expected_version=expected_version)
        shift.districts.set(districts)
        after = _shift_facts(shift)
        changed = {
            key: [before[key], value] for key, value in after.items() if before[key] != value
        }
        record_event(
            actor, "change", obj=shift, program_slug=program.slug, detail={"changed": changed}
        )
    return shift


def add_shift_exceptions(
    actor: Actor, shift: Shift, dates: Iterable[dt.date], *, expected_version: int
) -> Shift:
    """Days the shift does not run; StaleVersion when someone changed the shift meanwhile."""
    _check_scheduler(actor, shift.program)
    dates = list(dates)
    added = sorted({day.isoformat() for day in dates})
    if not added:
        raise ActionError("no dates given", {"exceptions": ["Give at least one date."]})
    if problems := _calendar_problems(dates):
        raise ActionError("dates not taken", {"exceptions": problems})
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


def seat_on_team(actor: Actor, team: Team, user_id: int) -> tuple[TeamMember, bool]:
    """Put someone who works in the program on one of its teams, in their role there; the
    seat, and whether it is new (sent twice, the first sending seated them)."""
    _check_scheduler(actor, team.program)
    membership = (
        Membership.objects.filter(
            program=team.program, user_id=user_id, active=True, user__is_active=True
        )
        .select_related("user")
        .first()
    )
    if membership is None:
        raise ActionError(
            "not on the team",
            {"user": [f"Choose someone who works in {team.program.name}."]},
        )
    if membership.role not in seat_roles(team.program):
        # A team's members hear of its tasks and give them back: only field work sits.
        label = ROLE_LABELS.get(Role(membership.role), membership.role)
        raise ActionError(
            "not on the team",
            {
                "user": [
                    f"{membership.user} works in {team.program.name} as {label}, a role "
                    "that does no field work, so sits on no team."
                ]
            },
        )
    with transaction.atomic():
        seat = TeamMember.objects.filter(team=team, user_id=user_id).first()
        if seat is not None:
            return seat, False
        seat = TeamMember(team=team, user=membership.user, role=membership.role)
        save_tracked(seat, actor.user)
        record_event(
            actor,
            "create",
            obj=seat,
            program_slug=team.program.slug,
            detail={"team": team.pk, "user": membership.user.username, "role": seat.role},
        )
    return seat, True


def unseat_from_team(actor: Actor, team: Team, seat_id: int) -> TeamMember | None:
    """Take someone off a team: what they did with it still names the team. The seat taken
    away, or None when it was gone already (sent twice, or another coordinator took it)."""
    _check_scheduler(actor, team.program)
    with transaction.atomic():
        seat = (
            TeamMember.objects.select_for_update()
            .select_related("user")
            .filter(team=team, pk=seat_id)
            .first()
        )
        if seat is None:
            return None
        record_event(
            actor,
            "delete",
            obj=seat,
            program_slug=team.program.slug,
            detail={"team": team.pk, "user": seat.user.username, "role": seat.role},
        )
        seat.delete()
    return seat


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


# A team's name as people see it on the queue and in calendars.
TEAM_NAME_MAX = 200


def start_team(actor: Actor, program: Program, name: str) -> tuple[Team, bool]:
    """A team of the program by this name, and whether this call started it: a team stood
    down under the name comes back (with its seats and calendar link), and one at work
    already is the answer (a form sent twice starts one team)."""
    _check_scheduler(actor, program)
    name = " ".join(str(name).split())
    if not name:
        raise ActionError("The team needs a name.", {"name": ["give the team a name"]})
    if len(name) > TEAM_NAME_MAX:
        raise ActionError(
            "The team's name is too long.", {"name": [f"at most {TEAM_NAME_MAX} characters"]}
        )
    with transaction.atomic():
        team = Team.objects.select_for_update().filter(program=program, name__iexact=name).first()
        if team is not None:
            if team.active:
                return team, False
            team.active = True
            save_tracked(team, actor.user)
            record_event(
                actor,
                "change",
                obj=team,
                program_slug=program.slug,
                fields=["active"],
                detail={"name": team.name, "active": True},
            )
            return team, True
        team = Team(program=program, name=name)
        try:
            with transaction.atomic():
                save_tracked(team, actor.user)
        except IntegrityError:
            # Another coordinator started it in the same instant.
            return Team.objects.get(program=program, name=name), False
        record_event(actor, "create", obj=team, program_slug=program.slug, detail={"name": name})
    return team, True


@dataclass(frozen=True)
class TeamWork:
    """What keeps a team from standing down: tasks it claimed and still holds, shifts it
    still works."""

    claimed_tasks: int
    shifts: list[str]

    def problems(self) -> list[str]:
        said = []
        if self.claimed_tasks:
            tasks = "task" if self.claimed_tasks == 1 else "tasks"
            said.append(
                f"it holds {self.claimed_tasks} claimed follow-up {tasks}: give them back to "
                "the queue or to another team first"
            )
        if self.shifts:
            said.append(
                f"it works {', '.join(self.shifts)}: end the shift or give it to another team first"
            )
        return said


def team_work(team: Team, today: dt.date) -> TeamWork:
    claimed = team.tasks.filter(status="claimed").count()  # type: ignore[attr-defined]
    shifts = (
        Shift.objects.filter(team=team)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .order_by("name")
        .values_list("name", flat=True)
    )
    return TeamWork(claimed_tasks=claimed, shifts=list(shifts))


def stand_down_team(actor: Actor, team: Team, *, expected_version: int) -> Team:
    """Take a team out of work: it leaves the queue's, the shifts' and the encounters'
    choices, and keeps what it did. Refused while it holds claimed tasks or works a shift,
    which would leave people unvisited; StaleVersion when the team changed meanwhile."""
    program = team.program
    _check_scheduler(actor, program)
    today = timezone.localdate(timezone=zone_of(program))
    with transaction.atomic():
        current = Team.objects.select_for_update().get(pk=team.pk)
        if not current.active:
            return current
        problems = team_work(current, today).problems()
        if problems:
            raise ActionError(f"{current.name} cannot stand down yet.", {"team": problems})
        current.active = False
        save_tracked(current, actor.user, expected_version=expected_version)
        record_event(
            actor,
            "change",
            obj=current,
            program_slug=program.slug,
            fields=["active"],
            detail={"name": current.name, "active": False},
        )
    return current
