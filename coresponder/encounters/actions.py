"""The one write path for encounters: a crisis response, visit or drop-in, with its screenings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.tracked import save_tracked
from coresponder.domain.clock import CLOCK_SKEW, date_problem
from coresponder.domain.policy import RecordType, may_write
from coresponder.domain.screenings import (
    CSSRS_HIGH_ESCALATION,
    InvalidAnswers,
    ScreeningResult,
    instrument_of,
    leaves_high_risk_alone,
    score_screening,
)
from coresponder.domain.vocabulary import Disposition, EncounterKind
from coresponder.encounters.models import Encounter, Screening
from coresponder.intake.models import Call, Referral
from coresponder.people.actions import join_program
from coresponder.people.models import Person
from coresponder.privacy.access import linkable_people, role_in
from coresponder.programs.models import Program, Team

# A form kept offline may arrive late, but nothing is recorded as happening later than now.
MAX_MINUTES_ON_SCENE = 24 * 60
# A clinician's judgement that a person whose C-SSRS screen is high risk may stay where they
# are (`leaves_high_risk_alone`): the field's name in the form and in the API.
STAYS_AFTER_HIGH_RISK = "stays_after_high_risk"
NO_REASON_TO_STAY = "Say in the clinical note why it was safe for the person to stay."


@dataclass(frozen=True)
class ScreeningInput:
    """One screening given with an encounter: the instrument and its answers in item order."""

    instrument: str
    answers: tuple[int, ...] = ()


@dataclass(frozen=True)
class EncounterInput:
    """An encounter's facts as given; `record_encounter` checks them.

    `occurred_at` may be naive and codes may be any string: the action answers
    those with field errors, as it does for everything else.
    """

    occurred_at: dt.datetime
    kind: str
    disposition: str
    person_id: int | None = None
    destination: str | None = None
    minutes_on_scene: int | None = None
    deescalation_used: bool = False
    naloxone_given: bool = False
    brief_intervention: bool = False
    referral_to_treatment: bool = False
    clinical_note: str | None = None
    team_id: int | None = None
    call_id: int | None = None
    referral_id: int | None = None
    client_key: str | None = None
    screenings: tuple[ScreeningInput, ...] = ()
    # A clinician assessed the person and judged it safe for them to stay, though a
    # high-risk C-SSRS screen calls for an immediate evaluation; the note says why.
    stays_after_high_risk: bool = False


@dataclass
class EncounterResult:
    encounter: Encounter
    scores: list[ScreeningResult] = field(default_factory=list)
    repeated: bool = False  # the same draft was sent before; nothing new was written


def validate_encounter(data: EncounterInput, now: dt.datetime) -> dict[str, list[str]]:
    """Field errors of an encounter's facts (not its screenings)."""
    errors: dict[str, list[str]] = {}
    occurred = data.occurred_at
    if not isinstance(occurred, dt.datetime) or occurred.tzinfo is None:
        errors["occurred_at"] = ["a date and time with its UTC offset is required"]
    elif (problem := date_problem(occurred.date())) is not None:
        errors["occurred_at"] = [problem]
    elif occurred > now + CLOCK_SKEW:
        errors["occurred_at"] = ["cannot be in the future"]
    if data.kind not in {k.value for k in EncounterKind}:
        errors["kind"] = [f"one of {', '.join(k.value for k in EncounterKind)}"]
    if data.disposition not in {d.value for d in Disposition}:
        errors["disposition"] = [f"one of {', '.join(d.value for d in Disposition)}"]
    minutes = data.minutes_on_scene
    if minutes is not None and not (0 <= int(minutes) <= MAX_MINUTES_ON_SCENE):
        errors["minutes_on_scene"] = [f"between 0 and {MAX_MINUTES_ON_SCENE}"]
    if len(str(data.destination or "")) > 200:
        errors["destination"] = ["at most 200 characters"]
    return errors


def score_all(
    screenings: Sequence[ScreeningInput], sex: str | None
) -> tuple[list[ScreeningResult], dict[str, list[str]]]:
    """Each screening's score, or errors naming the screening and the item."""
    results: list[ScreeningResult] = []
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, screening in enumerate(screenings):
        where = f"screenings[{index}]"
        try:
            instrument = instrument_of(screening.instrument or "")
        except ValueError:
            errors[f"{where}.instrument"] = ["unknown instrument"]
            continue
        if instrument in seen:
            errors[f"{where}.instrument"] = ["given twice"]
            continue
        seen.add(instrument)
        try:
            results.append(score_screening(instrument, screening.answers or (), sex=sex))
        except InvalidAnswers as exc:
            errors[f"{where}.answers"] = [str(exc)]
    return results, errors


