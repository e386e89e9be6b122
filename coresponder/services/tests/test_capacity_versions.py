"""A provider's capacity is saved over the figure it was typed against, never over a newer one:
two tabs on the inbox, and API callers that send the version they read."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.test import Client

from coresponder.conftest import Clock, sign_in
from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.errors import StaleVersion
from coresponder.programs.models import User
from coresponder.programs.tests.form_checks import assert_errors_described
from coresponder.services.actions import import_directory, update_capacity
from coresponder.services.hsds_export import export_directory
from coresponder.services.models import Service, ServiceCapacity, ServiceOrganization

INBOX = "/services/inbox/"


@pytest.fixture
def shelter(provider: User) -> Service:
    """A service the provider's organisation runs: 2 of 30 beds free."""
    entry = ServiceOrganization.objects.create(
        hsds_id="org-kr", name="Kensington Recovery", partner=provider.organization
    )
    service = Service.objects.create(hsds_id="svc-kr", organization=entry, name="Recovery house")
    update_capacity(Actor(provider), service, 2, 30, unit="beds")
    return service


def form_version(page: str, service: Service) -> str:
    """The version the inbox's capacity form for `service` carries."""
    found = re.search(rf'name="s{service.pk}-version" value="(\d+)"', page)
    assert found, "the capacity form carries no version"
    return found.group(1)


def sent(service: Service, version: str, **numbers: str) -> dict[str, str]:
    field = f"s{service.pk}"
    return {f"{field}-version": version} | {f"{field}-{k}": v for k, v in numbers.items()}


def stored(service: Service) -> tuple[int, int | None]:
    capacity = ServiceCapacity.objects.get(service=service)
    return capacity.available, capacity.maximum


def test_a_second_tab_cannot_save_over_a_newer_figure_and_keeps_what_was_typed(
    client: Client, provider: User, shelter: Service, clock: Clock
) -> None:
    sign_in(client, provider)
    url = f"/services/{shelter.pk}/capacity/"
    # Two tabs, both showing 2 of 30 beds free.
    tab_a = client.get(INBOX).content.decode()
    tab_b = client.get(INBOX).content.decode()
    assert "2 of 30 beds free" in tab_a
    seen = form_version(tab_a, shelter)
    assert form_version(tab_b, shelter) == seen

    clock.advance(minutes=5)
    saved = client.post(url, sent(shelter, seen, available="1"))
    assert saved.status_code == 302
    assert stored(shelter) == (1, 30)

    clock.advance(minutes=1)
    refused = client.post(url, sent(shelter, form_version(tab_b, shelter), available="0"))
    assert refused.status_code == 409
    html = refused.content.decode()
    assert (
        "Changed by someone else — review and retry. The figure now stands at 1 of 30 beds free,"
        " updated Mon 10 Mar, 12:05 UTC. What you typed is kept below" in html
    )
    assert "Recovery house: the capacity was not changed; see below." in html
    assert f'name="s{shelter.pk}-available" value="0"' in html  # as typed, not the stored 1
    assert stored(shelter) == (1, 30)  # tab A's figure stands

    # The form shown again carries the figure it now stands over: saved again, it replaces it.
    again = client.post(url, sent(shelter, form_version(html, shelter), available="0"))
    assert again.status_code == 302
    assert stored(shelter) == (0, 30)


def test_the_same_count_sent_twice_is_saved_once_without_a_conflict(
    client: Client, provider: User, shelter: Service
) -> None:
    sign_in(client, provider)
    url = f"/services/{shelter.pk}/capacity/"
    seen = form_version(client.get(INBOX).content.decode(), shelter)
    assert client.post(url, sent(shelter, seen, available="5")).status_code == 302
    version = ServiceCapacity.objects.get(service=shelter).version
    double_click = client.post(url, sent(shelter, seen, available="5"), follow=True)
    assert double_click.status_code == 200
    assert "Recovery house: capacity updated." in double_click.content.decode()
    assert ServiceCapacity.objects.get(service=shelter).version == version


def test_a_form_without_the_version_shows_the_figure_as_it_stands_and_saves_nothing(
    client: Client, provider: User, shelter: Service
) -> None:
    sign_in(client, provider)
    answer = client.post(
        f"/services/{shelter.pk}/capacity/", {f"s{shelter.pk}-available": "7"}, follow=True
    )
    assert answer.status_code == 409
    html = answer.content.decode()
    assert "This page was out of date — review and retry." in html
    assert "The figure now stands at 2 of 30 beds free" in html
    assert f'name="s{shelter.pk}-available" value="7"' in html
    assert stored(shelter) == (2, 30)


