"""The metrics API against a small hand-counted PAD world (America/New_York).

The period is 15 Oct – 15 Nov 2026, across the end of daylight saving time on
1 November. Every expected figure below is counted by hand from the records.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coresponder.conftest import Clock, sign_in
from coresponder.core.audit import Actor, record_event
from coresponder.core.models import AuditEvent
from coresponder.domain.metrics import Metrics
from coresponder.domain.presets import METRIC_KEYS
from coresponder.encounters.models import Encounter
from coresponder.intake.models import Overdose, OverdoseReport, Referral
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.people.models import Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import District, Program, User
from coresponder.reports import disclosure
from coresponder.reports.actions import build_metric_days
from coresponder.reports.metrics import (
    Period,
    flatten_metrics,
    funnel,
    metric_breakdown,
    monthly_series,
    percent_change,
    period_bounds,
    program_metrics,
    shared_facts,
)
from coresponder.reports.quarterly import headline_rows
from coresponder.services.models import (
    Service,
    ServiceOrganization,
    ServiceReferral,
    ServiceReferralStatusChange,
)

NY = ZoneInfo("America/New_York")
URL = "/api/v1/programs/pad/metrics"
SPAN = {"start": "2026-10-15", "end": "2026-11-15"}
PERIOD = Period(dt.date(2026, 10, 15), dt.date(2026, 11, 15))


def local(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=NY)


def referral(program: Program, person: Person, at: dt.datetime, **fields: Any) -> Referral:
    fields.setdefault("pathway", "self_referral")
    return Referral.objects.create(program=program, person=person, received_at=at, **fields)


def task(
    program: Program, person: Person, opens: dt.datetime, hours: int = 72, **fields: Any
) -> OutreachTask:
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=opens,
        window_end=opens + dt.timedelta(hours=hours),
        **fields,
    )


def attempt(
    on: OutreachTask, at: dt.datetime, outcome: str, *contacts: tuple[str, str, str]
) -> Attempt:
    made = Attempt.objects.create(task=on, attempted_at=at, channel="home_visit", outcome=outcome)
    for role, relationship, name in contacts:
        AttemptContact.objects.create(attempt=made, role=role, relationship=relationship, name=name)
    return made


def treatment_service() -> Service:
    org = ServiceOrganization.objects.create(hsds_id="org-1", name="Kensington Recovery")
    return Service.objects.create(
        hsds_id="svc-1", organization=org, name="Outpatient OUD", part2_program=True
    )


@pytest.fixture
def world(pad: Program, clock: Clock) -> dict[str, Person]:
    """Five people; the comments say what each record counts towards."""
    clock.now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    d22 = District.objects.get(program=pad, code="22")
    d39 = District.objects.get(program=pad, code="39")
    a = PersonFactory.create(race="black", sex="male", birth_date=dt.date(1990, 5, 1))
    b = PersonFactory.create(race="white", sex="female", birth_date=dt.date(2000, 1, 1))
    c = PersonFactory.create(birth_date=None)
    d = PersonFactory.create(birth_date=dt.date(1961, 6, 1))
    e = PersonFactory.create()

    # A: seen in September (so not new); referred, visited, seen, referred to treatment.
    referral(pad, a, local(9, 1))
    r1 = referral(pad, a, local(10, 20, 10), pathway="officer_intervention", district=d22)
    t_a = task(pad, a, local(10, 20, 10), referral=r1, district=d22)
    attempt(t_a, local(10, 21, 10), "contacted", ("participant", "", ""))
    attempt(t_a, local(11, 30, 10), "contacted", ("participant", "", ""))  # after: funnel only
    Encounter.objects.create(
        program=pad,
        person=a,
        occurred_at=local(10, 22),
        kind="drop_in",
        disposition="resolved_on_scene",
    )
    sr = ServiceReferral.objects.create(
        program=pad,
        person=a,
        service=treatment_service(),
        status="in-progress",
        requested_at=local(10, 22),
        status_changed_at=local(10, 28),
    )
    for status, day in (("requested", 22), ("accepted", 25), ("in-progress", 28)):
        ServiceReferralStatusChange.objects.create(referral=sr, status=status, at=local(10, day))

    # B: a nonfatal overdose reported by EMS, referred at 23:30 on the last day (counts).
    r2 = referral(pad, b, local(11, 15, 23, 30), pathway="naloxone_plus")
    od1 = Overdose.objects.create(program=pad, person=b, referral=r2, occurred_at=local(11, 15, 22))
    OverdoseReport.objects.create(overdose=od1, source="ems", reported_at=local(11, 15, 22, 10))
    task(pad, b, local(11, 16, 8), referral=r2)  # opens and closes after the period

    # C: a fatal overdose; the family task reaches the mother twice (one human).
    referral(pad, c, local(11, 16, 0, 30))  # 00:30 the day after: outside
    od2 = Overdose.objects.create(program=pad, person=c, occurred_at=local(10, 18, 8), fatal=True)
    OverdoseReport.objects.create(overdose=od2, source="police", reported_at=local(10, 18, 9))
    t_c = task(pad, c, local(10, 18, 8), overdose=od2, target="family")
    attempt(t_c, local(10, 19, 20), "contacted", ("collateral", "mother", "Pat C"))
    attempt(t_c, local(10, 20, 20), "contacted", ("collateral", "Mother", "pat c"))

    # D: referred 00:30 on the first day (counts); missed window, then a brother, then D.
    r4 = referral(pad, d, local(10, 15, 0, 30), district=d39)
    t_d = task(pad, d, local(10, 15, 1), referral=r4)
    attempt(t_d, local(10, 19, 0, 30), "not_located")
    attempt(t_d, local(10, 20, 9), "contacted_collateral_only", ("collateral", "brother", ""))
    attempt(t_d, local(10, 21, 9), "accepted_treatment", ("participant", "", ""))

    # E: 23:30 the evening before the period: outside.
    referral(pad, e, local(10, 14, 23, 30))
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


@pytest.fixture(params=["records", "daily facts"])
def counted(request: pytest.FixtureRequest, world: dict[str, Person]) -> dict[str, Person]:
    """The world, counted from its records, or from daily facts built from them (ADR 0012)."""
    if request.param == "daily facts":
        build_metric_days(Program.objects.get(slug="pad"))
    return world


EXPECTED = {
    "referrals": 3,  # A (20 Oct), B (15 Nov 23:30), D (15 Oct 00:30)
    "people_referred_to_services": 1,  # A
    "people_engaged": 2,  # A (attempt, encounter), D (accepted_treatment)
    "people_contacted": 4,  # A, D, D's brother, C's mother (twice)
    "people_accepted_treatment": 2,  # A (referral accepted 25 Oct), D (outcome)
    "overdoses": {"fatal": 1, "nonfatal": 1},
    "new_person_share": 0.5,  # of A's referral, A's encounter, B, D: B and D new
    "follow_up_within_window_rate": 2 / 3,  # A and C within; D missed
    "median_hours_to_first_contact": 36.0,  # A 24 h, C 36 h, D 96 h
    "dispositions": {
        "resolved_on_scene": 1,
        "transported_crisis_center": 0,
        "transported_detox": 0,
        "transported_hospital": 0,
        "transported_home": 0,
        "involuntary_hold": 0,
        "arrested": 0,
        "refused": 0,
        "other": 0,
    },
}


# What a program's own reader gets of the treatment figure for a span that is not one
# whole, finished quarter (ADR 0015).
TREATMENT_HIDDEN = {
    "people_accepted_treatment": None,
    "suppressed": ["people_accepted_treatment"],
    "small_count_max": 10,
    "note": disclosure.TREATMENT_NOTE,
}


def test_every_metric_equals_the_hand_count(
    counted: dict[str, Person], coordinator: User, api_client_for: Callable[[User], Client]
) -> None:
    response = api_client_for(coordinator).get(URL, SPAN)
    assert response.status_code == 200, response.content
    body = response.json()
    exact = EXPECTED | {"follow_up_within_window_rate": pytest.approx(2 / 3)}
    assert body == exact | TREATMENT_HIDDEN
    assert program_metrics(Program.objects.get(slug="pad"), PERIOD) == exact


def test_the_period_runs_from_local_midnight_to_local_midnight_across_dst(pad: Program) -> None:
    start, end = period_bounds(pad, PERIOD)
    assert start == dt.datetime(2026, 10, 15, 4, tzinfo=dt.UTC)  # EDT, UTC-4
    assert end == dt.datetime(2026, 11, 16, 5, tzinfo=dt.UTC)  # EST, UTC-5


def test_a_referral_late_on_the_last_day_counts_and_after_midnight_does_not(
    counted: dict[str, Person], coordinator: User, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(coordinator)
    last_day = client.get(URL, {"start": "2026-11-15", "end": "2026-11-15"}).json()
    next_day = client.get(URL, {"start": "2026-11-16", "end": "2026-11-16"}).json()
    first_day = client.get(URL, {"start": "2026-10-15", "end": "2026-10-15"}).json()
    day_before = client.get(URL, {"start": "2026-10-14", "end": "2026-10-14"}).json()
    assert (last_day["referrals"], next_day["referrals"]) == (1, 1)  # B; then C's at 00:30
    assert (first_day["referrals"], day_before["referrals"]) == (1, 1)  # D; then E's at 23:30


def test_breakdown_rows_add_up_to_the_referrals(
    counted: dict[str, Person], coordinator: User, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(coordinator)
    for by in ("district", "source", "pathway", "race", "ethnicity", "sex", "age_band"):
        response = client.get(f"{URL}/breakdown", {**SPAN, "by": by})
        assert response.status_code == 200, response.content
        items = response.json()["items"]
        assert sum(row["referrals"] for row in items) == 3, by
        assert response.json()["count"] == len(items)
    pad = Program.objects.get(slug="pad")
    rows = {row["key"]: row for row in metric_breakdown(pad, PERIOD, "district")}
    assert (rows["22"]["referrals"], rows["39"]["referrals"], rows["none"]["referrals"]) == (
        1,
        1,
        1,
    )
    assert rows["22"]["people_engaged"] == 1  # A's attempt on the district-22 task
    assert rows["none"]["overdoses_fatal"] == 1 and rows["none"]["overdoses_nonfatal"] == 1
    sources = {row["key"]: row for row in metric_breakdown(pad, PERIOD, "source")}
    assert sources["ems"]["referrals"] == 1 and sources["ems"]["label"] == "EMS"
    assert sources["police"]["overdoses_fatal"] == 1
    bands = {row["key"]: row["referrals"] for row in metric_breakdown(pad, PERIOD, "age_band")}
    assert (bands["35-44"], bands["25-34"], bands["65+"]) == (1, 1, 1)  # A 36, B 26, D 65


@pytest.mark.parametrize("read_from", ["records", "daily facts"])
def test_who_brought_a_referral_and_what_came_of_it_count_under_its_source(
    world: dict[str, Person], read_from: str
) -> None:
    pad = Program.objects.get(slug="pad")
    f, g, h, i = PersonFactory.create_batch(4)
    referral(pad, f, local(10, 16))  # asked for themself
    referral(pad, g, local(10, 17), referrer_relationship="parent")  # a parent asked
    referral(pad, h, local(10, 18), referrer_relationship="other")
    # The public help page keeps "self" for someone asking for themself.
    referral(pad, i, local(10, 19), pathway="community_response", referrer_relationship="self")
    if read_from == "daily facts":
        build_metric_days(pad)
    sources = {row["key"]: row for row in metric_breakdown(pad, PERIOD, "source")}
    # D's referral (15 Oct, self_referral, no report) is the person's own too.
    assert (sources["self"]["referrals"], sources["family"]["referrals"]) == (3, 1)
    # A's drop-in encounter has no referral: no one brought it, and no family is engaged.
    assert sources["family"]["people_engaged"] == 0
    assert sources["self"]["label"] == "The person themself"
    assert sources["other"]["referrals"] == 1
    # A's service referral (22 Oct) came of A's referral of 20 Oct, in district 22.
    districts = {row["key"]: row for row in metric_breakdown(pad, PERIOD, "district")}
    assert districts["22"]["people_referred_to_services"] == 1
    assert districts["none"]["people_referred_to_services"] == 0
    assert districts["22"]["people_accepted_treatment"] == 1
    pathways = {row["key"]: row for row in metric_breakdown(pad, PERIOD, "pathway")}
    assert pathways["officer_intervention"]["people_referred_to_services"] == 1


def test_an_unknown_breakdown_is_refused(
    pad: Program, coordinator: User, api_client_for: Callable[[User], Client]
) -> None:
    response = api_client_for(coordinator).get(f"{URL}/breakdown", {"by": "shoe_size"})
    assert response.status_code == 422
    assert "by" in response.json()["errors"]


def test_the_funnel_matches_the_hand_count_and_never_grows(
    counted: dict[str, Person], coordinator: User, api_client_for: Callable[[User], Client]
) -> None:
    counts = [(key, n) for key, _, n in funnel(Program.objects.get(slug="pad"), PERIOD)]
    assert counts == [
        ("notified", 2),  # A and D (B's task opens after; C's is the family's)
        ("attempted", 2),
        ("contacted", 2),
        ("accepted", 2),  # A by referral, D by outcome
        ("entered_treatment", 1),  # A's referral went in progress
        ("engaged_30", 1),  # A seen again on 30 Nov, 40 days after first contact
        ("engaged_90", 0),
    ]
    people = [n for _, n in counts]
    assert people == sorted(people, reverse=True)
    # The API gives the stages before treatment; those from it on only by whole quarter.
    response = api_client_for(coordinator).get(f"{URL}/funnel", SPAN)
    assert response.status_code == 200, response.content
    body = response.json()
    given = [(item["key"], item["people"]) for item in body["items"]]
    assert given == counts[:3] + [(key, None) for key, _ in counts[3:]]
    assert body["suppressed"] == [f"items[{i}].people" for i in range(3, 7)]
    assert body["note"] == disclosure.TREATMENT_NOTE


def test_the_monthly_series_has_a_point_per_month(counted: dict[str, Person], pad: Program) -> None:
    assert monthly_series(pad, PERIOD, "referrals") == [
        (dt.date(2026, 10, 1), 2),
        (dt.date(2026, 11, 1), 1),
    ]
    assert monthly_series(pad, PERIOD, "overdoses_fatal") == [
        (dt.date(2026, 10, 1), 1),
        (dt.date(2026, 11, 1), 0),
    ]
    # October: A's referral and encounter (seen before), D new; November: B new.
    october, november = monthly_series(pad, PERIOD, "new_person_share")
    assert october[1] == pytest.approx(1 / 3) and november[1] == 1.0


def test_period_helpers() -> None:
    quarter = Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter.label == "1 Oct 2026 – 31 Dec 2026"
    assert quarter.previous() == Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30))  # 92 days
    assert percent_change(15, 10) == 50.0


@pytest.mark.parametrize(
    ("start", "end", "before"),
    [
        # A quarter of 92 days compares with the quarter before (91 days), month for month.
        ("2026-07-01", "2026-09-30", ("2026-04-01", "2026-06-30")),
        ("2026-01-01", "2026-03-31", ("2025-10-01", "2025-12-31")),
        ("2026-03-01", "2026-03-31", ("2026-02-01", "2026-02-28")),
        ("2025-01-01", "2025-12-31", ("2024-01-01", "2024-12-31")),
        # The year so far compares with the same dates a year before.
        ("2026-01-01", "2026-11-20", ("2025-01-01", "2025-11-20")),
        ("2024-01-01", "2024-02-28", ("2023-01-01", "2023-02-28")),
        ("2024-01-01", "2024-02-29", ("2023-11-01", "2023-12-31")),  # whole months
        # Any other span: the days of equal length just before.
        ("2026-11-04", "2026-12-03", ("2026-10-05", "2026-11-03")),
    ],
)
def test_a_period_compares_with_the_one_a_reader_would_choose(
    start: str, end: str, before: tuple[str, str]
) -> None:
    period = Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    expected = Period(dt.date.fromisoformat(before[0]), dt.date.fromisoformat(before[1]))
    assert period.previous() == expected


def test_percent_change() -> None:
    assert percent_change(15, 10) == 50.0
    assert percent_change(5, 0) is None
    assert percent_change(None, 3) is None


Q4 = {"start": "2026-10-01", "end": "2026-12-31"}


def test_an_analyst_sees_small_counts_suppressed(
    counted: dict[str, Person],
    analyst: User,
    clock: Clock,
    api_client_for: Callable[[User], Client],
) -> None:
    clock.now = dt.datetime(2027, 1, 5, 12, tzinfo=dt.UTC)  # the fourth quarter is over
    client = api_client_for(analyst)
    body = client.get(URL, Q4).json()
    assert body["referrals"] is None and body["people_contacted"] is None
    assert body["overdoses"] == {"fatal": None, "nonfatal": None}
    assert body["dispositions"]["resolved_on_scene"] is None
    assert body["dispositions"]["arrested"] == 0  # zero reveals no one
    assert body["new_person_share"] is None  # a share of a handful of cases
    assert {"referrals", "overdoses.fatal", "dispositions.resolved_on_scene"} <= set(
        body["suppressed"]
    )
    assert "dispositions.arrested" not in body["suppressed"]
    assert body["small_count_max"] == 10
    funnel_body = client.get(f"{URL}/funnel", Q4).json()
    assert {item["people"] for item in funnel_body["items"]} == {None, 0}
    assert "items[0].people" in funnel_body["suppressed"]
    assert client.get(URL).json()["referrals"] is None  # the last full quarter by default


@pytest.mark.parametrize("role", ["analyst", "provider", "prosecutor"])
def test_de_identified_readers_get_422_for_anything_but_a_whole_finished_quarter(
    world: dict[str, Person], role: str, request: Any, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(request.getfixturevalue(role))
    for span, fields in (
        (SPAN, {"start", "end"}),
        ({"start": "2026-07-01", "end": "2026-07-31"}, {"end"}),  # a month of the quarter
        ({"start": "2026-01-01", "end": "2026-12-31"}, {"end"}),  # the year holding it
        ({"start": "2026-08-01", "end": "2026-09-30"}, {"start"}),
        (Q4, {"end"}),  # the quarter is not over on 1 December
    ):
        for path, extra in (("", {}), ("/breakdown", {"by": "district"}), ("/funnel", {})):
            response = client.get(f"{URL}{path}", {**span, **extra})
            assert response.status_code == 422, (span, path)
            assert set(response.json()["errors"]) == fields, (span, path)
    ok = client.get(URL, {"start": "2026-07-01", "end": "2026-09-30"})
    assert ok.status_code == 200 and "suppressed" in ok.json()


def test_each_read_is_audited_without_person_ids(
    world: dict[str, Person], coordinator: User, api_client_for: Callable[[User], Client]
) -> None:
    api_client_for(coordinator).get(URL, SPAN)
    event = AuditEvent.objects.filter(object_type="reports.metrics").get()
    assert (event.action, event.program_slug, event.fields) == ("read", "pad", ["aggregate"])
    assert event.person_id is None


def test_outsiders_get_404_and_bad_periods_422(
    pad: Program,
    outsider: User,
    officer: User,
    api_client_for: Callable[[User], Client],
) -> None:
    assert api_client_for(outsider).get(URL).status_code == 404
    client = api_client_for(officer)
    assert client.get(URL).status_code == 200  # every member reads the aggregates
    backwards = client.get(URL, {"start": "2026-11-02", "end": "2026-11-01"})
    assert backwards.status_code == 422 and "end" in backwards.json()["errors"]
    too_long = client.get(URL, {"start": "2020-01-01", "end": "2026-01-01"})
    assert too_long.status_code == 422


def add_more_of_everything(program: Program, n: int) -> None:
    service = Service.objects.get(hsds_id="svc-1")
    for i in range(n):
        person = PersonFactory.create()
        r = referral(program, person, local(10, 16 + i))
        od = Overdose.objects.create(program=program, person=person, occurred_at=local(10, 16 + i))
        OverdoseReport.objects.create(overdose=od, source="hospital", reported_at=local(10, 16 + i))
        t = task(program, person, local(10, 16 + i), referral=r, overdose=od)
        attempt(t, local(10, 17 + i), "contacted", ("participant", "", ""), ("collateral", "x", ""))
        Encounter.objects.create(
            program=program,
            person=person,
            occurred_at=local(10, 17 + i),
            kind="drop_in",
            disposition="refused",
        )
        sr = ServiceReferral.objects.create(
            program=program,
            person=person,
            service=service,
            status="accepted",
            requested_at=local(10, 17 + i),
            status_changed_at=local(10, 18 + i),
        )
        ServiceReferralStatusChange.objects.create(
            referral=sr, status="accepted", at=local(10, 18 + i)
        )


def test_the_number_of_queries_does_not_grow_with_the_records(
    world: dict[str, Person],
    pad: Program,
    coordinator: User,
    api_client_for: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    client = api_client_for(coordinator)
    client.get(URL, SPAN)  # warm the token and session caches alike
    with django_assert_max_num_queries(40) as before:
        client.get(URL, SPAN)
        client.get(f"{URL}/funnel", SPAN)
    add_more_of_everything(pad, 5)
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(URL, SPAN)
        client.get(f"{URL}/funnel", SPAN)


def test_the_dashboard_and_the_csv_give_the_api_numbers(
    counted: dict[str, Person], coordinator: User, client: Client
) -> None:
    """One fixture, three surfaces, the same hand-counted figures."""
    pad = Program.objects.get(slug="pad")
    every = sorted(METRIC_KEYS - {"dispositions"})
    pad.preset = {**pad.preset, "metrics": every}
    pad.save(update_fields=["preset"])
    expected = flatten_metrics(EXPECTED)
    client.force_login(coordinator)

    page = client.get("/programs/pad/dashboard/", SPAN)
    assert page.status_code == 200
    tiles = {tile["key"]: tile["value"] for tile in page.context["tiles"]}
    assert set(tiles) == {key for key in expected if key != "dispositions"}
    assert tiles.pop("people_accepted_treatment") is None  # given by whole quarter only
    for key, value in tiles.items():
        assert value == pytest.approx(expected[key]), key

    csv_body = client.get("/programs/pad/exports/metrics.csv", SPAN).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_body)))
    header = rows.index(["Metric", "Label", "Value"])
    from_csv = {row[0]: row[2] for row in rows[header + 1 :] if row}
    assert from_csv.pop("people_accepted_treatment") == "suppressed"
    for key, value in expected.items():
        if key in {"dispositions", "people_accepted_treatment"}:
            continue
        # The file rounds shares to four places and hours to one, as its readers read them.
        rounding = 0.05 if "hours" in key else 5e-5
        assert float(from_csv[key]) == pytest.approx(value, abs=rounding), key


def test_a_page_showing_one_period_several_ways_reads_its_records_once(
    world: dict[str, Person],
) -> None:
    pad = Program.objects.get(slug="pad")
    with CaptureQueriesContext(connection) as alone:
        program_metrics(pad, PERIOD)
    with shared_facts():
        program_metrics(pad, PERIOD)
        with CaptureQueriesContext(connection) as again:
            metric_breakdown(pad, PERIOD, "district")
            monthly_series(pad, PERIOD, "referrals")
    loads = [q for q in alone.captured_queries if "intake_referral" in q["sql"]]
    assert loads, "the period's referrals are read from the database"
    assert not [q for q in again.captured_queries if "intake_referral" in q["sql"]]


BY_SOURCE = {**SPAN, "by": "source"}


def test_figures_from_daily_facts_say_when_their_records_were_read(
    world: dict[str, Person],
    coordinator: User,
    api_client_for: Callable[[User], Client],
    clock: Clock,
) -> None:
    client = api_client_for(coordinator)
    assert "X-Figures-As-Of" not in client.get(URL, SPAN)  # the records answer: as of now

    build = build_metric_days(Program.objects.get(slug="pad"))

    said = build.as_of.astimezone(dt.UTC).isoformat(timespec="seconds")
    for path, asked in ((URL, SPAN), (f"{URL}/funnel", SPAN), (f"{URL}/breakdown", BY_SOURCE)):
        response = client.get(path, asked)
        assert response.status_code == 200, response.content
        assert response["X-Figures-As-Of"] == said


def test_the_dashboard_says_when_its_figures_were_read(
    world: dict[str, Person], coordinator: User, client: Client, clock: Clock
) -> None:
    sign_in(client, coordinator)
    page = client.get("/programs/pad/dashboard/", SPAN).content.decode()
    assert "Figures as of" not in page

    build_metric_days(Program.objects.get(slug="pad"))

    page = client.get("/programs/pad/dashboard/", SPAN).content.decode()
    assert "Figures as of" in page


def test_the_dashboard_warns_when_its_figures_have_not_been_brought_up_to_date(
    world: dict[str, Person], coordinator: User, client: Client, clock: Clock, settings: Any
) -> None:
    settings.METRIC_DAYS_REFRESH_SECONDS = 60
    sign_in(client, coordinator)
    pad = Program.objects.get(slug="pad")
    build_metric_days(pad)
    clock.now += dt.timedelta(minutes=10)  # the worker has not run since
    page = client.get("/programs/pad/dashboard/", SPAN).content.decode()
    assert "Figures as of" in page and "check that the worker is running" not in page

    person = next(iter(world.values()))
    record_event(
        Actor(user=coordinator, where="test"),
        "change",
        obj=person,
        person_id=person.pk,
        program_slug="pad",
    )
    page = client.get("/programs/pad/dashboard/", SPAN).content.decode()
    assert "records have changed since" in page and "check that the worker is running" in page

    build_metric_days(pad)
    page = client.get("/programs/pad/dashboard/", SPAN).content.decode()
    assert "check that the worker is running" not in page


# --- Treatment figures reach every reader as de-identified readers get them (ADR 0015) ---

D_ACCEPTED = {"start": "2026-10-21", "end": "2026-10-21"}  # D accepted treatment that day


def test_one_days_figures_do_not_tell_an_officer_who_accepted_treatment(
    counted: dict[str, Person], officer: User, api_client_for: Callable[[User], Client]
) -> None:
    """The officer sees who was referred and reached that day, and may not read D's treatment
    without D's consent: an exact count for the day would tell it."""
    pad = Program.objects.get(slug="pad")
    day = Period(dt.date(2026, 10, 21), dt.date(2026, 10, 21))
    assert program_metrics(pad, day)["people_accepted_treatment"] == 1  # what the day holds
    api = api_client_for(officer)

    body = api.get(URL, D_ACCEPTED).json()
    assert body["people_accepted_treatment"] is None
    assert body["suppressed"] == ["people_accepted_treatment"]
    assert body["note"] == disclosure.TREATMENT_NOTE
    by_age = api.get(f"{URL}/breakdown", {**D_ACCEPTED, "by": "age_band"}).json()
    assert {row["people_accepted_treatment"] for row in by_age["items"]} == {None}
    assert by_age["total"]["people_accepted_treatment"] is None
    assert by_age["total"]["referrals"] == sum(row["referrals"] for row in by_age["items"])
    stages = api.get(f"{URL}/funnel", D_ACCEPTED).json()["items"]
    assert [s["people"] for s in stages if s["key"] in disclosure.TREATMENT_STAGES] == [None] * 4


