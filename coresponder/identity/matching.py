"""Online matching: who, among the people a user may see, this record might already be.

Blocking keys narrow the registry to a few candidates in one indexed query; the
trained parameters (or the defaults) score each candidate's closest source record.
The query count does not grow with the registry.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from coresponder.core.errors import ActionError, Forbidden
from coresponder.domain.clock import date_problem
from coresponder.domain.intake import (
    age_conflict,
    age_problem,
    birth_year_conflict,
    birth_year_from,
    birth_year_problem,
    estimated_birth_year,
)
from coresponder.domain.linkage import (
    COMPARISONS,
    COUNTED_ONCE,
    DEFAULT_PARAMS,
    Params,
    Record,
    blocking_keys,
    comparison_levels,
    comparison_vector,
    explain,
    levels_weight,
    match_probability,
    match_weight,
    merge_caution,
    normalise,
    normalise_phone,
    params_from_json,
    prior_weight,
    set_aside,
    sex_is_read,
    weight_table,
)
from coresponder.domain.vocabulary import humanize
from coresponder.identity.actions import Evidence, EvidenceRow, level_vector, linkage_record
from coresponder.identity.models import (
    LINKAGE_FIELDS,
    LinkageModel,
    PersonKey,
    ProgramKey,
    SourceRecord,
)
from coresponder.people.models import Person
from coresponder.privacy.access import (
    Linkable,
    identifiable_people,
    identified_through_programs,
    is_admin,
    reads_contact,
    role_grants,
)
from coresponder.privacy.grants import Grants
from coresponder.programs.local_time import today_in

# Candidates scored per request, the people sharing most keys first. At a million
# people, 100 find every true match that 200 do (bench/bench_linkage_online.py).
CANDIDATE_CAP = 100
# The registry's ranking is first read this many people at a time; while the gate keeps
# fewer than the cap, the next page is sized by how many of the last the reader could
# see (at most four times the last), so a reader who sees few pages through few queries.
CANDIDATE_PAGE = 500
# A phone this many people give (a shelter's, a clinic's, a referrer's) says little.
SHARED_PHONE_PEOPLE = 5
# A possible match at least this probable says why to look first, where the guard says so.
CAUTION_FROM = 0.5
# What a person's own row adds to their source records' accounts.
PERSON_FIELDS = ("given_name", "family_name", "birth_date", "birth_year", "sex", "phone", "address")
LEVEL_DESCRIPTIONS = {
    (c.name, level.name): level.description for c in COMPARISONS for level in c.levels
}
COMPARISON_LABELS = {"event_facility": "Place and date seen", "name_suffix": "Suffix (Jr, Sr)"}


@dataclass(frozen=True)
class Match:
    person_id: int
    score: float
    reasons: list[str]
    evidence: Evidence = field(default_factory=Evidence)
    # Why a person should look before taking them for one (twins, Jr and Sr, a
    # placeholder name: `linkage.sure_merge_guard`), else "".
    caution: str = ""


# The active model's parameters, kept per process until a newer model is trained.
_cache: dict[str, Any] = {"stamp": None, "params": DEFAULT_PARAMS}


def active_params() -> Params:
    """The active linkage model's parameters: one small query, parsed once per training."""
    row = LinkageModel.objects.filter(active=True).values_list("pk", "trained_at").first()
    if row is None:
        return DEFAULT_PARAMS
    if _cache["stamp"] != row:
        params = LinkageModel.objects.filter(pk=row[0]).values_list("params", flat=True).first()
        _cache["params"] = params_from_json(params)
        _cache["stamp"] = row
    params_now: Params = _cache["params"]
    return params_now


def weight_words(weight: float) -> str:
    """What a comparison's match weight says, for people who do not read weights."""
    if weight >= STRONG_WEIGHT:
        return "a strong sign of one person"
    if weight >= SOME_WEIGHT:
        return "a sign of one person"
    if weight > -SOME_WEIGHT:
        return "says little"
    if weight > -STRONG_WEIGHT:
        return "a sign of two people"
    return "a strong sign of two people"