def high_risk_ending_errors(
    scores: Sequence[ScreeningResult],
    disposition: str,
    stays: bool,
    clinical_note: str | None,
    *,
    confirm: str = f"send {STAYS_AFTER_HIGH_RISK} as true",
) -> dict[str, list[str]]:
    """A high-risk C-SSRS calls for an immediate evaluation and not leaving the person
    alone: an ending without one is refused until a clinician's judgement that the person
    may stay is given, with its reason in the clinical note. `confirm` says how to give it."""
    if not any(leaves_high_risk_alone(result, disposition) for result in scores):
        return {}
    if not stays:
        steps = "; ".join(step.lower() for step in CSSRS_HIGH_ESCALATION[:3])
        return {
            "disposition": [
                f"The C-SSRS screener is high risk: {steps}. If a clinician assessed the "
                f"person and judged it safe for them to stay, {confirm} and say why in the "
                "clinical note."
            ]
        }
    if not (clinical_note or "").strip():
        return {"clinical_note": [NO_REASON_TO_STAY]}
    return {}


def record_encounter(actor: Actor, program: Program, data: EncounterInput) -> EncounterResult:
    """Record an encounter and score its screenings, in one transaction with its audit event."""
    role = role_in(actor.user, program) if actor.user is not None else None
    if role is None or not may_write(role, RecordType.ENCOUNTER):
        raise Forbidden("Your role may not record encounters in this program.")
    screenings = list(data.screenings or ())
    if screenings and not may_write(role, RecordType.SCREENING):
        raise Forbidden("Your role may not record screenings.")
    stays = bool(data.stays_after_high_risk)
    if stays and not may_write(role, RecordType.SCREENING):
        # The judgement answers a screening's result: only who records screenings gives it.
        raise Forbidden("Your role may not judge that a person at high risk may stay.")
    key = str(data.client_key or "")[:64]
    earlier = _sent_before(actor, program, key, data)
    if earlier is not None:
        return _repeat(actor, earlier)
    errors = validate_encounter(data, timezone.now())
    person = _person(actor, program, data, errors)
    links = _links(program, data, errors)
    scores, screening_errors = score_all(screenings, person.sex if person else None)
    errors.update(screening_errors)
    judged = high_risk_ending_errors(scores, str(data.disposition), stays, data.clinical_note)
    for name, messages in judged.items():
        errors.setdefault(name, []).extend(messages)
    left_alone = any(leaves_high_risk_alone(r, str(data.disposition)) for r in scores)
    if errors:
        raise ActionError("The encounter has invalid fields.", errors)
    try:
        with transaction.atomic():
            encounter = _write(actor, program, data, person, links, key)
            for screening, result in zip(screenings, scores, strict=True):
                save_tracked(
                    Screening(
                        encounter=encounter,
                        instrument=result.instrument.value,
                        answers=list(screening.answers),
                        score=result.score,
                        band=result.band,
                        positive=result.positive,
                        flags=list(result.flags),
                    ),
                    actor.user,
                )
            record_event(
                actor,
                "create",
                obj=encounter,
                person_id=person.pk if person else None,
                program_slug=program.slug,
                fields=["outreach", *(["clinical"] if scores or encounter.clinical_note else [])],
                detail={
                    "kind": encounter.kind,
                    "disposition": encounter.disposition,
                    "screenings": [r.instrument.value for r in scores],
                    # The clinician's judgement that a high-risk person may stay, kept.
                    **({STAYS_AFTER_HIGH_RISK: True} if left_alone else {}),
                },
            )
    except IntegrityError:
        # The same draft sent twice at once: the second finds the first.
        earlier = _sent_before(actor, program, key, data)
        if earlier is None:
            raise
        return _repeat(actor, earlier)
    return EncounterResult(encounter, scores)


KEY_USED = "already used for another encounter; send a new key for a new encounter"


