"""The one write path for tokens, consents, disclosures and break-glass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from coresponder.core.audit import Actor, record_event, record_list_read
from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.models import AuditEvent
from coresponder.core.tracked import save_tracked
from coresponder.domain.clock import date_problem
from coresponder.domain.consent import RELEASABLE, consent_problems
from coresponder.domain.policy import (
    ACCOUNTING_YEARS,
    BREAK_GLASS_HOURS,
    FieldGroup,
    GroupVisibility,
    RecordType,
    opened_by_consent,
)
from coresponder.domain.text import shows_nothing
from coresponder.domain.vocabulary import Role
from coresponder.domain.vocabulary import label as label_of
from coresponder.import_limits import max_cell_chars
from coresponder.people.models import Person
from coresponder.privacy.access import (
    DisclosureBasis,
    PersonAccess,
    access_person_for_break_glass,
    best_role,
    break_glass_program,
    consent_programs,
    releases_records_of,
)
from coresponder.privacy.models import ApiToken, BreakGlass, Consent, Disclosure
from coresponder.privacy.token_values import (
    MOST_TOKEN_DAYS,
    TOKEN_DAYS,
    digest_of,
    new_token_value,
)
from coresponder.programs.local_time import zone_of
from coresponder.programs.models import Membership, Organization, Program, User

# The longest note a coordinator leaves on a break-glass review: as long as a care plan's
# or a service referral's note.
REVIEW_NOTE_MAX = 5000


def issue_api_token(actor: Actor, user: User, label: str = "", days: int = TOKEN_DAYS) -> str:
    """A new Bearer token for `user` in their organisation, working for `days` days;
    returned once, never stored."""
    if not 1 <= days <= MOST_TOKEN_DAYS:
        problem = f"must be from 1 to {MOST_TOKEN_DAYS} days"
        raise ActionError("The token was not issued.", {"days": [problem]})
    value = new_token_value()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            organization=user.organization,
            label=label[:100],
            digest=digest_of(value),
            prefix=value[:8],
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        record_event(
            actor,
            "permission",
            obj=token,
            detail={
                "user": user.username,
                "grant": "api token",
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            },
        )
    return value


def revoke_api_token(actor: Actor, token: ApiToken) -> ApiToken:
    """The token stops working at once; a permission change, audited."""
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not revoked:
            problem = f"{token.prefix} is already revoked"
            raise ActionError("token not revoked", {"token": [problem]})
        token.refresh_from_db()
        record_event(
            actor,
            "permission",
            obj=token,
            detail={"user": token.user.username, "revoke": "api token", "prefix": token.prefix},
        )
    return token


def note_token_used(token: ApiToken, now: dt.datetime) -> None:
    """Stamp when the token was last used, at most once a minute; a derived stamp, not audited."""
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def record_person_read(
    actor: Actor,
    access: PersonAccess,
    *,
    channel: str = "api",
    purpose: str = "",
    program: Program | None = None,
    amendments: Mapping[FieldGroup, Sequence[int]] | None = None,
) -> None:
    """Audit one read of a person; record a Disclosure for each consent-released group.

    Groups withheld for want of consent are audited as a denied attempt. A read of one
    program's record (an encounter, a care plan, a referral) is filed under `program`;
    otherwise under the one program the reader sees the person through, or none.
    `amendments` names, by field group, the refused corrections that went with the read
    (45 CFR 164.526(d)(4)-(5)): the read's event says so, and so does each Disclosure of
    a group they concern.
    """
    person = access.person
    filed_under = program.slug if program is not None else access.filed_under
    shown = sorted(g.value for g in FieldGroup if access.decision(g) is GroupVisibility.SHOWN)
    with transaction.atomic():
        record_event(
            actor,
            "read",
            obj=person,
            person_id=person.pk,
            program_slug=filed_under,
            fields=shown,
            purpose=purpose or ("break-glass" if access.break_glass else ""),
            detail={
                "channel": channel,
                "break_glass": bool(access.break_glass),
                **({"amendments": _all_ids(amendments)} if amendments else {}),
            },
        )
        if access.withheld:
            record_event(
                actor,
                "read",
                obj=person,
                person_id=person.pk,
                program_slug=filed_under,
                outcome=AuditEvent.Outcome.DENIED,
                fields=sorted(g.value for g in access.withheld),
                purpose=purpose,
                detail={"reason": "no consent in force names the reader", "channel": channel},
            )
        record_disclosures(actor, access, channel=channel, amendments=amendments)


def _all_ids(amendments: Mapping[FieldGroup, Sequence[int]] | None) -> list[int]:
    return sorted({pk for ids in (amendments or {}).values() for pk in ids})


def record_disclosures(
    actor: Actor,
    access: PersonAccess,
    *,
    channel: str,
    amendments: Mapping[FieldGroup, Sequence[int]] | None = None,
) -> list[Disclosure]:
    """One Disclosure per group and basis this read released (consent, break-glass, own
    organisation), each naming the refused corrections of its group that went along."""
    made = []
    for group, basis, program_id in sorted(
        access.disclosed, key=lambda d: (d[0].value, d[1], d[2] or 0)
    ):
        consent = None
        if basis == DisclosureBasis.CONSENT:
            covering = [
                c
                for c in access.consents
                if group.value in c.covers
                and (program_id is None or releases_records_of(c, program_id))
            ]
            # The consent that released this program's record, where the read was of one.
            consent = next(
                (c for c in covering if program_id is not None and c.program_id == program_id),
                covering[0] if covering else None,
            )
        made.append(
            record_disclosure(
                actor,
                access,
                group,
                consent,
                channel=channel,
                basis=basis,
                program_id=program_id,
                amendments=(amendments or {}).get(group, ()),
            )
        )
    access.disclosed.clear()
    return made


def record_disclosure(
    actor: Actor,
    access: PersonAccess,
    group: FieldGroup,
    consent: Consent | None,
    *,
    channel: str,
    basis: str = DisclosureBasis.CONSENT,
    program_id: int | None = None,
    amendments: Sequence[int] = (),
) -> Disclosure:
    """The accounting's row for one release; it says the notice went along only if it did,
    and names the refused corrections (`amendments`) that went with it.

    It is accounted for by the program the release was made under: the consent's, else the
    break-glass opening's, else the program whose record was read (`program_id`), else the
    one program the reader sees the person through; none where that is not one."""
    user = access.user
    org = getattr(user, "organization", None)
    if consent is not None:
        purpose = consent.purpose
    elif basis == DisclosureBasis.BREAK_GLASS and access.break_glass is not None:
        purpose = f"break-glass: {access.break_glass.reason}"
    else:
        purpose = basis
    glass = access.break_glass if basis == DisclosureBasis.BREAK_GLASS else None
    if consent is not None and consent.program_id is not None:
        program_id = consent.program_id
    elif glass is not None and glass.program_id is not None:
        program_id = glass.program_id
    elif program_id is None and len(access.slugs) == 1:
        program_id = next(iter(access.slugs))
    disclosure = Disclosure.objects.create(
        person=access.person,
        consent=consent,
        program_id=program_id,
        disclosed_at=timezone.now(),
        disclosed_by=None,
        # The accounting is read by the person: the name they would know, not a sign-in.
        recipient=(f"{user} ({org.name})" if org else str(user))[:200],
        recipient_user=user,
        recipient_organization=org,
        information=FIELD_GROUP_LABELS[group],
        groups=[group.value],
        purpose=purpose,
        channel=channel,
        notice_included=access.notice_given,
        break_glass=glass,
        amendments=sorted(amendments),
    )
    record_event(
        actor,
        "export" if channel == "export" else "read",
        obj=disclosure,
        person_id=access.person.pk,
        program_slug=access.slugs.get(program_id or 0) or access.filed_under,
        fields=[group.value],
        purpose=disclosure.purpose,
        detail={
            "disclosure": True,
            "consent_id": consent.pk if consent else None,
            **({"amendments": disclosure.amendments} if disclosure.amendments else {}),
        },
    )
    return disclosure


def record_export_disclosure(
    actor: Actor,
    person_id: int,
    *,
    recipient: str,
    information: str,
    consent: Consent | None,
    groups: tuple[FieldGroup, ...] = (FieldGroup.PART2,),
    program: Program | None = None,
    amendments: Sequence[int] = (),
) -> Disclosure:
    """A file leaving the system with Part 2 data, its notice inside: one accounting row,
    accounted for by `program` (whose record it is), naming the refused corrections
    (`amendments`) the file carries."""
    disclosure = Disclosure.objects.create(
        person_id=person_id,
        consent=consent,
        program=program,
        disclosed_at=timezone.now(),
        disclosed_by=actor.user_or_none,
        recipient=recipient[:200],
        information=information,
        groups=[g.value for g in groups],
        purpose=consent.purpose if consent else DisclosureBasis.EXPORT,
        channel="export",
        notice_included=True,
        amendments=sorted(amendments),
    )
    record_event(
        actor,
        "export",
        obj=disclosure,
        person_id=person_id,
        fields=disclosure.groups,
        purpose=disclosure.purpose[:200],
        detail={
            "disclosure": True,
            "basis": DisclosureBasis.EXPORT,
            "notice_included": True,
            **({"amendments": disclosure.amendments} if disclosure.amendments else {}),
        },
    )
    return disclosure


def record_referral_disclosure(
    actor: Actor,
    person_id: int,
    *,
    consent: Consent,
    program: Program,
    recipient: str,
    recipient_organization: Organization | None,
    information: str,
    groups: Sequence[FieldGroup],
    amendments: Sequence[int] = (),
    disclosed_at: dt.datetime | None = None,
) -> Disclosure:
    """A referral sent to a provider under the person's consent: what it told the provider
    (that the person seeks treatment, the note) is a release the referring program accounts
    for, to the provider's organisation, under that consent; with the refused corrections
    (`amendments`) that go with it. Dated now, or `disclosed_at` for a referral another
    system sent, which is accounted for when it is imported."""
    disclosure = Disclosure.objects.create(
        person_id=person_id,
        consent=consent,
        program=program,
        disclosed_at=disclosed_at or timezone.now(),
        disclosed_by=actor.user_or_none,
        recipient=recipient[:200],
        recipient_organization=recipient_organization,
        information=information,
        groups=[g.value for g in groups],
        purpose=consent.purpose,
        channel="referral",
        # The provider's inbox, referral page, API record and FHIR bundle carry the notice.
        notice_included=True,
        amendments=sorted(amendments),
    )
    record_event(
        actor,
        "create",
        obj=disclosure,
        person_id=person_id,
        program_slug=program.slug,
        fields=disclosure.groups,
        purpose=disclosure.purpose[:200],
        detail={
            "disclosure": True,
            "basis": DisclosureBasis.CONSENT,
            "consent_id": consent.pk,
            "notice_included": True,
            **({"amendments": disclosure.amendments} if disclosure.amendments else {}),
            **({"disclosed_at": disclosed_at.isoformat()} if disclosed_at else {}),
        },
    )
    return disclosure


def note_cross_program_link(actor: Actor, program: Any, person: Person) -> None:
    """Audit a record taken in `program` about someone only other programs knew.

    `linkable_people` lets that happen only under a data-sharing agreement.
    """
    others = sorted(
        person.participations.exclude(program=program).values_list("program__slug", flat=True)
    )
    if not others or person.participations.filter(program=program).exists():
        return
    record_event(
        actor,
        "change",
        obj=person,
        person_id=person.pk,
        program_slug=program.slug,
        fields=["identity"],
        purpose="cross-program link",
        detail={"linked_to": program.slug, "known_to": others},
    )


# What each group holds, as the accounting of disclosures and a records request name it.
FIELD_GROUP_LABELS = {group: label_of("field_group", group.value) for group in FieldGroup}


@dataclass(frozen=True)
class ConsentInput:
    """A Part 2 consent's elements as given; `record_consent` names any that is missing.

    Each recipient names one reader by organisation, kind, role, user or name;
    `covers` defaults to every releasable field group.
    """

    discloser: str
    recipients: tuple[Mapping[str, str], ...]
    information: str
    purpose: str
    signed_at: dt.datetime
    signature_method: str
    right_to_revoke_explained: bool = False
    covers: tuple[str, ...] = tuple(g.value for g in RELEASABLE)
    expires_at: dt.datetime | None = None
    expires_on: dt.date | None = None
    expiry_event: str | None = None


def consent_zone(access: PersonAccess) -> ZoneInfo:
    """The clock a consent of this person is signed and dated on: their program's."""
    program = Program.objects.filter(pk__in=access.program_ids[:1]).first()
    return zone_of(program)