# Match weights (log2 of the odds) from which a comparison is a sign, or a strong one.
SOME_WEIGHT = 1.0
STRONG_WEIGHT = 5.0


def reason_text(comparison: str, level: str, weight: float) -> str:
    """'Birth date: day and month swapped (a sign of one person)'."""
    label = COMPARISON_LABELS.get(comparison, humanize(comparison))
    description = LEVEL_DESCRIPTIONS.get((comparison, level), humanize(level))
    return f"{label}: {description} ({weight_words(weight)})"


def level_description(vector: Mapping[str, int], comparison: str, level: str, weight: float) -> str:
    """How a comparison came out, in words: 'same address', and for a household fact counted
    once, why it weighs nothing."""
    words = LEVEL_DESCRIPTIONS.get((comparison, level), humanize(level))
    return f"{words} ({COUNTED_ONCE})" if set_aside(vector, comparison, weight) else words


def described_evidence(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Stored evidence rows (`actions.evidence_rows`) each with its `description` in words,
    and the comparison vector their levels give."""
    vector = level_vector(rows)
    described = [
        {
            **row,
            "description": level_description(
                vector, row["comparison"], row["level"], row["weight"]
            ),
        }
        for row in rows
    ]
    return described, vector


def score_pair(a: Record, b: Record, params: Params) -> Evidence:
    """The evidence for one pair: each comparison's level and weight, the total, the
    probability, and the caution the sure-merge guard gives ("" when it gives none)."""
    vector = comparison_vector(a, b)
    weight = match_weight(vector, params)
    rows: list[EvidenceRow] = [
        {
            "comparison": name,
            "level": level,
            "description": level_description(vector, name, level, w),
            "weight": round(w, 2),
        }
        for name, level, w in explain(vector, params)
    ]
    return {
        "rows": rows,
        "weight": round(weight, 2),
        "probability": match_probability(weight),
        "caution": merge_caution(a, b, vector) or "",
    }


def could_be(like: Record, named: Person | None = None, *, field: str = "person_id") -> Q | None:
    """A filter on `field` (a person id) for the people who could be `like`: those sharing a
    blocking key with it, `named`, and anyone not yet indexed; None where `like` has no key.

    It only narrows a query already drawn through the gate; it finds no one by itself.
    """
    keys = sorted(blocking_keys(like))
    if not keys:
        return None
    indexed = Exists(PersonKey.objects.filter(person_id=OuterRef(field)))
    people = Q(**{f"{field}__in": PersonKey.objects.filter(key__in=keys).values("person_id")})
    people |= ~Q(indexed)
    if named is not None:
        people |= Q(**{field: named.pk})
    return people


def _visible_program_ids(user: Any, grants: Grants) -> set[int] | None:
    """Programs whose source records the user may weigh; None for every program."""
    if is_admin(user):
        return None
    return {program.pk for program, _role in grants}


def ranking(keys: list[str]) -> QuerySet[PersonKey, int]:
    """The ids of the people holding any of `keys`, most keys shared first, then by id.

    One GROUP BY read off the (key, person) index alone; who may see them, and whether
    they were merged away (a merge moves its keys to the person kept), is asked
    afterwards, of one page of ids, so the gate's subqueries never run over the whole
    registry.
    """
    return (
        PersonKey.objects.filter(key__in=keys)
        .values("person_id")
        .annotate(shared=Count("*"))
        .order_by("-shared", "person_id")
        .values_list("person_id", flat=True)
    )


def ranking_in(keys: list[str], programs: Set[int]) -> QuerySet[ProgramKey, int]:
    """`ranking(keys)` of the people taking part in `programs` alone, read off the key
    table by program (one index-only read): the same order, the same counts."""
    rows = ProgramKey.objects.filter(program__in=sorted(programs), key__in=keys)
    # A person in two of the programs has each key row twice: count the rows once.
    shared = Count("person_key", distinct=True) if len(programs) > 1 else Count("*")
    return (
        rows.values("person")
        .annotate(shared=shared)
        .order_by("-shared", "person")
        .values_list("person", flat=True)
    )


def ranked_people(keys: list[str], offset: int, count: int) -> list[int]:
    """One page of `ranking(keys)`."""
    return list(ranking(keys)[offset : offset + count])


def gate_rows(
    scope: QuerySet[Person], ids: list[int], fields: tuple[str, ...] = ()
) -> QuerySet[Person, tuple[Any, ...]]:
    """(id, *fields) of the unmerged people among `ids` that `scope` holds, in no order."""
    return scope.filter(pk__in=ids, merged_into__isnull=True).order_by().values_list("pk", *fields)


def visible_rows(
    scope: QuerySet[Person],
    keys: list[str],
    cap: int,
    fields: tuple[str, ...] = (),
    programs: Set[int] | None = None,
) -> list[tuple[Any, ...]]:
    """(id, *fields) of the `cap` people of `scope` sharing most keys, best first (ties by id).

    Where `scope` is the people taking part in `programs`
    (`privacy.access.identified_through_programs`), the ranking of those programs' people
    is read at once and the gate confirms it. Otherwise, or where the gate does not
    confirm every one of them, pages of the registry's ranking are kept where the gate
    lets the reader see them, until `cap` are found or the ranking ends. Either way the
    same people as ranking `scope` itself, without reading all of `scope`.
    """
    if programs is not None:
        ranked = list(ranking_in(keys, programs)[:cap]) if programs else []
        confirmed = {row[0]: row for row in gate_rows(scope, ranked, fields)}
        if len(confirmed) == len(ranked):
            return [confirmed[pid] for pid in ranked]
    found: list[tuple[Any, ...]] = []
    offset, page = 0, CANDIDATE_PAGE
    while len(found) < cap:
        ranked = ranked_people(keys, offset, page)
        if ranked:
            seen = {row[0]: row for row in gate_rows(scope, ranked, fields)}
            found.extend(seen[pid] for pid in ranked if pid in seen)
        if len(ranked) < page:
            break
        offset += page
        share = max(len(found), 1) / offset  # of the ranking so far, what the gate kept
        page = min(max(math.ceil((cap - len(found)) / share * 1.25), CANDIDATE_PAGE), page * 4)
    return found[:cap]


def visible_candidates(
    scope: QuerySet[Person], keys: list[str], cap: int, programs: Set[int] | None = None
) -> list[int]:
    """The ids of the `cap` people of `scope` sharing most keys, best first (ties by id)."""
    return [row[0] for row in visible_rows(scope, keys, cap, programs=programs)]


def phone_key(record: Record) -> str | None:
    """The phone's blocking key (`ph:` and its last seven digits), as `blocking_keys` makes it."""
    phone = normalise_phone(record.phone)
    return f"ph:{phone[-7:]}" if len(phone) >= 7 else None


def shared_phone_keys(records: list[Record] | None = None) -> set[str]:
    """The phone keys among `records` (None: in the whole registry) that at least
    SHARED_PHONE_PEOPLE people give: one query."""
    keys = PersonKey.objects.filter(key__startswith="ph:")
    if records is not None:
        wanted = {key for key in map(phone_key, records) if key is not None}
        if not wanted:
            return set()
        keys = PersonKey.objects.filter(key__in=sorted(wanted))
    return set(
        keys.values("key")
        .annotate(people=Count("person_id", distinct=True))
        .filter(people__gte=SHARED_PHONE_PEOPLE)
        .values_list("key", flat=True)
    )


def _marked(normal: Record, shared: set[str]) -> Record:
    """A normalised record, saying whether its phone is one many people give."""
    key = phone_key(normal)
    return replace(normal, shared_phone=True) if key is not None and key in shared else normal


def with_shared_phones(records: Sequence[Record]) -> list[Record]:
    """`records` with each phone that many people give (a shelter's, a referrer's) marked
    as such, so that agreeing on it weighs little: one query for them all."""
    shared = shared_phone_keys(list(records))
    return [_marked(record, shared) for record in records]


def possible_matches(
    user: Any,
    record: Record,
    limit: int = 10,
    among: Linkable | None = None,
    *,
    refuse_contact: bool = False,
) -> list[Match]:
    """People the user may see who might be the person `record` describes, best first.

    `among` replaces what the user may see with the people a program's referral may
    be linked to (`privacy.access.linkable`): the same gate as intake. A phone or an
    address weighs nothing for a reader who may not see them (with `refuse_contact`, a
    record giving one is refused as Forbidden instead).
    """
    grants = role_grants(user)  # one read of the user's programs serves every question
    if (record.phone or record.address) and not reads_contact(grants):
        if refuse_contact:
            raise Forbidden(
                "Your role does not see phone numbers or addresses, so it cannot look people "
                "up by them."
            )
        record = replace(record, phone="", address="")
    normal = normalise(record)
    keys = sorted(blocking_keys(normal))
    if not keys:
        return []
    scope: QuerySet[Person]
    through: Set[int] | None
    if among is None:
        scope, through = (
            identifiable_people(user, grants),
            identified_through_programs(user, grants),
        )
    else:
        scope, through = among.people, among.programs
    # The people's own fields come with the gate's answer: one round trip fewer.
    people = visible_rows(scope, keys, CANDIDATE_CAP, PERSON_FIELDS, through)
    if not people:
        return []
    accounts = _accounts(user, grants, people)
    # Only a phone agreeing with the probe's weighs anything, and agreeing phones share
    # the probe's key: whether many people give that one key is all there is to ask.
    shared = shared_phone_keys([normal])
    params = active_params()
    table, prior = weight_table(params), prior_weight(params)
    probe = _marked(normal, shared)
    # Each person's closest record by weight alone; the evidence is spelled out only
    # for the people returned, as scoring every candidate's in full costs the most.
    best: list[tuple[float, int, Record]] = []
    for person_id, records in accounts.items():
        top_weight, closest = _closest(probe, records, shared, table, prior)
        best.append((top_weight, person_id, closest))
    best.sort(key=lambda row: (-row[0], row[1]))
    matches: list[Match] = []
    probe_keys = set(keys)
    for _weight, person_id, closest in best:
        if len(matches) == limit:
            break
        # Found only through keys of records the reader may not weigh (another program's
        # report giving a phone), the person is not offered: that would tell what the
        # other program holds.
        if not any(probe_keys & blocking_keys(each) for each in accounts[person_id]):
            continue
        matches.append(_match(person_id, probe, closest, params))
    return matches


def _accounts(
    user: Any, grants: Grants, people: Sequence[tuple[Any, ...]]
) -> dict[int, dict[Record, None]]:
    """Each person's accounts as compared, each distinct one once (a person's own row often
    says what their first source record said): `people` are (id, *PERSON_FIELDS) rows the
    gate gave; their source records are read in one query."""
    candidate_ids = [row[0] for row in people]
    programs = _visible_program_ids(user, grants)
    accounts: dict[int, dict[Record, None]] = defaultdict(dict)
    columns = ("person_id", "program_id", *LINKAGE_FIELDS)
    for row in SourceRecord.objects.filter(person_id__in=candidate_ids).values_list(*columns):
        source = dict(zip(columns, row, strict=True))
        # A record another program took is weighed only by readers of that program.
        if programs is None or source["program_id"] is None or source["program_id"] in programs:
            accounts[source["person_id"]][normalise(linkage_record(source))] = None
    for row in people:
        own = linkage_record(dict(zip(PERSON_FIELDS, row[1:], strict=True)))
        accounts[row[0]][normalise(own)] = None
    return accounts


def _closest(
    probe: Record,
    records: Mapping[Record, None],
    shared: set[str],
    table: Any,
    prior: float,
) -> tuple[float, Record]:
    """The weight of the closest of a person's accounts to `probe`, and that account."""
    top_weight, closest = -math.inf, probe
    for each in records:
        marked = _marked(each, shared)
        weight = round(levels_weight(comparison_levels(probe, marked), table, prior), 2)
        if weight > top_weight:
            top_weight, closest = weight, marked
    return top_weight, closest


def _match(person_id: int, probe: Record, closest: Record, params: Params) -> Match:
    """A person offered as `probe`, with the evidence of their closest account."""
    evidence = score_pair(probe, closest, params)
    reasons = [
        reason_text(row["comparison"], row["level"], row["weight"])
        for row in evidence["rows"]
        if row["weight"] > 0
    ]
    return Match(
        person_id=person_id,
        score=round(float(evidence["probability"]), 4),
        reasons=reasons,
        evidence=evidence,
        # Only a likely match can be taken for the same person by mistake.
        caution=evidence["caution"] if evidence["probability"] >= CAUTION_FROM else "",
    )


# The blocking keys of a phone (`ph:`) and of a street address (`ad:`): who shares one
# shares a way of being reached.
CONTACT_KEYS = ("ph:", "ad:")


def names_and_contact_agree(evidence: Evidence, probe: Record) -> bool:
    """Whether the evidence says the names agree (the given name, and the family name
    where the probe gives one) and the phone or the address agrees too."""
    weights = {row["comparison"]: row["weight"] for row in evidence.get("rows", [])}
    names = weights.get("given_name", 0.0) > 0 and (
        weights.get("family_name", 0.0) > 0 or not probe.family
    )
    return names and (weights.get("phone", 0.0) > 0 or weights.get("address", 0.0) > 0)


def contact_matches(
    user: Any, records: Mapping[int, Record], among: Linkable, limit: int = 3
) -> dict[int, list[Match]]:
    """For each of `records`, by the id of the person it describes, the people `among` whose
    names agree with it and who share its phone or its street address, best first, at most
    `limit` each: what `possible_matches` offers that a way of reaching the person backs,
    for a whole list of people in as many queries as for one. The people of `records` are
    not offered (a list compares its own rows otherwise); nobody is, to a reader who may
    not read phones and addresses."""
    grants = role_grants(user)
    if not reads_contact(grants):
        return {}
    probes = {pid: normalise(record) for pid, record in records.items()}
    wanted = {
        pid: frozenset(k for k in blocking_keys(probe) if k.startswith(CONTACT_KEYS))
        for pid, probe in probes.items()
    }
    every = sorted(set().union(*wanted.values()))
    if not every:
        return {}
    holders: dict[str, set[int]] = defaultdict(set)
    for key, person_id in PersonKey.objects.filter(key__in=every).values_list("key", "person_id"):
        holders[key].add(person_id)
    ids = sorted(set().union(*holders.values()) - set(probes))
    people = list(gate_rows(among.people, ids, PERSON_FIELDS)) if ids else []
    if not people:
        return {}
    accounts = _accounts(user, grants, people)
    shared = shared_phone_keys(list(probes.values()))
    params = active_params()
    table, prior = weight_table(params), prior_weight(params)
    found: dict[int, list[Match]] = {}
    for pid, normal in probes.items():
        probe = _marked(normal, shared)
        scored: list[tuple[float, int, Record]] = []
        for other in sorted({o for key in wanted[pid] for o in holders.get(key, ())}):
            # As `possible_matches`: shared through an account the reader may weigh.
            if not any(wanted[pid] & blocking_keys(each) for each in accounts.get(other, ())):
                continue
            weight, closest = _closest(probe, accounts[other], shared, table, prior)
            scored.append((weight, other, closest))
        scored.sort(key=lambda row: (-row[0], row[1]))
        matches = [_match(other, probe, closest, params) for _w, other, closest in scored]
        agreed = [m for m in matches if names_and_contact_agree(m.evidence, normal)]
        if agreed:
            found[pid] = agreed[:limit]
    return found


def reader_today(user: Any, among: Linkable | None = None) -> dt.date:
    """Today where the reader looks for someone: in the zone of the program a report is
    taken for, else the latest date it is in the zones of the reader's programs (so a
    day that has begun in one of them is not "in the future"), not the server's date."""
    grants = role_grants(user) if user is not None else []
    programs = [program for program, _role in grants]
    if among is not None and among.program_slug:
        programs = [p for p in programs if p.slug == among.program_slug] or programs
    return max((today_in(program) for program in programs), default=timezone.localdate())


def record_from_query(data: Any, *, today: dt.date, strict: bool = False) -> Record | None:
    """A probe record from query parameters; None when it names nobody (no name, birth date,
    phone, or facility with an event date).

    A birth year comes as `birth_year`, or as an `age` on `event_date` (`today`, the date
    in the program's zone, when not given), estimated one year uncertain. A value that
    cannot be read is left out, or with `strict` refused: ActionError naming each such
    parameter (the API's 422).
    """
    errors: dict[str, list[str]] = {}

    def read(name: str, parse: Any, what: str) -> Any:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            errors[name] = [f"must be {what}"]
            return None

    def whole(value: Any) -> int:
        if isinstance(value, bool) or isinstance(value, float | dt.date):
            raise ValueError(value)
        return int(value)

    def day(value: Any) -> dt.date:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)

    given = str(data.get("given_name") or "").strip()
    family = str(data.get("family_name") or "").strip()
    phone = str(data.get("phone") or "").strip()
    birth = read("birth_date", day, "a date like 1988-05-04")
    year = read("birth_year", whole, "a year like 1988")
    age = read("age", whole, "a whole number of years")
    event = read("event_date", day, "a date like 2025-03-10")
    if isinstance(birth, dt.date):
        # As a person's record refuses it: a probe with it would find nobody, said as none.
        if (problem := date_problem(birth)) is not None:
            errors["birth_date"] = [problem]
            birth = None
        elif birth > today:
            errors["birth_date"] = ["cannot be in the future"]
            birth = None
    if year is not None and (problem := birth_year_problem(year, today)):
        errors["birth_year"] = [problem]
    elif problem := birth_year_conflict(birth, year):
        errors["birth_year"] = [problem]
    if event is not None and event > today:
        errors["event_date"] = ["cannot be in the future"]
        event = None
    if age is not None:
        # An age must be possible, and agree with a birth date or year given beside it.
        problem = age_problem(age)
        if problem is None and "birth_year" not in errors:
            problem = age_conflict(age, event or today, birth, year)
        if problem:
            errors["age"] = [problem]
        elif birth is None and year is None:
            year = estimated_birth_year(age, event or today)
    sex = str(data.get("sex") or "").strip()
    if sex and not sex_is_read(sex):
        errors["sex"] = ["must be female, male, other or unknown (F or M will do)"]
        sex = ""
    if errors:
        if strict:
            raise ActionError("Some parameters cannot be read.", errors)
        year = None if "birth_year" in errors else year
    facility = str(data.get("facility") or "").strip()
    seen_there = bool(facility) and event is not None  # who a facility saw that day
    if not (given or family or phone or isinstance(birth, dt.date) or seen_there):
        return None
    return Record(
        given=given,
        family=family,
        birth_date=birth,
        birth_year=birth_year_from(birth, year),
        sex=sex.replace("unknown", ""),
        phone=phone,
        address=str(data.get("address") or "").strip(),
        facility=facility,
        event_date=event,
    )
