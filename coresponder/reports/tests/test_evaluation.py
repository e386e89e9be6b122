"""The evaluation page: an interrupted time series of a program's overdoses or arrests.

PAD (America/New_York), today 20 Oct 2026. Overdoses every month from October
2024 to September 2026 (24 whole months): 40 a month, give or take 2, until the
program's first referral on 1 Oct 2025; 25 a month, give or take 2, after it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from coresponder.conftest import Clock, sign_in
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Disposition
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Overdose, Referral
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User
from coresponder.reports import evaluation as ev
from coresponder.reports.actions import build_metric_days

NY = ZoneInfo("America/New_York")
URL = "/programs/pad/evaluation/"
API = "/api/v1/programs/pad/evaluation"
FIRST_MONTH = dt.date(2024, 10, 1)
PROGRAM_START = dt.date(2025, 10, 1)


def months(first: dt.date, count: int) -> list[dt.date]:
    found = [first]
    while len(found) < count:
        found.append(ev.next_month(found[-1]))
    return found


def monthly_overdoses(i: int, month: dt.date) -> int:
    wobble = 2 if i % 2 else -2
    return (40 if month < PROGRAM_START else 25) + wobble


@pytest.fixture
def world(pad: Program, clock: Clock) -> Program:
    clock.now = dt.datetime(2026, 10, 20, 16, tzinfo=dt.UTC)
    rows = []
    for i, month in enumerate(months(FIRST_MONTH, 24)):
        for k in range(monthly_overdoses(i, month)):
            day = month + dt.timedelta(days=k % 27)
            at = dt.datetime.combine(day, dt.time(12), tzinfo=NY)
            rows.append(Overdose(program=pad, occurred_at=at, fatal=k == 0))
    Overdose.objects.bulk_create(rows)
    Referral.objects.create(
        program=pad,
        person=PersonFactory.create(),
        received_at=dt.datetime.combine(PROGRAM_START, dt.time(9), tzinfo=NY),
        pathway="self_referral",
    )
    return pad


def test_a_coordinator_sees_the_drop_since_the_first_referral(
    client: Client, world: Program, coordinator: User
) -> None:
    sign_in(client, coordinator)
    response = client.get(URL)
    assert response.status_code == 200
    result = response.context["result"]
    assert result.start == PROGRAM_START and result.unit == "month"
    assert (result.fit.before, result.fit.after) == (12, 12)
    assert [p.value for p in result.points] == [
        monthly_overdoses(i, m) for i, m in enumerate(months(FIRST_MONTH, 24))
    ]
    change = result.fit.average_change
    assert change.high < 0 and change.significant
    html = response.content.decode()
    assert "In the 12 months after the program began, overdoses averaged " in html
    assert "a month fewer than the trend before predicted (95% CI" in html
    assert 'stroke-dasharray="6 4"' in html  # the counterfactual, dashed
    assert "Level change" in html and "Slope change" in html
    # The scale's top may be the trend's line, above every count: it is named as the scale.
    assert "Top of the scale: " in html and "Highest:" not in html
    event = AuditEvent.objects.filter(object_type="reports.evaluation").get()
    assert (event.action, event.program_slug, event.person_id) == ("read", "pad", None)
    assert event.detail["start"] == "2025-10-01" and event.detail["outcome"] == "overdoses"


def test_a_start_inside_a_month_leaves_that_month_out(
    client: Client, world: Program, coordinator: User
) -> None:
    sign_in(client, coordinator)
    response = client.get(URL, {"start": "2025-09-15"})
    result = response.context["result"]
    assert result.transition.startswith("Sep 2025, the month the start date falls in")
    assert (result.fit.before, result.fit.after) == (11, 12)
    assert "Sep 2025" not in [p.label for p in result.points]


def test_the_counts_table_still_shows_the_month_left_out_marked_so(
    client: Client, world: Program, coordinator: User, api_client_for: Callable[[User], Client]
) -> None:
    sign_in(client, coordinator)
    html = client.get(URL, {"start": "2025-09-15"}).content.decode()
    table = html.split('id="table-heading"', 1)[1]
    september = monthly_overdoses(11, dt.date(2025, 9, 1))

    rows = re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>', table)

    assert len(rows) == 24
    assert rows[11] == (
        'Sep 2025 <span class="text-base">(left out of the fit: partly before the start, '
        "partly after)</span>",
        str(september),
    )
    assert rows[10][0] == "Aug 2025" and rows[12][0] == "Oct 2025"
    body = api_client_for(coordinator).get(API, {"start": "2025-09-15"}).json()
    assert body["left_out"] == {"period": "2025-09-01", "label": "Sep 2025", "value": september}
    assert "2025-09-01" not in [p["period"] for p in body["points"]]
    whole_month = api_client_for(coordinator).get(API, {"start": "2025-10-01"}).json()
    assert whole_month["left_out"] is None


def test_too_few_months_before_are_refused_with_the_numbers(
    client: Client, world: Program, coordinator: User
) -> None:
    sign_in(client, coordinator)
    response = client.get(URL, {"start": "2025-03-01"})
    assert response.status_code == 200
    assert response.context["result"].fit is None
    assert "at least 8 months before the start and 8 after it; this one has 5 before" in (
        response.content.decode()
    )
    # October 2024 to September 2026: a start from June 2025 leaves 8 whole months before.
    assert (
        "Starts these records can evaluate: the first day of a month from 2025-06-01 to "
        "2026-02-01." in response.content.decode()
    )


def test_a_bad_start_or_outcome_is_named_and_the_default_shown(
    client: Client, world: Program, coordinator: User
) -> None:
    sign_in(client, coordinator)
    response = client.get(URL, {"start": "March", "outcome": "burglaries"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "The start date must be a date like 2025-03-01." in html
    assert "Choose overdoses, non-fatal overdoses or arrests." in html
    assert response.context["result"].start == PROGRAM_START


def test_arrests_are_offered_only_where_the_records_hold_them(
    client: Client, world: Program, coordinator: User
) -> None:
    sign_in(client, coordinator)
    response = client.get(URL)
    assert response.context["outcomes"] == [
        ("overdoses", "Overdoses"),
        ("nonfatal_overdoses", "Non-fatal overdoses"),
    ]
    assert "records hold no arrests, so that outcome is not offered" in response.content.decode()
    Encounter.objects.create(
        program=world,
        person=PersonFactory.create(),
        occurred_at=dt.datetime(2026, 2, 3, 12, tzinfo=NY),
        disposition=Disposition.ARRESTED,
    )
    response = client.get(URL, {"outcome": "arrests"})
    assert [key for key, _ in response.context["outcomes"]] == [
        "overdoses",
        "nonfatal_overdoses",
        "arrests",
    ]
    result = response.context["result"]
    assert sum(p.value or 0 for p in result.points) == 1
    assert result.fit is not None or result.refusal


def test_the_daily_facts_give_the_same_series_as_the_records(
    client: Client, world: Program, coordinator: User
) -> None:
    sign_in(client, coordinator)
    from_records = client.get(URL).context["result"]
    build_metric_days(world)
    from_facts = client.get(URL).context["result"]
    assert not from_records.from_facts and from_facts.from_facts
    assert from_facts.points == from_records.points
    assert from_facts.fit == from_records.fit


def test_an_analyst_sees_whole_quarters_and_no_line_where_one_is_hidden(
    client: Client, world: Program, analyst: User
) -> None:
    sign_in(client, analyst)
    response = client.get(URL)
    assert response.status_code == 200
    result = response.context["result"]
    assert result.suppressed and result.unit == "quarter"
    # Q4 2024 to Q3 2026; each quarter's fatal overdoses are 3, hidden on the dashboard,
    # so every quarter's total is hidden too, and no line is fitted.
    assert [p.label for p in result.points][:2] == ["Q4 2024", "Q1 2025"]
    assert all(p.value is None for p in result.points)
    assert result.fit is None
    html = response.content.decode()
    assert "no evaluation is shown de-identified" in html
    assert "choose non-fatal overdoses" in html
    assert not re.search(r"<td>\d+</td>", html)


def test_an_analyst_evaluates_the_non_fatal_overdoses_the_deaths_do_not_hide(
    client: Client, world: Program, analyst: User
) -> None:
    sign_in(client, analyst)
    result = client.get(URL, {"outcome": "nonfatal_overdoses"}).context["result"]
    assert result.suppressed and result.unit == "quarter"
    # Each month's non-fatal overdoses (one fewer than the month's), summed by quarter.
    counts = [monthly_overdoses(i, m) - 1 for i, m in enumerate(months(FIRST_MONTH, 24))]
    assert [p.value for p in result.points] == [sum(counts[i : i + 3]) for i in range(0, 24, 3)]
    assert result.fit is None and "needs at least 8 quarters" in (result.refusal or "")
    assert "The records hold 8 quarters in all: too few for any start." in result.refusal


def test_people_outside_the_program_get_no_page(
    client: Client, world: Program, outsider: User
) -> None:
    sign_in(client, outsider)
    assert client.get(URL).status_code == 404


def test_records_that_begin_with_the_program_start_halfway_and_say_so(
    client: Client, pad: Program, clock: Clock, coordinator: User
) -> None:
    clock.now = dt.datetime(2026, 10, 20, 16, tzinfo=dt.UTC)
    Referral.objects.create(
        program=pad,
        person=PersonFactory.create(),
        received_at=dt.datetime(2024, 10, 1, 9, tzinfo=NY),
        pathway="self_referral",
    )
    Overdose.objects.bulk_create(
        Overdose(program=pad, occurred_at=dt.datetime.combine(m, dt.time(12), tzinfo=NY))
        for m in months(FIRST_MONTH, 24)
        for _ in range(3 + m.month % 4)
    )
    sign_in(client, coordinator)
    response = client.get(URL)
    assert response.context["start"] == dt.date(2025, 10, 1)
    assert "so no month before it can show the trend" in response.content.decode()
    assert response.context["result"].fit is not None


def test_a_start_other_than_the_first_referral_is_named_not_called_the_programs_beginning(
    client: Client,
    world: Program,
    coordinator: User,
    api_client_for: Callable[[User], Client],
) -> None:
    # The program began with its first referral, on 1 Oct 2025; June is only a start asked for.
    sign_in(client, coordinator)
    html = client.get(URL, {"start": "2025-06-01"}).content.decode()
    body = api_client_for(coordinator).get(API, {"start": "2025-06-01"}).json()
    assert "In the 16 months after 1 Jun 2025, overdoses averaged " in html
    assert body["summary"].startswith("In the 16 months after 1 Jun 2025, overdoses")
    assert "after the program began" not in html + body["summary"]


def test_the_halfway_start_is_named_not_called_the_programs_beginning(
    client: Client, pad: Program, clock: Clock, coordinator: User
) -> None:
    clock.now = dt.datetime(2026, 10, 20, 16, tzinfo=dt.UTC)
    Referral.objects.create(
        program=pad,
        person=PersonFactory.create(),
        received_at=dt.datetime(2024, 10, 1, 9, tzinfo=NY),
        pathway="self_referral",
    )
    Overdose.objects.bulk_create(
        Overdose(program=pad, occurred_at=dt.datetime.combine(m, dt.time(12), tzinfo=NY))
        for m in months(FIRST_MONTH, 24)
        for _ in range(3 + m.month % 4)
    )
    sign_in(client, coordinator)
    html = client.get(URL).content.decode()
    assert "the evaluation starts halfway through the records, on 1 Oct 2025" in html
    assert "In the 12 months after 1 Oct 2025, overdoses " in html
    assert "after the program began" not in html


def test_the_api_gives_what_the_page_draws(
    client: Client,
    world: Program,
    coordinator: User,
    analyst: User,
    api_client_for: Callable[[User], Client],
) -> None:
    sign_in(client, coordinator)
    page = client.get(URL).context["result"]
    response = api_client_for(coordinator).get(API, {"start": "2025-10-01"})
    assert response.status_code == 200
    body = response.json()
    assert (body["outcome"], body["start"], body["unit"]) == ("overdoses", "2025-10-01", "month")
    assert [p["value"] for p in body["points"]] == [p.value for p in page.points]
    assert body["fit"]["level_change"]["value"] == pytest.approx(page.fit.level_change.value)
    assert body["fit"]["newey_west_lags"] == 2
    assert body["summary"].startswith("In the 12 months after the program began")
    assert body["outcomes"] == ["overdoses", "nonfatal_overdoses"]
    hidden = api_client_for(analyst).get(API).json()
    assert hidden["unit"] == "quarter" and hidden["fit"] is None
    assert all(p["value"] is None for p in hidden["points"])
    bad = api_client_for(coordinator).get(API, {"outcome": "burglaries"})
    assert bad.status_code == 422
    assert AuditEvent.objects.filter(object_type="reports.evaluation").count() == 3


def test_the_api_answers_404_outside_the_program(
    world: Program, outsider: User, api_client_for: Callable[[User], Client]
) -> None:
    assert api_client_for(outsider).get(API).status_code == 404


def test_an_analyst_who_chooses_nothing_sees_the_outcome_that_can_be_evaluated(
    client: Client, pad: Program, clock: Clock, analyst: User
) -> None:
    # Four years of overdoses, three deaths a quarter, and a first referral in mid-November
    # 2024: eight whole quarters either side of the quarter it falls in.
    clock.now = dt.datetime(2026, 10, 20, 16, tzinfo=dt.UTC)
    rows = []
    for i, month in enumerate(months(dt.date(2022, 10, 1), 48)):
        level = 40 if month < dt.date(2024, 11, 1) else 25
        for k in range(level + (2 if i % 2 else -2)):
            day = month + dt.timedelta(days=k % 27)
            at = dt.datetime.combine(day, dt.time(12), tzinfo=NY)
            rows.append(Overdose(program=pad, occurred_at=at, fatal=k == 0))
    Overdose.objects.bulk_create(rows)
    first = dt.datetime(2024, 11, 15, 9, tzinfo=NY)
    Referral.objects.create(
        program=pad, person=PersonFactory.create(), received_at=first, pathway="self_referral"
    )
    sign_in(client, analyst)
    response = client.get(URL)
    assert response.status_code == 200
    # All overdoses are hidden quarter by quarter (their deaths count 1 to 10); the non-fatal
    # ones are not, and are what the page shows when nothing is chosen.
    assert response.context["outcome"] == "nonfatal_overdoses"
    result = response.context["result"]
    assert result.fit is not None and result.unit == "quarter"
    # The start is the first referral's quarter, so that quarter is not lost to the change.
    assert response.context["start"] == dt.date(2024, 10, 1)
    html = response.content.decode()
    assert "whole quarters, so it starts with the quarter it falls in, on 1 Oct 2024" in html
    # The first referral's month, not its day: that is one person's.
    assert "first referral, in Nov 2024." in html and "15 Nov 2024" not in html
    # Asked for by name, the outcome stays the one asked for.
    chosen = client.get(URL, {"outcome": "overdoses"})
    assert chosen.context["outcome"] == "overdoses" and chosen.context["result"].fit is None
