"""The one write path for intake: referrals on every pathway, overdoses, calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.clock import CLOCK_SKEW, date_problem
from coresponder.domain.eligibility import call_triage_words, decide, missing_facts
from coresponder.domain.intake import (
    SAME_OVERDOSE_WITHIN,
    JoinDecision,
    JoinEvidence,
    KnownOverdoseFacts,
    ReportFacts,
    age_conflict,
    age_on,
    age_problem,
    birth_year_conflict,
    birth_year_problem,
    decide_overdose_join,
    district_at,
    phone_problem,
)
from coresponder.domain.linkage import Record, normalise, search_text
from coresponder.domain.policy import RecordType, may_write
from coresponder.domain.presets import PATHWAY_FACTS
from coresponder.domain.vocabulary import OverdoseSource, Pathway, labels_of
from coresponder.identity.actions import (
    DeathReported,
    SourceRecordInput,
    day_of_death,
    learn_fatal,
    linkage_record,
    named_record,
    propose_match,
    record_death,
    record_death_of_named,
    record_source,
    record_source_once,
    settle_held_deaths,
)
from coresponder.identity.matching import active_params, could_be, score_pair, with_shared_phones
from coresponder.identity.models import SourceRecord
from coresponder.intake.inputs import (
    CallInput,
    OffenseInput,
    OverdoseInput,
    PersonInput,
    ReferralInput,
    ReferrerInput,
)
from coresponder.intake.models import Call, Overdose, OverdoseReport, Referral, TriageStatus
from coresponder.intake.triage import TRIAGE_DECISIONS
from coresponder.outreach.actions import (
    close_tasks_of_referral,
    close_visits_of_the_dead,
    follow_up_referral,
)
from coresponder.outreach.models import QUEUE_STATUSES, OutreachTask
from coresponder.people.actions import add_reported_person, aliases_problem, join_program
from coresponder.people.models import Person
from coresponder.privacy.access import exact_match, linkable_people, role_in
from coresponder.programs.models import District, Program, Team

# Pathways where the person may be unknown at intake (a 911 caller about a stranger).
PERSON_OPTIONAL = frozenset({Pathway.COMMUNITY_RESPONSE})
# A report "received" this far in the future is a clock or typing error.
CASE_NUMBER_LENGTH = 64
PERSON_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "birth_year",
    "sex",
    "phone",
    "address",
    "aliases",
)

T = TypeVar("T")


class CallAlreadyRecorded(ActionError):
    """The program has a call under this CAD number: a second entry of it is the same call."""

    def __init__(self, call: Call) -> None:
        message = f"already the CAD number of call {call.pk}; it was not recorded again"
        super().__init__("This call is recorded already.", {"call.cad_number": [message]})
        self.call = call


class DiversionAlreadyRecorded(ActionError):
    """The program has this person's diversion under this case number: a second entry of it
    is the same diversion."""

    def __init__(self, referral: Referral) -> None:
        message = (
            f"already the case number of referral {referral.pk} for this person; "
            "it was not recorded again"
        )
        super().__init__("This diversion is recorded already.", {"case_number": [message]})
        self.referral = referral


class PersonNamedAlready(ActionError):
    """The referral names someone already: a second naming (sent again, or at once by two
    callers) names no one else."""

    def __init__(self, referral: Referral) -> None:
        super().__init__("The referral names someone already.", {"person": ["is named already"]})
        self.referral = referral


class NotEligible(ActionError):
    """The program found the referral ineligible: nobody is named on it to follow up."""

    def __init__(self, referral: Referral) -> None:
        reasons = [str(reason) for reason in referral.eligibility_reasons]
        because = f": {'; '.join(reasons)}" if reasons else ""
        super().__init__(
            f"This referral is not eligible for {referral.program.name}{because}. "
            "It opens no follow-up, so no person is named on it.",
            {"referral": reasons or ["is not eligible"]},
        )


@dataclass
class IntakeResult:
    referral: Referral
    person: Person | None
    eligible: bool
    reasons: list[str]
    outreach_task: OutreachTask | None = None
    overdose: Overdose | None = None
    overdose_merged: bool = False
    # Whether this report opened a follow-up (not escalated or found one already open).
    task_opened: bool = False
    # The same source's record sent again as it was: nothing of it was recorded anew.
    sent_before: bool = False
    call: Call | None = None
    # Why the report joined an overdose already known, or which ones it might have.
    join: JoinDecision | None = None
    # A death reported of another record than the overdose's person, waiting on review.
    death_held: bool = False


def _checked(value: T | None) -> T:
    """A field `validate_referral` requires, so every referral it lets through has it."""
    if value is None:
        raise ValueError("an unchecked referral reached the write path")
    return value


def _check_time(errors: dict[str, list[str]], field: str, value: Any, now: dt.datetime) -> None:
    if value is None:
        return
    if not isinstance(value, dt.datetime):
        errors.setdefault(field, []).append("must be a date and time")
    elif value.tzinfo is None:
        errors.setdefault(field, []).append("needs a time zone offset")
    elif (problem := date_problem(value.date())) is not None:
        errors.setdefault(field, []).append(problem)
    elif value > now + CLOCK_SKEW:
        errors.setdefault(field, []).append("cannot be in the future")


def _pathway_label(pathway: Any) -> str:
    """A pathway as people read it, for an error message."""
    return labels_of("pathway").get(str(pathway), str(pathway))


def validate_referral(
    program: Program, referral: ReferralInput, *, public: bool = False
) -> dict[str, list[str]]:
    """Field errors for a referral, without writing anything.

    Someone asking for help on the public page may give only a first name.
    """
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    offered = program.rules.pathways
    pathway = referral.pathway
    if pathway not in offered:
        errors["pathway"] = [f"{program.name} does not take {_pathway_label(pathway)} referrals"]
    if referral.received_at is None:
        errors["received_at"] = ["is required"]
    _check_time(errors, "received_at", referral.received_at, now)
    fact = PATHWAY_FACTS.get(Pathway(pathway)) if pathway in set(Pathway) else None
    if fact and getattr(referral, fact) is None:
        errors[fact] = [f"is required on the {_pathway_label(pathway)} pathway"]
    overdose = referral.overdose
    if overdose is not None:
        if overdose.occurred_at is None:
            errors["overdose.occurred_at"] = ["is required"]
        _check_time(errors, "overdose.occurred_at", overdose.occurred_at, now)
        received = referral.received_at
        occurred = overdose.occurred_at
        if (
            isinstance(received, dt.datetime)
            and isinstance(occurred, dt.datetime)
            and received.tzinfo
            and occurred.tzinfo
            and _later_than(occurred, received)
        ):
            errors.setdefault("overdose.occurred_at", []).append("is after the report came in")
        if overdose.source not in {s.value for s in OverdoseSource}:
            errors["overdose.source"] = [f"must be one of {', '.join(s for s in OverdoseSource)}"]
    _validate_case_number(errors, referral, pathway)
    if (offense := referral.offense) and not offense.category:
        errors["offense.category"] = ["is required"]
    if (call := referral.call) and not call.call_type:
        errors["call.call_type"] = ["is required"]
    for field, phone in (
        ("call.caller_phone", referral.call.caller_phone if referral.call else None),
        ("referrer.phone", referral.referrer.phone if referral.referrer else None),
    ):
        if (problem := phone_problem(phone)) is not None:
            errors[field] = [problem]
    for section, place in (("overdose", referral.overdose), ("call", referral.call)):
        _validate_place(errors, section, place)
    today = timezone.localtime(now, ZoneInfo(program.timezone)).date()
    _validate_person(errors, referral, pathway, today, public=public)
    _validate_after_birth(errors, program, referral)
    district = referral.district
    if district and not program.districts.filter(code=district).exists():
        errors["district"] = [f"{program.name} has no district {district!r}"]
    received = referral.received_at
    if pathway in offered and isinstance(received, dt.datetime) and "received_at" not in errors:
        for name, messages in facts_needed(program, referral, None).items():
            # A part refused already (an offense without its category) is said there, once.
            if name not in errors and name.partition(".")[0] not in errors:
                errors[name] = messages
    return errors


def facts_needed(
    program: Program, referral: ReferralInput, person: Person | None
) -> dict[str, list[str]]:
    """The facts the program's eligibility rules read on the referral's pathway that it does
    not give, each named as a field error: without them the referral cannot be decided, and
    is refused rather than recorded as ineligible for what nobody said. `person` is the
    record the referral names, once found; until then an age is not asked of a person given
    by id, whose record may hold their birth date."""
    pathway = Pathway(_checked(referral.pathway))
    received = _checked(referral.received_at)
    facts = _facts(person, referral, received, _district(program, referral))
    by_id = person is None and referral.person is not None and referral.person.id is not None
    label = _pathway_label(pathway)
    return {
        name: [f"is needed to decide eligibility on the {label} pathway"]
        for name in missing_facts(pathway, facts, program.rules.eligibility)
        if not (name == "person.age" and by_id)
    }


def _later_than(occurred: dt.datetime, received: dt.datetime) -> bool:
    """Whether an event is after its report came in, beyond clock skew. A time at the end
    of the calendar, refused as such already, is not compared past it."""
    try:
        return occurred > received + CLOCK_SKEW
    except OverflowError:
        return False


def _validate_place(errors: dict[str, list[str]], section: str, place: Any) -> None:
    """A place is both its latitude and its longitude, or neither: half of one is nowhere."""
    if place is None:
        return
    latitude, longitude = place.latitude, place.longitude
    if latitude is not None and longitude is None:
        errors.setdefault(f"{section}.longitude", []).append("give it with the latitude")
    elif longitude is not None and latitude is None:
        errors.setdefault(f"{section}.latitude", []).append("give it with the longitude")


def _validate_after_birth(
    errors: dict[str, list[str]], program: Program, referral: ReferralInput
) -> None:
    """A referral, or the overdose it reports, dated before the birth date it gives is a
    typing error: said on the date, as an encounter's is. (A person named by id is not
    looked up here: the answer would tell a birth date the caller may not see.)"""
    person = referral.person
    if person is None or person.id is not None or not isinstance(person.birth_date, dt.date):
        return
    if "person.birth_date" in errors:
        return  # the birth date itself is wrong (in the future): said there, once
    born = person.birth_date
    zone = ZoneInfo(program.timezone)
    for field, moment in (
        ("received_at", referral.received_at),
        ("overdose.occurred_at", referral.overdose.occurred_at if referral.overdose else None),
    ):
        if field in errors or not isinstance(moment, dt.datetime) or moment.tzinfo is None:
            continue
        if timezone.localtime(moment, zone).date() < born:
            errors[field] = ["is before the person was born: check the date"]


def _validate_case_number(
    errors: dict[str, list[str]], referral: ReferralInput, pathway: Any
) -> None:
    """A case or docket number belongs to a diversion in lieu of arrest, and nowhere else:
    there it is required, as the prosecutor finds the diversion by it."""
    case_number = str(referral.case_number or "").strip()
    if not case_number:
        if pathway == Pathway.OFFICER_INTERVENTION:
            errors["case_number"] = [
                f"is required on the {_pathway_label(pathway)} pathway: the case or docket "
                "number the charge is held under"
            ]
        return
    if pathway != Pathway.OFFICER_INTERVENTION:
        errors["case_number"] = ["case_number is only recorded on the officer_intervention pathway"]
    elif len(case_number) > CASE_NUMBER_LENGTH:
        errors["case_number"] = [f"case_number is at most {CASE_NUMBER_LENGTH} characters"]


def _validate_person(
    errors: dict[str, list[str]],
    referral: ReferralInput,
    pathway: Any,
    today: dt.date,
    *,
    public: bool,
) -> None:
    """The person a referral names, checked as their record would be: "the future" is after
    `today`, the date on the program's clock."""
    person = referral.person
    if person is None:
        if pathway not in PERSON_OPTIONAL:
            errors["person"] = ["say who this referral is about"]
        return
    if person.id is not None:
        return
    for name in ("given_name",) if public else ("given_name", "family_name"):
        if not str(getattr(person, name) or "").strip():
            errors[f"person.{name}"] = ["is required (or give the person's id)"]
    if (problem := phone_problem(person.phone)) is not None:
        errors["person.phone"] = [problem]
    # As the person's record refuses them, so a referral never makes a record no edit saves.
    if (problem := aliases_problem(person.aliases)) is not None:
        errors["person.aliases"] = [problem]
    birth = person.birth_date
    if isinstance(birth, dt.date) and birth > today:
        errors["person.birth_date"] = ["cannot be in the future"]
    elif isinstance(birth, dt.date) and (problem := date_problem(birth)):
        # As the person's record refuses it: a record that could hold it no edit could save.
        errors["person.birth_date"] = [problem]
    _validate_birth_year(errors, person, referral.event_day(), today)


