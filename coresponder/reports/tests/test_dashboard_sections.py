"""The dashboard's first screen shows the headline; each other section loads from its own address.

PAD (America/New_York), today 20 Oct 2026. September: 7 referrals in district
22, 40 in district 24 and 25 in district 39; in August, 36 in district 24.
Twelve people had a follow-up window open in September; 20 encounters ended in
September, 8 of them in an arrest.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coresponder.conftest import Clock, sign_in
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Pathway, labels_of
from coresponder.encounters.models import Encounter
from coresponder.outreach.models import OutreachTask
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User
from coresponder.reports import disclosure
from coresponder.reports import metrics as m
from coresponder.reports.tests.test_dashboard import refer

NY = ZoneInfo("America/New_York")
URL = "/programs/pad/dashboard/"
PUBLIC = "/public/pad/dashboard/"
SEPTEMBER = {"start": "2026-09-01", "end": "2026-09-30"}
Q3 = {"start": "2026-07-01", "end": "2026-09-30"}
HTMX = {"HX-Request": "true"}
SECTIONS = ("funnel", "breakdown", "monthly", "dispositions")


@pytest.fixture
def world(pad: Program, clock: Clock) -> Program:
    clock.now = dt.datetime(2026, 10, 20, 16, tzinfo=dt.UTC)
    people = [PersonFactory.create() for _ in range(12)]
    refer(pad, people[:3], "22", 7, dt.date(2026, 9, 10))
    refer(pad, people[:3], "24", 40, dt.date(2026, 9, 11))
    refer(pad, people[:3], "39", 25, dt.date(2026, 9, 12))
    refer(pad, people[:3], "24", 36, dt.date(2026, 8, 20))
    opened = dt.datetime(2026, 9, 14, 9, tzinfo=NY)
    for person in people:
        OutreachTask.objects.create(
            program=pad,
            person=person,
            window_start=opened,
            window_end=opened + dt.timedelta(days=3),
        )
    for i, disposition in enumerate(["arrested"] * 8 + ["resolved_on_scene"] * 12):
        Encounter.objects.create(
            program=pad,
            person=people[i % 12],
            occurred_at=dt.datetime(2026, 9, 15, 12, tzinfo=NY),
            kind="crisis_response",
            disposition=disposition,
        )
    return pad


def section(client: Client, name: str, query: dict[str, str], base: str = URL) -> Any:
    return client.get(f"{base}sections/{name}/", query, headers=HTMX)


def test_the_first_screen_has_the_tiles_and_a_placeholder_for_each_section(
    world: Program, coordinator: User
) -> None:
    client = sign_in(Client(), coordinator)
    response = client.get(URL, {**SEPTEMBER, "by": "source", "monthly": "people_engaged"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-metric="referrals">72<' in html
    assert "Follow-up service levels" in html
    for name, what in (
        ("funnel", "the funnel"),
        ("breakdown", "the breakdown and the map"),
        ("monthly", "the figures month by month"),
        ("dispositions", "the dispositions"),
    ):
        url = (
            f"{URL}sections/{name}/?start=2026-09-01&amp;end=2026-09-30"
            "&amp;by=source&amp;monthly=people_engaged"
        )
        assert f'hx-get="{url}" hx-trigger="load" hx-swap="outerHTML"' in html, name
        # Without a script, the placeholder is a plain link to the section's page.
        assert f'<a class="usa-link" href="{url}">Show {what}</a>' in html, name
        assert f"Loading {what}…" in html
    assert html.count('aria-busy="true"') == 4
    assert html.count('<p role="status">') == 4
    # None of the sections' figures is on the first screen.
    for absent in ('id="breakdown-table"', 'id="dispositions-table"', "data-step=", "<svg"):
        assert absent not in html


def test_each_section_shows_the_figures_the_metrics_give(world: Program, coordinator: User) -> None:
    client = sign_in(Client(), coordinator)
    period = m.Period(dt.date(2026, 9, 1), dt.date(2026, 9, 30))

    funnel = section(client, "funnel", SEPTEMBER)
    assert funnel.status_code == 200
    # September is not a whole quarter: the stages from treatment on are not given.
    expected_funnel = [
        (key, None if key in disclosure.TREATMENT_STAGES else n)
        for key, _, n in m.funnel(world, period)
    ]
    assert [(row["key"], row["value"]) for row in funnel.context["funnel"]] == expected_funnel
    assert expected_funnel[0][1] == 12  # everyone whose window opened in September
    assert 'data-step="notified">12</td>' in funnel.content.decode()

    breakdown = section(client, "breakdown", {**SEPTEMBER, "by": "district"})
    expected_rows = {
        row["key"]: row["referrals"] for row in m.metric_breakdown(world, period, "district")
    }
    shown = {row["key"]: row["referrals"] for row in breakdown.context["breakdown_rows"]}
    assert shown == expected_rows and (shown["22"], shown["24"], shown["39"]) == (7, 40, 25)
    assert breakdown.context["breakdown_total"]["referrals"] == 72
    texts = {s["shape"].code: s["text"] for s in breakdown.context["map"]["shapes"]}
    assert (texts["22"], texts["24"], texts["39"]) == ("7", "40", "25")

    monthly = section(client, "monthly", {**SEPTEMBER, "monthly": "referrals"})
    series = m.monthly_series(world, period, "referrals")
    before = m.monthly_series(world, period.previous(), "referrals")
    columns = monthly.context["monthly_chart"].columns
    assert [c.value for c in columns] == [value for _, value in series] == [72]
    assert [c.previous for c in columns] == [value for _, value in before]

    dispositions = section(client, "dispositions", SEPTEMBER)
    counted = m.compute_metrics(world, period).as_api()["dispositions"]
    rows = {row["code"]: row["encounters"] for row in dispositions.context["dispositions"]}
    assert {code: n for code, n in rows.items() if n} == {k: v for k, v in counted.items() if v}
    assert rows["arrested"] == 8 and rows["resolved_on_scene"] == 12
    total = dispositions.context["dispositions_total"]
    assert (total["encounters"], total["avoided"]) == (20, 12)


def test_a_section_is_gated_like_the_page(
    world: Program, outsider: User, coordinator: User
) -> None:
    client = sign_in(Client(), outsider)
    for name in SECTIONS:
        assert section(client, name, SEPTEMBER).status_code == 404
        assert Client().get(f"{URL}sections/{name}/").status_code == 302  # to sign in
    member = sign_in(Client(), coordinator)
    assert section(member, "everything", SEPTEMBER).status_code == 404


def test_a_suppressed_role_gets_suppressed_sections_for_whole_quarters_only(
    world: Program, analyst: User
) -> None:
    client = sign_in(Client(), analyst)
    page = client.get(URL, Q3)
    breakdown = section(client, "breakdown", Q3)
    assert breakdown.status_code == 200
    assert breakdown.context["suppress"] is True and page.context["suppress"] is True
    shown = {row["key"]: row["referrals"] for row in breakdown.context["breakdown_rows"]}
    assert shown["22"] is None and shown["39"] is None  # 7, and its complement
    assert (shown["24"], breakdown.context["breakdown_total"]["referrals"]) == (76, 108)
    dispositions = section(client, "dispositions", Q3)
    rows = {row["code"]: row["encounters"] for row in dispositions.context["dispositions"]}
    assert rows["arrested"] is None  # 8
    # The same period rules as the page: one whole, finished quarter, or a 422.
    month = client.get(f"{URL}sections/breakdown/", SEPTEMBER)
    assert month.status_code == 422 == client.get(URL, SEPTEMBER).status_code
    assert "De-identified figures cover one whole calendar quarter" in month.content.decode()
    assert month.context["period"].start == dt.date(2026, 7, 1)


def test_bad_dates_on_a_section_are_refused_as_on_the_page(
    world: Program, coordinator: User
) -> None:
    client = sign_in(Client(), coordinator)
    backwards = client.get(f"{URL}sections/funnel/", {"start": "2026-09-30", "end": "2026-09-01"})
    assert backwards.status_code == 422
    assert "The start date must not be after the end date." in backwards.content.decode()
    too_long = section(client, "monthly", {"start": "2016-01-01", "end": "2026-09-30"})
    assert too_long.status_code == 422


def test_a_section_without_a_script_is_a_page_of_its_own(world: Program, coordinator: User) -> None:
    client = sign_in(Client(), coordinator)
    fragment = section(client, "funnel", SEPTEMBER)
    alone = client.get(f"{URL}sections/funnel/", SEPTEMBER)
    assert fragment.status_code == alone.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert fragment.content.decode().lstrip().startswith('<section id="dashboard-funnel"')
    page = alone.content.decode()
    assert "<html" in page and "<h1" in page and 'data-step="notified">12</td>' in page
    back = f'href="{URL}?start=2026-09-01&amp;end=2026-09-30&amp;by=district&amp;monthly=referrals"'
    assert back in page
    assert "HX-Request" in alone["Vary"]


def test_each_section_records_its_own_read(world: Program, coordinator: User) -> None:
    client = sign_in(Client(), coordinator)
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    client.get(URL, SEPTEMBER)
    for name in SECTIONS:
        section(client, name, SEPTEMBER)
    events = list(
        AuditEvent.objects.filter(id__gt=since, object_type="reports.dashboard").order_by("id")
    )
    assert [e.detail.get("section") for e in events] == [None, *SECTIONS]
    for event in events:
        assert (event.actor, event.action, event.fields) == (coordinator, "read", ["aggregate"])
        assert event.detail["start"] == "2026-09-01" and event.detail["suppressed"] is False


def test_the_public_sections_read_in_spanish_and_follow_the_preset(world: Program) -> None:
    client = Client()
    page = client.get(PUBLIC, {"lang": "es", "by": "pathway"})
    assert f"{PUBLIC}sections/breakdown/?lang=es&amp;by=pathway&amp;monthly=referrals" in (
        page.content.decode()
    )
    breakdown = section(client, "breakdown", {"lang": "es", "by": "pathway"}, base=PUBLIC)
    assert breakdown.status_code == 200
    assert breakdown.context["suppress"] is True
    assert breakdown.context["period"].start == dt.date(2026, 7, 1)
    text = html_lib.unescape(breakdown.content.decode())
    spanish = labels_of("pathway", "es")[Pathway.OFFICER_INTERVENTION]
    assert spanish in text and labels_of("pathway")[Pathway.OFFICER_INTERVENTION] not in text
    assert '<input type="hidden" name="lang" value="es">' in text
    event = AuditEvent.objects.filter(object_type="reports.dashboard").latest("id")
    assert (event.actor_label, event.detail["section"]) == ("public dashboard", "breakdown")
    for name in SECTIONS:
        assert section(client, name, {}, base=PUBLIC).status_code == 200

    world.preset = {**world.preset, "public_dashboard": False}
    world.save(update_fields=["preset"])
    for name in SECTIONS:
        assert section(client, name, {"lang": "es"}, base=PUBLIC).status_code == 404
    assert client.get("/public/nowhere/dashboard/sections/funnel/").status_code == 404


def test_the_first_screen_does_not_compute_the_sections(
    world: Program, coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = sign_in(Client(), coordinator)
    client.get(URL, SEPTEMBER)
    with CaptureQueriesContext(connection) as first_screen:
        assert client.get(URL, SEPTEMBER).status_code == 200
    with CaptureQueriesContext(connection) as funnel:
        section(client, "funnel", SEPTEMBER)
    funnel_only = {q["sql"] for q in funnel.captured_queries} - {
        q["sql"] for q in first_screen.captured_queries
    }
    assert any("window_start" in sql for sql in funnel_only)  # the funnel's own cohort
    with CaptureQueriesContext(connection) as breakdown:
        section(client, "breakdown", SEPTEMBER)
    assert len(first_screen.captured_queries) < len(breakdown.captured_queries) + len(
        funnel.captured_queries
    )

    def not_on_the_first_screen(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the first screen computed a section")

    for name in ("funnel", "metric_breakdown", "monthly_series"):
        monkeypatch.setattr(m, name, not_on_the_first_screen)
    assert client.get(URL, SEPTEMBER).status_code == 200
    assert Client().get(PUBLIC).status_code == 200
