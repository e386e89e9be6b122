"""Online matching finds, through the gate, exactly the people a plain ranking would.

The reference below ranks every person the reader may see by the blocking keys they
share with the probe, straightforwardly; `possible_matches` ranks the registry first
and asks the gate about the best of it, page by page. They must agree for every
reader, and neither may offer anyone the reader's roles do not let them identify.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coresponder.conftest import member_of
from coresponder.core.audit import SYSTEM, Actor
from coresponder.domain.linkage import Record, blocking_keys, normalise
from coresponder.domain.vocabulary import Role
from coresponder.identity import matching
from coresponder.identity.actions import SourceRecordInput, merge_people, record_source
from coresponder.identity.linkage_model import load_source_records
from coresponder.identity.matching import (
    phone_key,
    possible_matches,
    shared_phone_keys,
    visible_candidates,
)
from coresponder.identity.models import PersonKey
from coresponder.people.models import Participation, Person
from coresponder.privacy.access import (
    Linkable,
    identifiable_people,
    identified_through_programs,
    linkable,
    linkable_people,
    reads_contact,
    role_grants,
)
from coresponder.programs.models import Organization, Program, User
from coresponder.services.models import Service, ServiceOrganization, ServiceReferral

T0 = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
GIVEN = ("William", "Bill", "Will", "Billy", "Wm", "Liam", "Walter")
FAMILY = ("Smith", "Smyth", "Smithe", "Schmidt", "Smits")
PROBES = (
    Record(given="Bill", family="Smith", birth_date=dt.date(1985, 7, 3)),
    Record(given="William", family="Smyth", phone="215-555-0100"),
    Record(given="Will", family="Schmidt", birth_date=dt.date(1985, 3, 7), phone="2155550103"),
    Record(phone="(215) 555-0101"),
    Record(family="Smits", birth_date=dt.date(1986, 7, 3)),
)


def someone(n: int, programs: list[Program], source: str = "ems") -> Person:
    """Person n: a variation on one man's name, birth date and phone, known to `programs`."""
    fields = {
        "given_name": GIVEN[n % len(GIVEN)],
        "family_name": FAMILY[n % len(FAMILY)],
        "birth_date": dt.date(1985 + n % 2, 7 if n % 3 else 3, 3 if n % 3 else 7),
        "phone": f"215555010{n % 4}",
    }
    person = Person.objects.create(**fields)
    for program in programs:
        Participation.objects.create(person=person, program=program, first_seen_at=T0)
    record_source(
        SYSTEM,
        person,
        programs[0] if programs else None,
        source,
        SourceRecordInput.from_reported(fields, received_at=T0),
    )
    return person


@pytest.fixture
def registry(programs: dict[str, Program]) -> dict[str, Any]:
    """People in PAD, in PCO, in both, in no program; one merged; one referred to a provider."""
    pad, pco = programs["pad"], programs["pco"]
    homes: list[list[Program]] = [[pad], [pco], [pad, pco], [], [pad], [pco]]
    people = [someone(n, homes[n % len(homes)]) for n in range(36)]
    coordinator = member_of(pad, Role.COORDINATOR, "pad-coordinator")
    # Two reports of one man, one kept: the other is no one's match any more.
    merge_people(Actor(user=coordinator), people[0], people[6], {})
    provider_org = Organization.objects.create(
        slug="kensington-recovery", name="Kensington Recovery", kind="provider"
    )
    directory = ServiceOrganization.objects.create(
        hsds_id="org-kr", name="Kensington Recovery", partner=provider_org
    )
    service = Service.objects.create(hsds_id="svc-kr", organization=directory, name="Clinic")
    referred = people[4]
    ServiceReferral.objects.create(
        program=pad,
        person=referred,
        service=service,
        status="in-progress",
        requested_at=T0,
        status_changed_at=T0,
    )
    both = member_of(pad, Role.COORDINATOR, "both")
    both.memberships.create(program=pco, role=Role.CLINICIAN.value, active=True)
    readers = {
        "pad coordinator": coordinator,
        "pco clinician": member_of(pco, Role.CLINICIAN, "pco-clinician"),
        "pad officer": member_of(pad, Role.OFFICER, "pad-officer"),
        "pad prosecutor": member_of(pad, Role.PROSECUTOR, "pad-prosecutor"),
        "pad analyst": member_of(pad, Role.ANALYST, "pad-analyst"),
        "pad provider": member_of(pad, Role.PROVIDER, "pad-provider", organization=provider_org),
        "coordinator and clinician": both,
        "admin": User.objects.create_user(
            username="admin", password="not-used", role=Role.ADMIN.value, is_superuser=True
        ),
        "outsider": User.objects.create_user(username="outsider", password="not-used"),
    }
    return {"pad": pad, "pco": pco, "people": people, "readers": readers, "referred": referred}