def _validate_birth_year(
    errors: dict[str, list[str]], person: PersonInput, day: dt.date | None, today: dt.date
) -> None:
    """A year or an age must be possible, and agree with a birth date or year given beside it."""
    birth = person.birth_date if isinstance(person.birth_date, dt.date) else None
    year, age = person.birth_year, person.age
    if year is not None:
        if not isinstance(year, int) or isinstance(year, bool):
            problem: str | None = "must be a year like 1988"
        else:
            problem = birth_year_problem(year, today) or birth_year_conflict(birth, year)
        if problem:
            errors["person.birth_year"] = [problem]
    if age is None:
        return
    if not isinstance(age, int) or isinstance(age, bool):
        errors["person.age"] = ["must be a whole number of years"]
        return
    problem = age_problem(age)
    if problem is None and day is not None:
        problem = age_conflict(age, day, birth, year if isinstance(year, int) else None)
    if problem:
        errors["person.age"] = [problem]


def record_referral(
    actor: Actor, program: Program, referral: ReferralInput, *, channel: str
) -> IntakeResult:
    """Record a referral on any pathway; decide eligibility; open follow-up when due."""
    role = role_in(actor.user, program) if actor.user is not None else None
    if role is None or not may_write(role, RecordType.REFERRAL):
        raise Forbidden("Your role may not record referrals in this program.")
    return _record(actor, program, referral, channel=channel)


