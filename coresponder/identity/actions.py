"""The one write path for identity: source records, match candidates, merges and their undoing.

Identity resolution proposes; a coordinator decides. A merge never deletes the
merged person: it moves every row that points at them to the kept person, marks
them `merged_into`, and writes down what it moved so that `unmerge` can put each
row back where it was.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, NotRequired, TypedDict
from zoneinfo import ZoneInfo

from django.apps import apps as django_apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.tracked import save_tracked
from coresponder.domain.intake import birth_year_from
from coresponder.domain.linkage import (
    COMPARISONS_BY_NAME,
    Params,
    Record,
    blocking_keys,
    params_to_json,
    sure_merge_guard,
)
from coresponder.identity.access import (
    DECIDERS,
    DeathReported,
    MergedNumber,
    access_merge,
    access_pair,
    death_reported,
    may_undo,
)
from coresponder.identity.models import (
    LINKAGE_FIELDS,
    LinkageModel,
    MatchCandidate,
    Merge,
    PersonKey,
    SourceRecord,
)
from coresponder.intake.models import Overdose, Referral
from coresponder.outreach.actions import (
    TaskAsItWas,
    cancel_tasks,
    changed_since,
    close_follow_ups_of_the_dead,
    escalate_duplicate_tasks,
    follow_up_death,
    refresh_tiers_of_people,
    restore_tasks,
    tasks_as_they_are,
)
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.access import (
    people_may_link,
)
from coresponder.programs.models import Program

# Tables identity resolution keeps itself; a merge handles them by name, not generically.
IDENTITY_MODELS = (SourceRecord, PersonKey, MatchCandidate, Merge)
# The audit trail names identity records as they were first recorded, when identity
# resolution was part of the people app, so each record's history reads under one name.
AUDIT_TYPES: dict[type[models.Model], str] = {
    SourceRecord: "people.sourcerecord",
    MatchCandidate: "people.matchcandidate",
    Merge: "people.merge",
    LinkageModel: "people.linkagemodel",
}
# Person fields a merge snapshots and an undo restores (bookkeeping fields excluded).
SNAPSHOT_EXCLUDED = frozenset({"id", "version", "created_at", "modified_at", "modified_by"})


class EvidenceRow(TypedDict, total=False):
    """One comparison of a pair: its name, the level it reached, and that level's weight."""

    comparison: str
    level: str  # the level's name ("exact", "nickname", ...)
    weight: float
    description: str  # the level in words, where the scorer gave it


class Evidence(TypedDict, total=False):
    """Why a pair was proposed or merged, as stored with it and shown on the review screen.

    Rows written before these keys (under "fields", "explain" or "comparisons") are still
    read by `evidence_rows`; new evidence is written with these keys alone.
    """

    rows: list[EvidenceRow]
    weight: float  # the pair's total match weight
    probability: float
    caution: str  # the sure-merge guard's reason to look first ("" for none)
    held_back: str  # why a pair sure enough to merge was put up for review instead
    records: list[str]  # the two source records a batch run compared
    source: str  # who proposed it when not a scorer (the demo's own cases)
    added_beside: list[int]  # people added with the pair by its proposer (the demo's)
    overdose_report: list[str]  # how a report of an overdose weighed the pair
    asked_again_after_undo: int  # the undone merge a coordinator put back for review
    death_reported: DeathReported  # a death waiting on the decision


class DeathLearned(TypedDict):
    """A held death a merge recorded, kept for its undoing: the overdose made fatal, the
    follow-ups it closed or escalated as they were, and those it opened (the family's)."""

    overdose: int | None  # None for a death recorded on a record before the merge
    on: str
    tasks: list[TaskAsItWas]
    opened: list[int]
    recorded: NotRequired[bool]  # whether the merge recorded the day of death (else it was)


class HeldDeathMoved(TypedDict):
    """A death waiting on a pair of the merged record, moved by the merge: from the pair it
    waited on, to the kept record's pair that asks now (None where it was placed at once)."""

    left: int
    death: DeathReported
    asked: int | None


class Folded(TypedDict):
    """What a merge changed besides moving rows, kept for its undoing: rows removed or changed
    as duplicates of the kept person's, follow-ups escalated or cancelled, and deaths held
    for the decision that it recorded (merges before deaths were held have no "deaths")."""

    removed: list[dict[str, Any]]
    changed: list[dict[str, Any]]
    tasks: list[TaskAsItWas]
    deaths: NotRequired[list[DeathLearned]]
    held_deaths: NotRequired[list[HeldDeathMoved]]


class MatchDecision(models.TextChoices):
    MERGE = "merge", "The same person"
    REJECT = "reject", "Not the same person"


# --- Source records -----------------------------------------------------------


@dataclass(frozen=True)
class SourceRecordInput:
    """One source's account of a person, as reported: what `record_source` keeps.

    Text is kept as given (cut to the column's length); a birth year beside a full birth
    date is not kept (the date says it); `received_at` defaults to now.
    """

    given_name: str = ""
    family_name: str = ""
    birth_date: dt.date | None = None
    birth_year: int | None = None
    sex: str = ""
    phone: str = ""
    address: str = ""
    event_date: dt.date | None = None
    facility: str = ""
    external_id: str = ""
    received_at: dt.datetime | None = None

    @classmethod
    def from_reported(cls, reported: Mapping[str, Any], **more: Any) -> SourceRecordInput:
        """From a report's fields by name (as `PersonInput.reported` gives them); keys that
        are not fields (aliases, an age already read as a year) are not kept, and None is
        "not reported"."""
        known = {f.name for f in fields(cls)}
        given = {k: v for k, v in {**reported, **more}.items() if k in known and v is not None}
        for name in ("given_name", "family_name", "sex", "phone", "address", "facility"):
            if name in given:
                given[name] = str(given[name])
        if "external_id" in given:
            given["external_id"] = str(given["external_id"])
        # A date or a year of another type (text a form did not read) is not reported.
        for name in ("birth_date", "event_date"):
            value = given.get(name)
            if value is not None and (
                not isinstance(value, dt.date) or isinstance(value, dt.datetime)
            ):
                del given[name]
        year = given.get("birth_year")
        if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
            del given["birth_year"]
        return cls(**given)

    @classmethod
    def from_record(
        cls, record: Record, received_at: dt.datetime | None = None
    ) -> SourceRecordInput:
        """A record as the linkage core reads it (a test set's, another system's) as a
        source's account."""
        return cls(
            given_name=record.given,
            family_name=record.family,
            birth_date=record.birth_date,
            birth_year=record.birth_year,
            sex=record.sex,
            phone=record.phone,
            address=record.address,
            event_date=record.event_date,
            facility=record.facility,
            received_at=received_at,
        )


