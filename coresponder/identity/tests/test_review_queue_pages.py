"""The possible-duplicates queue counts and pages only the pairs its reader may decide.

A coordinator of one program who also works in another (as a clinician, say) sees that
program's people, yet decides no pair there: its pairs are not on their queue, in the count,
the number of pages or any page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from coresponder.conftest import member_of
from coresponder.domain.vocabulary import Role
from coresponder.identity import api, views
from coresponder.identity.models import MatchCandidate
from coresponder.identity.tests.test_identity import candidate_for, known_person, signed_in
from coresponder.programs.models import Membership, Program, User

DECISION = re.compile(r"/people/matches/(\d+)/decision/")


def pairs_of(program: Program, count: int) -> set[int]:
    """`count` pending pairs of the program's people."""
    return {
        candidate_for(
            (
                known_person(program, "ems", given_name="Wm.", family_name=f"Smith{n}"),
                known_person(program, "hospital", given_name="Bill", family_name=f"Smyth{n}"),
            )
        ).pk
        for n in range(count)
    }


def shown_on(client: Client, page: int) -> tuple[set[int], str]:
    html = client.get("/people/matches/", {"page": page}).content.decode()
    return {int(pk) for pk in DECISION.findall(html)}, html


@pytest.fixture
def two_programs(pad: Program, pco: Program) -> tuple[set[int], set[int]]:
    return pairs_of(pad, 5), pairs_of(pco, 4)


def test_a_coordinator_pages_through_full_pages_of_only_their_programs_pairs(
    two_programs: tuple[set[int], set[int]],
    pco: Program,
    coordinator: User,
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    ours, theirs = two_programs
    Membership.objects.create(user=coordinator, program=pco, role=Role.CLINICIAN.value)
    client = signed_in(coordinator)
    seen: list[set[int]] = []
    for number in (1, 2, 3):
        shown, html = shown_on(client, number)
        assert f"Page {number} of 3" in html
        seen.append(shown)
    assert [len(shown) for shown in seen] == [2, 2, 1]
    assert set().union(*seen) == ours
    assert not any(pk in theirs for shown in seen for pk in shown)


def test_the_candidate_list_counts_only_the_readers_pairs(
    two_programs: tuple[set[int], set[int]],
    pad: Program,
    pco: Program,
    api_client_for: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(api, "PAGE_SIZE", 3)
    theirs, ours = two_programs
    reader = member_of(pco, Role.COORDINATOR, "pco-coordinator")
    Membership.objects.create(user=reader, program=pad, role=Role.CLINICIAN.value)
    client = api_client_for(reader)
    first = client.get("/api/v1/match-candidates").json()
    second = client.get("/api/v1/match-candidates", {"page": 2}).json()
    assert first["count"] == second["count"] == len(ours) == 4
    assert [len(first["items"]), len(second["items"])] == [3, 1]
    assert {i["id"] for i in first["items"] + second["items"]} == ours
    # The other program's pairs wait there still, for its own coordinators.
    assert MatchCandidate.objects.filter(pk__in=theirs, status="pending").count() == 5