def test_the_officers_dashboard_and_files_say_why_and_where_the_figure_is(
    counted: dict[str, Person], officer: User, client: Client
) -> None:
    pad = Program.objects.get(slug="pad")
    pad.preset = {**pad.preset, "metrics": ["referrals", "people_accepted_treatment"]}
    pad.save(update_fields=["preset"])
    client.force_login(officer)

    page = client.get("/programs/pad/dashboard/", D_ACCEPTED)
    tile = next(t for t in page.context["tiles"] if t["key"] == "people_accepted_treatment")
    assert (tile["value"], tile["text"]) == (None, "Suppressed")
    html = page.content.decode()
    assert "protected by federal law" in html
    # Today is 1 December 2026: the last finished quarter is the third.
    assert "?start=2026-07-01&amp;end=2026-09-30" in html
    assert "See them for Q3 2026" in html
    assert "(“People who accepted treatment”, and the funnel" in html  # the program's name

    breakdown = client.get(
        "/programs/pad/exports/breakdown.csv", {**D_ACCEPTED, "by": "age_band"}
    ).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(breakdown)))
    header = next(row for row in rows if row[:2] == ["Code", "Age band"])
    column = header.index("People who accepted treatment")
    body = rows[rows.index(header) + 1 :]
    assert {row[column] for row in body if row} == {"suppressed"}
    files = client.get("/programs/pad/exports/", D_ACCEPTED).content.decode()
    assert disclosure.TREATMENT_NOTE.replace("'", "&#x27;") in files
    assert '?start=2026-07-01&amp;end=2026-09-30">The files for Q3 2026</a>' in files
    # A treatment count's months sit beside people the officer knows: not offered by month.
    assert "People who accepted treatment by month" not in files
    assert "Referrals by month" in files
    assert page.context["monthly_choices"] == [("referrals", "Referrals")]

    months = client.get(  # asked for anyway, for a quarter
        "/programs/pad/exports/monthly.csv",
        {"start": "2026-07-01", "end": "2026-09-30", "metric": "people_accepted_treatment"},
    ).content.decode("utf-8-sig")
    values = [
        row[1] for row in csv.reader(io.StringIO(months)) if row and row[0].startswith("2026-0")
    ]
    assert values == ["suppressed"] * 3