def _checked_recipients(
    recipients: Sequence[Mapping[str, str]], program_ids: Sequence[int]
) -> tuple[list[dict[str, str]], list[str]]:
    """The recipients with each organisation named by its slug (it may be given by its
    name), and the problems: a recipient named by an organisation or a user who takes no
    part in the person's programs (an organisation takes part as a partner of one, through
    its members, or as a provider in the service directory). A typo would release to no
    one, and the person would believe otherwise. Only those programs are looked in, so the
    answer tells nothing of anyone else on the site."""
    problems = []
    checked = []
    works_here = Organization.objects.filter(
        Q(programs__in=program_ids)
        | Q(users__memberships__program__in=program_ids, users__memberships__active=True)
        # A provider in the service directory, which is public: referrals go to it.
        | Q(directory_entries__isnull=False)
    )
    for index, recipient in enumerate(recipients):
        named = {key: str(value) for key, value in recipient.items()}
        for key, value in recipient.items():
            wanted = str(value).strip()
            where = f" (recipient {index + 1})" if len(recipients) > 1 else ""
            if key == "organization":
                slug = (
                    works_here.filter(Q(slug__iexact=wanted) | Q(name__iexact=wanted))
                    .values_list("slug", flat=True)
                    .first()
                )
                if slug is None:
                    problems.append(
                        f"no organisation called {wanted!r} works with this person's programs"
                        f"{where}: check the name, or name an organisation that does not use "
                        "Coresponder by name alone"
                    )
                else:
                    named[key] = slug
            elif (
                key == "user"
                and not User.objects.filter(
                    username__iexact=wanted,
                    memberships__program__in=program_ids,
                    memberships__active=True,
                ).exists()
            ):
                problems.append(f"no user {wanted!r} works in this person's programs{where}")
        checked.append(named)
    return checked, problems


