"""42 CFR Part 2 consent: every element present, and whom it names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coresponder.domain.clock import date_problem
from coresponder.domain.policy import FieldGroup
from coresponder.domain.vocabulary import labels_of

RECIPIENT_KEYS = ("organization", "kind", "role", "user", "name")
# Recipients named by class name one of these vocabularies' codes.
CLASS_VOCABULARIES = {"kind": "organization_kind", "role": "role"}
RELEASABLE = (FieldGroup.CLINICAL, FieldGroup.PART2)


@dataclass(frozen=True)
class Reader:
    """Who is reading, as a consent's recipients can name them."""

    username: str
    role: str
    organization_slug: str
    organization_kind: str
    organization_name: str


@dataclass(frozen=True)
class ConsentTerms:
    recipients: Sequence[Mapping[str, str]]
    covers: Sequence[str]
    signed_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


def consent_problems(
    data: Mapping[str, Any], now: dt.datetime | None = None
) -> dict[str, list[str]]:
    """Missing or malformed elements, by field; empty when the consent is complete. With
    `now`, a signature later than it is refused too."""
    problems: dict[str, list[str]] = {}

    def need(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    for field in ("discloser", "information", "purpose", "signature_method"):
        if not str(data.get(field) or "").strip():
            need(field, "is required by 42 CFR 2.31")
    recipients = data.get("recipients") or []
    if not recipients:
        need("recipients", "name at least one recipient, by name or class")
    for index, recipient in enumerate(recipients):
        if not isinstance(recipient, Mapping) or len(recipient) != 1:
            need("recipients", f"item {index}: give exactly one of {', '.join(RECIPIENT_KEYS)}")
            continue
        ((key, value),) = recipient.items()
        if key not in RECIPIENT_KEYS or not str(value).strip():
            need("recipients", f"item {index}: give exactly one of {', '.join(RECIPIENT_KEYS)}")
        elif key in CLASS_VOCABULARIES and str(value).strip() not in labels_of(
            CLASS_VOCABULARIES[key]
        ):
            known = ", ".join(labels_of(CLASS_VOCABULARIES[key]))
            need("recipients", f"item {index}: a {key} is one of {known}")
    covers = data.get("covers") or []
    if not covers:
        need("covers", "say what it releases: clinical, part2 or both")
    for group in covers:
        if group not in {g.value for g in RELEASABLE}:
            need("covers", f"{group!r} is not a releasable field group (clinical, part2)")
    if not data.get("right_to_revoke_explained"):
        need("right_to_revoke_explained", "the patient must be told of the right to revoke")
    if not data.get("signed_at"):
        need("signed_at", "is required by 42 CFR 2.31")
    expiries = [data.get(k) for k in ("expires_at", "expires_on", "expiry_event")]
    if not any(expiries):
        need("expires_at", "say when it expires: a date, or the event that ends it")
    signed_at = data.get("signed_at")
    expires_at = data.get("expires_at")
    if isinstance(signed_at, dt.datetime) and isinstance(expires_at, dt.datetime):
        if expires_at <= signed_at:
            need("expires_at", "must be after signed_at")
    expires_on = data.get("expires_on")
    for field in ("expires_on", "expires_at", "signed_at"):
        day = data.get(field)
        if isinstance(day, dt.date) and (problem := date_problem(day)):
            need(field, problem)
    if problems.keys() & {"expires_on", "expires_at", "signed_at"}:
        return problems
    if isinstance(signed_at, dt.datetime) and isinstance(expires_on, dt.date):
        if expires_on < signed_at.date():
            need("expires_on", "must be on or after the day it was signed")
    if isinstance(signed_at, dt.datetime) and now is not None and signed_at > now:
        need("signed_at", "cannot be in the future")
    return problems


def names_reader(recipients: Sequence[Mapping[str, str]], reader: Reader) -> bool:
    """Does any recipient, by name or class, describe this reader?"""
    for recipient in recipients:
        for key, value in recipient.items():
            wanted = str(value).strip().lower()
            if (
                (key == "organization" and wanted == reader.organization_slug.lower())
                or (key == "kind" and wanted == reader.organization_kind.lower())
                or (key == "role" and wanted == reader.role.lower())
                or (key == "user" and wanted == reader.username.lower())
                or (key == "name" and wanted == reader.organization_name.strip().lower())
            ):
                return True
    return False


def in_force(terms: ConsentTerms, now: dt.datetime) -> bool:
    """Signed, not revoked, not expired at `now`."""
    if terms.revoked_at is not None and terms.revoked_at <= now:
        return False
    if terms.signed_at > now:
        return False
    return terms.expires_at is None or now < terms.expires_at


def released_groups(
    consents: Sequence[ConsentTerms], reader: Reader, now: dt.datetime
) -> set[FieldGroup]:
    """The field groups some consent in force releases to this reader."""
    released: set[FieldGroup] = set()
    for terms in consents:
        if in_force(terms, now) and names_reader(terms.recipients, reader):
            released.update(FieldGroup(group) for group in terms.covers)
    return released


def covers_all(terms: ConsentTerms, groups: Sequence[FieldGroup]) -> bool:
    """Does the consent release every one of these field groups?"""
    return {g.value for g in groups} <= set(terms.covers)


def referral_disclosure_groups(part2_program: bool, has_note: bool) -> tuple[FieldGroup, ...]:
    """What a referral to a service tells its provider beyond who the person is.

    A referral to a Part 2 program says the person seeks SUD treatment (Part 2); a
    note written for the provider carries clinical detail.
    """
    groups: list[FieldGroup] = []
    if part2_program:
        groups.append(FieldGroup.PART2)
        if has_note:
            groups.append(FieldGroup.CLINICAL)
    return tuple(groups)