def test_the_first_figure_is_checked_too(client: Client, provider: User, shelter: Service) -> None:
    """A page shown before any figure was reported carries 0: a figure given since wins."""
    ServiceCapacity.objects.filter(service=shelter).delete()
    sign_in(client, provider)
    page = client.get(INBOX).content.decode()
    assert "No capacity reported yet." in page
    assert form_version(page, shelter) == "0"
    update_capacity(Actor(provider), shelter, 4, 10, unit="beds")  # another tab's
    refused = client.post(f"/services/{shelter.pk}/capacity/", sent(shelter, "0", available="9"))
    assert refused.status_code == 409
    assert "The figure now stands at 4 of 10 beds free" in refused.content.decode()
    assert stored(shelter) == (4, 10)


def test_the_api_refuses_a_stale_version_and_without_one_saves_as_before(
    provider: User, shelter: Service, api_client_for: Callable[[User], Client]
) -> None:
    api = api_client_for(provider)
    url = f"/api/v1/services/{shelter.pk}/capacity"
    read = ServiceCapacity.objects.get(service=shelter).version

    first = api.post(url, {"available": 1, "version": read}, content_type="application/json")
    assert first.status_code == 200, first.content
    assert first.json()["available"] == 1
    assert first.json()["version"] == read + 1

    stale = api.post(url, {"available": 0, "version": read}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["your_version"] == read
    assert stored(shelter) == (1, 30)

    # No version: saved whatever changed meanwhile, as before versions were taken.
    blind = api.post(url, {"available": 0}, content_type="application/json")
    assert blind.status_code == 200
    assert blind.json()["version"] == read + 2
    assert stored(shelter) == (0, 30)

    assert (
        api.post(url, {"available": 1, "version": 0}, content_type="application/json").status_code
        == 422
    )
    # The directory gives the version a client sends with its first update.
    listed = api.get(f"/api/v1/services/{shelter.pk}").json()
    assert listed["capacity"]["version"] == read + 2


def test_the_action_checks_the_version_read_and_zero_means_none_was_read(
    provider: User, shelter: Service
) -> None:
    actor = Actor(provider)
    read = ServiceCapacity.objects.get(service=shelter).version
    update_capacity(actor, shelter, 3, version=read)
    for stale in (read, 0):
        with pytest.raises(StaleVersion):
            update_capacity(actor, shelter, 9, version=stale)
    assert stored(shelter) == (3, 30)


def test_a_count_that_cannot_be_saved_names_its_field_for_screen_readers(
    client: Client, provider: User, shelter: Service
) -> None:
    sign_in(client, provider)
    seen = form_version(client.get(INBOX).content.decode(), shelter)
    refused = client.post(
        f"/services/{shelter.pk}/capacity/", sent(shelter, seen, available="-2", maximum="30")
    )
    assert refused.status_code == 422
    assert_errors_described(refused)
    assert f'name="s{shelter.pk}-maximum" value="30"' in refused.content.decode()


def test_a_push_never_dates_the_figure_before_the_one_it_replaces(
    clock: Clock,
    provider: User,
    shelter: Service,
    api_client_for: Callable[[User], Client],
) -> None:
    """A partner's file dated the figure three minutes ahead of this server's clock (within
    the skew a clock may have); the provider's feed pushes a count just after, without a
    version: the count is saved, its time does not go back, and the same file imported
    again does not put the older count back."""
    ahead = clock.now + dt.timedelta(minutes=3)
    data = export_directory()
    capacity = data["services"][0]["capacities"][0]
    capacity["available"], capacity["updated"] = 6, ahead.isoformat()
    import_directory(SYSTEM, data)

    pushed = api_client_for(provider).post(
        f"/api/v1/services/{shelter.pk}/capacity",
        {"available": 1},
        content_type="application/json",
    )

    assert pushed.status_code == 200, pushed.content
    assert stored(shelter) == (1, 30)
    assert ServiceCapacity.objects.get(service=shelter).updated == ahead
    assert import_directory(SYSTEM, data).counts["servicecapacity"] == {"kept": 1}
    assert stored(shelter) == (1, 30)


def test_a_push_over_a_figure_dated_far_in_the_future_is_dated_now(
    clock: Clock, provider: User, shelter: Service
) -> None:
    ServiceCapacity.objects.filter(service=shelter).update(
        updated=dt.datetime(2999, 1, 1, tzinfo=dt.UTC)
    )

    update_capacity(Actor(provider), shelter, 1)

    assert ServiceCapacity.objects.get(service=shelter).updated == clock.now
