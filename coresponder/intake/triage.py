"""Triage of public requests for help: a coordinator takes each one up or closes it."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from coresponder.domain.repeats import person_keys
from coresponder.domain.vocabulary import label
from coresponder.intake.models import Referral, TriageStatus
from coresponder.intake.public_forms import STAFF_LANGUAGE, TEXT
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person

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


@dataclass(frozen=True)
class Repeat:
    """What a waiting request looks like it asks again: another request (with its open
    follow-up, if it has one), or a follow-up of the program still open."""

    referral: Referral | None = None
    task: OutreachTask | None = None

    @property
    def waiting(self) -> bool:
        return self.referral is not None and self.referral.triage_status == TriageStatus.NEW

    @property
    def decision(self) -> str:
        """What triage made of the other request ("taken up", "closed", …)."""
        if self.referral is None:
            return ""
        return str(self.referral.get_triage_status_display()).lower()


def repeated_requests(
    waiting: Sequence[Referral],
    decided: Sequence[Referral] = (),
    tasks: Sequence[OutreachTask] = (),
    *,
    by_contact: bool = True,
) -> dict[int, list[Repeat]]:
    """For each waiting request, what looks like a request for the same person
    (`domain.repeats.person_keys`): the other waiting requests, the requests decided lately
    (`triage_queue.decided_requests`) and the program's open follow-ups. Each public
    request makes a person of its own until matching joins them, so the coordinator is told
    before taking up one person twice, whichever request was decided first. Without
    `by_contact`, phones and addresses are not compared (a reader who may not read them).
    """
    asked: dict[Hashable, list[Referral]] = {}
    for referral in [*waiting, *decided]:
        for key in _person_keys(referral.person, by_contact):
            asked.setdefault(key, []).append(referral)
    followed: dict[Hashable, list[OutreachTask]] = {}
    for task in tasks:
        for key in _person_keys(task.person, by_contact):
            followed.setdefault(key, []).append(task)
    task_of = {task.referral_id: task for task in tasks if task.referral_id is not None}
    found: dict[int, list[Repeat]] = {}
    for referral in waiting:
        keys = _person_keys(referral.person, by_contact)
        others = {o.pk: o for k in keys for o in asked.get(k, ()) if o.pk != referral.pk}
        repeats = [
            Repeat(referral=other, task=task_of.get(other.pk))
            for other in sorted(others.values(), key=lambda r: (r.received_at, r.pk))
        ]
        shown = {r.task.pk for r in repeats if r.task is not None}
        alone = {
            t.pk: t
            for k in keys
            for t in followed.get(k, ())
            if t.referral_id != referral.pk and t.pk not in shown
        }
        repeats += [Repeat(task=t) for t in sorted(alone.values(), key=lambda t: t.pk)]
        if repeats:
            found[referral.pk] = repeats
    return found


def _person_keys(person: Person | None, by_contact: bool) -> frozenset[Hashable]:
    if person is None:
        return frozenset()
    return person_keys(
        person.given_name,
        person.family_name,
        phone=person.phone or "",
        address=person.address or "",
        birth_date=person.birth_date,
        by_contact=by_contact,
    )
