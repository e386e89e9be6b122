"""The metrics against small hand-counted worlds at the edges of their definitions.

Each test counts its own few records by hand, and holds the figures read from
the records and from the daily facts built from them (ADR 0012) to that count.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from coresponder.conftest import Clock
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.people.models import Person
from coresponder.people.tests.factories import PersonFactory
from coresponder.programs.models import Program
from coresponder.reports.actions import build_metric_days
from coresponder.reports.metrics import Period, compute_metrics, metric_breakdown
from coresponder.services.models import (
    Service,
    ServiceOrganization,
    ServiceReferral,
    ServiceReferralStatusChange,
)

NY = ZoneInfo("America/New_York")
OCTOBER = Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def local(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 10, day, hour, tzinfo=NY)


def counted(program: Program, read_from: str) -> None:
    """The figures read from the records, or from daily facts built from them."""
    if read_from == "daily facts":
        build_metric_days(program)


def refer(person: Person, service: Service, program: Program, *steps: tuple[str, int]) -> None:
    """A service referral made on the first step's day, moved through the steps given."""
    status, day = steps[-1]
    made = ServiceReferral.objects.create(
        program=program,
        person=person,
        service=service,
        status=status,
        requested_at=local(steps[0][1]),
        status_changed_at=local(day),
    )
    for step, on in steps:
        ServiceReferralStatusChange.objects.create(referral=made, status=step, at=local(on))


@pytest.fixture
def food_bank() -> Service:
    org = ServiceOrganization.objects.create(hsds_id="org-food", name="Share Food")
    return Service.objects.create(hsds_id="svc-food", organization=org, name="Food pantry")


@pytest.mark.parametrize("read_from", ["records", "daily facts"])
def test_a_service_referral_withdrawn_as_made_in_error_refers_no_one(
    pad: Program, clock: Clock, food_bank: Service, read_from: str
) -> None:
    clock.now = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    sent, withdrawn, drafted, dropped, cancelled = (PersonFactory.create() for _ in range(5))
    refer(sent, food_bank, pad, ("requested", 5), ("accepted", 6))
    refer(sent, food_bank, pad, ("requested", 7), ("entered-in-error", 7))  # same person again
    refer(withdrawn, food_bank, pad, ("requested", 8), ("entered-in-error", 9))
    refer(drafted, food_bank, pad, ("draft", 10))  # never sent
    refer(dropped, food_bank, pad, ("draft", 11), ("cancelled", 12))  # called off unsent
    refer(cancelled, food_bank, pad, ("requested", 13), ("cancelled", 14))  # sent, then not
    counted(pad, read_from)

    # `sent` and `cancelled` were referred: a referral made in error never existed, and a
    # draft was not sent, even once it was called off; one sent and then cancelled was.
    assert compute_metrics(pad, OCTOBER).people_referred_to_services == 2
    rows = metric_breakdown(pad, OCTOBER, "district")
    assert sum(row["people_referred_to_services"] for row in rows) == 2


def follow_up(program: Program, person: Person, opens: int, **fields: object) -> OutreachTask:
    """A task whose window opens at noon on day `opens` of October and closes 72 h later."""
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=local(opens),
        window_end=local(opens) + dt.timedelta(hours=72),
        **fields,
    )


@pytest.mark.parametrize("read_from", ["records", "daily facts"])
def test_a_follow_up_closed_as_a_duplicate_is_not_a_missed_window(
    pco: Program, clock: Clock, read_from: str
) -> None:
    clock.now = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    reached, unreachable = PersonFactory.create(), PersonFactory.create()
    worked = follow_up(pco, reached, 5)
    Attempt.objects.create(
        task=worked, attempted_at=local(6), channel="home_visit", outcome="contacted"
    )
    # The same overdose sent again opened a second task; the team closed it as a duplicate.
    follow_up(pco, reached, 5, status="closed", close_reason="duplicate")
    # Closed by hand for another reason: the window was still missed.
    follow_up(pco, unreachable, 12, status="closed", close_reason="no_way_to_reach")
    counted(pco, read_from)

    figures = compute_metrics(pco, OCTOBER)
    # Two windows closed: the worked one (first attempt 24 h in) and the unreachable one.
    assert figures.closed_windows == 2
    assert figures.follow_up_within_window_rate == 0.5
    assert figures.median_hours_to_first_contact == 24.0


def test_the_api_schema_describes_each_figure_as_the_api_defines_it(
    db: None, client: Client
) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    fields = schema["components"]["schemas"]["MetricsOut"]["properties"]
    said = {name: str(field.get("description", "")).lower() for name, field in fields.items()}
    # Collaterals count among the people contacted (PCO counts survivors and family).
    assert "family" in said["people_contacted"] and "participants" in said["people_contacted"]
    assert "not located" in said["people_engaged"]
    assert "encounter" in said["people_engaged"]
    assert "treatment service" in said["people_accepted_treatment"]
    assert "overdose" in said["median_hours_to_first_contact"]
    assert "referral" in said["median_hours_to_first_contact"]
    assert "before" in said["new_person_share"]