def reference_ranking(user: User, probe: Record, cap: int) -> list[int]:
    """The people the reader may identify, by keys shared with `probe`, then by id: plainly."""
    keys = blocking_keys(normalise(probe))
    visible = set(identifiable_people(user).values_list("pk", flat=True))
    unmerged = set(Person.objects.filter(merged_into__isnull=True).values_list("pk", flat=True))
    shared = Counter(
        row.person_id
        for row in PersonKey.objects.filter(key__in=keys)
        if row.person_id in visible and row.person_id in unmerged
    )
    return sorted(shared, key=lambda pid: (-shared[pid], pid))[:cap]


def members_of(program: Program) -> set[int]:
    return set(Participation.objects.filter(program=program).values_list("person_id", flat=True))


@pytest.mark.parametrize("by_program", [False, True])
@pytest.mark.parametrize("page", [1, 4, 1000])
@pytest.mark.parametrize("cap", [2, 200])
def test_the_candidates_are_the_plain_ranking_of_the_people_the_reader_may_see(
    registry: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    page: int,
    cap: int,
    by_program: bool,
) -> None:
    monkeypatch.setattr(matching, "CANDIDATE_PAGE", page)
    for name, user in registry["readers"].items():
        programs = identified_through_programs(user) if by_program else None
        for probe in PROBES:
            keys = sorted(blocking_keys(normalise(probe)))
            found = visible_candidates(identifiable_people(user), keys, cap, programs)
            assert found == reference_ranking(user, probe, cap), (name, probe)


def test_readers_of_whole_programs_rank_through_the_key_table_by_program(
    registry: dict[str, Any],
) -> None:
    readers, pad, pco = registry["readers"], registry["pad"], registry["pco"]
    assert identified_through_programs(readers["pad coordinator"]) == {pad.pk}
    assert identified_through_programs(readers["coordinator and clinician"]) == {pad.pk, pco.pk}
    assert identified_through_programs(readers["outsider"]) == set()
    # A provider learns of the people referred to their organisation: not a program's.
    assert identified_through_programs(readers["pad provider"]) is None
    # Read through the programs' key table, the ranking needs no page of the gate's.
    probe = PROBES[0]
    keys = sorted(blocking_keys(normalise(probe)))
    user = readers["coordinator and clinician"]
    scope, programs = identifiable_people(user), identified_through_programs(user)
    with CaptureQueriesContext(connection) as captured:
        found = visible_candidates(scope, keys, 200, programs)
    assert found == reference_ranking(user, probe, 200)
    assert len(captured.captured_queries) == 2  # the ranking, the gate's confirmation
    assert "people_programkey" in captured.captured_queries[0]["sql"]


def test_the_matches_are_the_people_the_plain_ranking_finds(registry: dict[str, Any]) -> None:
    for name, user in registry["readers"].items():
        for probe in PROBES:
            found = {m.person_id for m in possible_matches(user, probe, limit=200)}
            # A reader who may not see phones or addresses is not matched on them.
            weighed = probe if reads_contact(role_grants(user)) else without_contact(probe)
            assert found == set(reference_ranking(user, weighed, 200)), (name, probe)


def without_contact(probe: Record) -> Record:
    return replace(probe, phone="", address="")


def test_no_reader_is_offered_anyone_their_roles_do_not_let_them_identify(
    registry: dict[str, Any],
) -> None:
    readers, pad, pco = registry["readers"], registry["pad"], registry["pco"]
    merged = registry["people"][6]
    # The merged person's participations moved to the person they were merged into.
    nowhere = {p.pk for p in registry["people"] if not p.participations.exists()} - {merged.pk}
    assert nowhere

    def offered(name: str) -> set[int]:
        return {
            m.person_id
            for probe in PROBES
            for m in possible_matches(readers[name], probe, limit=200)
        }

    assert offered("pad prosecutor") == set()
    assert offered("pad analyst") == set()
    assert offered("outsider") == set()
    assert offered("pad provider") == {registry["referred"].pk}
    assert offered("pad officer") and offered("pad officer") <= members_of(pad)
    assert offered("pad coordinator") and offered("pad coordinator") <= members_of(pad)
    assert offered("pco clinician") and offered("pco clinician") <= members_of(pco)
    assert offered("pco clinician") - members_of(pad)
    everyone = offered("admin")
    assert offered("coordinator and clinician") == everyone
    assert not everyone & (nowhere | {merged.pk})