# Part 2 records may never be used to investigate or prosecute: no consent opens anything
# to a prosecutor's office, whatever role its staff hold.
NEVER_OPENED_KINDS = frozenset({"prosecutor"})


def consent_opens_nothing_to(recipients: Sequence[Mapping[str, str]]) -> list[str]:
    """The recipients, in words, to whom a consent can open nothing here: a prosecutor's
    office, a role that never reads by consent (prosecutor, analyst, administrator), or a user
    whose every role is one. The consent is kept as signed; whoever records it is told."""
    named: list[str] = []
    for recipient in recipients:
        for key, value in recipient.items():
            if key == "kind" and value in NEVER_OPENED_KINDS:
                named.append(label_of("organization_kind", value))
            elif key == "role" and value in {r.value for r in Role}:
                if not opened_by_consent(Role(value)):
                    named.append(label_of("role", value))
            elif key == "organization":
                office = Organization.objects.filter(
                    slug=value, kind__in=NEVER_OPENED_KINDS
                ).first()
                if office is not None:
                    named.append(office.name)
            elif key == "user":
                roles = set(
                    Membership.objects.filter(
                        user__username__iexact=value, active=True
                    ).values_list("role", flat=True)
                )
                if roles and not any(opened_by_consent(Role(r)) for r in roles):
                    named.append(value)
    return named


