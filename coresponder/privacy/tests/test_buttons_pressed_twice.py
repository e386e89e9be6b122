"""The consent, break-glass and legal hold buttons pressed twice (a double tap, Back and
press, two at once): the second finds the change made and says so, as a notice rather
than an error, and never fails."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from coresponder.core.audit import Actor
from coresponder.domain.vocabulary import Role
from coresponder.operations.models import LegalHold
from coresponder.privacy.access import access_person
from coresponder.privacy.actions import open_break_glass, review_break_glass, revoke_consent
from coresponder.privacy.models import BreakGlass, Consent
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def notices(response: object) -> tuple[list[str], list[str]]:
    """The page's (informational, error) alerts' texts."""
    html = response.content.decode()  # type: ignore[attr-defined]
    said = re.findall(
        r'usa-alert--(\w+)[^>]*>\s*<div class="usa-alert__body">\s*<p[^>]*>([^<]*)', html
    )
    return (
        [text for kind, text in said if kind in {"info", "success"}],
        [text for kind, text in said if kind == "error"],
    )


def test_a_consent_revoked_twice_says_it_is_revoked(world: World, coordinator: User) -> None:
    consent = consent_for(world, coordinator)
    client = signed_in(coordinator)
    url = f"/people/{world.person.pk}/consents/{consent.pk}/revoke/"
    assert client.post(url).status_code == 302
    client.get(f"/people/{world.person.pk}/consents/new/")
    again = client.post(url, follow=True)
    told, errors = notices(again)
    assert "This consent is revoked: nothing more is disclosed under it." in told
    assert not errors


def test_a_consent_revoked_by_two_presses_at_once_is_told_not_failed(
    world: World, coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    consent = consent_for(world, coordinator)
    # The second press read the consent before the first revoked it.
    stale = Consent.objects.get(pk=consent.pk)
    revoke_consent(Actor(user=coordinator), access_person(coordinator, world.person.pk), consent)
    monkeypatch.setattr(
        "coresponder.privacy.consent_views.revoke_consent",
        lambda actor, access, _consent: revoke_consent(actor, access, stale),
    )
    response = signed_in(coordinator).post(
        f"/people/{world.person.pk}/consents/{consent.pk}/revoke/", follow=True
    )
    assert response.status_code == 200
    told, errors = notices(response)
    assert "This consent is revoked: nothing more is disclosed under it." in told
    assert not errors


def test_a_break_glass_review_sent_twice_says_who_reviewed_it(world: World) -> None:
    clinician = reader(world, Role.CLINICIAN)
    open_break_glass(Actor(user=clinician), clinician, world.person, "Unresponsive in the ER")
    glass = BreakGlass.objects.get()
    coordinator = reader(world, Role.COORDINATOR)
    client = signed_in(coordinator)
    sent = {"glass_id": glass.pk, "note": "Justified"}
    assert client.post("/break-glass/reviews/", sent).status_code == 302
    client.get("/break-glass/reviews/")
    again = client.post("/break-glass/reviews/", sent, follow=True)
    told, errors = notices(again)
    assert f"This opening was reviewed already by {coordinator}." in told
    assert not errors


def test_a_break_glass_review_pressed_twice_at_once_is_told_not_failed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    open_break_glass(Actor(user=clinician), clinician, world.person, "Unresponsive in the ER")
    stale = BreakGlass.objects.get()
    coordinator = reader(world, Role.COORDINATOR)
    review_break_glass(Actor(user=coordinator), BreakGlass.objects.get(), "First")
    # The second press read the opening unreviewed, before the first's save.
    monkeypatch.setattr(
        "coresponder.privacy.consent_views.review_break_glass",
        lambda actor, _glass, note: review_break_glass(actor, stale, note),
    )
    response = signed_in(coordinator).post(
        "/break-glass/reviews/", {"glass_id": stale.pk, "note": "Second"}, follow=True
    )
    assert response.status_code == 200
    told, errors = notices(response)
    assert f"This opening was reviewed already by {coordinator}." in told
    assert BreakGlass.objects.get().review_note == "First"


def test_a_hold_released_twice_says_it_was_released(world: World, admin: User) -> None:
    client = signed_in(admin)
    assert client.post("/programs/pad/legal-holds/", {"reason": "Subpoena 12"}).status_code == 302
    hold = LegalHold.objects.get()
    sent = {"reason": "Subpoena withdrawn", "version": hold.version}
    url = f"/programs/pad/legal-holds/{hold.pk}/release/"
    assert client.post(url, sent).status_code == 302
    client.get("/programs/pad/legal-holds/")
    again = client.post(url, sent, follow=True)
    told, errors = notices(again)
    assert f"This hold was released already by {admin}: Subpoena withdrawn" in told
    assert not errors