def record_public_referral(actor: Actor, program: Program, referral: ReferralInput) -> IntakeResult:
    """A self or family referral from the public help page: no sign-in, waits for triage."""
    referral = replace(
        referral,
        pathway=Pathway.SELF_REFERRAL.value,
        received_at=referral.received_at or timezone.now(),
    )
    return _record(actor, program, referral, channel=Referral.Channel.PUBLIC)


def _record(
    actor: Actor, program: Program, referral: ReferralInput, *, channel: str
) -> IntakeResult:
    errors = validate_referral(program, referral, public=channel == Referral.Channel.PUBLIC)
    if errors:
        raise ActionError("The referral has invalid fields.", errors)
    with transaction.atomic():
        # Whom this report may be linked to: asked of the gate once, for every step below.
        candidates = linkable_people(actor.user, program)
        # The record the report names, looked up once for the join and the link.
        named = (
            resolve_person(actor.user, program, referral.person, candidates)
            if referral.person is not None
            else None
        )
        if named is not None and (needed := facts_needed(program, referral, named)):
            # The record named by id may lack what the rules read (a birth date, for an age).
            raise ActionError("The referral has invalid fields.", needed)
        if named is not None:
            _refuse_a_diversion_again(program, named, referral)
        elif referral.person is not None:
            _refuse_a_diversion_by_names(program, referral, candidates)
        decision = None
        if referral.overdose and referral.person:
            decision = overdose_join(actor.user, program, referral, candidates, named=named)
            if decision.join is not None:
                return _join_overdose(
                    actor, program, referral, decision, channel, candidates, named
                )
        person = _link_person(actor, program, referral, named, channel=channel)
        result = _new_referral(actor, program, person, referral, channel)
        result.join = decision
        if decision is not None and person is not None:
            _put_up_for_review(actor, person, decision.to_review, candidates)
        return result


def _refuse_a_diversion_again(program: Program, person: Person, referral: ReferralInput) -> None:
    """A referral of a person under a case number the program has for them already is that
    diversion entered again (the form loaded anew, a client sending it twice): refused,
    naming the referral recorded. Another person under the same number is a co-defendant,
    recorded as their own diversion; a person never recorded before has none to repeat."""
    case_number = str(referral.case_number or "").strip()
    if not case_number:
        return
    # Two entries of one diversion at once wait here, one after the other, on the person.
    list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
    recorded = (
        Referral.objects.filter(program=program, person=person, case_number__iexact=case_number)
        .order_by("id")
        .first()
    )
    if recorded is not None:
        raise DiversionAlreadyRecorded(recorded)


def _refuse_a_diversion_by_names(
    program: Program, referral: ReferralInput, candidates: QuerySet[Person]
) -> None:
    """A diversion typed again without what found its person the first time (the birth
    date, say) is still the same diversion when the program has the case number for someone
    of the same names: refused, naming it. Other names under the number are co-defendants."""
    case_number = str(referral.case_number or "").strip()
    data = referral.person
    if not case_number or data is None:
        return
    names = search_text(data.given_name or "", data.family_name or "")
    if not names:
        return
    # Two entries of one diversion at once wait here, one after the other, on the program.
    list(Program.objects.select_for_update().filter(pk=program.pk).values_list("pk", flat=True))
    under_the_number = (
        Referral.objects.filter(
            program=program, case_number__iexact=case_number, person__in=candidates
        )
        .select_related("person")
        .order_by("id")
    )
    for recorded in under_the_number:
        person = recorded.person
        if person is not None and search_text(person.given_name, person.family_name) == names:
            raise DiversionAlreadyRecorded(recorded)


def _link_person(
    actor: Actor,
    program: Program,
    referral: ReferralInput,
    named: Person | None,
    *,
    channel: str = "",
) -> Person | None:
    """The person the referral is about: `named` (by id or an exact match), or someone new.

    Identity resolution proposes, it does not merge here: what the source reported
    is kept as a source record for matching later.
    """
    data = referral.person
    if data is None:
        return None
    first_seen = _checked(referral.received_at)
    # Someone new, or the person named, takes part in this program from now on.
    person = _create_person(actor, data, referral.event_day()) if named is None else named
    join_program(actor, person, program, first_seen)
    if data.id is None:
        record_source(
            actor, person, program, reported_source(referral, channel), _as_reported(referral)
        )
    return person


def _as_reported(referral: ReferralInput) -> SourceRecordInput:
    """The person as the report gives them, when it came in and (for an overdose) on what day
    and at which facility."""
    if referral.person is None or referral.received_at is None:
        raise ValueError("a report of a person has the person and when it came in")
    seen = referral.overdose
    occurred = seen.occurred_at if seen is not None else None
    return SourceRecordInput.from_reported(
        referral.reported_person(),
        received_at=referral.received_at,
        event_date=occurred.date() if occurred is not None else None,
        facility=(seen.facility or "") if seen is not None and occurred is not None else "",
    )


def reported_source(referral: ReferralInput, channel: str) -> str:
    """Who gave the person's details: the overdose's source, the referrer, or the channel."""
    overdose_source = referral.overdose.source if referral.overdose else None
    if overdose_source in SourceRecord.Source.values:
        return str(overdose_source)
    if referral.referrer:
        return SourceRecord.Source.FAMILY
    if referral.pathway == Pathway.SELF_REFERRAL:
        return SourceRecord.Source.SELF
    if channel == Referral.Channel.IMPORT:
        return SourceRecord.Source.IMPORT
    return SourceRecord.Source.STAFF


def _linkable_by_id(candidates: QuerySet[Person], person_id: Any) -> Person:
    """The person by id among those the caller may link; "not yours" reads as "missing"."""
    try:
        person = candidates.filter(pk=int(person_id)).first()
    except (TypeError, ValueError):
        person = None
    if person is None:
        raise ActionError("Unknown person.", {"person.id": ["no such person"]})
    return person


def _create_person(actor: Actor, data: PersonInput, day: dt.date | None) -> Person:
    reported = data.reported(day)
    return add_reported_person(
        actor, {k: reported[k] for k in PERSON_FIELDS if reported.get(k) not in (None, "")}
    )