def _sent_before(
    actor: Actor, program: Program, key: str, data: EncounterInput
) -> Encounter | None:
    """The encounter this draft's `client_key` recorded before, when it is this draft sent
    again by the same person; ActionError when the key is another encounter's (someone
    else's, or another of theirs), which is never shown."""
    if not key:
        return None
    earlier = Encounter.objects.filter(program=program, client_key=key).first()
    if earlier is None:
        return None
    user_id = getattr(actor.user, "pk", None)
    person_id = _given_id(data.person_id)
    same = (
        earlier.created_by_id == user_id
        and earlier.person_id == person_id
        and earlier.kind == data.kind
        and data.occurred_at is not None
        and timezone.is_aware(data.occurred_at)
        and earlier.occurred_at == data.occurred_at
    )
    if not same:
        raise ActionError("The encounter has invalid fields.", {"client_key": [KEY_USED]})
    return earlier


def _given_id(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _repeat(actor: Actor, encounter: Encounter) -> EncounterResult:
    """The draft's encounter given again to the one who recorded it: a read, audited."""
    screenings = list(encounter.screenings.all())
    scores = [
        score_screening(
            s.instrument, s.answers, sex=encounter.person.sex if encounter.person else None
        )
        for s in screenings
    ]
    record_event(
        actor,
        "read",
        obj=encounter,
        person_id=encounter.person_id,
        program_slug=encounter.program.slug,
        fields=["outreach", *(["clinical"] if screenings else [])],
        purpose="draft sent again",
    )
    return EncounterResult(encounter, scores, repeated=True)


def _person(
    actor: Actor, program: Program, data: EncounterInput, errors: dict[str, list[str]]
) -> Person | None:
    """The person met, among those this program's staff may link to; unknown reads as missing."""
    if data.person_id is None:
        return None
    try:
        person = linkable_people(actor.user, program).filter(pk=int(data.person_id)).first()
    except (TypeError, ValueError):
        person = None
    if person is None:
        errors["person_id"] = ["no such person"]
        return None
    occurred = data.occurred_at
    if (
        person.birth_date is not None
        and isinstance(occurred, dt.datetime)
        and occurred.tzinfo is not None
        and "occurred_at" not in errors
        and timezone.localtime(occurred, ZoneInfo(program.timezone)).date() < person.birth_date
    ):
        errors["occurred_at"] = ["is before the person was born: check the date"]
    return person


def _links(program: Program, data: EncounterInput, errors: dict[str, list[str]]) -> dict[str, Any]:
    """The team, call and referral named, each only from this program."""
    named = {"team_id": data.team_id, "call_id": data.call_id, "referral_id": data.referral_id}
    found: dict[str, Any] = {}
    for key, model in (("team_id", Team), ("call_id", Call), ("referral_id", Referral)):
        pk = named[key]
        if pk is None:
            found[key] = None
            continue
        found[key] = model.objects.filter(pk=pk, program=program).first()
        if found[key] is None:
            errors[key] = [f"no such {key.removesuffix('_id')} in this program"]
    return found


def _write(
    actor: Actor,
    program: Program,
    data: EncounterInput,
    person: Person | None,
    links: dict[str, Any],
    key: str,
) -> Encounter:
    encounter = Encounter(
        program=program,
        person=person,
        team=links["team_id"],
        call=links["call_id"],
        referral=links["referral_id"],
        occurred_at=data.occurred_at,
        kind=data.kind,
        disposition=data.disposition,
        destination=(data.destination or "").strip(),
        minutes_on_scene=data.minutes_on_scene,
        deescalation_used=bool(data.deescalation_used),
        naloxone_given=bool(data.naloxone_given),
        brief_intervention=bool(data.brief_intervention),
        referral_to_treatment=bool(data.referral_to_treatment),
        clinical_note=(data.clinical_note or "").strip(),
        client_key=key,
    )
    save_tracked(encounter, actor.user)
    if person is not None:
        join_program(actor, person, program, encounter.occurred_at)
    return encounter


def amend_clinical_note(
    actor: Actor, encounter: Encounter, note: str, expected_version: int
) -> Encounter:
    """Replace an encounter's clinical note, only if nobody changed it since `expected_version`.

    Called by an accepted amendment, which keeps the note it replaces.
    """
    role = role_in(actor.user, encounter.program)
    if role is None or not may_write(role, RecordType.ENCOUNTER):
        raise Forbidden("Your role may not change this encounter.")
    with transaction.atomic():
        encounter.clinical_note = note
        save_tracked(encounter, actor.user, expected_version=expected_version)
        record_event(
            actor,
            "change",
            obj=encounter,
            person_id=encounter.person_id,
            program_slug=encounter.program.slug,
            fields=["clinical_note"],
        )
    return encounter
