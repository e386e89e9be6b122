"""Identity's read gate: match candidates and merges, shown only to who sees the people.

Built on `privacy.access`; a pair is shown to someone who sees both people, and only
coordinators (in any program) and administrators decide whether two records are one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from django.db import models
from django.db.models import Q

from coresponder.core.errors import NotVisible
from coresponder.domain.policy import FieldGroup, GroupVisibility
from coresponder.domain.vocabulary import Role
from coresponder.identity.models import MatchCandidate, Merge, SourceRecord
from coresponder.people.models import Participation, Person
from coresponder.privacy.access import (
    LARGEST_ID,
    PersonAccess,
    access_people,
    access_person,
    identifiable_people,
    is_admin,
    role_grants,
    visible_people,
)
from coresponder.programs.models import Membership

DECIDERS = frozenset({Role.COORDINATOR, Role.ADMIN})


class DeathReported(TypedDict):
    """A report of a fatal overdose that named another record than the overdose's person:
    nobody is marked dead until a coordinator decides whether the two are one person."""

    overdose: int
    program: str  # the overdose's program
    on: str  # the day of death on the program's clock, ISO
    named: int  # the record the report named
    reported_by: str  # the source (an overdose source code)
    report: NotRequired[int]  # the fatal report (deaths held before it was kept have none)
    # Earlier reports of the same death naming the same record, held on the same pair.
    earlier: NotRequired[list[int]]


def death_reported(evidence: Any) -> DeathReported | None:
    """The death a pair's evidence holds for the decision, or None (none, or not as written)."""
    death = evidence.get("death_reported") if isinstance(evidence, dict) else None
    if not isinstance(death, dict):
        return None
    try:
        dt.date.fromisoformat(str(death["on"]))
        found: DeathReported = {
            "overdose": int(death["overdose"]),
            "program": str(death["program"]),
            "on": str(death["on"]),
            "named": int(death["named"]),
            "reported_by": str(death.get("reported_by") or ""),
        }
        if death.get("report") is not None:
            found["report"] = int(death["report"])
        if death.get("earlier"):
            found["earlier"] = [int(pk) for pk in death["earlier"]]
        return found
    except (KeyError, TypeError, ValueError):
        return None


def death_shown(first: PersonAccess, second: PersonAccess, evidence: Any) -> DeathReported | None:
    """The death waiting on a pair, for a reader who reads the overdose it reports: the
    referral facts of its program, through the overdose's person (the one the report did
    not name). A reader who sees the two people through another program learns nothing
    of it."""
    death = death_reported(evidence)
    if death is None:
        return None
    overdose_person = second if death["named"] == first.person.pk else first
    # The reader's programs of this person, by slug, as the gate found them.
    program_id = next(
        (pk for pk, slug in overdose_person.slugs.items() if slug == death["program"]), None
    )
    if program_id is None:
        return None
    if overdose_person.decision(FieldGroup.REFERRAL, program_id) is not GroupVisibility.SHOWN:
        return None
    return death


def access_pair(user: Any, a_id: int, b_id: int) -> tuple[PersonAccess, PersonAccess]:
    """Both people, or NotVisible: a pair is only shown to someone who sees both."""
    return access_person(user, a_id), access_person(user, b_id)


def access_pairs(
    user: Any, candidates: Iterable[MatchCandidate]
) -> dict[int, tuple[PersonAccess, PersonAccess]]:
    """`access_pair` for a page of pairs, by candidate id: the pairs whose two people the user
    sees. Their people are decided together, so a page costs what one pair does."""
    candidates = list(candidates)
    ids = {pk for c in candidates for pk in (c.person_a_id, c.person_b_id)}
    seen = access_people(user, ids)
    return {
        c.pk: (seen[c.person_a_id], seen[c.person_b_id])
        for c in candidates
        if c.person_a_id in seen and c.person_b_id in seen
    }


def compared_records(
    first: PersonAccess, second: PersonAccess, evidence: Any
) -> tuple[SourceRecord, SourceRecord] | None:
    """The two source records a pair's weighing compared, each beside its own person, read
    through the people the reader was already let see; None when the evidence names none
    (the people's own fields were weighed) or they are no longer these two people's."""
    return compared_records_of([(first, second, evidence)])[0]


def compared_records_of(
    pairs: Sequence[tuple[PersonAccess, PersonAccess, Any]],
) -> list[tuple[SourceRecord, SourceRecord] | None]:
    """`compared_records` for each of a page of pairs, their records read at once."""
    named = [_named_records(evidence) for _first, _second, evidence in pairs]
    wanted = {pk for ids in named for pk in ids or ()}
    records = {r.pk: r for r in SourceRecord.objects.filter(pk__in=wanted)} if wanted else {}
    found: list[tuple[SourceRecord, SourceRecord] | None] = []
    for (first, second, _evidence), ids in zip(pairs, named, strict=True):
        left = _readable_record(first, ids or [], records)
        right = _readable_record(second, ids or [], records)
        if left is None or right is None or left.pk == right.pk:
            found.append(None)
        else:
            found.append((left, right))
    return found