def _facts(
    person: Person | None, referral: ReferralInput, received: dt.datetime, district: str | None
) -> dict[str, Any]:
    return {
        "offense": referral.offense.facts() if referral.offense else {},
        "call": referral.call.facts() if referral.call else {},
        "overdose": referral.overdose.facts() if referral.overdose else {},
        "district": district,
        "person": {"age": _age(person, referral, received)},
    }


def _age(person: Person | None, referral: ReferralInput, received: dt.datetime) -> int | None:
    """The age eligibility reads: from the person's birth date (the one the report gives,
    before a record holds it), else the age the report gave."""
    given = referral.person
    born = person.birth_date if person is not None else None
    if born is None and person is None and given is not None:
        born = given.birth_date if isinstance(given.birth_date, dt.date) else None
    if born is not None:
        return age_on(born, received.date())
    return given.age if given is not None else None


def _district(program: Program, referral: ReferralInput) -> str | None:
    """The district code given, else the one the overdose's or call's coordinates fall in."""
    code = referral.district
    if not code:
        place = referral.overdose or referral.call
        lat = place.latitude if place else None
        lon = place.longitude if place else None
        if lat is not None and lon is not None:
            shapes = [
                (d.code, d.boundary)
                for d in program.districts.exclude(boundary__isnull=True)
                if d.boundary
            ]
            code = district_at(lat, lon, shapes)
    return code


def _new_referral(
    actor: Actor,
    program: Program,
    person: Person | None,
    referral: ReferralInput,
    channel: str,
    *,
    report: OverdoseReport | None = None,
    learned_at: dt.datetime | None = None,
    scene: Call | None = None,
) -> IntakeResult:
    """A referral of its own (and its overdose or call), eligibility decided, follow-up
    opened. `report`, a source's report kept already, becomes the new overdose's report
    (a report moved out of an overdose it was joined to), and `learned_at` is when the
    program learned of it, where that is not the referral's arrival. `scene` is the call
    that brought that overdose: eligibility reads its facts, as the overdose's own
    referral's did, where the referral brings no call of its own."""
    code = _district(program, referral)
    district = program.districts.filter(code=code).first() if code else None
    pathway = Pathway(_checked(referral.pathway))
    active = list(program.districts.filter(active=True).values_list("code", flat=True))
    rules = program.rules.eligibility
    facts = _facts(person, referral, _checked(referral.received_at), code)
    if scene is not None and referral.call is None:
        facts["call"] = _call_facts(scene)
    decision = decide(pathway, facts, rules, active)
    saved = _save_referral(
        actor, program, person, referral, channel, district, decision, report=report
    )
    result = IntakeResult(
        referral=saved, person=person, eligible=decision.eligible, reasons=list(decision.reasons)
    )
    if referral.overdose:
        result.overdose = _save_overdose(
            actor, program, person, saved, referral, district, report=report
        )
        if result.overdose.fatal and person is not None:
            note = "A report of another overdose says the person died in it."
            close_visits_of_the_dead(actor, program, person, note)
    if referral.call:
        result.call = _save_call(actor, program, person, saved, referral, decision)
    if decision.eligible and person is not None:
        task = follow_up_referral(
            actor, program, person, saved, result.overdose, learned_at=learned_at
        )
        result.outreach_task = task
        result.task_opened = task is not None and task.referral_id == saved.pk
    return result


def _call_facts(call: Call) -> dict[str, Any]:
    """A call recorded already, as eligibility reads a call's facts."""
    return CallInput(
        call_type=call.call_type,
        narrative=call.narrative or None,
        weapons=call.weapons,
        violence_in_progress=call.violence_in_progress,
        cad_number=call.cad_number or None,
        priority=call.priority or None,
    ).facts()


def _save_referral(
    actor: Actor,
    program: Program,
    person: Person | None,
    given: ReferralInput,
    channel: str,
    district: District | None,
    decision: Any,
    *,
    report: OverdoseReport | None = None,
) -> Referral:
    """The referral, sent by the actor, or by whoever sent the report it is made of."""
    offense = given.offense or OffenseInput()
    referrer = given.referrer or ReferrerInput()
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    referral = Referral(
        program=program,
        person=person,
        pathway=_checked(given.pathway),
        received_at=_checked(given.received_at),
        channel=channel,
        referred_by=user if report is None else None,
        referring_organization=(
            getattr(user, "organization", None) if report is None else report.organization
        ),
        district=district,
        offense_category=offense.category or "",
        offense_violent=offense.violent,
        offense_weapon=offense.weapon,
        case_number=str(given.case_number or "").strip(),
        referrer_relationship=referrer.relationship or "",
        referrer_name=referrer.name or "",
        referrer_phone=referrer.phone or "",
        eligible=decision.eligible,
        eligibility_reasons=list(decision.reasons),
        help_requested=given.help_requested or "",
        consent_to_contact=given.consent_to_contact,
        contact_preference=given.contact_preference or "",
        language=given.language or "",
        triage_status=TriageStatus.NEW if channel == Referral.Channel.PUBLIC else "",
    )
    save_tracked(referral, user)
    record_event(
        actor,
        "create",
        obj=referral,
        person_id=person.pk if person else None,
        program_slug=program.slug,
        fields=["referral", *(["justice"] if given.offense else [])],
        detail={"pathway": referral.pathway, "eligible": referral.eligible, "channel": channel},
    )
    return referral


def _save_overdose(
    actor: Actor,
    program: Program,
    person: Person | None,
    referral: Referral,
    given: ReferralInput,
    district: District | None,
    *,
    report: OverdoseReport | None = None,
) -> Overdose:
    data = _overdose_of(given)
    overdose = Overdose(
        program=program,
        person=person,
        referral=referral,
        occurred_at=_checked(data.occurred_at),
        fatal=bool(data.fatal),
        naloxone_doses=data.naloxone_doses,
        latitude=data.latitude,
        longitude=data.longitude,
        place=data.place or "",
        district=district,
    )
    save_tracked(overdose, actor.user)
    if report is None:
        _add_report(actor, overdose, given)
    else:
        _move_report(actor, report, overdose)
    if overdose.fatal and person is not None:
        record_death(actor, person, day_of_death(overdose))
    record_event(
        actor,
        "create",
        obj=overdose,
        person_id=person.pk if person else None,
        program_slug=program.slug,
        fields=["referral"],
    )
    return overdose


def _overdose_of(referral: ReferralInput) -> OverdoseInput:
    if referral.overdose is None:
        raise ValueError("the referral reports no overdose")
    return referral.overdose


def _raw_of(data: OverdoseInput) -> dict[str, Any]:
    """The report's facts as kept on it, times written out."""
    facts = data.facts().items()
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in facts}


