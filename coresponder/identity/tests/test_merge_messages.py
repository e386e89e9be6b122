"""What the review queue says after a merge and its undoing names each person by number.

Two records the queue merges almost always carry one name, so the message names each
person by their number too, as the list of recent merges does.
"""

from __future__ import annotations

from typing import Any

from coresponder.identity.models import MatchCandidate, Merge
from coresponder.identity.tests.test_identity import known_person, signed_in
from coresponder.identity.tests.test_review_queue_differences import queued
from coresponder.programs.models import Program, User


def test_a_merge_and_its_undoing_say_which_person_became_part_of_which(
    pad: Program, coordinator: User
) -> None:
    rosa: dict[str, Any] = {
        "given_name": "Rosa",
        "family_name": "Delgado",
        "address": "92 Front St",
    }
    kept = known_person(pad, "ems", **rosa)
    merged = known_person(pad, "police", **rosa)
    queued(kept, merged)
    candidate = MatchCandidate.objects.get()
    client = signed_in(coordinator)
    sent = {"decision": "merge", "version": candidate.version, "page": "1"}
    page = client.post(f"/people/matches/{candidate.pk}/decision/", sent, follow=True)
    assert (
        f"Merged: Rosa Delgado (person {merged.pk}) is now part of Rosa Delgado "
        f"(person {kept.pk})." in page.content.decode()
    )
    merge = Merge.objects.get()
    page = client.post(f"/people/matches/merges/{merge.pk}/undo/", follow=True)
    assert (
        f"Merge undone: Rosa Delgado (person {kept.pk}) and Rosa Delgado (person {merged.pk}) "
        "are separate again." in page.content.decode()
    )
