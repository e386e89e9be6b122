"""The note a coordinator leaves on a break-glass review is checked like every other note:
plain text of at most REVIEW_NOTE_MAX characters, refused on its field with what was typed
kept, on the page as in the API; and a review refused for any other reason says that reason,
not that someone reviewed the opening already."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError
from coresponder.domain.vocabulary import Role
from coresponder.privacy.actions import REVIEW_NOTE_MAX, open_break_glass, review_break_glass
from coresponder.privacy.models import BreakGlass
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db
PAGE = "/break-glass/reviews/"


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def glass(world: World) -> BreakGlass:
    clinician = reader(world, Role.CLINICIAN)
    return open_break_glass(Actor(user=clinician), clinician, world.person, "Unresponsive in ER")


@pytest.fixture
def reviewer(world: World) -> User:
    return reader(world, Role.COORDINATOR)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_note_is_at_most_as_long_as_other_notes() -> None:
    assert REVIEW_NOTE_MAX == 5000


def test_a_note_too_long_is_refused_on_its_field_keeping_what_was_typed(
    glass: BreakGlass, reviewer: User
) -> None:
    typed = "Checked\x00 with the\x07 ER charge nurse. " + "x" * 200_000

    response = signed_in(reviewer).post(PAGE, {"glass_id": glass.pk, "note": typed})

    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="review-{glass.pk}-note_error"' in page
    assert f"Ensure this value has at most {REVIEW_NOTE_MAX} characters" in html.unescape(page)
    assert "ER charge nurse. " + "x" * 200_000 in page  # what was typed, to shorten
    assert "reviewed already" not in page
    glass.refresh_from_db()
    assert (glass.reviewed_at, glass.review_note, glass.version) == (None, "", 1)


def test_a_note_keeps_no_control_characters(glass: BreakGlass, reviewer: User) -> None:
    sent = {"glass_id": glass.pk, "note": "Checked\x00 with the\x07 ER"}

    assert signed_in(reviewer).post(PAGE, sent).status_code == 302

    glass.refresh_from_db()
    assert glass.review_note == "Checked with the ER"


def test_the_action_refuses_a_note_too_long_naming_the_field(
    glass: BreakGlass, reviewer: User
) -> None:
    with pytest.raises(ActionError) as refused:
        review_break_glass(Actor(user=reviewer), glass, "x" * (REVIEW_NOTE_MAX + 1))

    assert list(refused.value.errors) == ["note"]
    assert BreakGlass.objects.get().reviewed_at is None


def test_the_api_refuses_a_note_too_long_naming_the_field(
    glass: BreakGlass, reviewer: User, api_client_for: Any
) -> None:
    client = api_client_for(reviewer)

    response = client.post(
        f"/api/v1/break-glass/{glass.pk}/review",
        {"note": "x" * 500_000},
        content_type="application/json",
    )

    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["note"]
    assert BreakGlass.objects.get().reviewed_at is None
    schema = client.get("/api/v1/openapi.json").json()
    note = schema["components"]["schemas"]["ReviewIn"]["properties"]["note"]
    assert note["maxLength"] == REVIEW_NOTE_MAX


def test_a_note_of_the_longest_length_is_kept(
    glass: BreakGlass, reviewer: User, api_client_for: Any
) -> None:
    response = api_client_for(reviewer).post(
        f"/api/v1/break-glass/{glass.pk}/review",
        {"note": "y" * REVIEW_NOTE_MAX},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert len(BreakGlass.objects.get().review_note) == REVIEW_NOTE_MAX


def test_a_refusal_of_another_kind_says_its_own_reason_and_keeps_the_note(
    glass: BreakGlass, reviewer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any) -> BreakGlass:
        raise ActionError("The opening cannot be reviewed now.", {"note": ["Say it another way."]})

    monkeypatch.setattr("coresponder.privacy.consent_views.review_break_glass", refuse)

    response = signed_in(reviewer).post(PAGE, {"glass_id": glass.pk, "note": "Justified, ER"})

    assert response.status_code == 422
    page = response.content.decode()
    assert "Say it another way." in page and "Justified, ER" in page
    assert "reviewed already" not in page


def test_an_opening_changed_but_not_reviewed_meanwhile_says_so_and_keeps_the_note(
    glass: BreakGlass, reviewer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page was sent from a copy read before someone else changed the opening.
    stale = BreakGlass.objects.get(pk=glass.pk)
    BreakGlass.objects.filter(pk=glass.pk).update(version=2)
    monkeypatch.setattr(
        "coresponder.privacy.consent_views.review_break_glass",
        lambda actor, _glass, note: review_break_glass(actor, stale, note),
    )

    response = signed_in(reviewer).post(PAGE, {"glass_id": glass.pk, "note": "Justified, ER"})

    assert response.status_code == 409
    page = response.content.decode()
    assert "changed since you opened this page" in page and "Justified, ER" in page
    assert "reviewed already" not in page
    assert BreakGlass.objects.get().reviewed_at is None