def linkage_record(data: models.Model | SourceRecordInput | Mapping[str, Any]) -> Record:
    """A source record, a person, a report (or a dict of reported fields) as the linkage
    core sees it."""

    def get(key: str) -> Any:
        return data.get(key) if isinstance(data, Mapping) else getattr(data, key, None)

    # A field a query left unloaded is not read: reading it would cost a query per record.
    deferred = data.get_deferred_fields() if isinstance(data, models.Model) else set()
    birth, event = get("birth_date"), get("event_date")
    year = get("birth_year") if "birth_year" not in deferred else None
    birth = birth if isinstance(birth, dt.date) else None
    return Record(
        given=str(get("given_name") or ""),
        family=str(get("family_name") or ""),
        birth_date=birth,
        birth_year=birth_year_from(birth, year if isinstance(year, int) else None),
        sex=str(get("sex") or "").replace("unknown", ""),
        phone=str(get("phone") or ""),
        address=str(get("address") or ""),
        event_date=event if isinstance(event, dt.date) else None,
        facility=str(get("facility") or ""),
    )


def source_record_for(
    person: Person, program: Program | None, source: str, given: SourceRecordInput
) -> SourceRecord:
    """An unsaved source record holding `given` as reported."""
    return SourceRecord(
        person=person,
        program=program,
        source=source if source in SourceRecord.Source.values else SourceRecord.Source.OTHER,
        external_id=given.external_id[:100],
        given_name=given.given_name[:100],
        family_name=given.family_name[:100],
        birth_date=given.birth_date,
        birth_year=birth_year_from(given.birth_date, given.birth_year),
        sex=given.sex[:16],
        phone=given.phone[:32],
        address=given.address[:300],
        event_date=given.event_date,
        facility=given.facility[:200],
        received_at=given.received_at or timezone.now(),
    )


def keys_for(record: SourceRecord) -> list[PersonKey]:
    """The blocking-index rows of a saved source record."""
    return [
        PersonKey(key=key[:200], person_id=record.person_id, source_record=record)
        for key in sorted(blocking_keys(linkage_record(record)))
    ]


def record_source(
    actor: Actor, person: Person, program: Program | None, source: str, given: SourceRecordInput
) -> SourceRecord:
    """Keep one source's account of `person` as reported, and index its blocking keys."""
    with transaction.atomic():
        record = source_record_for(person, program, source, given)
        save_tracked(record, actor.user)
        PersonKey.objects.bulk_create(keys_for(record))
        record_event(
            actor,
            "create",
            obj=record,
            object_type=AUDIT_TYPES[SourceRecord],
            person_id=person.pk,
            program_slug=program.slug if program else "",
            fields=["identity", "contact"],
            detail={"source": record.source},
        )
    return record


def record_source_once(
    actor: Actor, person: Person, program: Program | None, source: str, given: SourceRecordInput
) -> SourceRecord | None:
    """`record_source`, unless the source already gave `person` just so (a report sent
    again); None then. The person is one the caller already holds through the gate."""
    wanted = source_record_for(person, program, source, given)
    fields = ("given_name", "family_name", "birth_date", "birth_year", "sex", "phone", "address")
    for kept in SourceRecord.objects.filter(person_id=person.pk, source=source):
        if all(getattr(kept, name) == getattr(wanted, name) for name in fields):
            return None
    return record_source(actor, person, program, source, given)


# --- The person's own record -------------------------------------------------

# The person's fields the linkage core compares (aliases are kept, not compared).
PERSON_LINKAGE_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "birth_year",
    "sex",
    "phone",
    "address",
)


def own_record_marker(person: Person) -> str:
    """How a person's own record is told apart from a staff form's report of them."""
    return f"person:{person.pk}"


def _own_fields(person: Person, **more: Any) -> SourceRecordInput:
    given = {name: getattr(person, name) for name in PERSON_LINKAGE_FIELDS}
    given["sex"] = "" if person.sex == "unknown" else person.sex
    return SourceRecordInput.from_reported(given, **more)


def own_record_for(
    person: Person, program: Program | None, received_at: dt.datetime | None = None
) -> SourceRecord:
    """An unsaved record of the person's current fields, as staff keep them."""
    given = _own_fields(person, external_id=own_record_marker(person), received_at=received_at)
    return source_record_for(person, program, SourceRecord.Source.STAFF, given)


def index_person(
    actor: Actor, person: Person, program: Program | None = None, *, create: bool = True
) -> SourceRecord | None:
    """Keep the person's own record, and its blocking keys, in step with their fields.

    A source's report stays as it was said; the own record alone follows edits, so
    online matching finds the person under their current fields at once, and under
    an old name only where some source reported it. Called inside the person's
    write, whose audit event covers it. Without `create`, only an existing record moves.
    """
    with transaction.atomic():
        record = SourceRecord.objects.filter(
            source=SourceRecord.Source.STAFF, external_id=own_record_marker(person)
        ).first()
        if record is None:
            if not create:
                return None
            if program is None:
                first = person.participations.order_by("first_seen_at", "id").first()
                program = first.program if first is not None else None
            record = own_record_for(person, program)
            save_tracked(record, actor.user)
        else:
            fresh = source_record_for(person, None, record.source, _own_fields(person))
            if all(getattr(record, f) == getattr(fresh, f) for f in PERSON_LINKAGE_FIELDS):
                return record
            for name in PERSON_LINKAGE_FIELDS:
                setattr(record, name, getattr(fresh, name))
            record.received_at = fresh.received_at
            save_tracked(record, actor.user)
            PersonKey.objects.filter(source_record=record).delete()
        PersonKey.objects.bulk_create(keys_for(record))
    return record


# --- Backfilling the index ------------------------------------------------------

# People indexed per query and insert when the index is backfilled.
INDEX_BATCH = 1000


def _own_records(person_ids: list[int], programs: dict[Any, Program]) -> list[SourceRecord]:
    """Unsaved own records of these people, dated and placed where each was first seen."""
    first = {
        row["person_id"]: (row["first"], row["program"])
        for row in Participation.objects.filter(person_id__in=person_ids)
        .values("person_id")
        .annotate(first=Min("first_seen_at"), program=Min("program_id"))
    }
    records = []
    for person in Person.objects.filter(pk__in=person_ids).order_by("pk"):
        seen_at, program_id = first.get(person.pk, (person.created_at, None))
        # The same own record a person added today gets, so later edits move it on.
        records.append(own_record_for(person, programs.get(program_id), seen_at))
    return records