def _named_records(evidence: Any) -> list[int] | None:
    """The two source records a weighing names, or None where it names no two."""
    named = evidence.get("records") if isinstance(evidence, dict) else None
    if not (isinstance(named, list) and len(named) == 2):
        return None
    # The matching job writes them as text ("123"); a number is read the same.
    ids = [int(i) for i in named if isinstance(i, int) or (isinstance(i, str) and i.isdigit())]
    return ids if len(ids) == 2 else None


def _readable_record(
    access: PersonAccess, ids: list[int], records: Mapping[int, SourceRecord]
) -> SourceRecord | None:
    """One of `ids` among the person's source records, if it came to one of the reader's
    programs (or to none): another program's report is that program's to show."""
    mine = [
        records[pk]
        for pk in ids
        if pk in records
        and records[pk].person_id == access.person.pk
        and (records[pk].program_id is None or records[pk].program_id in access.program_ids)
    ]
    return min(mine, key=lambda r: (r.received_at, r.pk), default=None)


def may_decide(user: Any) -> bool:
    """Coordinators (in any program) and administrators decide matches."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if is_admin(user):
        return True
    return any(role in DECIDERS for _program, role in role_grants(user))


def decided_by(user: Any) -> models.QuerySet[Person]:
    """The people the user sees as a coordinator (or administrator): those whose pairs they
    decide, as the decision itself requires of both of a pair's people."""
    deciding = [(program, role) for program, role in role_grants(user) if role in DECIDERS]
    return identifiable_people(user, deciding)


def pending_candidates(user: Any) -> models.QuerySet[MatchCandidate]:
    """The review queue: pending pairs the user decides, both people still unmerged.

    Filtered before it is counted or paged: a program where the user only works in another
    role adds no pair, no page and nothing to the count.
    """
    deciding = decided_by(user).values("pk")
    return (
        MatchCandidate.objects.filter(
            status=MatchCandidate.Status.PENDING,
            person_a__in=deciding,
            person_b__in=deciding,
            person_a__merged_into__isnull=True,
            person_b__merged_into__isnull=True,
        )
        .select_related("person_a", "person_b")
        .order_by("-probability", "id")
    )


def deciding_in(user: Any) -> str:
    """The one program where the user decides pairs, or "" where there are several."""
    deciding = {program.slug for program, role in role_grants(user) if role in DECIDERS}
    return deciding.pop() if len(deciding) == 1 else ""


def queue_programs(
    user: Any, pairs: Sequence[tuple[int, int]], merges: Sequence[tuple[int, int]] = ()
) -> tuple[list[str], list[str]]:
    """The program each pair and each merge of a read of the review queue is filed under, as
    the people pages file a read under the program they were read in: the program where the
    reader decides pairs that both people (a merge's kept person) take part in, the first by
    slug where there are several; "" where there is none (people in no program).

    So the program's coordinators find the read in their audit log, and another program's,
    which shares one of the people but not the queue, does not.
    """
    deciding = {program.pk for program, role in role_grants(user) if role in DECIDERS}
    wanted = {pk for pair in pairs for pk in pair} | {kept for kept, _merged in merges}
    taking_part: dict[int, set[str]] = {}
    for person_id, slug in Participation.objects.filter(
        person_id__in=wanted, program_id__in=deciding
    ).values_list("person_id", "program__slug"):
        taking_part.setdefault(person_id, set()).add(slug)

    def first(slugs: set[str]) -> str:
        return min(slugs) if slugs else ""

    return (
        [
            first(taking_part.get(a, set()) & taking_part.get(b, set()))
            or first(taking_part.get(a, set()) | taking_part.get(b, set()))
            for a, b in pairs
        ],
        [first(taking_part.get(kept, set())) for kept, _merged in merges],
    )


def access_candidate(user: Any, candidate_id: Any) -> MatchCandidate:
    """A pending pair, for a user who sees both people; a decided one, for one who sees either.

    After a merge only the kept person is visible, yet a late second decision
    must still learn that the pair was decided (a stale write), not that it vanished.
    """
    try:
        candidate = MatchCandidate.objects.get(pk=int(candidate_id))
    except (MatchCandidate.DoesNotExist, TypeError, ValueError) as exc:
        raise NotVisible("match candidate") from exc
    if candidate.status == MatchCandidate.Status.PENDING:
        access_pair(user, candidate.person_a_id, candidate.person_b_id)
        return candidate
    try:
        access_person(user, candidate.person_a_id)
    except NotVisible:
        access_person(user, candidate.person_b_id)
    return candidate


