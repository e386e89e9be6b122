"""A provider says what its places are: a drop-in's free places are not beds."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from coresponder.conftest import sign_in
from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError
from coresponder.core.models import AuditEvent
from coresponder.programs.models import User
from coresponder.services.actions import update_capacity
from coresponder.services.models import Service, ServiceCapacity, ServiceOrganization
from coresponder.services.units import free_words

INBOX = "/services/inbox/"


@pytest.fixture
def drop_in(provider: User) -> Service:
    entry = ServiceOrganization.objects.create(
        hsds_id="org-kr", name="Kensington Recovery", partner=provider.organization
    )
    return Service.objects.create(hsds_id="svc-drop", organization=entry, name="Drop-in centre")


def unit_of(service: Service) -> str:
    return ServiceCapacity.objects.get(service=service).unit


def test_a_first_figure_counts_places_not_beds(provider: User, drop_in: Service) -> None:
    update_capacity(Actor(provider), drop_in, 3)
    assert unit_of(drop_in) == "places"


def test_the_provider_chooses_the_unit_on_the_inbox_and_reads_it_back(
    client: Client, provider: User, drop_in: Service
) -> None:
    sign_in(client, provider)
    page = client.get(INBOX).content.decode()
    assert f'name="s{drop_in.pk}-unit"' in page
    assert "Counted in" in page
    answer = client.post(
        f"/services/{drop_in.pk}/capacity/",
        {
            f"s{drop_in.pk}-version": "0",
            f"s{drop_in.pk}-available": "1",
            f"s{drop_in.pk}-unit": "appointments",
        },
        follow=True,
    )
    assert answer.status_code == 200
    assert unit_of(drop_in) == "appointments"
    assert "1 appointment free" in answer.content.decode()
    changed = AuditEvent.objects.filter(object_type="services.servicecapacity").last()
    assert changed is not None and changed.detail["unit"] == "appointments"


def test_a_unit_not_offered_is_refused_on_the_inbox_keeping_the_numbers(
    client: Client, provider: User, drop_in: Service
) -> None:
    sign_in(client, provider)
    answer = client.post(
        f"/services/{drop_in.pk}/capacity/",
        {
            f"s{drop_in.pk}-version": "0",
            f"s{drop_in.pk}-available": "4",
            f"s{drop_in.pk}-unit": "pillows",
        },
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "Select a valid choice" in html
    assert f'name="s{drop_in.pk}-available" value="4"' in html
    assert not ServiceCapacity.objects.filter(service=drop_in).exists()


def test_a_form_sent_without_the_unit_keeps_the_services(
    client: Client, provider: User, drop_in: Service
) -> None:
    capacity = update_capacity(Actor(provider), drop_in, 2, unit="seats")
    sign_in(client, provider)
    answer = client.post(
        f"/services/{drop_in.pk}/capacity/",
        {f"s{drop_in.pk}-version": str(capacity.version), f"s{drop_in.pk}-available": "5"},
    )
    assert answer.status_code == 302
    assert unit_of(drop_in) == "seats"


def test_a_unit_the_directory_gave_is_kept_and_offered(provider: User, drop_in: Service) -> None:
    capacity = update_capacity(Actor(provider), drop_in, 2)
    ServiceCapacity.objects.filter(pk=capacity.pk).update(unit="cots")
    again = update_capacity(Actor(provider), drop_in, 3, unit="cots")
    assert again.unit == "cots"
    with pytest.raises(ActionError) as refused:
        update_capacity(Actor(provider), drop_in, 3, unit="hammocks")
    assert refused.value.errors == {
        "unit": ["must be one of beds, places, appointments, seats, placements, rides"]
    }


def test_the_api_sets_the_unit_and_refuses_one_not_offered(
    provider: User, drop_in: Service, api_client_for: Callable[[User], Client]
) -> None:
    api = api_client_for(provider)
    url = f"/api/v1/services/{drop_in.pk}/capacity"
    answer = api.post(url, {"available": 6, "unit": "seats"}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["unit"] == "seats"
    kept = api.post(url, {"available": 5}, content_type="application/json")
    assert kept.json()["unit"] == "seats"
    refused = api.post(url, {"available": 5, "unit": "bunks"}, content_type="application/json")
    assert refused.status_code == 422
    assert "unit" in str(refused.json())
    assert unit_of(drop_in) == "seats"


@pytest.mark.parametrize(
    ("available", "unit", "maximum", "words"),
    [
        (1, "beds", None, "1 bed free"),
        (3, "beds", None, "3 beds free"),
        (1, "appointments", 12, "1 of 12 appointments free"),
        (0, "places", None, "0 places free"),
        (1, "cots", None, "1 cots free"),
    ],
)
def test_a_figure_reads_in_its_unit(
    available: int, unit: str, maximum: int | None, words: str
) -> None:
    assert free_words(available, unit, maximum) == words
