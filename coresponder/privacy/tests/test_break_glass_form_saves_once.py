"""The break-glass form sent twice with one token opens the record once and shows it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.consent_views import OPENED_ALREADY
from coresponder.privacy.models import BreakGlass
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.form_tokens import FIELD, REFUSED, new_token
from coresponder.programs.models import Program
from coresponder.programs.tests.saving_once import assert_second_shows_first, post_twice

pytestmark = pytest.mark.django_db

REASON = "Brought in unresponsive to the crisis centre; need the treatment history"


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_break_glass_form_carries_a_token(world: World) -> None:
    html = signed_in(reader(world, Role.CLINICIAN)).get("/break-glass/").content.decode()
    assert f'name="{FIELD}"' in html


def test_break_glass_sent_twice_opens_once_and_the_second_shows_the_record(
    world: World,
) -> None:
    client = signed_in(reader(world, Role.CLINICIAN))
    first, second = post_twice(
        client, "/break-glass/", {"person_id": world.person.pk, "reason": REASON}
    )
    assert_second_shows_first(first, second, notice=OPENED_ALREADY)
    assert first["Location"] == f"/people/{world.person.pk}/"
    assert BreakGlass.objects.count() == 1
    assert "Dana" in second.content.decode()


def test_a_break_glass_token_another_clinician_used_opens_nothing_and_tells_nothing(
    world: World,
) -> None:
    token = new_token()
    data = {"person_id": world.person.pk, "reason": REASON, FIELD: token}
    assert signed_in(reader(world, Role.CLINICIAN)).post("/break-glass/", data).status_code == 302
    other = signed_in(reader(world, Role.CLINICIAN, username="another-clinician"))
    response = other.post("/break-glass/", data)
    assert response.status_code == 422
    html = response.content.decode()
    assert REFUSED in html and f'value="{token}"' not in html
    assert BreakGlass.objects.count() == 1


def test_a_reason_longer_than_any_free_text_is_refused_on_the_page_and_the_api(
    world: World, api_client_for: Any, settings: Any
) -> None:
    settings.IMPORT_MAX_CELL_CHARS = 200
    clinician = reader(world, Role.CLINICIAN)
    too_long = "y" * 201
    page = signed_in(clinician).post(
        "/break-glass/", {"person_id": world.person.pk, "reason": too_long}
    )
    assert page.status_code == 422
    assert "Say why in at most 200 characters." in page.content.decode()
    sent = api_client_for(clinician).post(
        f"/api/v1/persons/{world.person.pk}/break-glass",
        {"reason": too_long},
        content_type="application/json",
    )
    assert sent.status_code == 422
    assert sent.json()["errors"] == {"reason": ["is longer than 200 characters"]}
    assert not BreakGlass.objects.exists()
