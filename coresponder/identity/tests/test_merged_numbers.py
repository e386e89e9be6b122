"""A merged person's old number leads to the person kept, for whoever may see them.

Bookmarks, notices, old audit rows, records requests and staff memory keep the old
number: its page, the API and the forms that take a number answer with the person it
became part of, and to anyone who may not see that person exactly as for a number
nobody has.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from coresponder.conftest import member_of
from coresponder.core.audit import Actor
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.identity.actions import merge_people, unmerge
from coresponder.identity.models import Merge
from coresponder.identity.tests.test_identity import known_person, signed_in
from coresponder.operations.models import LegalHold
from coresponder.people.models import Person
from coresponder.privacy.models import BreakGlass
from coresponder.programs.models import Program, User

# 03:00 UTC on 2 March is still 1 March on Philadelphia's clock.
MERGED_AT = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)


def merged_pair(pad: Program, coordinator: User) -> tuple[Person, Person]:
    """Two records of Rosa Delgado in PAD, the second merged into the first."""
    rosa: dict[str, Any] = {"given_name": "Rosa", "family_name": "Delgado"}
    kept = known_person(pad, "ems", **rosa)
    merged = known_person(pad, "police", **rosa)
    merge = merge_people(Actor(user=coordinator), kept, merged, {})
    Merge.objects.filter(pk=merge.pk).update(at=MERGED_AT)
    return kept, merged


def without_tokens(page: str) -> str:
    """A page without its form token, which differs from one answer to the next."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def test_the_old_page_sends_a_reader_of_the_kept_person_to_them_and_says_why(
    pad: Program, coordinator: User, clinician: User
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    client = signed_in(clinician)
    page = client.get(f"/people/{merged.pk}/")
    assert page.status_code == 302
    assert page["Location"] == f"/people/{kept.pk}/"
    landed = client.get(page["Location"]).content.decode()
    assert (
        f"Person {merged.pk} was merged into Rosa Delgado (person {kept.pk}) on 1 Mar 2026"
        in landed
    )
    followed = AuditEvent.objects.filter(
        action="read", person_id=kept.pk, detail__merged_person=merged.pk
    )
    assert followed.count() == 1
    assert followed.get().actor == clinician


def test_the_old_numbers_pages_under_it_go_to_the_same_page_of_the_person_kept(
    pad: Program, coordinator: User, clinician: User
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    page = signed_in(clinician).get(f"/people/{merged.pk}/timeline/?page=2")
    assert page.status_code == 302
    assert page["Location"] == f"/people/{kept.pk}/timeline/?page=2"


def test_a_form_sent_to_the_old_number_is_not_sent_on_and_names_the_person_kept(
    pad: Program, coordinator: User, clinician: User
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    page = signed_in(clinician).post(f"/people/{merged.pk}/edit/", {"given_name": "Rosie"})
    assert page.status_code == 409
    text = page.content.decode()
    assert "This record was merged into Rosa Delgado" in text
    assert f'href="/people/{kept.pk}/"' in text
    assert "1 Mar 2026" in text
    merged.refresh_from_db()
    assert merged.given_name == "Rosa"


def test_someone_who_may_not_see_the_person_kept_gets_the_404_of_an_unknown_number(
    pad: Program, pco: Program, coordinator: User, api_client_for: Any
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    elsewhere = member_of(pco, Role.COORDINATOR, "pco-coordinator")
    client = signed_in(elsewhere)
    old = client.get(f"/people/{merged.pk}/")
    unknown = client.get("/people/999999/")
    assert old.status_code == unknown.status_code == 404
    as_unknown = unknown.content.decode().replace("999999", str(merged.pk))
    assert without_tokens(old.content.decode()) == without_tokens(as_unknown)
    answer = api_client_for(elsewhere).get(f"/api/v1/persons/{merged.pk}")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not found."}


def test_a_chain_of_merges_is_followed_to_the_person_kept_last(
    pad: Program, coordinator: User, clinician: User
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    last = known_person(pad, "hospital", given_name="Rosa", family_name="Delgado")
    merge_people(Actor(user=coordinator), last, kept, {})
    page = signed_in(clinician).get(f"/people/{merged.pk}/")
    assert page["Location"] == f"/people/{last.pk}/"


def test_an_undone_merge_gives_the_old_number_its_own_page_again(
    pad: Program, coordinator: User, clinician: User
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    unmerge(Actor(user=coordinator), Merge.objects.get())
    page = signed_in(clinician).get(f"/people/{merged.pk}/")
    assert page.status_code == 200


def test_the_api_answers_the_old_number_with_the_person_kept_only_to_who_sees_them(
    pad: Program, coordinator: User, clinician: User, api_client_for: Any
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    answer = api_client_for(clinician).get(f"/api/v1/persons/{merged.pk}")
    assert answer.status_code == 404
    body = answer.json()
    assert body["merged_into"] == kept.pk
    assert body["merged_at"].startswith("2026-03-01T22:00:00-05:00")
    assert str(kept.pk) in body["detail"]
    assert AuditEvent.objects.filter(
        action="read", person_id=kept.pk, detail__merged_person=merged.pk
    ).exists()


def test_a_legal_hold_on_the_old_number_holds_the_person_kept_and_says_so(
    pad: Program, coordinator: User
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    client = signed_in(coordinator)
    sent = {"person_id": str(merged.pk), "reason": "Subpoena 24-118"}
    page = client.post(f"/programs/{pad.slug}/legal-holds/", sent, follow=True)
    assert page.status_code == 200
    hold = LegalHold.objects.get()
    assert hold.person_id == kept.pk
    assert (
        f"Person {merged.pk} was merged into person {kept.pk} on 1 Mar 2026: "
        f"the hold is on person {kept.pk}." in page.content.decode()
    )


def test_a_legal_hold_on_the_old_number_is_refused_as_unknown_to_who_may_not_see_the_kept(
    pad: Program, pco: Program, coordinator: User
) -> None:
    _kept, merged = merged_pair(pad, coordinator)
    elsewhere = member_of(pco, Role.COORDINATOR, "pco-coordinator")
    sent = {"person_id": str(merged.pk), "reason": "Subpoena 24-118"}
    page = signed_in(elsewhere).post(f"/programs/{pco.slug}/legal-holds/", sent)
    assert page.status_code == 422
    assert "No person with this number is known to your programs." in page.content.decode()
    assert not LegalHold.objects.exists()


def test_the_api_holds_the_person_kept_for_an_old_number(
    pad: Program, coordinator: User, api_client_for: Any
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    answer = api_client_for(coordinator).post(
        f"/api/v1/programs/{pad.slug}/legal-holds",
        {"person_id": merged.pk, "reason": "Subpoena 24-118"},
        content_type="application/json",
    )
    assert answer.status_code == 201
    assert answer.json()["person_id"] == kept.pk


def test_opening_an_old_number_outside_policy_is_refused_naming_the_person_kept(
    pad: Program, coordinator: User, clinician: User
) -> None:
    kept, merged = merged_pair(pad, coordinator)
    sent = {"person_id": str(merged.pk), "reason": "Unconscious, needs the care plan now"}
    page = signed_in(clinician).post("/break-glass/", sent)
    assert page.status_code == 422
    assert (
        f"Person {merged.pk} was merged into person {kept.pk} on 1 Mar 2026: open person "
        f"{kept.pk}." in page.content.decode()
    )
    assert not BreakGlass.objects.exists()
