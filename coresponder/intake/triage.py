"""Triage of public requests for help: a coordinator takes each one up or closes it."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from coresponder.domain.linkage import normalise_phone, search_text
from coresponder.domain.vocabulary import label
from coresponder.intake.models import Referral, TriageStatus
from coresponder.intake.public_forms import STAFF_LANGUAGE, TEXT

# Where a request may go from "new"; setting it back to "new" is not a decision.
TRIAGE_DECISIONS = (TriageStatus.ACCEPTED, TriageStatus.NOT_REACHED, TriageStatus.CLOSED)


def _staff_word(prefix: str, code: str, vocabulary: str) -> str:
    """The public page's English label for a stored code, else the vocabulary's label."""
    return TEXT[STAFF_LANGUAGE].get(f"{prefix}_{code}") or label(vocabulary, code)


# Who asked, as the subject of "… asked; the person has not agreed to be contacted".
ASKER_WORDS = {"other_family": "Family member", "other": "Someone else"}


def request_words(referral: Referral) -> dict[str, Any]:
    """What someone asked for on the public help page, as staff read it, in English
    whatever language it came in."""
    asked_by_self = referral.referrer_relationship in ("", "self")
    relationship = (
        "" if asked_by_self else _staff_word("rel", referral.referrer_relationship, "relationship")
    )
    return {
        "asked_by": "The person themself" if asked_by_self else referral.referrer_name or "—",
        "relationship": relationship,
        "referrer_phone": "" if asked_by_self else referral.referrer_phone,
        "contact_preference": _staff_word("contact", referral.contact_preference, "contact"),
        "language": label("language", referral.language) or "—",
        "help_requested": referral.help_requested,
        "consent": consent_words(referral, relationship),
    }


def consent_words(referral: Referral, relationship: str) -> str:
    """Who agreed to the team getting in touch. Someone asking for another person ticks the
    box for themself: the person who needs help has agreed to nothing yet, and the team
    says who sent it before asking them."""
    if referral.referrer_relationship not in ("", "self"):
        asker = ASKER_WORDS.get(referral.referrer_relationship, relationship or "Someone else")
        return f"{asker} asked; the person has not agreed to be contacted"
    if referral.consent_to_contact:
        return "The person agreed to be contacted"
    return "The person has not agreed to be contacted"


def repeated_requests(referrals: Sequence[Referral]) -> dict[int, list[Referral]]:
    """For each request, the others among `referrals` that look like a request for the same
    person: the same name with the same phone or the same birth date (a household's phone
    alone is not enough: siblings share it). Each public request makes a person of its own
    until matching joins them, so the coordinator is told before taking up one person twice.
    """
    holders: dict[Hashable, list[Referral]] = {}
    for referral in referrals:
        for key in _person_keys(referral):
            holders.setdefault(key, []).append(referral)
    found: dict[int, list[Referral]] = {}
    for referral in referrals:
        alike = {
            other.pk: other
            for key in _person_keys(referral)
            for other in holders[key]
            if other.pk != referral.pk
        }
        if alike:
            found[referral.pk] = sorted(alike.values(), key=lambda r: (r.received_at, r.pk))
    return found


def _person_keys(referral: Referral) -> set[Hashable]:
    person = referral.person
    if person is None:
        return set()
    name = search_text(person.given_name, person.family_name)
    phone = normalise_phone(person.phone or "")
    keys: set[Hashable] = set()
    if name and phone:
        keys.add(("name-phone", name, phone))
    if name and person.birth_date:
        keys.add(("name-birth", name, person.birth_date))
    return keys