def _add_report(actor: Actor, overdose: Overdose, referral: ReferralInput) -> OverdoseReport:
    data = _overdose_of(referral)
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    report = OverdoseReport(
        overdose=overdose,
        source=_checked(data.source),
        organization=getattr(user, "organization", None),
        external_id=str(data.external_id or "").strip(),
        reported_at=_checked(referral.received_at),
        raw=_raw_of(data),
    )
    save_tracked(report, user)
    return report


def _move_report(actor: Actor, report: OverdoseReport, overdose: Overdose) -> None:
    """A report joined to another overdose becomes this one's, audited on both."""
    moved_from = report.overdose_id
    left_by = Overdose.objects.filter(pk=moved_from).values_list("person_id", flat=True).first()
    report.overdose = overdose
    save_tracked(report, actor.user)
    for whose in (moved_from, overdose.pk):
        record_event(
            actor,
            "change",
            object_type="intake.overdose",
            object_id=str(whose),
            person_id=overdose.person_id if whose == overdose.pk else left_by,
            program_slug=overdose.program.slug,
            fields=["referral"],
            detail={"report_moved": report.pk, "from": moved_from, "to": overdose.pk},
        )


# --- One overdose reported twice -------------------------------------------------------


def resolve_person(
    user: Any, program: Program, data: PersonInput, candidates: QuerySet[Person] | None = None
) -> Person | None:
    """The person record a report names (by id, or the same names and birth date); reads only.

    `candidates`, when given, is `linkable_people(user, program)` asked once for many reports.
    """
    if candidates is None:
        candidates = linkable_people(user, program)
    if data.id is not None:
        return _linkable_by_id(candidates, data.id)
    if not says_who(data):
        return None
    return exact_match(candidates, data.reported())


def says_who(data: PersonInput) -> bool:
    """Whether the names and birth date may find a record by themselves: none is a
    placeholder ("John Doe", "Unknown", 1900-01-01), which many unidentified people share,
    and the birth date is a full one, not the 1 January forms store for a year alone (two
    Maria Garcias born in 1985 are not one person by that).

    Such a report is still weighed by identity matching, where a placeholder counts for
    nothing and a year for what it says.
    """
    record = normalise(linkage_record(data.reported()))
    year_only = isinstance(data.birth_date, dt.date) and record.birth_date is None
    return not (
        record.given_placeholder
        or record.family_placeholder
        or record.birth_date_placeholder
        or year_only
    )


def report_facts(referral: ReferralInput, person: Person | None) -> ReportFacts:
    """An overdose report as the join rule reads it."""
    data = _overdose_of(referral)
    reported = referral.reported_person()
    names = {k: v for k, v in reported.items() if v not in (None, "")}
    said = linkage_record(names) if names else (linkage_record(person) if person else None)
    return ReportFacts(
        occurred_at=_checked(data.occurred_at),
        coordinates=_coordinates(data.latitude, data.longitude),
        place=str(data.place or ""),
        # A shelter's phone says little of who this is (`matching.with_shared_phones`).
        person=with_shared_phones([said])[0] if said is not None else None,
        person_key=person.pk if person is not None else None,
    )


def _coordinates(latitude: Any, longitude: Any) -> tuple[float, float] | None:
    if latitude is None or longitude is None:
        return None
    return (float(latitude), float(longitude))


def known_overdoses(
    user: Any,
    program: Program,
    start: dt.datetime,
    end: dt.datetime,
    candidates: QuerySet[Person] | None = None,
    *,
    like: Record | None = None,
    named: Person | None = None,
) -> list[tuple[Overdose, KnownOverdoseFacts]]:
    """The program's overdoses from `start` to `end` of people a report there may be linked to.

    Only `linkable_people` may be joined: another program's people stay apart
    unless the programs share data. Each person is weighed by their own fields and
    what this program's sources reported of them. `candidates`, when given, is
    `linkable_people(user, program)` asked once already.

    With `like` (the person as a report gives them), only people who could be that
    person are read: `named`, those sharing a blocking key with it, as identity
    matching finds candidates, and anyone not yet indexed. A busy hour's other
    overdoses are then not weighed one by one.
    """
    if candidates is None:
        candidates = linkable_people(user, program)
    found = Overdose.objects.filter(
        program=program,
        occurred_at__range=(start, end),
        referral__isnull=False,
        person__in=candidates.values("pk"),
    )
    narrowed = could_be(like, named) if like is not None else None
    if narrowed is not None:
        found = found.filter(narrowed)
    found = (
        found.select_related("person", "referral")
        .prefetch_related("person__source_records", "reports")
        .order_by("occurred_at", "id")
    )
    accounts: list[tuple[Overdose, Person, list[Record]]] = []
    for overdose in found:
        person = overdose.person
        if person is None:
            continue
        records = [linkage_record(person)] + [
            linkage_record(source)
            for source in person.source_records.all()
            if source.program_id == program.pk
        ]
        accounts.append((overdose, person, records))
    # A shelter's phone says little of who anyone is: marked for them all in one query.
    marked = iter(with_shared_phones([r for _, _, records in accounts for r in records]))
    known = []
    for overdose, person, records in accounts:
        facts = KnownOverdoseFacts(
            key=overdose.pk,
            occurred_at=overdose.occurred_at,
            coordinates=_coordinates(overdose.latitude, overdose.longitude),
            place=overdose.place,
            person_key=person.pk,
            person_records=tuple(next(marked) for _ in records),
        )
        known.append((overdose, facts))
    return known


def overdose_join(
    user: Any,
    program: Program,
    referral: ReferralInput,
    candidates: QuerySet[Person] | None = None,
    *,
    named: Person | None | Literal[False] = False,
) -> JoinDecision:
    """Which overdose already known this report joins, if any; reads only.

    `named` is the record the report names when the caller has resolved it already
    (None for nobody); by default it is resolved here.
    """
    if referral.person is None:
        raise ValueError("only a report naming a person may join an overdose")
    if candidates is None:
        candidates = linkable_people(user, program)
    person = resolve_person(user, program, referral.person, candidates) if named is False else named
    report = report_facts(referral, person)
    around = (
        report.occurred_at - SAME_OVERDOSE_WITHIN,
        report.occurred_at + SAME_OVERDOSE_WITHIN,
    )
    known = [
        facts
        for _overdose, facts in known_overdoses(
            user, program, *around, candidates, like=report.person, named=person
        )
    ]
    return decide_overdose_join(report, known, active_params())


