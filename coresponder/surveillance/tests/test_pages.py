"""The spike pages, the button, the dashboard card and the API, as each role sees them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from coresponder.core.audit import SYSTEM
from coresponder.outreach.models import Notice
from coresponder.programs.models import Program, User
from coresponder.surveillance.actions import detect_spikes, message_for
from coresponder.surveillance.models import SpikeAlert
from coresponder.surveillance.tests.conftest import NOW, TODAY, AddOverdoses

pytestmark = pytest.mark.django_db

TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """The pages' clock stands at NOW: Thursday afternoon in Philadelphia."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return NOW


@pytest.fixture
def spiking(
    quiet_fortnight: Program, add_overdoses: AddOverdoses, coordinator: User, frozen: dt.datetime
) -> Program:
    """PAD with six overdoses in the 24th District this morning, checked."""
    add_overdoses(quiet_fortnight, TODAY, 6, "24")
    detect_spikes(SYSTEM, quiet_fortnight, TODAY, NOW)
    return quiet_fortnight


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("reader", ["coordinator", "officer", "clinician", "analyst", "admin"])
def test_readers_see_the_alerts_and_the_map(
    spiking: Program, reader: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(reader)
    response = signed_in(user).get(reverse("spike-alerts", args=["pad"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "24th District" in page and "Next to a spike" in page
    assert "EARS C2 (7 days, 2-day guard band)" in page
    assert "One square per district" in page
    shown_button = "Check for spikes now" in page
    assert shown_button == (reader in {"coordinator", "admin"})


@pytest.mark.parametrize("reader", ["prosecutor", "provider", "outsider"])
def test_others_get_the_missing_page(
    spiking: Program, reader: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(reader)
    assert signed_in(user).get(reverse("spike-alerts", args=["pad"])).status_code == 404


def test_a_bad_day_is_said_plainly(spiking: Program, coordinator: User) -> None:
    response = signed_in(coordinator).get(reverse("spike-alerts", args=["pad"]) + "?day=soon")
    assert response.status_code == 422
    assert "Enter a date like 2026-12-03." in response.content.decode()


def test_another_day_shows_its_own_map(spiking: Program, coordinator: User) -> None:
    day = (TODAY - dt.timedelta(days=3)).isoformat()
    response = signed_in(coordinator).get(reverse("spike-alerts", args=["pad"]) + f"?day={day}")
    assert response.status_code == 200
    assert "No spike on this day." in response.content.decode()


def test_the_button_checks_once_per_form(
    quiet_fortnight: Program,
    add_overdoses: AddOverdoses,
    coordinator: User,
    officer: User,
    frozen: dt.datetime,
) -> None:
    add_overdoses(quiet_fortnight, TODAY, 6, "24")
    client = signed_in(coordinator)
    url = reverse("spike-check", args=["pad"])
    first = client.post(url, {"form_token": TOKEN}, follow=True)
    assert first.status_code == 200
    assert "Checked: 2 new spike alerts." in first.content.decode()
    again = client.post(url, {"form_token": TOKEN}, follow=True)
    assert "This was already saved" in again.content.decode()
    assert SpikeAlert.objects.count() == 2
    assert signed_in(officer).post(url, {"form_token": TOKEN[::-1]}).status_code == 404
    assert client.get(url).status_code == 405


def test_the_dashboard_shows_todays_spikes_to_readers_only(
    spiking: Program, coordinator: User, prosecutor: User
) -> None:
    url = reverse("program-dashboard", args=["pad"])
    page = signed_in(coordinator).get(url).content.decode()
    assert "Overdose spikes today" in page and "24th District" in page
    assert reverse("spike-alerts", args=["pad"]) in page
    response = signed_in(prosecutor).get(url)
    assert "Overdose spikes today" not in response.content.decode()


def test_the_notices_page_shows_the_spike(spiking: Program, coordinator: User) -> None:
    page = signed_in(coordinator).get(reverse("notices")).content.decode()
    assert "overdose spike in 24th District" in page
    assert Notice.objects.filter(recipient=coordinator, kind="spike_alert").count() == 2


def test_the_api_lists_alerts(
    spiking: Program,
    coordinator: User,
    prosecutor: User,
    api_client_for: Callable[[User], Client],
) -> None:
    url = "/api/v1/programs/pad/spike-alerts"
    body = api_client_for(coordinator).get(url).json()
    assert body["count"] == 2
    first = body["items"][0]
    assert first["area_name"] == "24th District" and first["area_kind"] == "district"
    assert first["method"] == "c2" and first["observed"] == 6
    assert first["day"] == TODAY.isoformat()
    assert first["created_at"].endswith("+00:00") or first["created_at"].endswith("Z")
    assert set(first) >= {"upper_bound", "expected", "method_label", "area_code", "program"}
    assert first["counts_withheld"] is False and first["upper_bound"] is not None
    assert api_client_for(prosecutor).get(url).status_code == 404
    earlier = api_client_for(coordinator).get(url + "?end=2026-11-01").json()
    assert earlier == {"items": [], "count": 0}
    bad = api_client_for(coordinator).get(url + "?start=2026-12-03&end=2026-12-01")
    assert bad.status_code == 422 and "start" in bad.json()["errors"]


def test_an_analyst_learns_where_and_when_but_not_how_many(
    spiking: Program, analyst: User, api_client_for: Callable[[User], Client]
) -> None:
    # De-identified figures are whole quarters with 1 to 10 hidden; a day's count is neither.
    client = signed_in(analyst)
    page = client.get(reverse("spike-alerts", args=["pad"])).content.decode()
    assert "24th District" in page and "more overdoses than expected" in page
    assert "not how many overdoses" in page
    assert "6 overdoses" not in page and "expected at most" not in page
    assert "Held to" not in page and '<th scope="col">Overdoses</th>' not in page
    card = client.get(reverse("program-dashboard", args=["pad"])).content.decode()
    assert "Overdose spikes today" in card and "6 overdoses" not in card
    items = api_client_for(analyst).get("/api/v1/programs/pad/spike-alerts").json()["items"]
    assert items and all(item["counts_withheld"] for item in items)
    assert {(i["observed"], i["upper_bound"], i["expected"]) for i in items} == {(None,) * 3}
    assert items[0]["area_name"] == "24th District" and items[0]["method"] == "c2"


def test_roles_that_see_the_program_read_the_counts(spiking: Program, officer: User) -> None:
    page = signed_in(officer).get(reverse("spike-alerts", args=["pad"])).content.decode()
    assert "6 overdoses" in page and "expected at most" in page


def test_alerts_without_counts_come_by_area_not_by_size(
    spiking: Program, analyst: User, coordinator: User, api_client_for: Callable[[User], Client]
) -> None:
    """Ranked by count, an analyst's list would tell which area had more overdoses."""
    for code, name, observed in (("A", "Alpha", 9), ("Z", "Zulu", 30)):
        SpikeAlert.objects.create(
            program=spiking,
            area_kind="district",
            area_code=code,
            area_name=name,
            day=TODAY,
            method="c2",
            observed=observed,
            upper_bound=2.0,
            created_at=NOW,
        )
    path = "/api/v1/programs/pad/spike-alerts"
    by_name = [i["area_name"] for i in api_client_for(analyst).get(path).json()["items"]]
    assert by_name == sorted(by_name) and by_name[-1] == "Zulu"
    by_size = [i["area_name"] for i in api_client_for(coordinator).get(path).json()["items"]]
    assert by_size[0] == "Zulu"  # 30, the biggest, first for those who read the counts
    page = signed_in(analyst).get(reverse("spike-alerts", args=["pad"])).context
    assert [a.area_name for a in page["day_alerts"]] == sorted(by_name)


def test_a_bound_just_under_the_count_reads_under_it_on_the_page_and_in_the_notice(
    spiking: Program, coordinator: User
) -> None:
    alert = SpikeAlert.objects.create(
        program=spiking,
        area_kind="district",
        area_code="B",
        area_name="Bravo",
        day=TODAY,
        method="c2",
        observed=3,
        upper_bound=2.99,
        created_at=NOW,
    )
    page = signed_in(coordinator).get(reverse("spike-alerts", args=["pad"])).content.decode()
    assert "Bravo</strong> (district): 3 overdoses, expected at most 2.9." in page
    assert "above the expected upper bound of 2.9 " in message_for(alert)
