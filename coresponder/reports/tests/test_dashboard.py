"""The program dashboard: exact for coordinators, suppressed for analysts and the public.

PAD (America/New_York), today 20 Oct 2026. September: 7 referrals in district
22, 40 in district 24 and 25 in district 39 (72 in all); the 30 days before it
(2–31 Aug): 36 in district 24.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coresponder.conftest import Clock, member_of, sign_in
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Referral
from coresponder.people.models import Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import District, Program, User

NY = ZoneInfo("America/New_York")
URL = "/programs/pad/dashboard/"
SEPTEMBER = {"start": "2026-09-01", "end": "2026-09-30"}
Q3 = {"start": "2026-07-01", "end": "2026-09-30"}


def refer(program: Program, people: list[Person], district: str, count: int, day: dt.date) -> None:
    where = District.objects.get(program=program, code=district)
    for i in range(count):
        Referral.objects.create(
            program=program,
            person=people[i % len(people)],
            received_at=dt.datetime.combine(day, dt.time(12), tzinfo=NY),
            pathway="officer_intervention",
            district=where,
        )


@pytest.fixture
def world(pad: Program, clock: Clock) -> Program:
    clock.now = dt.datetime(2026, 10, 20, 16, tzinfo=dt.UTC)
    people = [PersonFactory.create() for _ in range(3)]
    refer(pad, people, "22", 7, dt.date(2026, 9, 10))
    refer(pad, people, "24", 40, dt.date(2026, 9, 11))
    refer(pad, people, "39", 25, dt.date(2026, 9, 12))
    refer(pad, people, "24", 36, dt.date(2026, 8, 20))
    return pad


def section(
    client: Client, name: str, params: dict[str, str] | None = None, base: str = URL
) -> Any:
    """One section of the dashboard, as the page's script asks for it."""
    return client.get(f"{base}sections/{name}/", params or {}, headers={"HX-Request": "true"})


def referrals_by_district(response: Any) -> dict[str, Any]:
    rows = response.context["breakdown_rows"]
    shown = {row["key"]: row["referrals"] for row in rows}
    shown["total"] = response.context["breakdown_total"]["referrals"]
    return shown


def counts_in(html: str) -> list[int]:
    """Every whole number the page shows in a table cell or a figure tile."""
    found = re.findall(r"<td[^>]*>\s*([\d,]+)\s*</td>", html)
    found += re.findall(r'class="cr-figure[^"]*"[^>]*>\s*([\d,]+)\s*<', html)
    return [int(n.replace(",", "")) for n in found]


def test_a_coordinator_sees_exact_numbers_and_the_change_from_the_period_before(
    world: Program, coordinator: User
) -> None:
    client = sign_in(Client(), coordinator)
    response = client.get(URL, SEPTEMBER)
    assert response.status_code == 200
    assert response.context["suppress"] is False
    by_district = section(client, "breakdown", SEPTEMBER)
    assert by_district.status_code == 200
    shown = referrals_by_district(by_district)
    assert (shown["22"], shown["24"], shown["39"], shown["total"]) == (7, 40, 25, 72)
    referrals = next(t for t in response.context["tiles"] if t["key"] == "referrals")
    assert (referrals["text"], referrals["previous_text"]) == ("72", "36")
    assert referrals["change_text"] == "+100%"
    # The preset names the tiles: PAD's own labels, and no overdose tile.
    labels = [t["label"] for t in response.context["tiles"]]
    assert "Referred to services" in labels and "Engaged" in labels
    assert not any("overdose" in label.lower() for label in labels)
    assert 'data-column="referrals">7</td>' in by_district.content.decode()
    event = AuditEvent.objects.filter(object_type="reports.dashboard").latest("id")
    assert (event.actor, event.fields, event.program_slug) == (coordinator, ["aggregate"], "pad")


def test_an_analyst_sees_the_cell_of_seven_and_its_complement_hidden(
    world: Program, analyst: User
) -> None:
    client = sign_in(Client(), analyst)
    response = client.get(URL, Q3)
    assert response.status_code == 200
    assert response.context["suppress"] is True
    by_district = section(client, "breakdown", Q3)
    assert by_district.context["suppress"] is True
    shown = referrals_by_district(by_district)
    assert shown["22"] is None  # 7: primary suppression
    assert shown["39"] is None  # 25: the next-smallest cell, so 108 − 76 cannot give the 7
    assert (shown["24"], shown["total"]) == (76, 108)
    # What is shown is consistent: the hidden cells hold exactly what the total leaves.
    assert shown["total"] - sum(v for v in shown.values() if v is not None and v != 108) == 32
    html = by_district.content.decode()
    assert "Suppressed" in html
    assert not [n for n in counts_in(html + response.content.decode()) if 1 <= n <= 10]
    # Every column of the table has zero or at least two hidden cells.
    for column in by_district.context["breakdown_columns"]:
        hidden = [r for r in by_district.context["breakdown_rows"] if r[column["key"]] is None]
        assert len(hidden) != 1