def test_a_finished_quarter_gives_the_treatment_figure_as_to_everyone(
    counted: dict[str, Person],
    coordinator: User,
    clock: Clock,
    api_client_for: Callable[[User], Client],
) -> None:
    """Two people accepted treatment in the fourth quarter: hidden (1 to 10), while the
    other figures stay exact for the program's own reader."""
    clock.now = dt.datetime(2027, 1, 5, 12, tzinfo=dt.UTC)
    quarter = {"start": "2026-10-01", "end": "2026-12-31"}
    pad = Program.objects.get(slug="pad")
    exact = program_metrics(pad, Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31)))
    assert exact["people_accepted_treatment"] == 2
    body = api_client_for(coordinator).get(URL, quarter).json()
    assert body["people_accepted_treatment"] is None
    assert body["referrals"] == exact["referrals"] == 5  # exact, though small
    assert body["suppressed"] == ["people_accepted_treatment"]

    page = Client()
    page.force_login(coordinator)
    said = page.get("/programs/pad/exports/quarterly/2026/4/").content.decode()
    assert "This quarter is not over yet" not in said  # 5 January 2027: it is
    current = page.get("/programs/pad/exports/quarterly/2027/1/")
    assert current.status_code == 200
    assert "This quarter is not over yet" in current.content.decode()
    rows = {row[0]: row[1:] for row in headline_rows(pad, 2026, 4)}
    assert rows["People who accepted treatment"][0] == "suppressed"
    assert rows["Referrals"][0] == "5"


