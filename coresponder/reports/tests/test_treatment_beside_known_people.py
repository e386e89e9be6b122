"""A treatment count is never given beside people its de-identified reader knows one by one.

A prosecutor reads PAD's figures de-identified, but knows every person diverted in
lieu of arrest (the diversion list names them by case number and says whether each
is engaged). The breakdown by pathway puts exactly those people in one row, so a
treatment count there is read against them, as a program's own reader's is
(ADR 0015): twelve of twelve diverted people accepting treatment tells the
prosecutor of each of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from coresponder.conftest import Clock
from coresponder.intake.models import Referral
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program, User
from coresponder.reports.metrics import Period, metric_breakdown, program_metrics
from coresponder.services.models import (
    Service,
    ServiceOrganization,
    ServiceReferral,
    ServiceReferralStatusChange,
)

NY = ZoneInfo("America/New_York")
Q3 = {"start": "2026-07-01", "end": "2026-09-30"}
URL = "/api/v1/programs/pad/metrics"
DIVERTED = 12


@pytest.fixture
def diverted_all_in_treatment(pad: Program, clock: Clock) -> Program:
    """Twelve people diverted in lieu of arrest in Q3 2026, each of whom accepted treatment."""
    clock.now = dt.datetime(2026, 10, 5, 12, tzinfo=dt.UTC)
    org = ServiceOrganization.objects.create(hsds_id="org-1", name="Kensington Recovery")
    service = Service.objects.create(
        hsds_id="svc-1", organization=org, name="Outpatient OUD", part2_program=True
    )
    for n in range(DIVERTED):
        person = PersonFactory.create()
        at = dt.datetime(2026, 8, 1 + n, 10, tzinfo=NY)
        Referral.objects.create(
            program=pad,
            person=person,
            received_at=at,
            pathway="officer_intervention",
            eligible=True,
            case_number=f"CP-51-CR-{n:04d}",
        )
        referral = ServiceReferral.objects.create(
            program=pad,
            person=person,
            service=service,
            status="accepted",
            requested_at=at,
            status_changed_at=at + dt.timedelta(days=2),
        )
        for status, days in (("requested", 0), ("accepted", 2)):
            ServiceReferralStatusChange.objects.create(
                referral=referral, status=status, at=at + dt.timedelta(days=days)
            )
    return pad


def test_a_prosecutor_is_not_told_that_every_person_diverted_accepted_treatment(
    diverted_all_in_treatment: Program,
    prosecutor: User,
    api_client_for: Callable[[User], Client],
) -> None:
    pad = diverted_all_in_treatment
    quarter = Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    row = next(
        r for r in metric_breakdown(pad, quarter, "pathway") if r["key"] == "officer_intervention"
    )
    assert (row["referrals"], row["people_accepted_treatment"]) == (DIVERTED, DIVERTED)
    assert program_metrics(pad, quarter)["people_accepted_treatment"] == DIVERTED
    api = api_client_for(prosecutor)

    body = api.get(f"{URL}/breakdown", {**Q3, "by": "pathway"}).json()
    shown = next(r for r in body["items"] if r["key"] == "officer_intervention")
    assert shown["referrals"] == DIVERTED  # the other figures stay as they were
    assert shown["people_accepted_treatment"] is None
    assert body["total"]["people_accepted_treatment"] is None
    assert {r["people_accepted_treatment"] for r in body["items"]} <= {0, None}

    headline = api.get(URL, Q3).json()
    assert headline["people_accepted_treatment"] is None
    assert "people_accepted_treatment" in headline["suppressed"]


def test_the_public_dashboard_does_not_say_it_either(
    diverted_all_in_treatment: Program, client: Client
) -> None:
    pad = diverted_all_in_treatment
    pad.preset = {
        **pad.preset,
        "public_dashboard": True,
        "metrics": ["referrals", "people_accepted_treatment"],
    }
    pad.save(update_fields=["preset"])

    page = client.get("/public/pad/dashboard/")
    tile = next(t for t in page.context["tiles"] if t["key"] == "people_accepted_treatment")
    assert tile["value"] is None
    section = client.get("/public/pad/dashboard/sections/breakdown/", {"by": "pathway"})
    row = next(r for r in section.context["breakdown_rows"] if r["key"] == "officer_intervention")
    assert row["people_accepted_treatment"] is None


@pytest.fixture
def diverted_each_month_all_in_treatment(pad: Program, clock: Clock) -> Program:
    """Twelve people diverted in each month of Q3 2026, every one of whom accepted treatment."""
    clock.now = dt.datetime(2026, 10, 5, 12, tzinfo=dt.UTC)
    org = ServiceOrganization.objects.create(hsds_id="org-1", name="Kensington Recovery")
    service = Service.objects.create(
        hsds_id="svc-1", organization=org, name="Outpatient OUD", part2_program=True
    )
    for month in (7, 8, 9):
        for n in range(DIVERTED):
            person = PersonFactory.create()
            at = dt.datetime(2026, month, 1 + n, 10, tzinfo=NY)
            Referral.objects.create(
                program=pad,
                person=person,
                received_at=at,
                pathway="officer_intervention",
                eligible=True,
                case_number=f"CP-51-CR-{month:02d}{n:04d}",
            )
            referral = ServiceReferral.objects.create(
                program=pad,
                person=person,
                service=service,
                status="accepted",
                requested_at=at,
                status_changed_at=at + dt.timedelta(days=2),
            )
            for status, days in (("requested", 0), ("accepted", 2)):
                ServiceReferralStatusChange.objects.create(
                    referral=referral, status=status, at=at + dt.timedelta(days=days)
                )
    return pad


def test_a_treatment_count_by_month_is_read_against_the_people_of_its_month(
    diverted_each_month_all_in_treatment: Program,
    prosecutor: User,
    api_client_for: Callable[[User], Client],
    client: Client,
) -> None:
    # The quarter's count is hidden (36 of 36 diverted); its months, twelve of twelve
    # each, would tell it again, and add up to it.
    pad = diverted_each_month_all_in_treatment
    assert api_client_for(prosecutor).get(URL, Q3).json()["people_accepted_treatment"] is None
    client.force_login(prosecutor)

    monthly = client.get(
        "/programs/pad/exports/monthly.csv", {**Q3, "metric": "people_accepted_treatment"}
    )
    rows = [line.split(",") for line in monthly.content.decode("utf-8-sig").splitlines()]
    months = [row for row in rows if row[0].startswith("2026-")]
    assert [row[1] for row in months] == ["suppressed"] * 3

    pad.preset = {
        **pad.preset,
        "public_dashboard": True,
        "metrics": ["referrals", "people_accepted_treatment"],
    }
    pad.save(update_fields=["preset"])
    section = Client().get(
        "/public/pad/dashboard/sections/monthly/", {"monthly": "people_accepted_treatment"}
    )
    assert [column.value for column in section.context["monthly_chart"].columns] == [None] * 3