def test_the_public_dashboard_needs_no_sign_in_and_shows_no_count_from_one_to_ten(
    world: Program,
) -> None:
    response = Client().get("/public/pad/dashboard/")
    assert response.status_code == 200
    assert response.context["period"].start == dt.date(2026, 7, 1)
    assert response.context["period"].end == dt.date(2026, 9, 30)
    html = response.content.decode()
    by_district = section(Client(), "breakdown", base="/public/pad/dashboard/")
    assert by_district.status_code == 200
    assert not [n for n in counts_in(html + by_district.content.decode()) if 1 <= n <= 10]
    shown = referrals_by_district(by_district)
    assert shown["22"] is None and shown["39"] is None and shown["24"] == 76
    assert 'name="start"' not in html  # the public sees the last full quarter only
    assert AuditEvent.objects.filter(
        object_type="reports.dashboard", actor_label="public dashboard"
    ).exists()
    assert Client().get("/public/nowhere/dashboard/").status_code == 404


def test_a_program_whose_preset_does_not_publish_has_no_public_dashboard(
    world: Program,
) -> None:
    world.preset = {**world.preset, "public_dashboard": False}
    world.save(update_fields=["preset"])
    assert Client().get(f"/public/{world.slug}/dashboard/").status_code == 404


def test_an_invalid_date_range_is_refused_with_a_message(world: Program, coordinator: User) -> None:
    client = sign_in(Client(), coordinator)
    backwards = client.get(URL, {"start": "2026-09-30", "end": "2026-09-01"})
    assert backwards.status_code == 422
    assert "The start date must not be after the end date." in backwards.content.decode()
    no_such_day = client.get(URL, {"start": "2026-02-30", "end": "2026-03-10"})
    assert no_such_day.status_code == 422
    assert "The start date must be a date like" in no_such_day.content.decode()
    assert "must not be after the end date" not in no_such_day.content.decode()
    garbled = client.get(URL, {"start": "yesterday"})
    assert garbled.status_code == 422
    assert "The start date must be a date like" in garbled.content.decode()
    # Days to come have no figures: a period ending after today is refused, not compared.
    ahead = dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=400)
    future = client.get(URL, {"start": "2026-09-01", "end": ahead.isoformat()})
    assert future.status_code == 422
    assert "The end date is after today" in future.content.decode()


def test_outsiders_get_404(world: Program, outsider: User) -> None:
    client = sign_in(Client(), outsider)
    assert client.get(URL).status_code == 404
    assert Client().get(URL).status_code == 302  # to sign in


@pytest.mark.parametrize(
    "by", ["district", "source", "pathway", "race", "ethnicity", "sex", "age_band"]
)
def test_every_breakdown_renders_with_a_table_and_a_chart(
    world: Program, coordinator: User, by: str
) -> None:
    client = sign_in(Client(), coordinator)
    response = section(client, "breakdown", {**SEPTEMBER, "by": by})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="breakdown-table"' in html and 'aria-labelledby="breakdown-chart-title' in html


def test_the_page_has_no_inline_style_or_script(world: Program, coordinator: User) -> None:
    client = sign_in(Client(), coordinator)
    pages = [client.get(URL, SEPTEMBER).content.decode()]
    for name in ("funnel", "breakdown", "monthly"):
        pages.append(section(client, name, SEPTEMBER).content.decode())
        pages.append(client.get(f"{URL}sections/{name}/", SEPTEMBER).content.decode())
    for html in pages:
        assert " style=" not in html and "<style" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        # Headings go in order: one h1, then h2 sections (a section alone starts at h2).
        levels = [int(n) for n in re.findall(r"<h([1-6])", html)]
        assert levels[0] in (1, 2)
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    charts = "".join(pages[1:])
    assert "<svg viewBox" in charts and 'role="img"' in charts and "<desc" in charts


def test_the_number_of_queries_does_not_grow_with_the_records(
    world: Program, coordinator: User
) -> None:
    client = sign_in(Client(), coordinator)

    def reads() -> list[str]:
        """The queries of the page and its sections, less the audit trail's own writes."""
        with CaptureQueriesContext(connection) as captured:
            client.get(URL, SEPTEMBER)
            for name in ("funnel", "breakdown", "monthly"):
                section(client, name, SEPTEMBER)
        return [q["sql"] for q in captured.captured_queries if "privacy_audit" not in q["sql"]]

    reads()
    before = reads()
    assert len(before) <= 150
    people = [PersonFactory.create() for _ in range(5)]
    refer(world, people, "22", 30, dt.date(2026, 9, 15))
    refer(world, people, "39", 30, dt.date(2026, 8, 15))
    assert len(reads()) <= len(before)