def test_treatment_figures_of_eleven_or_more_are_given_exactly_for_a_quarter() -> None:
    figures = Metrics(
        referrals=3,
        people_referred_to_services=30,
        people_engaged=3,
        people_contacted=40,
        people_accepted_treatment=12,
        overdoses_fatal=0,
        overdoses_nonfatal=2,
        new_person_share=None,
        follow_up_within_window_rate=None,
        median_hours_to_first_contact=None,
        dispositions={},
    )
    assert disclosure.headline_for(figures, False, True)["people_accepted_treatment"] == 12
    assert disclosure.headline_for(figures, False, True)["referrals"] == 3
    assert disclosure.headline_for(figures, False, False)["people_accepted_treatment"] is None

    rows = [
        {"referrals": 30, "people_contacted": 25, "people_accepted_treatment": 12},
        {"referrals": 14, "people_contacted": 14, "people_accepted_treatment": 12},
        {"referrals": 20, "people_contacted": 18, "people_accepted_treatment": 0},
        {"referrals": 3, "people_contacted": 3, "people_accepted_treatment": 0},
        {"referrals": 40, "people_contacted": 30, "people_accepted_treatment": 4},
    ]
    columns = ["referrals", "people_contacted", "people_accepted_treatment"]
    # The quarter's own figures: three of the 28 accepted treatment in two rows.
    quarter = replace(figures, referrals=107, people_contacted=70, people_accepted_treatment=25)
    shown, totals = disclosure.breakdown_for(rows, columns, False, True, quarter)
    assert [row["referrals"] for row in shown] == [30, 14, 20, 3, 40]  # exact
    # 12 of 25 is given. 12 of 14 tells of nearly everyone; a zero beside three people
    # would tell what a hidden count beside them means; 4 is small.
    assert [row["people_accepted_treatment"] for row in shown] == [12, None, 0, None, None]
    # Referrals add up the rows; people are the quarter's, each once.
    assert totals == {"referrals": 107, "people_contacted": 70, "people_accepted_treatment": 25}

    keys = ["notified", "attempted", "contacted", "accepted", "entered_treatment"]
    stages = [*zip(keys, [40, 30, 25, 20, 12], strict=True), ("engaged_30", 11), ("engaged_90", 0)]
    # Known stages stay; 20 is within 10 of the 25 contacted, 11 is 1 from the 12.
    assert disclosure.funnel_for(stages, False, True) == [40, 30, 25, None, 12, None, 0]
    assert disclosure.funnel_for(stages, False, False) == [40, 30, 25, None, None, None, None]
    # Everyone contacted accepted: it says so of each of them. Nobody entered: that may show.
    everyone = list(zip(keys, [40, 30, 25, 25, 0], strict=True))
    assert disclosure.funnel_for(everyone, False, True) == [40, 30, 25, None, 0]
    # Five people contacted: whatever came of them is theirs, zeros too.
    few = list(zip(keys, [8, 6, 5, 0, 0], strict=True))
    assert disclosure.funnel_for(few, False, True) == [8, 6, 5, None, None]


def test_a_de_identified_funnel_reads_treatment_against_the_people_before_it() -> None:
    # A prosecutor or a provider may know everyone contacted one by one, as a program's
    # own reader does: "25 contacted, 25 accepted treatment" tells of each of them.
    keys = ["notified", "attempted", "contacted", "accepted", "entered_treatment"]
    everyone = list(zip(keys, [50, 38, 25, 25, 0], strict=True))
    assert disclosure.funnel_for(everyone, True, True) == [50, 38, 25, None, 0]
    nearly = list(zip(keys, [50, 38, 25, 18, 18], strict=True))
    assert disclosure.funnel_for(nearly, True, True) == [50, 38, 25, None, None]
    # Before treatment, a stage the same as the one before it is no one's secret.
    same = list(zip(keys, [50, 50, 25, 12, 0], strict=True))
    assert disclosure.funnel_for(same, True, True) == [50, 50, 25, 12, 0]
