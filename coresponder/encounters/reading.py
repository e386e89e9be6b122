"""What a reader sees of an encounter: the response, and its clinical part by policy."""

from __future__ import annotations

from typing import Any

from coresponder.domain.policy import WITHHELD_TEXT, GroupVisibility, RecordType, may_write
from coresponder.domain.screenings import (
    INSTRUMENT_LABELS,
    answers_in_words,
    instrument_of,
    score_screening,
    steps_now,
)
from coresponder.encounters.access import EncounterAccess
from coresponder.encounters.models import Encounter
from coresponder.people.amendments_in_disclosures import attached_to_release


def screening_rows(encounter: Encounter) -> list[dict[str, Any]]:
    """Each screening with its label and the steps its result calls for."""
    sex = encounter.person.sex if encounter.person else None
    rows = []
    screenings = list(encounter.screenings.all())
    asked = [s.instrument for s in screenings]
    for screening in screenings:
        try:
            result = score_screening(screening.instrument, screening.answers, sex=sex)
            escalation = steps_now(result, asked)
        except ValueError:
            escalation = ()  # answers stored before they were checked: shown as recorded
        rows.append(
            {
                "instrument": screening.instrument,
                "label": INSTRUMENT_LABELS[instrument_of(screening.instrument)],
                "answers": screening.answers,
                "answered": answers_in_words(screening.instrument, screening.answers),
                "score": screening.score,
                "band": screening.band,
                "positive": screening.positive,
                "flags": screening.flags,
                "escalation": list(escalation),
            }
        )
    return rows


def encounter_record(access: EncounterAccess) -> dict[str, Any]:
    """The encounter as this reader may see it; clinical detail shown, withheld or left out."""
    e = access.encounter
    record: dict[str, Any] = {
        "id": e.pk,
        "program": e.program.slug,
        "person_id": e.person_id,
        "team": e.team.name if e.team else None,
        "call_id": e.call_id,
        "referral_id": e.referral_id,
        "occurred_at": e.occurred_at,
        "kind": e.kind,
        # Where the person was taken for treatment is clinical detail (policy.value_group).
        **access.ending(),
        "minutes_on_scene": e.minutes_on_scene,
        "deescalation_used": e.deescalation_used,
        "naloxone_given": e.naloxone_given,
        "brief_intervention": None,
        "referral_to_treatment": None,
        # For who may amend its clinical note: an amendment moves it, so a version shown to
        # anyone else would tell that the note they may not read was changed.
        "version": e.version if may_write(access.role, RecordType.ENCOUNTER) else None,
    }
    sbirt = e.brief_intervention or e.referral_to_treatment
    if access.clinical_hidden():
        # Neither what was recorded nor whether anything was: None, as for every encounter.
        return record
    if not (sbirt or e.clinical_note or e.screenings.exists()):
        # Nothing clinical was recorded: saying so discloses nothing to a reader who may
        # ask for it with consent (and is told it is withheld when there is).
        record["brief_intervention"] = record["referral_to_treatment"] = False
        return record
    clinical = access.clinical()
    if clinical is GroupVisibility.SHOWN:
        # SBIRT's brief intervention and referral to treatment follow a positive screening:
        # clinical detail, shown where the screenings are.
        record["brief_intervention"] = e.brief_intervention
        record["referral_to_treatment"] = e.referral_to_treatment
        record["screenings"] = screening_rows(e)
        record["clinical_note"] = e.clinical_note
        if access.person_access is not None:
            # A note released outside its holders carries the refused corrections of it
            # (45 CFR 164.526(d)(4)-(5)); the page reads them in words, the API as elements.
            corrections = attached_to_release(
                access.person_access, e.program_id, person=False, encounter_ids=[e.pk]
            )
            if corrections:
                record["corrections"] = corrections
                record["amendments"] = [c.as_json() for c in corrections]
    elif clinical is GroupVisibility.WITHHELD:
        record["clinical_withheld"] = WITHHELD_TEXT
    notice = access.person_access.notice() if access.person_access is not None else ""
    if notice:
        record["redisclosure_notice"] = notice
    return record