def test_members_find_the_dashboard_from_the_program_home(world: Program, analyst: User) -> None:
    client = sign_in(Client(), analyst)
    assert URL in client.get("/programs/pad/").content.decode()


def test_core_shows_jail_and_er_avoided_and_an_analyst_cannot_work_out_the_arrests(
    programs: dict[str, Program], clock: Clock
) -> None:
    clock.now = dt.datetime(2026, 10, 20, 16, tzinfo=dt.UTC)
    core = programs["core"]
    person = PersonFactory.create()
    for disposition, count in (("arrested", 7), ("refused", 30), ("resolved_on_scene", 12)):
        for _ in range(count):
            Encounter.objects.create(
                program=core,
                person=person,
                occurred_at=dt.datetime(2026, 9, 5, 12, tzinfo=ZoneInfo(core.timezone)),
                kind="crisis_response",
                disposition=disposition,
            )
    coordinator = member_of(core, Role.COORDINATOR, "core-coordinator")
    exact = sign_in(Client(), coordinator).get("/programs/core/dashboard/", SEPTEMBER)
    avoided = next(t for t in exact.context["tiles"] if t["key"] == "jail_er_avoided")
    assert avoided["text"] == "42"  # 49 encounters, less the 7 arrests
    # CORE's preset names the figure in its own words.
    assert avoided["label"] == "Dispositions (jail and ER avoided)"
    assert "neither “arrested” nor “transported to hospital”" in exact.content.decode()

    analyst = member_of(core, Role.ANALYST, "core-analyst")
    analyst_client = sign_in(Client(), analyst)
    hidden = analyst_client.get("/programs/core/dashboard/", Q3)
    table = section(analyst_client, "dispositions", Q3, base="/programs/core/dashboard/")
    rows = {row["code"]: row["encounters"] for row in table.context["dispositions"]}
    total = table.context["dispositions_total"]
    assert rows["arrested"] is None and rows["resolved_on_scene"] is None
    assert rows["refused"] == 30 and total["encounters"] == 49
    # 49 − 42 would give the 7 arrests away, so "avoided" is hidden too.
    assert total["avoided"] is None
    tile = next(t for t in hidden.context["tiles"] if t["key"] == "jail_er_avoided")
    assert tile["text"] == "Suppressed"


def test_an_analyst_gets_one_whole_finished_quarter_and_422_for_anything_else(
    world: Program, analyst: User
) -> None:
    client = sign_in(Client(), analyst)
    default = client.get(URL)
    assert default.status_code == 200
    assert (default.context["period"].start, default.context["period"].end) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
    )
    assert default.context["previous"].start == dt.date(2026, 4, 1)
    month = client.get(URL, SEPTEMBER)
    assert month.status_code == 422
    html = month.content.decode()
    assert "Start date: De-identified figures cover one whole calendar quarter" in html
    assert month.context["period"].start == dt.date(2026, 7, 1)  # shown instead
    running = client.get(URL, {"start": "2026-10-01", "end": "2026-12-31"})
    assert running.status_code == 422
    assert "finished quarters only" in running.content.decode()
    quick = [label for label, _ in default.context["quick_ranges"]]
    assert quick == ["Q3 2026", "Q2 2026", "Q1 2026", "Q4 2025"]


def test_a_change_is_told_in_words_that_fit_the_figure() -> None:
    from coresponder.reports.views import change_text

    assert change_text("referrals", 15, 10) == "+50%"
    assert change_text("referrals", 3, 0) == "up from none"
    assert change_text("referrals", 4, 4) == "no change"
    assert change_text("follow_up_within_window_rate", 0.75, 0.5) == "+25 points"
    assert change_text("median_hours_to_first_contact", 20.0, 26.5) == "-6.5 h"
    assert change_text("referrals", None, 4) == "no comparison"
    # A move too small to show is no change, as the figures read (82% and 82%).
    assert change_text("follow_up_within_window_rate", 0.8198, 0.8240) == "no change"
    assert change_text("median_hours_to_first_contact", 42.12, 42.08) == "no change"


def test_a_tile_whose_figure_reads_the_same_is_neither_better_nor_worse(
    pco: Program,
) -> None:
    from coresponder.reports.views import headline_tiles

    rate = "follow_up_within_window_rate"
    now = {rate: 0.8198, "referrals": 40}
    before = {rate: 0.8240, "referrals": 40}
    tiles = {t["key"]: t for t in headline_tiles(pco, now, before, (None, None))}
    assert tiles[rate]["text"] == tiles[rate]["previous_text"] == "82%"
    assert tiles[rate]["good"] is None and tiles[rate]["change_text"] == "no change"
