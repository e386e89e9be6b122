"""The key table by program stays the key table joined to the participations, whatever
changes either: new source records, re-keying, joining and leaving a program, merges and
their undoing, a person deleted."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection

from coresponder.core.audit import SYSTEM
from coresponder.identity.actions import (
    SourceRecordInput,
    merge_people,
    record_source,
    rekey_registry,
    unmerge,
)
from coresponder.identity.models import PersonKey, ProgramKey, SourceRecord
from coresponder.people.models import Participation, Person
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)
Row = tuple[int, int, str, int]


def joined() -> list[Row]:
    """What the table must hold: each key row once per program of its person."""
    rows = []
    programs: dict[int, list[int]] = {}
    for person_id, program_id in Participation.objects.values_list("person_id", "program_id"):
        programs.setdefault(person_id, []).append(program_id)
    for key_id, key, person_id in PersonKey.objects.values_list("id", "key", "person_id"):
        rows += [(key_id, program, key, person_id) for program in programs.get(person_id, [])]
    return sorted(rows)


def held() -> list[Row]:
    return sorted(ProgramKey.objects.values_list("person_key", "program", "key", "person"))


@pytest.fixture
def programs(db: None) -> dict[str, Program]:
    call_command("load_programs", stdout=io.StringIO())
    return {p.slug: p for p in Program.objects.all()}


def someone(given: str, family: str, program: Program | None) -> Person:
    person = Person.objects.create(given_name=given, family_name=family, phone="2155550100")
    if program is not None:
        Participation.objects.create(person=person, program=program, first_seen_at=T0)
    record_source(
        SYSTEM,
        person,
        program,
        "ems",
        SourceRecordInput(given_name=given, family_name=family, birth_date=dt.date(1988, 3, 14)),
    )
    return person


def test_each_change_to_keys_or_participations_keeps_the_table_the_join(
    programs: dict[str, Program],
) -> None:
    pad, pco = programs["pad"], programs["pco"]
    ann = someone("Ann", "Lee", pad)
    bob = someone("Bob", "Ray", None)  # in no program: no rows
    assert held() == joined() and held()
    assert not ProgramKey.objects.filter(person=bob.pk).exists()

    # A second source's report adds keys; joining a second program adds them there too.
    record_source(
        SYSTEM, ann, pad, "hospital", SourceRecordInput(given_name="Anne", family_name="Lee")
    )
    Participation.objects.create(person=ann, program=pco, first_seen_at=T0)
    Participation.objects.create(person=bob, program=pco, first_seen_at=T0)
    assert held() == joined()
    assert set(ProgramKey.objects.filter(person=ann.pk).values_list("program", flat=True)) == {
        pad.pk,
        pco.pk,
    }

    # Leaving a program takes its rows; re-keying replaces every row.
    Participation.objects.filter(person=ann, program=pco).delete()
    assert held() == joined()
    rekey_registry(SYSTEM)
    assert held() == joined()

    # A merge moves participations and keys to the person kept; undoing it moves them back.
    ann2 = someone("Ann", "Lee", pco)
    before = held()
    merge = merge_people(SYSTEM, ann, ann2, {"weight": 20})
    assert held() == joined()
    assert not ProgramKey.objects.filter(person=ann2.pk).exists()
    assert set(ProgramKey.objects.filter(person=ann.pk).values_list("program", flat=True)) == {
        pad.pk,
        pco.pk,
    }
    unmerge(SYSTEM, merge)
    assert held() == joined() == before

    # A person deleted, their source records first (as retention deletes them), takes
    # their rows with them.
    SourceRecord.objects.filter(person=bob).delete()
    bob.delete()
    assert held() == joined()
    assert not ProgramKey.objects.filter(person=bob.pk).exists()


def test_the_table_is_kept_by_the_database_itself(programs: dict[str, Program]) -> None:
    """A statement that no Django code sees (a bulk load, a script) keeps it as well."""
    ann = someone("Ann", "Lee", None)
    assert not ProgramKey.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO people_participation (person_id, program_id, first_seen_at, version,"
            " created_at, modified_at) VALUES (%s, %s, %s, 1, %s, %s)",
            [ann.pk, programs["qrt"].pk, T0, T0, T0],
        )
    assert held() == joined() and held()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM people_personkey WHERE person_id = %s", [ann.pk])
    assert held() == joined() == []
