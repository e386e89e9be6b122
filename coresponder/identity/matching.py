"""Online matching: who, among the people a user may see, this record might already be.

Blocking keys narrow the registry to a few candidates in one indexed query; the
trained parameters (or the defaults) score each candidate's closest source record.
The query count does not grow with the registry.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from coresponder.domain.linkage import (
    COMPARISONS,
    DEFAULT_PARAMS,
    Params,
    Record,
    blocking_keys,
    comparison_vector,
    explain,
    match_probability,
    match_weight,
    normalise,
)
from coresponder.domain.vocabulary import humanize
from coresponder.identity.actions import linkage_record
from coresponder.identity.linkage_model import params_from_json
from coresponder.identity.models import LINKAGE_FIELDS, LinkageModel, PersonKey, SourceRecord
from coresponder.people.models import Person
from coresponder.privacy.access import identifiable_people, is_admin, role_grants

# Candidates scored per request, the people sharing most keys first.
CANDIDATE_CAP = 200
LEVEL_DESCRIPTIONS = {
    (c.name, level.name): level.description for c in COMPARISONS for level in c.levels
}
COMPARISON_LABELS = {"event_facility": "Place and date seen"}


@dataclass(frozen=True)
class Match:
    person_id: int
    score: float
    reasons: list[str]
    evidence: dict[str, Any] = field(default_factory=dict)


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


def reason_text(comparison: str, level: str, weight: float) -> str:
    """'Birth date: day and month swapped (+6.1)'."""
    label = COMPARISON_LABELS.get(comparison, humanize(comparison))
    description = LEVEL_DESCRIPTIONS.get((comparison, level), humanize(level))
    return f"{label}: {description} ({weight:+.1f})"


def score_pair(a: Record, b: Record, params: Params) -> dict[str, Any]:
    """The evidence for one pair: each comparison's level and weight, the total, the probability."""
    vector = comparison_vector(a, b)
    weight = match_weight(vector, params)
    rows = [
        {
            "comparison": name,
            "level": level,
            "description": LEVEL_DESCRIPTIONS.get((name, level), humanize(level)),
            "weight": round(w, 2),
        }
        for name, level, w in explain(vector, params)
    ]
    return {"rows": rows, "weight": round(weight, 2), "probability": match_probability(weight)}


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


def _visible_program_ids(user: Any) -> set[int] | None:
    """Programs whose source records the user may weigh; None for every program."""
    if is_admin(user):
        return None
    return {program.pk for program, _role in role_grants(user)}


def possible_matches(
    user: Any, record: Record, limit: int = 10, among: QuerySet[Person] | None = None
) -> list[Match]:
    """People the user may see who might be the person `record` describes, best first.

    `among` replaces what the user may see with the people a program's referral may
    be linked to (`privacy.access.linkable_people`): the same gate as intake.
    """
    keys = sorted(blocking_keys(normalise(record)))
    if not keys:
        return []
    scope = identifiable_people(user) if among is None else among
    candidate_ids = list(
        PersonKey.objects.filter(
            key__in=keys,
            person__in=scope.values("pk"),
            person__merged_into__isnull=True,
        )
        .values("person_id")
        .annotate(shared=Count("id"))
        .order_by("-shared", "person_id")
        .values_list("person_id", flat=True)[:CANDIDATE_CAP]
    )
    if not candidate_ids:
        return []
    programs = _visible_program_ids(user)
    accounts: dict[int, list[Record]] = defaultdict(list)
    for source in SourceRecord.objects.filter(person_id__in=candidate_ids).only(
        "person_id", "program_id", *LINKAGE_FIELDS
    ):
        # A record another program took is weighed only by readers of that program.
        if programs is None or source.program_id is None or source.program_id in programs:
            accounts[source.person_id].append(linkage_record(source))
    for person in Person.objects.filter(pk__in=candidate_ids).only(
        "given_name", "family_name", "birth_date", "sex", "phone", "address"
    ):
        accounts[person.pk].append(linkage_record(person))
    params = active_params()
    probe = normalise(record)
    matches = []
    for person_id, records in accounts.items():
        best = max(
            (score_pair(probe, normalise(r), params) for r in records),
            key=lambda e: float(e["weight"]),
        )
        reasons = [
            reason_text(row["comparison"], row["level"], row["weight"])
            for row in best["rows"]
            if row["weight"] > 0
        ]
        matches.append(
            Match(
                person_id=person_id,
                score=round(float(best["probability"]), 4),
                reasons=reasons,
                evidence=best,
            )
        )
    matches.sort(key=lambda m: (-float(m.evidence["weight"]), m.person_id))
    return matches[:limit]


def record_from_query(data: Any) -> Record | None:
    """A probe record from query parameters; None when it names nobody (no name, date or phone)."""
    given = str(data.get("given_name") or "").strip()
    family = str(data.get("family_name") or "").strip()
    phone = str(data.get("phone") or "").strip()
    birth = data.get("birth_date")
    if isinstance(birth, str):
        try:
            birth = dt.date.fromisoformat(birth.strip())
        except ValueError:
            birth = None
    if not (given or family or phone or isinstance(birth, dt.date)):
        return None
    return Record(
        given=given,
        family=family,
        birth_date=birth if isinstance(birth, dt.date) else None,
        sex=str(data.get("sex") or "").replace("unknown", ""),
        phone=phone,
        address=str(data.get("address") or "").strip(),
    )