def test_the_matches_among_a_program_s_linkable_people_stay_within_them(
    registry: dict[str, Any],
) -> None:
    pco = registry["pco"]
    people = Person.objects.filter(participations__program=pco).distinct()
    user = registry["readers"]["pad coordinator"]
    for programs in (None, frozenset({pco.pk})):
        among = Linkable(people, programs)
        for probe in PROBES:
            found = {m.person_id for m in possible_matches(user, probe, limit=200, among=among)}
            assert found and found <= members_of(pco)


def test_a_program_s_linkable_people_are_ranked_by_program_to_the_same_matches(
    registry: dict[str, Any],
) -> None:
    pad, pco = registry["pad"], registry["pco"]
    assert linkable(registry["readers"]["pad coordinator"], pad).programs == {pad.pk}
    assert linkable(registry["readers"]["pad provider"], pad).programs is None
    assert linkable(registry["readers"]["outsider"], pad).programs == frozenset()
    for name, user in registry["readers"].items():
        for program in (pad, pco):
            by_program = linkable(user, program)
            paged = Linkable(linkable_people(user, program), None)
            for probe in PROBES:
                first = possible_matches(user, probe, limit=200, among=by_program)
                second = possible_matches(user, probe, limit=200, among=paged)
                assert first == second, (name, program.slug, probe)


def test_the_phone_key_is_the_one_blocking_keys_make() -> None:
    for phone in ("215-555-0100", "+1 (215) 555 0100", "5550100", "555010", ""):
        record = Record(given="Ann", phone=phone)
        expected = {k for k in blocking_keys(record) if k.startswith("ph:")}
        assert ({phone_key(record)} - {None}) == expected


def test_a_phone_five_people_give_is_marked_shared_for_the_probe_and_candidates(
    programs: dict[str, Program], monkeypatch: pytest.MonkeyPatch
) -> None:
    pad = programs["pad"]
    coordinator = member_of(pad, Role.COORDINATOR, "pad-coordinator")
    shelter, own = "2155559000", "2155551234"
    for n in range(4):
        someone(n, [pad])  # phones 215555010x, each given by one person
    for n in range(5):
        record_source(
            SYSTEM,
            Person.objects.create(given_name=f"Guest{n}", family_name="Doe"),
            pad,
            "ems",
            SourceRecordInput(given_name=f"Guest{n}", family_name="Doe", phone=shelter),
        )
    for n in range(4):
        person = Person.objects.create(given_name=f"Kin{n}", family_name="Roe", phone=own)
        Participation.objects.create(person=person, program=pad, first_seen_at=T0)
        record_source(
            SYSTEM, person, pad, "ems", SourceRecordInput(given_name=f"Kin{n}", phone=own)
        )
    for person in Person.objects.filter(family_name="Doe"):
        Participation.objects.create(person=person, program=pad, first_seen_at=T0)
    assert shared_phone_keys([Record(phone=shelter), Record(phone=own)]) == {"ph:5559000"}

    seen: list[tuple[str, bool]] = []
    compare = matching.comparison_levels

    def spy(a: Record, b: Record) -> tuple[int, ...]:
        seen.extend([(a.phone, a.shared_phone), (b.phone, b.shared_phone)])
        return compare(a, b)

    monkeypatch.setattr(matching, "comparison_levels", spy)
    assert possible_matches(coordinator, Record(given="Guest", phone=shelter), limit=50)
    assert possible_matches(coordinator, Record(given="Kin", phone=own), limit=50)
    assert {shared for phone, shared in seen if phone == shelter} == {True}
    assert {shared for phone, shared in seen if phone == own} == {False}
    # The batch (training and the registry's deduplication) reads the same phones as shared.
    loaded = {(record.phone, record.shared_phone) for _id, record, _p in load_source_records()}
    assert (shelter, True) in loaded and (shelter, False) not in loaded
    assert (own, False) in loaded and (own, True) not in loaded


def test_the_query_count_stays_constant_with_shared_phones_and_more_people(
    registry: dict[str, Any],
) -> None:
    user, pad = registry["readers"]["coordinator and clinician"], registry["pad"]
    probe = PROBES[2]
    possible_matches(user, probe)
    with CaptureQueriesContext(connection) as small:
        assert possible_matches(user, probe)
    for n in range(40):
        someone(n, [pad])  # every phone now given by ten or more people
    assert shared_phone_keys([probe]) == {phone_key(probe)}
    with CaptureQueriesContext(connection) as large:
        assert possible_matches(user, probe)
    assert len(large.captured_queries) == len(small.captured_queries)
