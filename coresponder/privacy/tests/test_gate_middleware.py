"""A page asked for a person or program its reader may not see answers as a missing page does.

Views let the read gate's `NotVisible` through; one middleware answers it with the
site's 404 page, the same page an unknown address gets, so nothing on it says the
record exists. An action the reader's role may not take on a record they see (`Forbidden`)
is answered by the same middleware with the site's 403 page. The API keeps its own JSON.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coresponder.conftest import sign_in
from coresponder.people.models import Participation, Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

# Each answer masks the sign-out form's CSRF token afresh; the rest is the page.
CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')

NOT_FOUND_TEXT = (
    "There is no page at this address, or it is not one you may see. "
    "Check the address, or start again from the link below."
)


@pytest.fixture
def stranger(pco: Program) -> Person:
    """Someone only PCO has met: PAD's staff may not learn of them."""
    person = PersonFactory.create()
    Participation.objects.create(person=person, program=pco, first_seen_at=timezone.now())
    return person


@pytest.fixture
def officer_client(client: Client, officer: User) -> Client:
    return sign_in(client, officer)


def gated_urls(person: Person, pad: Program, pco: Program) -> list[str]:
    """Representative pages of several apps, each naming what a PAD officer may not see."""
    return [
        reverse("person-detail", args=[person.pk]),
        reverse("person-timeline", args=[person.pk]),
        reverse("consent-new", args=[person.pk]),
        reverse("program-home", args=[pco.slug]),
        f"{reverse('program-switch')}?program={pco.slug}",
        reverse("outreach-queue", args=[pco.slug]),
        reverse("outreach-task", args=[pad.slug, 987654]),
        reverse("referral-choose", args=[pco.slug]),
        f"{reverse('encounter-new', args=[pad.slug])}?person={person.pk}",
        reverse("program-teams", args=[pco.slug]),
        reverse("service-search", args=[pco.slug]),
        f"{reverse('service-refer', args=[person.pk])}?program={pad.slug}",
        reverse("service-referral", args=[987654]),
        reverse("program-dashboard", args=[pco.slug]),
        reverse("reports-exports", args=[pco.slug]),
        reverse("diverted-list", args=[pco.slug]),
        reverse("triage-list", args=[pco.slug]),
        reverse("intake-import", args=[pco.slug]),
        reverse("sla-board", args=[pco.slug]),
        "/care-plans/987654/",
        f"{reverse('people-match-suggest')}?program={pco.slug}&family_name=Silva",
    ]


def test_what_a_reader_may_not_see_answers_with_the_404_page(
    officer_client: Client, stranger: Person, pad: Program, pco: Program
) -> None:
    for url in gated_urls(stranger, pad, pco):
        response = officer_client.get(url)
        assert response.status_code == 404, url
        assert response.templates[0].name == "404.html", url
        page = response.content.decode()
        assert "<h1>Page not found</h1>" in page, url
        assert NOT_FOUND_TEXT in page, url
        assert stranger.family_name not in page, url
        # Word for word the page an unknown address gets (in the same session: a page that
        # opened a program before refusing names it in the menu, as any page would).
        missing = officer_client.get("/no-such-page/")
        assert missing.status_code == 404
        assert CSRF_TOKEN.sub(b"", response.content) == CSRF_TOKEN.sub(b"", missing.content), url


def test_the_404_page_says_what_it_always_said(officer_client: Client) -> None:
    response = officer_client.get("/no-such-page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "<title>Page not found" in page
    assert "<h1>Page not found</h1>" in page
    assert NOT_FOUND_TEXT in page
    assert f'href="{reverse("home")}"' in page


def test_the_api_keeps_its_own_json_404(
    api_client_for: object, officer: User, stranger: Person
) -> None:
    client = api_client_for(officer)  # type: ignore[operator]
    response = client.get(f"/api/v1/persons/{stranger.pk}")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_an_id_too_large_for_any_row_is_not_found(api_client_for: object, officer: User) -> None:
    client = api_client_for(officer)  # type: ignore[operator]
    response = client.get("/api/v1/persons/99999999999999999999")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
