"""Triage of public requests for help: a coordinator takes each one up or closes it."""

from __future__ import annotations

from typing import Any

from coresponder.domain.vocabulary import label
from coresponder.intake.models import Referral, TriageStatus
from coresponder.intake.public_forms import STAFF_LANGUAGE, TEXT

# Where a request may go from "new"; setting it back to "new" is not a decision.
TRIAGE_DECISIONS = (TriageStatus.ACCEPTED, TriageStatus.NOT_REACHED, TriageStatus.CLOSED)


def _staff_word(prefix: str, code: str, vocabulary: str) -> str:
    """The public page's English label for a stored code, else the vocabulary's label."""
    return TEXT[STAFF_LANGUAGE].get(f"{prefix}_{code}") or label(vocabulary, code)


def request_words(referral: Referral) -> dict[str, Any]:
    """What someone asked for on the public help page, as staff read it, in English
    whatever language it came in."""
    asked_by_self = referral.referrer_relationship in ("", "self")
    return {
        "asked_by": "The person themself" if asked_by_self else referral.referrer_name or "—",
        "relationship": ""
        if asked_by_self
        else _staff_word("rel", referral.referrer_relationship, "relationship"),
        "referrer_phone": "" if asked_by_self else referral.referrer_phone,
        "contact_preference": _staff_word("contact", referral.contact_preference, "contact"),
        "language": label("language", referral.language) or "—",
        "help_requested": referral.help_requested,
    }