def end_of_day(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """When a consent good "until" `day` ends: it lasts through that whole day where it was
    signed."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)


def record_consent(actor: Actor, access: PersonAccess, data: ConsentInput) -> Consent:
    """A Part 2 consent with every element, or ActionError naming what is missing."""
    if not access.may_write(RecordType.CONSENT):
        raise Forbidden("Your role may not record consents.")
    zone = consent_zone(access)
    elements = asdict(data)
    signed = data.signed_at
    if isinstance(signed, dt.datetime) and timezone.is_aware(signed) and not date_problem(signed):
        # The day it was signed is the program's day, whatever offset the time came with:
        # 22:30 in Longmont, sent in UTC, is still signed on the day a consent runs through.
        elements["signed_at"] = signed.astimezone(zone)
    problems = consent_problems(elements, now=timezone.now())
    recipients = [dict(r) for r in data.recipients]
    if "recipients" not in problems:
        recipients, unknown = _checked_recipients(data.recipients, access.program_ids)
        if unknown:
            problems["recipients"] = unknown
    born = access.person.birth_date
    if (
        "signed_at" not in problems
        and born is not None
        and isinstance(signed, dt.datetime)
        and signed.astimezone(zone).date() < born
    ):
        problems["signed_at"] = ["is before the person was born: check the date"]
    for field in ("discloser", "information", "purpose", "expiry_event"):
        # The column's own limit where it has one (who discloses, the expiry event).
        longest = getattr(Consent._meta.get_field(field), "max_length", None) or max_cell_chars()
        if len(str(getattr(data, field) or "").strip()) > longest:
            problems.setdefault(field, []).append(f"is longer than {longest:,} characters")
    if problems:
        raise ActionError("The consent is missing required elements.", problems)
    expires_at = data.expires_at
    if expires_at is None and data.expires_on:
        expires_at = end_of_day(data.expires_on, zone)
    with transaction.atomic():
        consent = Consent(
            person=access.person,
            program_id=next(iter(consent_programs(access)), None),
            discloser=data.discloser.strip(),
            recipients=recipients,
            information=data.information.strip(),
            covers=sorted(set(data.covers)),
            purpose=data.purpose.strip(),
            right_to_revoke_explained=True,
            expires_at=expires_at,
            expires_on=data.expires_on,
            expiry_event=(data.expiry_event or "").strip(),
            signed_at=data.signed_at,
            signature_method=data.signature_method,
        )
        save_tracked(consent, actor.user)
        record_event(
            actor,
            "create",
            obj=consent,
            person_id=access.person.pk,
            program_slug=access.slugs.get(consent.program_id or 0, ""),
            fields=consent.covers,
            purpose="consent",
            detail={"recipients": consent.recipients},
        )
    return consent


def revoke_consent(actor: Actor, access: PersonAccess, consent: Consent) -> Consent:
    """Revoked at once: the next read no longer sees what it released."""
    if not access.may_write(RecordType.CONSENT, consent.program_id):
        raise Forbidden("Your role may not revoke consents.")
    if consent.revoked_at is not None:
        raise ActionError("This consent is already revoked.", {"consent": ["already revoked"]})
    with transaction.atomic():
        consent.revoked_at = timezone.now()
        consent.revoked_by = actor.user_or_none
        save_tracked(consent, actor.user)
        record_event(
            actor,
            "change",
            obj=consent,
            person_id=access.person.pk,
            program_slug=consent.program.slug if consent.program else "",
            purpose="consent revoked",
        )
    return consent


def open_break_glass(actor: Actor, user: Any, person: Person, reason: str) -> BreakGlass:
    """A clinician opens a record outside policy; audited and queued for review."""
    if best_role(user) is None:
        raise Forbidden("Only clinical staff may open a record outside policy.")
    person = access_person_for_break_glass(user, person.pk)
    if len(reason.strip()) < 10:
        raise ActionError(
            "Say why you need this record.", {"reason": ["write at least 10 characters"]}
        )
    longest = max_cell_chars()
    if len(reason) > longest:
        raise ActionError(
            f"Say why in at most {longest:,} characters.",
            {"reason": [f"is longer than {longest:,} characters"]},
        )
    now = timezone.now()
    with transaction.atomic():
        glass = BreakGlass(
            user=user,
            person=person,
            program=break_glass_program(user, person),
            reason=reason.strip(),
            opened_at=now,
            expires_at=now + dt.timedelta(hours=BREAK_GLASS_HOURS),
        )
        save_tracked(glass, actor.user)
        record_event(
            actor,
            "read",
            obj=glass,
            person_id=person.pk,
            program_slug=glass.program.slug if glass.program else "",
            purpose="break-glass",
            detail={"reason": glass.reason},
        )
    return glass


def record_break_glass_list_read(actor: Actor, openings: list[BreakGlass], *, channel: str) -> None:
    """The review list names people and why their records were opened: an audited read,
    filed under the program each opening was made in and under each person named."""
    by_program: dict[str, list[BreakGlass]] = {}
    for glass in openings:
        slug = glass.program.slug if glass.program is not None else ""
        by_program.setdefault(slug, []).append(glass)
    with transaction.atomic():
        for slug, shown in sorted(by_program.items()) or [("", [])]:
            record_list_read(
                actor,
                object_type="privacy.breakglass",
                ids=sorted({g.person_id for g in shown}),
                program_slug=slug,
                fields=["identity"],
                detail={
                    "list": "break-glass review",
                    "channel": channel,
                    "openings": [g.pk for g in shown],
                    "person_ids": sorted({g.person_id for g in shown}),
                },
            )


def review_break_glass(actor: Actor, glass: BreakGlass, note: str) -> BreakGlass:
    """Mark an opening reviewed, with the coordinator's note: plain text of at most
    REVIEW_NOTE_MAX characters (a line break or a tab kept)."""
    if glass.reviewed_at is not None:
        raise ActionError("Already reviewed.", {"break_glass": ["already reviewed"]})
    text = note.strip()
    if len(text) > REVIEW_NOTE_MAX:
        raise ActionError(
            f"Write the review note in at most {REVIEW_NOTE_MAX:,} characters.",
            {"note": [f"is longer than {REVIEW_NOTE_MAX:,} characters"]},
        )
    if any(shows_nothing(c, lines=True) for c in text):
        raise ActionError(
            "The review note cannot be recorded.",
            {"note": ["holds a control or direction character"]},
        )
    with transaction.atomic():
        glass.reviewed_by = actor.user_or_none
        glass.reviewed_at = timezone.now()
        glass.review_note = text
        save_tracked(glass, actor.user)
        record_event(
            actor,
            "change",
            obj=glass,
            person_id=glass.person_id,
            program_slug=glass.program.slug if glass.program else "",
            purpose="review",
        )
    return glass


def read_disclosures(actor: Actor, access: PersonAccess) -> tuple[dt.datetime, list[Disclosure]]:
    """The accounting of disclosures for the past 3 years (42 CFR 2.24), itself audited."""
    if not access.may_write(RecordType.CONSENT):
        raise Forbidden("Your role may not read the accounting of disclosures.")
    since = timezone.now() - dt.timedelta(days=365 * ACCOUNTING_YEARS + 1)
    # Each program accounts for its own releases (and those made before releases were
    # filed under one): another program's tell what that program holds.
    rows = list(
        Disclosure.objects.filter(
            Q(program_id__in=consent_programs(access)) | Q(program__isnull=True),
            person=access.person,
            disclosed_at__gte=since,
        )
    )
    record_event(
        actor,
        "read",
        object_type="privacy.disclosure",
        person_id=access.person.pk,
        purpose="accounting of disclosures",
    )
    return since, rows