def index_unindexed_people(actor: Actor, batch: int = INDEX_BATCH) -> int:
    """Give every unmerged person without a source record their own record and keys.

    People known before identity resolution become findable by online matching.
    Idempotent: a second run finds no one to index. One audit event per run, with
    the counts.
    """
    with transaction.atomic():
        ids = list(
            Person.objects.filter(merged_into__isnull=True, source_records__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        programs = Program.objects.in_bulk()
        indexed = keys = 0
        for start in range(0, len(ids), batch):
            saved = SourceRecord.objects.bulk_create(
                _own_records(ids[start : start + batch], programs)
            )
            created = PersonKey.objects.bulk_create(
                [key for record in saved for key in keys_for(record)]
            )
            indexed += len(saved)
            keys += len(created)
        record_event(
            actor,
            "create",
            object_type=AUDIT_TYPES[SourceRecord],
            fields=["identity", "contact"],
            detail={"backfill": True, "people": indexed, "keys": keys},
        )
    return indexed


def rekey_registry(actor: Actor, batch: int = INDEX_BATCH) -> tuple[int, int, int]:
    """Rebuild every source record's blocking keys under the linkage rules in force.

    After the rules change (new keys, placeholder names that give none), keys written
    under the old rules would find people the new ones would not, and miss others.
    Each batch of records is rebuilt in its own transaction; one audit event per run,
    with the counts. Returns (records, keys before, keys after).
    """
    ids = list(SourceRecord.objects.order_by("pk").values_list("pk", flat=True))
    before = after = 0
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            records = list(
                SourceRecord.objects.filter(pk__in=ids[start : start + batch]).only(
                    "id", "person_id", *LINKAGE_FIELDS
                )
            )
            removed, _ = PersonKey.objects.filter(source_record__in=records).delete()
            created = PersonKey.objects.bulk_create(
                [key for record in records for key in keys_for(record)]
            )
            before, after = before + removed, after + len(created)
    record_event(
        actor,
        "change",
        object_type=AUDIT_TYPES[SourceRecord],
        fields=["identity", "contact"],
        detail={"rekeyed": True, "records": len(ids), "keys_before": before, "keys_after": after},
    )
    return len(ids), before, after


# --- The linkage model ------------------------------------------------------------


def activate_linkage_model(actor: Actor, params: Params, record_count: int) -> LinkageModel:
    """Store newly trained parameters as the active model.

    The model active until now stays, inactive. The audit event names it and the
    training figures the new model stores; no person's data is in either.
    """
    with transaction.atomic():
        previous = LinkageModel.objects.select_for_update().filter(active=True).first()
        LinkageModel.objects.filter(active=True).update(active=False)
        model = LinkageModel.objects.create(
            params=params_to_json(params),
            trained_at=timezone.now(),
            record_count=record_count,
            active=True,
        )
        record_event(
            actor,
            "create",
            obj=model,
            object_type=AUDIT_TYPES[LinkageModel],
            detail={
                "previous_model": previous.pk if previous is not None else None,
                "trained_at": model.trained_at.isoformat(),
                "record_count": model.record_count,
                "params": model.params,
            },
        )
    return model


# --- Permissions --------------------------------------------------------------


def _require_decider(actor: Actor, a_id: int, b_id: int) -> list[int]:
    """A job (no user) may merge; a person must coordinate where they see both people.

    The programs the decision is made in: those where the person coordinates and sees
    either of the two; for a job, every program of either."""
    if actor.user is None:
        return sorted(
            set(
                Participation.objects.filter(person_id__in=[a_id, b_id]).values_list(
                    "program_id", flat=True
                )
            )
        )
    first, second = access_pair(actor.user, a_id, b_id)
    if not (set(first.roles.values()) & DECIDERS and set(second.roles.values()) & DECIDERS):
        raise Forbidden("Only a coordinator decides whether two records are one person.")
    return sorted(
        {pk for access in (first, second) for pk, role in access.roles.items() if role in DECIDERS}
    )


# --- Match candidates -----------------------------------------------------------


def _pending_pair(first: Person, second: Person) -> MatchCandidate | None:
    """The pair's pending review row, locked; None when the pair is not on the queue."""
    return (
        MatchCandidate.objects.select_for_update()
        .filter(person_a=first, person_b=second, status=MatchCandidate.Status.PENDING)
        .first()
    )


def _refresh_candidate(
    actor: Actor, candidate: MatchCandidate, probability: float, evidence: Evidence
) -> bool:
    """The pair weighed anew; a death waiting on its decision still waits (a later report,
    or a batch run, weighs the two records without knowing of it).

    False, saving nothing, where the pair weighs as it did: a batch run or a new report that
    finds the same evidence leaves the version a coordinator's decision was read at.
    """
    held = death_reported(candidate.evidence)
    death = death_reported(evidence)
    if held is not None and death is None:
        evidence = {**evidence, "death_reported": held}
    elif held is not None and death is not None and _same_death(held, death):
        # Another report of the death held already: whoever decides places both.
        earlier = [*held.get("earlier", []), *([held["report"]] if "report" in held else [])]
        evidence = {**evidence, "death_reported": {**death, "earlier": earlier}}
    if candidate.pk is not None and _weighs_as(candidate, probability, evidence):
        return False
    candidate.probability = float(probability)
    candidate.evidence = evidence
    save_tracked(candidate, actor.user)
    return True


# How a pair's evidence was written down rather than what it says: the rows (compared by
# their levels), the weights and probability the levels and the model give, the scorer's
# rounding and words, which two reports a batch run compared, who proposed the pair and what
# it added beside it, and the caution (compared as the one the review shows). Everything else
# a proposer adds (an overdose report's words, a death waiting, an undone merge asked about
# again) is evidence.
WRITTEN_ONLY = frozenset(
    {"rows", "fields", "explain", "comparisons", "weight", "probability", "records", "source"}
    | {"added_beside", "caution", "held_back"}
)
# Probabilities closer than this read alike: the review shows three decimals, and a batch
# run and online matching compute the same one by different arithmetic.
SAME_PROBABILITY = 1e-6


def _weighs_as(candidate: MatchCandidate, probability: float, evidence: Evidence) -> bool:
    """Whether the pair weighed anew says what it said when stored: the same probability,
    each comparison at the same level, the same caution and nothing else new."""

    def said(weighed: Any) -> tuple[Any, ...]:
        kept = json.loads(json.dumps(weighed, cls=DjangoJSONEncoder))  # as the row keeps it
        levels = sorted((row["comparison"], row["level"]) for row in evidence_rows(kept))
        rest = {key: value for key, value in kept.items() if key not in WRITTEN_ONLY}
        return levels, caution_shown(kept), rest

    stored = candidate.evidence if isinstance(candidate.evidence, dict) else {}
    close = abs(candidate.probability - float(probability)) < SAME_PROBABILITY
    return close and said(stored) == said(evidence)


def _same_death(held: DeathReported, death: DeathReported) -> bool:
    """Two reports of one overdose's death naming one record."""
    return (held["overdose"], held["named"]) == (death["overdose"], death["named"]) and held.get(
        "report"
    ) != death.get("report")


def decided_apart(a: Person, b: Person) -> bool:
    """A person said these two are different people: the pair was rejected on the review
    queue, or a merge of them was undone. Until a person says otherwise, no run of
    matching merges them or asks about them again."""
    # Each side is the person and everyone merged into them since: a decision about any
    # of them holds for who they now are.
    ours, theirs = _merged_with(a.pk), _merged_with(b.pk)
    rejected = MatchCandidate.objects.filter(status=MatchCandidate.Status.REJECTED).filter(
        Q(person_a_id__in=ours, person_b_id__in=theirs)
        | Q(person_a_id__in=theirs, person_b_id__in=ours)
    )
    undone = Merge.objects.filter(undone_at__isnull=False).filter(
        Q(kept_id__in=ours, merged_id__in=theirs) | Q(kept_id__in=theirs, merged_id__in=ours)
    )
    return rejected.exists() or undone.exists()


def _merged_with(person_id: int) -> set[int]:
    """The person and everyone merged into them, directly or through another merge."""
    found, frontier = {person_id}, [person_id]
    while frontier:
        frontier = [
            pk
            for pk in Person.objects.filter(merged_into_id__in=frontier).values_list(
                "pk", flat=True
            )
            if pk not in found
        ]
        found.update(frontier)
    return found


def ask_again(actor: Actor, merge: Merge, evidence: Evidence) -> MatchCandidate:
    """A merge a coordinator undid, back on the review queue because they think again: the
    "two people" the undoing said holds for matching jobs, not for a person's own choice.
    `evidence` weighs the two people as they are now."""
    if merge.undone_at is None:
        raise ActionError("This merge stands: undo it first.", {"merge": ["not undone"]})
    _require_decider(actor, merge.kept_id, merge.merged_id)
    keep, other = merge.kept, merge.merged
    keep.refresh_from_db()
    other.refresh_from_db()
    if keep.merged_into_id is not None or other.merged_into_id is not None:
        raise ActionError(
            "One of these people was merged into someone else since: review that person.",
            {"merge": ["merged since"]},
        )
    candidate = propose_match(
        actor, keep, other, float(evidence["probability"]), evidence, asked_by_hand=True
    )
    if candidate is None:
        raise ValueError("a pair asked for by hand is queued")
    return candidate


def ask_about_pair(actor: Actor, a: Person, b: Person, evidence: Evidence) -> MatchCandidate:
    """Two people a coordinator thinks may be one, put on the review queue by hand (a request
    for help that made a new person beside a record the program has): the merge itself is
    decided there, on the evidence. `evidence` weighs the two as they are now."""
    _require_decider(actor, a.pk, b.pk)
    candidate = propose_match(
        actor, a, b, float(evidence["probability"]), evidence, asked_by_hand=True
    )
    if candidate is None:
        raise ValueError("a pair asked for by hand is queued")
    return candidate


def record_on_both(actor: Actor, action: str, person_ids: tuple[int, int], **event: Any) -> None:
    """One event filed under each person of a pair: a pair queued, decided, merged or pulled
    apart changes both records, and each person's trail must show it."""
    for person_id in person_ids:
        record_event(actor, action, person_id=person_id, **event)


def record_merged_number_read(
    actor: Actor,
    found: MergedNumber,
    *,
    channel: str,
    named: bool,
    asked: tuple[str, str] | None = None,
) -> None:
    """A reader led from a merged person's old number to the person kept: a read of that
    person (of who they are, where the answer names them), naming the number and the
    merges followed, filed as the reader's other reads of the person are. `asked`, the
    method and address of the request, keeps a write tried on the old number (and not
    done) in the trail."""
    person = found.kept.person
    tried = {"method": asked[0], "path": asked[1][:300]} if asked else {}
    record_event(
        actor,
        "read",
        obj=person,
        person_id=person.pk,
        program_slug=found.kept.filed_under,
        fields=["identity"] if named else [],
        detail={
            "channel": channel,
            "merged_person": found.number,
            "merges": [m.pk for m in found.merges],
            **tried,
        },
    )


def propose_match(
    actor: Actor,
    a: Person,
    b: Person,
    probability: float,
    evidence: Evidence,
    *,
    asked_by_hand: bool = False,
) -> MatchCandidate | None:
    """Put a pair on the review queue (or refresh its evidence if it is there already and
    the evidence changed); None for a pair a person already decided are two people, unless
    a person now asks about it again (`asked_by_hand`)."""
    if a.pk == b.pk:
        raise ValueError("A person cannot be a match candidate with themselves.")
    if not asked_by_hand and decided_apart(a, b):
        return None
    if not people_may_link(a, b):
        raise ActionError(
            "These records belong to programs that do not share data.",
            {"person_ids": ["programs without a data-sharing agreement keep their people apart"]},
        )
    first, second = sorted((a, b), key=lambda p: p.pk)
    with transaction.atomic():
        candidate = _pending_pair(first, second)
        if candidate is None:
            try:
                # Its own savepoint: another run may queue the same pair at this moment,
                # and the database keeps one pending row per pair.
                with transaction.atomic():
                    candidate = MatchCandidate(person_a=first, person_b=second)
                    changed = _refresh_candidate(actor, candidate, probability, evidence)
            except IntegrityError:
                candidate = _pending_pair(first, second)  # the other run's, now committed
                if candidate is None:
                    raise
                changed = _refresh_candidate(actor, candidate, probability, evidence)
        else:
            changed = _refresh_candidate(actor, candidate, probability, evidence)
        if not changed:
            return candidate  # weighed as before: nothing changed, nothing to record
        record_on_both(
            actor,
            "create" if candidate.version == 1 else "change",
            (first.pk, second.pk),
            obj=candidate,
            object_type=AUDIT_TYPES[MatchCandidate],
            fields=["identity"],
            detail={"person_ids": [first.pk, second.pk], "probability": candidate.probability},
        )
    return candidate


def decide_match(
    actor: Actor, candidate: MatchCandidate, decision: str, version: int
) -> Merge | None:
    """A coordinator's verdict on a pair: merge them (the earlier record kept) or reject."""
    if decision not in MatchDecision.values:
        raise ActionError(
            "Unknown decision.", {"decision": [f"one of {', '.join(MatchDecision.values)}"]}
        )
    if candidate.status != MatchCandidate.Status.PENDING:
        # Somebody decided already: the caller's view of the pair is stale.
        raise StaleVersion(candidate, version)
    _require_decider(actor, candidate.person_a_id, candidate.person_b_id)
    if decision == MatchDecision.MERGE and not people_may_link(
        candidate.person_a, candidate.person_b
    ):
        raise ActionError(
            "These records belong to programs that do not share data.",
            {"decision": ["programs without a data-sharing agreement keep their people apart"]},
        )
    with transaction.atomic():
        candidate.status = (
            MatchCandidate.Status.MERGED
            if decision == MatchDecision.MERGE
            else MatchCandidate.Status.REJECTED
        )
        candidate.decided_by = actor.user_or_none
        candidate.decided_at = timezone.now()
        save_tracked(candidate, actor.user, expected_version=version)
        record_on_both(
            actor,
            "change",
            (candidate.person_a_id, candidate.person_b_id),
            obj=candidate,
            object_type=AUDIT_TYPES[MatchCandidate],
            fields=["identity"],
            detail={
                "decision": decision,
                "person_ids": [candidate.person_a_id, candidate.person_b_id],
            },
        )
        if decision != MatchDecision.MERGE:
            # Two people: the death is the one the report named.
            death = death_reported(candidate.evidence)
            if death is not None:
                _death_apart(actor, death)
            return None
        people = Person.objects.select_for_update().in_bulk(
            [candidate.person_a_id, candidate.person_b_id]
        )
        merge = merge_people(
            actor,
            people[candidate.person_a_id],
            people[candidate.person_b_id],
            candidate.evidence,
        )
        merge.candidate = candidate
        merge.save(update_fields=["candidate"])
        return merge


# --- Merging --------------------------------------------------------------------


def _person_links() -> list[tuple[type[models.Model], models.ForeignKey[Any, Any]]]:
    """Every foreign key to Person outside identity bookkeeping, found from the schema."""
    links = []
    for rel in Person._meta.related_objects:
        field = rel.field
        if not isinstance(field, models.ForeignKey) or rel.related_model in IDENTITY_MODELS:
            continue
        links.append((rel.related_model, field))
    return links


def _unique_partners(model: type[models.Model], field_name: str) -> list[list[str]]:
    """The other fields of each unconditional unique constraint that includes `field_name`."""
    sets = []
    for constraint in model._meta.constraints:
        fields = list(getattr(constraint, "fields", ()) or ())
        if field_name in fields and getattr(constraint, "condition", None) is None:
            sets.append([f for f in fields if f != field_name])
    for together in model._meta.unique_together:
        if field_name in together:
            sets.append([f for f in together if f != field_name])
    return sets


def _jsonable(value: Any) -> Any:
    """Dates and times in full ISO form (DjangoJSONEncoder would drop microseconds)."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _row_values(obj: models.Model) -> dict[str, Any]:
    return {f.attname: _jsonable(f.value_from_object(obj)) for f in obj._meta.concrete_fields}


def _fold_conflicts(
    model: type[models.Model], field: models.ForeignKey[Any, Any], keep: Person, other: Person
) -> dict[str, list[dict[str, Any]]]:
    """Rows of `other` that would break a unique constraint once moved: fold them into keep's.

    One participation per person and program: the kept row stays, with the earlier
    first_seen_at of the two.
    """
    removed: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for partners in _unique_partners(model, field.name):
        if not partners:
            continue
        kept_rows = {
            tuple(getattr(row, p) for p in partners): row
            for row in model._default_manager.filter(**{field.name: keep})
        }
        for row in model._default_manager.filter(**{field.name: other}):
            twin = kept_rows.get(tuple(getattr(row, p) for p in partners))
            if twin is None:
                continue
            first_seen = getattr(row, "first_seen_at", None)
            if first_seen is not None and first_seen < getattr(twin, "first_seen_at", first_seen):
                changed.append(
                    {"model": model._meta.label_lower, "pk": twin.pk, "values": _row_values(twin)}
                )
                model._default_manager.filter(pk=twin.pk).update(first_seen_at=first_seen)
            removed.append(
                {"model": model._meta.label_lower, "pk": row.pk, "values": _row_values(row)}
            )
            row.delete()
    return {"removed": removed, "changed": changed}


def _move(model: type[models.Model], field_name: str, ids: list[int], person: Person) -> None:
    """Point rows at `person`; a tracked row's version moves on, as for any write."""
    if not ids:
        return
    updates: dict[str, Any] = {field_name: person}
    if any(f.name == "version" for f in model._meta.concrete_fields):
        updates["version"] = F("version") + 1
    model._default_manager.filter(pk__in=ids).update(**updates)


def _snapshot(person: Person) -> dict[str, Any]:
    # Stored as JSON: dates become strings, restored by each field's to_python.
    return {
        f.attname: _jsonable(f.value_from_object(person))
        for f in Person._meta.concrete_fields
        if f.attname not in SNAPSHOT_EXCLUDED and f.name not in SNAPSHOT_EXCLUDED
    }


def merge_people(actor: Actor, keep: Person, other: Person, evidence: Evidence) -> Merge:
    """Make `other` part of `keep`: every row moves, `other` is marked merged, not deleted.

    Both people are locked and read again first, so two runs merging the same pair at
    once (two deduplication runs) merge it once: the second gets the first's merge. The
    snapshot and the merged mark start from the people as stored now, not as read before.
    """
    if keep.pk == other.pk:
        raise ActionError("A person cannot be merged with themselves.", {})
    decided_in = _require_decider(actor, keep.pk, other.pk)
    with transaction.atomic():
        list(Person.objects.select_for_update().filter(pk__in=[keep.pk, other.pk]))
        keep.refresh_from_db()
        other.refresh_from_db()
        if other.merged_into_id == keep.pk and keep.merged_into_id is None:
            made = Merge.objects.filter(kept=keep, merged=other, undone_at__isnull=True).first()
            if made is not None:
                return made
        if keep.merged_into_id is not None or other.merged_into_id is not None:
            raise ActionError(
                "One of these people was already merged into someone else.",
                {"person": ["already merged"]},
            )
        merge = Merge(
            kept=keep,
            merged=other,
            snapshot=_snapshot(other),
            evidence=evidence,
            actor=actor.user_or_none,
            actor_label=actor.name[:150],
            decided_in=decided_in,
            at=timezone.now(),
        )
        folded: Folded = {"removed": [], "changed": [], "tasks": []}
        moved: dict[str, dict[str, list[int]]] = {}
        for model, field in _person_links():
            found = _fold_conflicts(model, field, keep, other)
            folded["removed"] += found["removed"]
            folded["changed"] += found["changed"]
            ids = sorted(
                model._default_manager.filter(**{field.name: other}).values_list("pk", flat=True)
            )
            if ids:
                moved.setdefault(model._meta.label_lower, {})[field.name] = ids
                _move(model, field.name, ids, keep)
        records = sorted(SourceRecord.objects.filter(person=other).values_list("pk", flat=True))
        SourceRecord.objects.filter(pk__in=records).update(person=keep, version=F("version") + 1)
        PersonKey.objects.filter(source_record_id__in=records).update(person=keep)
        folded["tasks"] = escalate_duplicate_tasks(actor, keep)
        folded["deaths"] = _learn_deaths_held_for(actor, keep, other, moved) + _carry_death(
            actor, keep, other
        )
        folded["held_deaths"] = _move_held_deaths(actor, keep, other)
        other.merged_into = keep
        save_tracked(other, actor.user)
        merge.source_record_ids = records
        merge.moved = moved
        merge.folded = folded
        merge.save()
        refresh_tiers_of_people([keep.pk])
        record_on_both(
            actor,
            "merge",
            (keep.pk, other.pk),
            obj=merge,
            object_type=AUDIT_TYPES[Merge],
            fields=["identity"],
            detail={"kept": keep.pk, "merged": other.pk, "moved": moved},
        )
    return merge


# --- Deaths --------------------------------------------------------------------


def record_death(actor: Actor, person: Person, died_on: dt.date) -> None:
    """A day of death (a fatal overdose's, or one a visit learned), on the person, unless a
    day is already recorded; inside the action that records the overdose or the visit, or
    decides whose death it was, whose role check covers it."""
    if person.deceased_on is not None:
        return
    person.deceased_on = died_on
    save_tracked(person, actor.user)
    record_event(actor, "change", obj=person, person_id=person.pk, fields=["deceased_on"])


def day_of_death(overdose: Overdose) -> dt.date:
    """The day of the overdose, and so of a death, on the program's clock: an evening
    overdose in Denver is not tomorrow."""
    return timezone.localtime(overdose.occurred_at, ZoneInfo(overdose.program.timezone)).date()


def learn_fatal(
    actor: Actor,
    overdose: Overdose,
    person: Person,
    referral: Referral,
    reported_by: str,
    learned_at: dt.datetime,
) -> OutreachTask | None:
    """A report says the overdose known as survived was fatal: the overdose, the person's
    day of death and their follow-up say so (a report saying the opposite of a fatal one
    changes nothing: a death is not undone by a form). The family's follow-up window
    counts from `learned_at` where the overdose's own had closed by then."""
    _mark_fatal(actor, overdose, person, True, {"reported_by": reported_by})
    record_death(actor, person, day_of_death(overdose))
    return follow_up_death(
        actor, overdose.program, person, referral, overdose, learned_at=learned_at
    )


def _mark_fatal(
    actor: Actor, overdose: Overdose, person: Person, fatal: bool, why: dict[str, Any]
) -> None:
    """The overdose fatal, or back to survived, audited under its person and program."""
    overdose.fatal = fatal
    save_tracked(overdose, actor.user)
    record_event(
        actor,
        "change",
        obj=overdose,
        person_id=person.pk,
        program_slug=overdose.program.slug,
        fields=["referral"],
        detail={"fatal": fatal, **why},
    )


DeathApart = Callable[[Actor, DeathReported], object]

# Who places a death once a coordinator said the record the report named is not the
# overdose's person. Intake, which owns overdoses, gives that record an overdose of its own
# with the report, and so its family's follow-up (`intake.apps`); without it, the death is
# recorded on the record alone.
_DEATH_APART: list[DeathApart] = []


def place_deaths_apart_with(placer: DeathApart) -> None:
    """The action that places a death decided to be the named record's."""
    _DEATH_APART[:] = [placer]


def _death_apart(actor: Actor, death: DeathReported) -> None:
    (_DEATH_APART[0] if _DEATH_APART else record_death_of_named)(actor, death)


def named_record(death: DeathReported) -> Person | None:
    """The record a held death's report named, locked for the decision placing it, or None
    (merged away since). Read inside the decision's action, after its decider check: it
    shows nothing to anyone, it chooses whose death is written."""
    return (
        Person.objects.select_for_update()
        .filter(pk=death["named"], merged_into__isnull=True)
        .first()
    )


def record_death_of_named(actor: Actor, death: DeathReported) -> None:
    """The report's death, on the record it named, once a coordinator said that record is
    not the overdose's person: that record's follow-ups in the program close. The overdose
    stays the other person's, survived. Where the report that named the record is not
    known (a death held before reports were kept on it), no family follow-up opens, as the
    overdose that would anchor it is not this person's."""
    person = named_record(death)
    program = Program.objects.filter(slug=death["program"]).first()
    if person is None or program is None:
        return
    if Overdose.objects.filter(pk=death["overdose"], fatal=True).exists():
        return  # the overdose's death was learned meanwhile, of its own person
    # One overdose, one death: other reports of it naming other records wait no longer.
    settle_held_deaths(actor, death["overdose"])
    record_death(actor, person, dt.date.fromisoformat(death["on"]))
    follow_up_death(actor, program, person, None, None)
    record_event(
        actor,
        "change",
        object_type="intake.overdose",
        object_id=str(death["overdose"]),
        person_id=person.pk,
        program_slug=program.slug,
        fields=["referral"],
        detail={"death_held": False, "death_recorded_on": person.pk},
    )


def settle_held_deaths(actor: Actor, overdose_id: int, *, but: Q | None = None) -> None:
    """The overdose's death is placed: pairs still waiting with a report of it (naming
    other records) no longer hold it. `but` leaves out a pair whose decision is the one
    placing it (its evidence is kept, for the decision's undoing)."""
    pairs = MatchCandidate.objects.select_for_update().filter(
        status=MatchCandidate.Status.PENDING, evidence__death_reported__overdose=overdose_id
    )
    if but is not None:
        pairs = pairs.exclude(but)
    for candidate in pairs:
        _drop_held_death(actor, candidate, {"death_settled": overdose_id})


def _drop_held_death(actor: Actor, candidate: MatchCandidate, why: dict[str, Any]) -> None:
    """The pair no longer holds a death: placed elsewhere, or moved to another pair."""
    _hold_death(actor, candidate, None, why)


def _hold_death(
    actor: Actor, candidate: MatchCandidate, death: DeathReported | None, why: dict[str, Any]
) -> None:
    """The death the pair waits on with its decision (None: none now), audited on the pair."""
    evidence = {k: v for k, v in candidate.evidence.items() if k != "death_reported"}
    candidate.evidence = evidence if death is None else {**evidence, "death_reported": death}
    save_tracked(candidate, actor.user)
    record_event(
        actor,
        "change",
        obj=candidate,
        object_type=AUDIT_TYPES[MatchCandidate],
        person_id=candidate.person_a_id,
        fields=["identity"],
        detail=why,
    )


def _move_held_deaths(actor: Actor, keep: Person, other: Person) -> list[HeldDeathMoved]:
    """Deaths waiting on a pair of `other` and someone else, `other` now part of `keep`:
    they wait on the pair of `keep` and that someone, so the review still asks. Where that
    pair cannot be asked (decided apart, or programs that do not share), the two are
    people apart, and the death is the named record's. Returns each move, for the merge's
    undoing."""
    moves: list[HeldDeathMoved] = []
    waiting = MatchCandidate.objects.select_for_update().filter(
        Q(person_a=other) | Q(person_b=other), status=MatchCandidate.Status.PENDING
    )
    for candidate in waiting.exclude(Q(person_a=keep) | Q(person_b=keep)):
        death = death_reported(candidate.evidence)
        if death is None:
            continue
        partner_id = (
            candidate.person_b_id if candidate.person_a_id == other.pk else candidate.person_a_id
        )
        partner = Person.objects.filter(pk=partner_id, merged_into__isnull=True).first()
        moved: DeathReported = {
            **death,
            "named": keep.pk if death["named"] == other.pk else death["named"],
        }
        _drop_held_death(actor, candidate, {"death_moved_to": [keep.pk, partner_id]})
        if partner is None:
            continue
        evidence: Evidence = {**candidate.evidence, "death_reported": moved}
        try:
            asked = propose_match(actor, keep, partner, candidate.probability, evidence)
        except ActionError:
            asked = None
        moves.append({"left": candidate.pk, "death": death, "asked": asked.pk if asked else None})
        if asked is None:
            _death_apart(actor, moved)
    return moves


def _put_held_deaths_back(actor: Actor, merge: Merge) -> None:
    """Undo what a merge did to deaths waiting on the merged record's pairs: each goes back
    to the pair it waited on, naming the record it named, and leaves the kept record's
    pair, so no decision on that pair records a death the merged record's report told of.
    A pair decided meanwhile keeps what its decision did. A death the merge placed at once
    (the kept record's pair could not be asked) stays placed: its referral and follow-up
    are the record's now."""
    for move in reversed(merge.folded.get("held_deaths", [])):
        if move["asked"] is None:
            continue
        asked = (
            MatchCandidate.objects.select_for_update()
            .filter(pk=move["asked"], status=MatchCandidate.Status.PENDING)
            .first()
        )
        if asked is None:
            continue
        waiting = death_reported(asked.evidence)
        if waiting is None or waiting.get("overdose") != move["death"].get("overdose"):
            continue
        _drop_held_death(actor, asked, {"death_moved_back_to": move["left"]})
        left = (
            MatchCandidate.objects.select_for_update()
            .filter(pk=move["left"], status=MatchCandidate.Status.PENDING)
            .first()
        )
        if left is None or death_reported(left.evidence) is not None:
            continue
        _hold_death(actor, left, move["death"], {"death_held": True, "why": "merge undone"})


def _learn_deaths_held_for(
    actor: Actor, keep: Person, other: Person, moved: dict[str, dict[str, list[int]]]
) -> list[DeathLearned]:
    """Deaths held because a report named the other of these two records: now they are one
    person, the overdose was fatal and the person kept is the one who died. Returns what
    each changed, for the merge's undoing; a follow-up it opens for an overdose the merge
    moved goes back with it when the merge is undone."""
    this_pair = Q(person_a=keep, person_b=other) | Q(person_a=other, person_b=keep)
    pairs = MatchCandidate.objects.filter(this_pair)
    learned: list[DeathLearned] = []
    for evidence in pairs.values_list("evidence", flat=True):
        death = death_reported(evidence)
        if death is None:
            continue
        overdose = (
            Overdose.objects.select_related("program", "referral")
            .filter(pk=death["overdose"], person=keep, fatal=False)
            .first()
        )
        if overdose is None or overdose.referral is None or keep.deceased_on is not None:
            continue
        before = tasks_as_they_are(overdose.program, keep)
        newest = max((t["pk"] for t in before), default=0)
        # Held until now, the death is learned by the decision.
        learn_fatal(actor, overdose, keep, overdose.referral, death["reported_by"], timezone.now())
        settle_held_deaths(actor, overdose.pk, but=this_pair)
        opened = [t["pk"] for t in tasks_as_they_are(overdose.program, keep) if t["pk"] > newest]
        if overdose.pk in moved.get("intake.overdose", {}).get("person", []):
            moved.setdefault("outreach.outreachtask", {}).setdefault("person", []).extend(opened)
        learned.append(
            {
                "overdose": overdose.pk,
                "on": death["on"],
                "tasks": changed_since(before),
                "opened": opened,
                "recorded": True,
            }
        )
    return learned


def _carry_death(actor: Actor, keep: Person, other: Person) -> list[DeathLearned]:
    """One person, recorded dead on either record: the merged record's day of death goes to
    the kept person who had none, and the open follow-ups either record brought close
    (nobody is to visit someone recorded dead)."""
    recorded = keep.deceased_on is None and other.deceased_on is not None
    if recorded and other.deceased_on is not None:
        record_death(actor, keep, other.deceased_on)
    if keep.deceased_on is None:
        return []
    closed = close_follow_ups_of_the_dead(actor, keep)
    if not recorded and not closed:
        return []
    on = keep.deceased_on.isoformat()
    return [{"overdose": None, "on": on, "tasks": closed, "opened": [], "recorded": recorded}]


def _unlearn_deaths(actor: Actor, keep: Person, other: Person, merge: Merge) -> None:
    """Undo what a merge's recorded deaths changed: the death goes back to waiting on the
    decision, as the pair goes back to the review. An overdose the merge had moved is made
    survived again under the person it goes back to."""
    going_back = set(merge.moved.get("intake.overdose", {}).get("person", []))
    for death in reversed(merge.folded.get("deaths", [])):
        cancel_tasks(actor, death["opened"], keep.pk, "merge undone")
        restore_tasks(actor, death["tasks"], keep.pk)
        overdose = (
            Overdose.objects.filter(pk=death["overdose"]).first()
            if death["overdose"] is not None
            else None
        )
        if overdose is not None and overdose.fatal:
            whose = other if overdose.pk in going_back else keep
            _mark_fatal(actor, overdose, whose, False, {"death_held": True, "why": "merge undone"})
        recorded = death.get("recorded", True)
        if (
            recorded
            and keep.deceased_on is not None
            and keep.deceased_on.isoformat() == death["on"]
        ):
            keep.deceased_on = None
            save_tracked(keep, actor.user)
            record_event(actor, "change", obj=keep, person_id=keep.pk, fields=["deceased_on"])


# Models that moved to an app of their own keep their tables; a merge recorded before the move
# names them by their old app, and undoing it finds them by their new one.
MOVED_MODELS = {
    "people.sourcerecord": "identity.sourcerecord",
    "people.personkey": "identity.personkey",
    "people.linkagemodel": "identity.linkagemodel",
    "people.matchcandidate": "identity.matchcandidate",
    "people.merge": "identity.merge",
    "encounters.careplan": "care.careplan",
    "encounters.careplangoal": "care.careplangoal",
    "encounters.careplanstep": "care.careplanstep",
    "encounters.followup": "care.followup",
}


def _model(label: str) -> type[models.Model]:
    return django_apps.get_model(MOVED_MODELS.get(label.lower(), label))


def _stored_values(entry: dict[str, Any]) -> dict[str, Any]:
    """A row's field values as a merge stored them, back in Python types."""
    model = _model(entry["model"])
    return {
        f.attname: f.to_python(entry["values"][f.attname])
        for f in model._meta.concrete_fields
        if f.attname in entry["values"]
    }


def unmerge(actor: Actor, merge: Merge) -> tuple[Person, Person]:
    """Undo a merge exactly: the merged person's fields and rows go back where they were."""
    if merge.undone_at is not None:
        raise ActionError("This merge was undone already.", {"merge": ["already undone"]})
    if actor.user is not None and not may_undo(actor.user, merge):
        # Undoing decides the two are two people: a decision for the programs that made
        # the merge, not for one that sees the person kept only since.
        access_merge(actor.user, merge.pk)
        raise Forbidden("Only a coordinator of a program that decided a merge undoes it.")
    with transaction.atomic():
        # Held until this undo commits: a second press sent at once waits here, then finds
        # the merge undone rather than putting its rows back a second time.
        undone = Merge.objects.select_for_update().filter(pk=merge.pk).values_list("undone_at")
        if list(undone) != [(None,)]:
            raise ActionError("This merge was undone already.", {"merge": ["already undone"]})
        keep = Person.objects.select_for_update().get(pk=merge.kept_id)
        other = Person.objects.select_for_update().get(pk=merge.merged_id)
        _unlearn_deaths(actor, keep, other, merge)
        _put_held_deaths_back(actor, merge)
        restore_tasks(actor, merge.folded.get("tasks", []), keep.pk)
        for label, fields in merge.moved.items():
            for field_name, ids in fields.items():
                _move(_model(label), field_name, ids, other)
        for entry in merge.folded.get("changed", []):
            values = _stored_values(entry)
            values.pop("id", None)
            _model(entry["model"])._default_manager.filter(pk=entry["pk"]).update(**values)
        for entry in merge.folded.get("removed", []):
            _model(entry["model"])._default_manager.create(**_stored_values(entry))
        records = list(merge.source_record_ids)
        SourceRecord.objects.filter(pk__in=records).update(person=other, version=F("version") + 1)
        PersonKey.objects.filter(source_record_id__in=records).update(person=other)
        for field in Person._meta.concrete_fields:
            if field.attname in merge.snapshot:
                setattr(other, field.attname, field.to_python(merge.snapshot[field.attname]))
        other.merged_into = None
        save_tracked(other, actor.user)
        # An edit while merged moved the own record on; it follows the restored fields.
        index_person(actor, other, create=False)
        merge.undone_at = timezone.now()
        merge.undone_by = actor.user_or_none
        merge.save(update_fields=["undone_at", "undone_by"])
        if merge.candidate_id is not None:
            MatchCandidate.objects.filter(pk=merge.candidate_id).update(
                status=MatchCandidate.Status.PENDING,
                version=F("version") + 1,
                decided_by=None,
                decided_at=None,
            )
        refresh_tiers_of_people([keep.pk, other.pk])
        record_on_both(
            actor,
            "unmerge",
            (keep.pk, other.pk),
            obj=merge,
            object_type=AUDIT_TYPES[Merge],
            fields=["identity"],
            detail={"kept": keep.pk, "merged": other.pk, "moved": merge.moved},
        )
    return keep, other


# --- Reading ------------------------------------------------------------------


def level_vector(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The comparison vector the levels of evidence rows (`evidence_rows`) give."""
    vector = {}
    for row in rows:
        comparison = COMPARISONS_BY_NAME.get(row["comparison"])
        names = [level.name for level in comparison.levels] if comparison else []
        if row["level"] in names:
            vector[row["comparison"]] = names.index(row["level"])
    return vector


def caution_shown(evidence: Any) -> str:
    """Why a person should look before merging (twins, Jr and Sr, a placeholder name), or "":
    as stored when the pair was weighed (which read the records themselves), else from the
    levels."""
    for key in ("held_back", "caution"):
        stored = evidence.get(key) if isinstance(evidence, dict) else None
        if isinstance(stored, str) and stored:
            return stored
    return sure_merge_guard(level_vector(evidence_rows(evidence))) or ""


def evidence_rows(evidence: Any) -> list[dict[str, Any]]:
    """The (comparison, level, weight) rows of a candidate's evidence, whatever produced it.

    Online matching stores `{"rows": [{comparison, level, weight}, ...]}`; a batch
    job may store explain()'s tuples under "rows" or "explain", and earlier
    deduplication runs stored the rows under "fields".
    """
    if isinstance(evidence, dict):
        raw = (
            evidence.get("rows")
            or evidence.get("fields")  # as earlier deduplication runs stored it
            or evidence.get("explain")
            or evidence.get("comparisons")
            or []
        )
    else:
        raw = evidence or []
    rows = []
    comparison: Any
    level: Any
    weight: Any
    for row in raw if isinstance(raw, list) else []:
        if isinstance(row, dict):
            comparison, level, weight = row.get("comparison"), row.get("level"), row.get("weight")
        elif isinstance(row, list | tuple) and len(row) >= 3:
            comparison, level, weight = row[0], row[1], row[2]
        else:
            continue
        try:
            rows.append(
                {"comparison": str(comparison), "level": str(level), "weight": float(weight)}
            )
        except (TypeError, ValueError):
            continue
    return rows
