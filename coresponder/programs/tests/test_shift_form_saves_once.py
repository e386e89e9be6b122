"""The "Add the shift" form sent twice with one token adds one shift and shows it."""

from __future__ import annotations

import pytest
from django.test import Client

from coresponder.conftest import member_of
from coresponder.domain.vocabulary import Role
from coresponder.programs.form_tokens import FIELD, REFUSED, new_token
from coresponder.programs.models import Program, Shift, User
from coresponder.programs.tests.saving_once import assert_second_shows_first, post_twice
from coresponder.programs.tests.test_shifts_teams import pad_team, shift_post

pytestmark = pytest.mark.django_db


def test_the_teams_page_draws_a_token_into_the_add_shift_form(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)
    html = client.get(f"/programs/{pad.slug}/teams/").content.decode()
    add_shift = html[html.index('id="add-shift-heading"') :]
    assert f'name="{FIELD}"' in add_shift


def test_a_shift_sent_twice_is_added_once_and_the_second_shows_it(
    client: Client, pad: Program, coordinator: User
) -> None:
    team = pad_team(pad)
    client.force_login(coordinator)
    before = Shift.objects.count()
    first, second = post_twice(client, f"/programs/{pad.slug}/teams/shifts/new", shift_post(team))
    assert_second_shows_first(first, second)
    assert Shift.objects.count() == before + 1
    shift = Shift.objects.get(name="Evening outreach")
    assert first["Location"].endswith(f"#shift-{shift.pk}")
    assert f'id="shift-{shift.pk}"' in second.content.decode()
    assert "Evening outreach" in second.content.decode()


def test_a_shift_form_with_errors_keeps_its_token_and_saves_once_corrected(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)
    token = new_token()
    url = f"/programs/{pad.slug}/teams/shifts/new"
    wrong = client.post(url, {**shift_post(weekdays=[]), FIELD: token})
    assert wrong.status_code == 422
    assert f'value="{token}"' in wrong.content.decode()
    # Far down the page, the form says at its top that nothing was saved.
    form = wrong.content.decode().split('id="add-shift-heading"', 1)[1]
    assert form.index("Not saved. Check the fields marked below") < form.index('name="name"')
    assert client.post(url, {**shift_post(), FIELD: token}).status_code == 302
    assert client.post(url, {**shift_post(), FIELD: token}).status_code == 302
    assert Shift.objects.filter(name="Evening outreach").count() == 1


def test_a_shift_token_another_coordinator_used_adds_nothing_and_tells_nothing(
    client: Client, pad: Program, coordinator: User
) -> None:
    client.force_login(coordinator)
    token = new_token()
    url = f"/programs/{pad.slug}/teams/shifts/new"
    assert client.post(url, {**shift_post(), FIELD: token}).status_code == 302
    other = member_of(pad, Role.COORDINATOR, "other-coordinator")
    someone_else = Client()
    someone_else.force_login(other)
    response = someone_else.post(url, {**shift_post(name="Night outreach"), FIELD: token})
    assert response.status_code == 422
    html = response.content.decode()
    assert REFUSED in html
    assert f'value="{token}"' not in html
    assert not Shift.objects.filter(name="Night outreach").exists()