def _join_overdose(
    actor: Actor,
    program: Program,
    given: ReferralInput,
    decision: JoinDecision,
    channel: str,
    candidates: QuerySet[Person],
    named: Person | None,
) -> IntakeResult:
    """A further source's report of an overdose already known becomes another report of it."""
    evidence = decision.join
    if evidence is None:
        raise ValueError("no overdose to join")
    known = Overdose.objects.select_related("referral", "person").get(pk=int(str(evidence.key)))
    person, referral = known.person, known.referral
    if person is None or referral is None:
        raise ValueError("an overdose to join has a person and a referral")
    data = given.person
    if data is None:
        raise ValueError("only a report naming a person joins an overdose")
    task = None
    death_held = False
    # A follow-up newer than every one the person had is one this report opened.
    newest_before = _newest_task_id(program, person)
    sent_before = reported_already(actor.user, known, given)
    if not sent_before:
        if data.id is None:
            # The report's spelling is kept as reported, so matching later finds it too: as
            # an account of the record it names, where it names another than the overdose's.
            source = reported_source(given, channel)
            record_source(actor, named or person, program, source, _as_reported(given))
        added = _add_report(actor, known, given)
        record_event(
            actor,
            "change",
            obj=known,
            person_id=person.pk,
            program_slug=program.slug,
            detail={
                "merged_report_from": _overdose_of(given).source,
                "joined_because": list(evidence.words),
                "person_agreement": evidence.agreement.value,
                "probability": round(evidence.probability, 4),
            },
        )
        if _overdose_of(given).fatal and not known.fatal:
            if named is not None and named.pk != person.pk:
                death_held, own = _hold_death(actor, known, person, named, added, evidence)
                if own is not None:
                    # Two people decided apart before: the report is of the named record's
                    # own overdose, which it now is.
                    own.join = decision
                    return own
            else:
                # A file is learned of when it is imported; a report sent or typed says when.
                learned = (
                    timezone.now()
                    if channel == Referral.Channel.IMPORT
                    else _checked(given.received_at)
                )
                source = _overdose_of(given).source or ""
                task = learn_fatal(actor, known, person, referral, source, learned)
                # Reports of it naming other records, waiting on a decision, wait no more.
                settle_held_deaths(actor, known.pk)
    elif data.id is None:
        # The same record sent again may still spell the person anew (a phone added).
        _keep_new_spelling(actor, program, named or person, given, channel)
    if named is not None and named.pk != person.pk and not death_held:
        # The report named another record of what looks like this person.
        _propose(actor, named, person, evidence)
    _put_up_for_review(actor, person, decision.to_review, candidates)
    return IntakeResult(
        referral=referral,
        person=person,
        eligible=referral.eligible,
        reasons=list(referral.eligibility_reasons),
        outreach_task=task or _current_task(referral),
        overdose=known,
        overdose_merged=True,
        task_opened=task is not None and task.pk > newest_before,
        sent_before=sent_before,
        join=decision,
        death_held=death_held,
    )


def _keep_new_spelling(
    actor: Actor, program: Program, person: Person, given: ReferralInput, channel: str
) -> None:
    """Keep how a report sent again gives the person, unless the source gave them so before."""
    record_source_once(actor, person, program, reported_source(given, channel), _as_reported(given))