def access_merge(user: Any, merge_id: Any) -> Merge:
    """A merge whose kept person the user sees; otherwise NotVisible."""
    try:
        merge = Merge.objects.get(pk=int(merge_id))
    except (Merge.DoesNotExist, TypeError, ValueError) as exc:
        raise NotVisible("merge") from exc
    access_person(user, merge.kept_id)
    return merge


def undo_programs(merge: Merge) -> set[int]:
    """The programs a merge was decided in, whose coordinators may undo it.

    A merge made before these were kept was decided, as far as is known now, in the
    programs of the person kept that the coordinator who made it coordinates; where they
    coordinate none of them any more, or a job made it, in every program of the person kept.
    """
    if merge.decided_in:
        return {int(pk) for pk in merge.decided_in}
    kept_in = set(
        Participation.objects.filter(person_id=merge.kept_id).values_list("program_id", flat=True)
    )
    if merge.actor_id is not None:
        coordinated = Membership.objects.filter(
            user_id=merge.actor_id, role=Role.COORDINATOR, program_id__in=kept_in
        ).values_list("program_id", flat=True)
        if coordinated:
            return set(coordinated)
    return kept_in


def _undoes(user: Any, merge: Merge, grants: Any) -> bool:
    """Whether a reader who sees the person kept may undo the merge (`may_undo`)."""
    if is_admin(user):
        return True
    programs = undo_programs(merge)
    return any(role is Role.COORDINATOR and program.pk in programs for program, role in grants)


def may_undo(user: Any, merge: Merge) -> bool:
    """Whether the user may undo the merge: an administrator, or a coordinator of a program
    it was decided in (`undo_programs`), who sees the person kept.

    Undoing decides that two records are two people, as the merge decided they were one.
    After a merge, a coordinator of a program that knew only the person kept sees all of
    them; the merge was not theirs to decide, so it is not theirs to undo.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    try:
        access_person(user, merge.kept_id)
    except NotVisible:
        return False
    return _undoes(user, merge, role_grants(user))


@dataclass(frozen=True)
class MergeShown:
    """A recent merge as the reader may see it: the two records' names where the reader's
    role reads the (now one) person's identity, otherwise only their numbers; and whether
    they may undo it."""

    merge: Merge
    kept_name: str | None
    merged_name: str | None
    may_undo: bool = False


def merge_history(user: Any, limit: int = 20) -> list[MergeShown]:
    """Recent merges of people the user sees, named where the user reads who they are."""
    visible = visible_people(user).values("pk")
    merges = list(
        Merge.objects.filter(Q(kept__in=visible))
        .select_related("kept", "merged", "candidate")
        .order_by("-at", "-id")[:limit]
    )
    named = set(
        identifiable_people(user)
        .filter(pk__in={m.kept_id for m in merges})
        .values_list("pk", flat=True)
    )
    grants = role_grants(user)
    return [
        MergeShown(
            merge=m,
            kept_name=_name(m.kept) if m.kept_id in named else None,
            merged_name=_name(m.merged) if m.kept_id in named else None,
            may_undo=_undoes(user, m, grants),
        )
        for m in merges
    ]


def _name(person: Any) -> str | None:
    return f"{person.given_name} {person.family_name}".strip() or None


@dataclass(frozen=True)
class MergedNumber:
    """A number whose record was merged into another person's (through merges of merges,
    A into B into C), as a reader who may see the person kept finds it."""

    number: int
    kept: PersonAccess  # the person the number is part of now
    merges: tuple[Merge, ...]  # the number's own merge first, the one into `kept` last

    @property
    def merged_at(self) -> dt.datetime:
        """When the number stopped being a record of its own."""
        return self.merges[0].at


def merged_number(user: Any, person_id: Any) -> MergedNumber | None:
    """The person an old number was merged into, for a reader who may see that person;
    None for a number of its own, one nobody has, or a person kept the reader may not see,
    so that the old number tells them nothing a number nobody has would not. An undone
    merge is followed no more: the number is its own record again."""
    try:
        pk = int(person_id)
    except (TypeError, ValueError):
        return None
    if not 0 < pk <= LARGEST_ID:
        return None
    if not Person.objects.filter(pk=pk, merged_into__isnull=False).exists():
        return None
    # Followed by the merges themselves: a later merge of the person kept moves the old
    # number's own `merged_into` on with the rest of that person's rows.
    merges: list[Merge] = []
    current, seen = pk, {pk}
    while True:
        merge = (
            Merge.objects.filter(merged_id=current, undone_at__isnull=True)
            .order_by("-at", "-id")
            .first()
        )
        if merge is None or merge.kept_id in seen:
            break
        merges.append(merge)
        seen.add(merge.kept_id)
        current = merge.kept_id
    if not merges:
        return None
    kept = access_people(user, [current]).get(current)
    return MergedNumber(pk, kept, tuple(merges)) if kept is not None else None
