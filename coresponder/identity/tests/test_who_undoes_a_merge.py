"""Who may undo a merge: a coordinator of a program it was decided in, or an administrator.

Undoing a merge decides that two records are two people, as merging decided they were one.
A merge puts every program's records of both on the person kept, so a coordinator of
another program that knew only one of them then sees the person kept; they may not undo a
decision made about a record their program never knew, and are not offered to.
"""

from __future__ import annotations

from typing import Any

from coresponder.conftest import member_of
from coresponder.core.audit import Actor
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import merge_people
from coresponder.identity.models import Merge
from coresponder.identity.tests.test_identity import T0, known_person, signed_in
from coresponder.people.models import Participation, Person
from coresponder.programs.models import Program, User

UNDO_FORM = 'action="/people/matches/merges/{pk}/undo/"'


def merged_in_pad(pad: Program, pco: Program, coordinator: User) -> tuple[Person, Merge]:
    """Rosa Delgado, known to PAD and PCO, and a second PAD record of her that PCO never
    knew, merged by PAD's coordinator."""
    rosa: dict[str, Any] = {"given_name": "Rosa", "family_name": "Delgado"}
    kept = known_person(pad, "ems", **rosa)
    Participation.objects.create(person=kept, program=pco, first_seen_at=T0)
    merged = known_person(pad, "police", **rosa)
    return merged, merge_people(Actor(user=coordinator), kept, merged, {})


def test_another_programs_coordinator_is_not_offered_undo_and_may_not_undo(
    pad: Program, pco: Program, coordinator: User, api_client_for: Any
) -> None:
    merged, merge = merged_in_pad(pad, pco, coordinator)
    elsewhere = member_of(pco, Role.COORDINATOR, "pco-coordinator")
    client = signed_in(elsewhere)
    queue = client.get("/people/matches/").content.decode()
    assert f"Person {merge.kept_id}" in queue or f"(person {merge.kept_id})" in queue
    assert UNDO_FORM.format(pk=merge.pk) not in queue
    assert client.post(f"/people/matches/merges/{merge.pk}/undo/").status_code == 403
    answer = api_client_for(elsewhere).post(f"/api/v1/merges/{merge.pk}/undo")
    assert answer.status_code == 403
    merge.refresh_from_db()
    merged.refresh_from_db()
    assert merge.undone_at is None
    assert merged.merged_into_id == merge.kept_id


def test_the_coordinator_of_the_program_it_was_decided_in_undoes_it(
    pad: Program, pco: Program, coordinator: User
) -> None:
    merged, merge = merged_in_pad(pad, pco, coordinator)
    colleague = member_of(pad, Role.COORDINATOR, "pad-coordinator-2")
    client = signed_in(colleague)
    assert UNDO_FORM.format(pk=merge.pk) in client.get("/people/matches/").content.decode()
    client.post(f"/people/matches/merges/{merge.pk}/undo/")
    merged.refresh_from_db()
    assert merged.merged_into_id is None


def test_an_administrator_undoes_any_merge(
    pad: Program, pco: Program, coordinator: User, admin: User
) -> None:
    merged, merge = merged_in_pad(pad, pco, coordinator)
    client = signed_in(admin)
    assert UNDO_FORM.format(pk=merge.pk) in client.get("/people/matches/").content.decode()
    client.post(f"/people/matches/merges/{merge.pk}/undo/")
    merged.refresh_from_db()
    assert merged.merged_into_id is None