def _newest_task_id(program: Program, person: Person) -> int:
    newest = (
        OutreachTask.objects.filter(program=program, person=person)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return newest or 0


def _current_task(referral: Referral) -> OutreachTask | None:
    """The referral's follow-up as it stands: an open one first (the family's, after a
    death), else the first it had."""
    tasks = referral.tasks.order_by("id")
    return tasks.filter(status__in=QUEUE_STATUSES).first() or tasks.first()


def reported_already(sender: Any, overdose: Overdose, referral: ReferralInput) -> bool:
    """The same source's record, by its own id, sent again as it was: not another report of
    it. Sent with a fact changed (now fatal), it is the source's correction, kept."""
    data = _overdose_of(referral)
    external_id = str(data.external_id or "").strip()
    if not external_id:
        return False
    user = sender if getattr(sender, "is_authenticated", False) else None
    sent = _facts_beside_id(_raw_of(data))
    return any(
        _facts_beside_id(report.raw) == sent
        for report in overdose.reports.filter(
            source=data.source,
            organization=getattr(user, "organization", None),
            external_id=external_id,
        )
    )


def _facts_beside_id(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k != "external_id"}


def record_as_sent(referral: ReferralInput) -> Hashable | None:
    """What `reported_already` compares of one sender's reports: the source, the record's own
    id and its facts; None for a report without an id, which is never taken as sent before."""
    data = _overdose_of(referral)
    external_id = str(data.external_id or "").strip()
    if not external_id:
        return None
    facts = _facts_beside_id(_raw_of(data))
    return (data.source, external_id, tuple(sorted(facts.items())))


def _hold_death(
    actor: Actor,
    overdose: Overdose,
    person: Person,
    named: Person,
    report: OverdoseReport,
    evidence: JoinEvidence,
) -> tuple[bool, IntakeResult | None]:
    """A report of a death naming another record than the overdose's person: whose death it
    is waits on a coordinator (True). The pair goes to review with the death on it; merging
    them records it (`identity.actions.merge_people`), "not the same person" makes the report
    the named record's own overdose (`place_death_apart`). A pair decided apart before is
    two people: the report is that overdose now (False, and its result)."""
    program = overdose.program
    death: DeathReported = {
        "overdose": overdose.pk,
        "program": program.slug,
        "on": day_of_death(overdose).isoformat(),
        "named": named.pk,
        "reported_by": report.source,
        "report": report.pk,
    }
    held = _propose(actor, named, person, evidence, death=death)
    record_event(
        actor,
        "change",
        obj=overdose,
        person_id=person.pk,
        program_slug=program.slug,
        fields=["referral"],
        detail={
            "death_held": held,
            "named_person": named.pk,
            "reported_by": death["reported_by"],
        },
    )
    return held, None if held else place_death_apart(actor, death)


def place_death_apart(actor: Actor, death: DeathReported) -> IntakeResult | None:
    """A fatal report named another record than the overdose's person, and the two are
    people apart (a coordinator said so, or had before): the report is of that record's own
    overdose. It, with every other report of the death naming the record (a hospital's and
    then a medical examiner's), leaves the overdose it joined for a fatal one of its own, on
    a referral of the same pathway, so the named record's day of death is recorded, their
    visits close and, where the program follows up deaths, their family's follow-up opens,
    its window from now. The overdose it left stays its person's, survived. Inside the
    decision's action, whose role check covers it."""
    # Every report of the death naming the record, the first of them the referral's.
    ids = [*death.get("earlier", []), *([death["report"]] if "report" in death else [])]
    reports = list(
        OverdoseReport.objects.select_related("overdose__referral", "overdose__program")
        .filter(pk__in=ids, overdose_id=death["overdose"])
        .order_by("reported_at", "id")
    )
    report = reports[0] if reports else None
    person = named_record(death)
    known = report.overdose if report is not None else None
    if report is None or known is None or known.referral is None or person is None:
        record_death_of_named(actor, death)
        return None
    if known.fatal:
        return None  # the overdose's death was learned meanwhile, of its own person
    # One overdose, one death: other reports of it naming other records wait no longer.
    settle_held_deaths(actor, known.pk)
    occurred = report.raw.get("occurred_at")
    given = ReferralInput(
        pathway=known.referral.pathway,
        received_at=report.reported_at,
        person=PersonInput(id=person.pk),
        overdose=replace(
            OverdoseInput.from_dict(report.raw),
            occurred_at=(
                dt.datetime.fromisoformat(occurred)
                if isinstance(occurred, str)
                else known.occurred_at
            ),
            fatal=True,
        ),
    )
    program = known.program
    join_program(actor, person, program, report.reported_at)
    result = _new_referral(
        actor,
        program,
        person,
        given,
        known.referral.channel,
        report=report,
        learned_at=timezone.now(),
        scene=Call.objects.filter(referral=known.referral).first(),
    )
    if result.overdose is not None:
        for later in reports[1:]:
            _move_report(actor, later, result.overdose)
    record_event(
        actor,
        "change",
        obj=known,
        person_id=known.person_id,
        program_slug=program.slug,
        fields=["referral"],
        detail={
            "death_held": False,
            "death_recorded_on": person.pk,
            "own_overdose": result.overdose.pk if result.overdose else None,
        },
    )
    return result


def _put_up_for_review(
    actor: Actor,
    person: Person,
    review: tuple[JoinEvidence, ...],
    candidates: QuerySet[Person],
) -> None:
    """People whose overdoses this report might also be of, for a coordinator to decide."""
    others = {int(str(e.person_key)): e for e in review if e.person_key not in (None, person.pk)}
    if not others:
        return
    for other in candidates.filter(pk__in=list(others)):
        _propose(actor, person, other, others[other.pk])


def _propose(
    actor: Actor,
    a: Person,
    b: Person,
    evidence: JoinEvidence,
    *,
    death: DeathReported | None = None,
) -> bool:
    """Put the pair up for review; False where it cannot be (decided apart before, or kept
    apart by programs that do not share data)."""
    scored = score_pair(linkage_record(a), linkage_record(b), active_params())
    scored["overdose_report"] = list(evidence.words)
    if death is not None:
        scored["death_reported"] = death
    try:
        return propose_match(actor, a, b, scored["probability"], scored) is not None
    except ActionError:
        return False  # programs without a data-sharing agreement keep their people apart


def _save_call(
    actor: Actor,
    program: Program,
    person: Person | None,
    referral: Referral,
    given: ReferralInput,
    decision: Any,
) -> Call:
    data = given.call
    if data is None:
        raise ValueError("the referral reports no call")
    call = Call(
        program=program,
        referral=referral,
        person=person,
        cad_number=data.cad_number or "",
        received_at=_checked(given.received_at),
        call_type=_checked(data.call_type),
        priority=data.priority or "",
        address=data.address or "",
        narrative=data.narrative or "",
        weapons=bool(data.weapons),
        violence_in_progress=bool(data.violence_in_progress),
        caller_name=data.caller_name or "",
        caller_phone=data.caller_phone or "",
        latitude=data.latitude,
        longitude=data.longitude,
        co_responders_sent=decision.eligible,
        triage_reasons=list(call_triage_words(decision)),
    )
    try:
        # The database holds one call per CAD number; a second entry, even one racing the
        # first, is refused there, and answered with the call the program has.
        with transaction.atomic():
            save_tracked(call, actor.user)
    except IntegrityError:
        recorded = _call_with_cad_number(program, call.cad_number)
        if recorded is None:
            raise
        raise CallAlreadyRecorded(recorded) from None
    record_event(
        actor,
        "create",
        obj=call,
        person_id=person.pk if person else None,
        program_slug=program.slug,
        detail={"co_responders_sent": decision.eligible},
    )
    return call


def _call_with_cad_number(program: Program, cad_number: str) -> Call | None:
    if not cad_number:
        return None
    return Call.objects.filter(program=program, cad_number=cad_number).order_by("id").first()


def set_triage_status(
    actor: Actor, referral: Referral, status: str, *, version: int | None = None
) -> Referral:
    """Record a triage decision; `version` is the one the coordinator read (else the loaded one).
    A request closed in triage (a repeat of another, or not the program's) closes its
    follow-up, so no team visits for it.

    Raises StaleVersion when someone else changed the referral since.
    """
    if status not in TRIAGE_DECISIONS:
        raise ActionError("Unknown triage status.", {"status": [f"{status!r} is not one"]})
    previous = referral.triage_status
    with transaction.atomic():
        referral.triage_status = status
        referral.triaged_by = actor.user_or_none
        referral.triaged_at = timezone.now()
        save_tracked(referral, actor.user, expected_version=version)
        record_event(
            actor,
            "change",
            obj=referral,
            person_id=referral.person_id,
            program_slug=referral.program.slug,
            fields=["referral"],
            detail={"triage_status": status, "was": previous},
        )
        if status == TriageStatus.CLOSED:
            close_tasks_of_referral(actor, referral, TRIAGE_CLOSED_NOTE)
    return referral


TRIAGE_CLOSED_NOTE = "The request for help was closed in triage."


def name_the_person(actor: Actor, referral: Referral, data: PersonInput) -> IntakeResult:
    """Name the person a referral that named no one is about (a 911 call about someone
    not known then), once known: linked or added as intake links them, and follow-up opened
    as it would have opened with the name. An ineligible referral opens no follow-up and
    names no one: refused with the program's reasons."""
    program = referral.program
    role = role_in(actor.user, program) if actor.user is not None else None
    if role is None or not may_write(role, RecordType.REFERRAL):
        raise Forbidden("Your role may not record referrals in this program.")
    if referral.person_id is not None:
        raise PersonNamedAlready(referral)
    if not referral.eligible:
        raise NotEligible(referral)
    given = ReferralInput(pathway=referral.pathway, received_at=referral.received_at, person=data)
    errors: dict[str, list[str]] = {}
    today = timezone.localtime(timezone.now(), ZoneInfo(program.timezone)).date()
    _validate_person(errors, given, referral.pathway, today, public=False)
    if errors:
        raise ActionError("The person has invalid fields.", errors)
    with transaction.atomic():
        # Two sendings at once (a double click): the second finds the person named by the
        # first once it has the row, and names no one again.
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if locked.person_id is not None:
            raise PersonNamedAlready(locked)
        candidates = linkable_people(actor.user, program)
        named = resolve_person(actor.user, program, data, candidates)
        person = _checked(_link_person(actor, program, given, named, channel=referral.channel))
        referral.person = person
        save_tracked(referral, actor.user)
        record_event(
            actor,
            "change",
            obj=referral,
            person_id=person.pk,
            program_slug=program.slug,
            fields=["person"],
            detail={"named": "person"},
        )
        call = Call.objects.filter(referral=referral).first()
        if call is not None:
            call.person = person
            save_tracked(call, actor.user)
            record_event(
                actor,
                "change",
                obj=call,
                person_id=person.pk,
                program_slug=program.slug,
                fields=["person"],
            )
        result = IntakeResult(
            referral=referral,
            person=person,
            eligible=bool(referral.eligible),
            reasons=list(referral.eligibility_reasons),
        )
        if referral.eligible:
            overdose = Overdose.objects.filter(referral=referral).first()
            task = follow_up_referral(actor, program, person, referral, overdose)
            result.outreach_task = task
            result.task_opened = task is not None and task.referral_id == referral.pk
        return result


# A co-responder team's steps on a call, in the order they happen: the field holding each
# step's time, and the step in words.
TEAM_STEPS = (
    ("team_sent_at", "sent"),
    ("team_arrived_at", "arrived"),
    ("team_cleared_at", "cleared"),
)


@dataclass(frozen=True)
class TeamResponse:
    """Which team took a call and when it was sent, arrived and cleared (None: not yet)."""

    team: Team | None
    sent_at: dt.datetime | None = None
    arrived_at: dt.datetime | None = None
    cleared_at: dt.datetime | None = None

    def times(self) -> dict[str, dt.datetime | None]:
        return {
            "team_sent_at": self.sent_at,
            "team_arrived_at": self.arrived_at,
            "team_cleared_at": self.cleared_at,
        }


def team_response_of(call: Call) -> TeamResponse:
    """The call's team and steps as stored."""
    return TeamResponse(
        team=call.team,
        sent_at=call.team_sent_at,
        arrived_at=call.team_arrived_at,
        cleared_at=call.team_cleared_at,
    )


def _may_take_calls(actor: Actor, program: Program) -> None:
    role = role_in(actor.user, program) if actor.user is not None else None
    if role is None or not may_write(role, RecordType.REFERRAL):
        raise Forbidden("Your role may not record calls in this program.")


def _team_response_problems(
    call: Call, given: TeamResponse, now: dt.datetime
) -> dict[str, list[str]]:
    """Why the team's steps cannot be recorded so: each step after the one before, none
    before the call came in, none in the future beyond the clock skew."""
    errors: dict[str, list[str]] = {}
    times = given.times()
    team = given.team
    if team is None:
        if any(time is not None for time in times.values()):
            errors["team"] = ["name the team that went"]
    elif team.program_id != call.program_id:
        errors["team"] = ["is not a team of this program"]
    elif not team.active and team.pk != call.team_id:
        errors["team"] = ["is stood down: it takes no calls"]
    earlier: tuple[str, dt.datetime | None] | None = None
    for field, word in TEAM_STEPS:
        key = field.removeprefix("team_")
        time = times[field]
        if time is None:
            earlier = (word, None)
            continue
        if time > now + CLOCK_SKEW:
            errors.setdefault(key, []).append("is in the future")
        if time < call.received_at - CLOCK_SKEW:
            errors.setdefault(key, []).append("is before the call came in")
        if earlier is not None and earlier[1] is None:
            errors.setdefault(key, []).append(f"needs the time the team {earlier[0]} first")
        elif earlier is not None and earlier[1] is not None and time < earlier[1]:
            errors.setdefault(key, []).append(f"is before the team {earlier[0]}")
        earlier = (word, time)
    return errors


def record_team_response(actor: Actor, call: Call, given: TeamResponse, *, version: int) -> bool:
    """Record which team took a call that fits the co-responder team, and when it was sent,
    arrived and cleared, against the call's `version` the caller read (StaleVersion when it
    moved on). The same steps sent again (a resend, a double tap) change nothing and are no
    conflict. Returns whether anything changed."""
    program = call.program
    _may_take_calls(actor, program)
    with transaction.atomic():
        # Two sendings at once wait here, one after the other: the second compares with the
        # first's steps, so a resend moves no time.
        locked = Call.objects.select_for_update(of=("self",)).select_related("team").get(pk=call.pk)
        return _apply_team_response(actor, locked, given, version)


def record_team_step(
    actor: Actor,
    call: Call,
    step: str,
    *,
    team: Team | None,
    version: int,
    at: dt.datetime | None = None,
) -> bool:
    """One step of the team on the call: "sent" (the team is going), "arrived" or
    "cleared", at this moment or at `at` (recorded later, where the team had no signal),
    checked as every step is. A step recorded already is left as it is, its time unmoved (a
    double tap, two people pressing at once); one recorded since at another time than `at`
    was read before it (StaleVersion). Returns whether anything changed."""
    fields = dict((word, field) for field, word in TEAM_STEPS)
    if step not in fields:
        raise ActionError("Unknown step.", {"step": [f"{step!r} is not one"]})
    _may_take_calls(actor, call.program)
    when = timezone.now() if at is None else at
    with transaction.atomic():
        locked = Call.objects.select_for_update(of=("self",)).select_related("team").get(pk=call.pk)
        recorded = getattr(locked, fields[step])
        if recorded is not None:
            _check_same_team(locked, step, team, version)
            if at is not None and recorded != at:
                raise StaleVersion(locked, version)
            return False
        current = team_response_of(locked)
        if step == "sent":
            given = replace(current, team=team, sent_at=when)
        elif step == "arrived":
            given = replace(current, arrived_at=when)
        else:
            given = replace(current, cleared_at=when)
        return _apply_team_response(actor, locked, given, version)


def _check_same_team(call: Call, step: str, team: Team | None, version: int) -> None:
    """ "Going" pressed for another team once a team took the call is no double tap but a
    page read before: the call stays with the first team, and the one pressing is told the
    call changed (409) rather than left to think their team was sent."""
    if step != "sent" or team is None or call.team is None or call.team.pk == team.pk:
        return
    raise StaleVersion(call, version)


def _apply_team_response(actor: Actor, call: Call, given: TeamResponse, version: int) -> bool:
    if not call.co_responders_sent:
        raise ActionError(
            "This call does not fit the co-responder team.",
            {"call": ["does not fit the co-responder team: police respond first"]},
        )
    was = team_response_of(call)
    if given == was:
        return False
    errors = _team_response_problems(call, given, timezone.now())
    if errors:
        raise ActionError("The team's steps cannot be recorded so.", errors)
    changed = [field for field, time in given.times().items() if time != getattr(call, field)]
    if given.team != was.team:
        changed.insert(0, "team")
    call.team = given.team
    for field, time in given.times().items():
        setattr(call, field, time)
    save_tracked(call, actor.user, expected_version=version)
    record_event(
        actor,
        "change",
        obj=call,
        person_id=call.person_id,
        program_slug=call.program.slug,
        fields=changed,
        detail={
            "team_id": given.team.pk if given.team else None,
            "was_team_id": was.team.pk if was.team else None,
            **{f: t.isoformat() if t else None for f, t in given.times().items()},
        },
    )
    return True
