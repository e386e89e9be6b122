"""A person's record keeps no invisible control characters, and no birth after their own
recorded events, in the form and the API alike."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.conftest import member_of
from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Referral
from coresponder.people.models import Participation
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_form(person: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "sex": person.sex,
        "race": person.race,
        "ethnicity": person.ethnicity,
        "phone": person.phone,
        "address": person.address,
        "version": person.version,
    }
    data.update(changes)
    return data


def first_day(world: Any) -> dt.date:
    """The day, in the program's zone, of the person's first recorded event (the referral)."""
    received = Referral.objects.get(person=world.person).received_at
    return timezone.localtime(received, ZoneInfo(world.program.timezone)).date()


@pytest.mark.parametrize("hidden", ["\x07", "\x1b", "\u202e", "\u202a", "\u2066", "\u2069"])
def test_the_edit_form_keeps_no_control_or_direction_character_in_a_name(
    world: Any, hidden: str
) -> None:
    url = f"/people/{world.person.pk}/edit/"
    response = signed_in(reader(world, Role.OFFICER)).post(
        url, edit_form(world.person, given_name=f"Ana{hidden}", address=f"9{hidden} Somerset St")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    world.person.refresh_from_db()
    assert (world.person.given_name, world.person.address) == ("Ana", "9 Somerset St")


def test_the_api_keeps_no_control_or_direction_character_in_a_name(
    world: Any, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    response = client.patch(
        f"/api/v1/persons/{world.person.pk}",
        {"given_name": "Ana\u202e\x07", "version": world.person.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    world.person.refresh_from_db()
    assert world.person.given_name == "Ana"


def test_a_birth_date_after_the_persons_first_recorded_event_is_refused(world: Any) -> None:
    day_after = first_day(world) + dt.timedelta(days=1)
    url = f"/people/{world.person.pk}/edit/"
    response = signed_in(reader(world, Role.OFFICER)).post(
        url, edit_form(world.person, birth_date=day_after.isoformat())
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "after the referral received on" in html
    assert f'value="{day_after.isoformat()}"' in html
    world.person.refresh_from_db()
    assert world.person.birth_date == dt.date(1990, 5, 4)


def test_the_api_refuses_a_birth_year_after_the_persons_first_recorded_event(
    world: Any, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    received = timezone.now() - dt.timedelta(days=400)
    Referral.objects.filter(person=world.person).update(received_at=received)
    year = first_day(world).year + 1
    response = client.patch(
        f"/api/v1/persons/{world.person.pk}",
        {"birth_date": None, "birth_year": year, "version": world.person.version},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert "after the referral received on" in response.json()["errors"]["birth_year"][0]


def test_an_editor_in_another_program_is_not_told_of_an_event_they_cannot_see(
    world: Any,
) -> None:
    """The person is known to PCO too, whose coordinator sees nothing of PAD's referral: a
    birth date after it is not refused by naming an overdose or a referral they cannot
    read. It is held to PCO's own events, of which there are none."""
    pco = Program.objects.get(slug="pco")
    Participation.objects.create(person=world.person, program=pco, first_seen_at=timezone.now())
    day_after = first_day(world) + dt.timedelta(days=1)
    editor = member_of(pco, Role.COORDINATOR, "pco-editor")
    response = signed_in(editor).post(
        f"/people/{world.person.pk}/edit/",
        edit_form(world.person, birth_date=day_after.isoformat()),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "referral received" not in response.content.decode()
    world.person.refresh_from_db()
    assert world.person.birth_date == day_after


def test_a_phone_with_an_extension_is_a_link_a_phone_can_dial(world: Any) -> None:
    world.person.phone = "215-555-0100 ext. 12"
    world.person.save(update_fields=["phone"])
    page = signed_in(reader(world, Role.COORDINATOR)).get(f"/people/{world.person.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="tel:2155550100;ext=12"' in html
    assert 'href="tel:215-555-0100 ext. 12"' not in html
