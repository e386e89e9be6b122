"""Today's route for a team on shift, through the web pages: order, times, gate and audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from coresponder.conftest import Clock
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.routing import Point
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Overdose
from coresponder.outreach.models import OutreachTask
from coresponder.outreach.routes import server_matrix
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import District, Program, Shift, Team

pytestmark = pytest.mark.django_db

# The clock reads noon UTC on Monday 10 March 2025: 08:00 in Plymouth (EDT). The team's
# shift runs 09:00–17:00 there, 13:00–21:00 UTC.
NOW = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
SHIFT_STARTS = dt.datetime(2025, 3, 10, 13, tzinfo=dt.UTC)
# Plymouth, MA, and places a few kilometres north of it.
BASE = (41.9584, -70.6673)


@pytest.fixture
def pco(db: None) -> Program:
    load_programs(SYSTEM)
    return Program.objects.get(slug="pco")


def staff(program: Program, role: Role = Role.RECOVERY_COACH) -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    return reader(world, role, username=f"{program.slug}-{role.value}")


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def on_shift(program: Program, name: str = "PCO Team 1", *districts: District) -> Team:
    team = Team.objects.create(program=program, name=name)
    shift = Shift.objects.create(
        program=program,
        team=team,
        name=f"Home visits ({name})",
        rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        starts_on=dt.date(2025, 1, 6),
        starts_at=dt.time(9, 0),
        duration_minutes=8 * 60,
    )
    shift.districts.set(districts)
    return team


def task_at(
    program: Program,
    name: str,
    km_north: float | None,
    *,
    address: str = "",
    opens: float = -10,
    closes: float = 40,
    **fields: Any,
) -> OutreachTask:
    """A task whose person lives `km_north` of the base (no home on record when None)."""
    person = Person.objects.create(
        given_name=name,
        family_name="Test",
        address=address,
        latitude=None if km_north is None else BASE[0] + km_north / 111.2,
        longitude=None if km_north is None else BASE[1],
    )
    Participation.objects.create(person=person, program=program, first_seen_at=NOW)
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=NOW + dt.timedelta(hours=opens),
        window_end=NOW + dt.timedelta(hours=closes),
        **fields,
    )


def route_url(program: Program, team: Team | None = None, sheet: bool = False) -> str:
    base = f"/programs/{program.slug}/outreach/route/{'sheet/' if sheet else ''}"
    return f"{base}?team={team.pk}" if team else base


def test_a_team_on_shift_gets_its_visits_in_order_with_local_times_and_addresses(
    pco: Program, clock: Clock
) -> None:
    team = on_shift(pco)
    far = task_at(pco, "Farther", 8, address="12 Court St, Plymouth")
    # Its window closes at 09:30 Plymouth time: only a first visit makes it.
    near = task_at(pco, "Nearer", 4, address="3 Summer St, Plymouth", closes=1.5)
    response = signed_in(staff(pco)).get(route_url(pco, team))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("1. Nearer Test") < page.index("2. Farther Test")
    assert "3 Summer St, Plymouth" in page and "12 Court St, Plymouth" in page
    # 4 km north × 1.3 at 40 km/h is 7.8 minutes after 09:00, Plymouth time.
    assert "09:07" in page or "09:08" in page
    assert f"/outreach/{near.pk}/" in page and f"/outreach/{far.pk}/" in page
    assert "Nearest first, for comparison" in page
    # With no routing server set, times are estimated and nothing leaves the site.
    assert "Estimated from straight-line distance × 1.3 at 25 mph" in page
    assert " miles" in page and " km" not in page
    event = AuditEvent.objects.get(
        action="read", object_type="outreach.outreachtask", person_id=None
    )
    assert event.detail["list"] == "team route"
    assert event.detail["team"] == team.pk
    assert sorted(event.detail["tasks"]) == sorted([near.pk, far.pk])
    # Filed under each person the route names.
    assert sorted(event.detail["ids"]) == sorted([near.person_id, far.person_id])
    assert sorted(event.fields) == ["contact", "identity", "outreach"]


def test_with_one_team_on_shift_the_route_is_shown_without_choosing(
    pco: Program, clock: Clock
) -> None:
    on_shift(pco)
    task_at(pco, "Only", 3, address="1 Main St")
    page = signed_in(staff(pco)).get(route_url(pco)).content.decode()
    assert "1. Only Test" in page


def test_a_visit_with_no_home_on_record_goes_where_the_overdose_happened(
    pco: Program, clock: Clock
) -> None:
    team = on_shift(pco)
    task = task_at(pco, "Homeless", None)
    overdose = Overdose.objects.create(
        program=pco,
        person=task.person,
        occurred_at=NOW - dt.timedelta(hours=20),
        latitude=BASE[0] + 0.02,
        longitude=BASE[1],
        place="Behind the bus station",
    )
    OutreachTask.objects.filter(pk=task.pk).update(overdose=overdose)
    task_at(pco, "Nowhere", None)
    page = signed_in(staff(pco)).get(route_url(pco, team)).content.decode()
    assert "1. Homeless Test" in page and "Behind the bus station" in page
    assert "Nowhere Test</a>: No address or location on record." in page


def test_the_route_leaves_out_what_this_team_may_not_visit_today(
    pco: Program, clock: Clock
) -> None:
    east = District.objects.create(program=pco, code="east", name="East")
    west = District.objects.create(program=pco, code="west", name="West")
    team = on_shift(pco, "PCO East", east)
    other = on_shift(pco, "PCO West", west)
    mine = task_at(pco, "Mine", 2, district=east)
    task_at(pco, "Theirs", 2, district=east, claimed_by=other, status="claimed")
    task_at(pco, "Western", 2, district=west)
    task_at(pco, "Tomorrow", 2, district=east, opens=30, closes=90)
    task_at(pco, "Visited", 2, district=east, status="collecting")
    page = signed_in(staff(pco)).get(route_url(pco, team)).content.decode()
    for name in ("Theirs", "Western", "Tomorrow", "Visited"):
        assert f"{name} Test" not in page
    assert "1. Mine Test" in page
    event = AuditEvent.objects.get(
        action="read", object_type="outreach.outreachtask", person_id=None
    )
    assert event.detail["tasks"] == [mine.pk]


def test_an_overdue_task_still_in_its_grace_is_visited_and_said_to_be_overdue(
    pco: Program, clock: Clock
) -> None:
    team = on_shift(pco)
    task_at(pco, "Late", 3, address="9 Oak St", opens=-60, closes=-2)
    page = signed_in(staff(pco)).get(route_url(pco, team)).content.decode()
    assert "1. Late Test" in page and "Overdue: visit by" in page


def test_when_not_every_visit_fits_the_rest_are_listed_with_the_reason(
    pco: Program, clock: Clock
) -> None:
    team = on_shift(pco)
    for n in range(20):
        task_at(pco, f"Person{n:02d}", 1 + n, address=f"{n} Elm St")
    page = signed_in(staff(pco)).get(route_url(pco, team)).content.decode()
    assert "Not on today's route" in page
    assert "No time left in the shift for it beside the visits kept." in page


def test_the_route_sheet_is_one_printable_page_without_navigation(
    pco: Program, clock: Clock
) -> None:
    team = on_shift(pco)
    task_at(pco, "Printed", 3, address="5 Water St")
    response = signed_in(staff(pco)).get(route_url(pco, team, sheet=True))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Primary navigation" not in page and "usa-header" not in page
    assert "outreach/route.css" in page
    assert 'id="route-sheet"' in page and "Printed Test" in page and "5 Water St" in page
    assert "Route sheet: PCO Team 1, <time" in page and ">Mon 10 Mar</time>" in page
    assert AuditEvent.objects.filter(action="read", detail__list="team route").count() == 1


def test_the_route_page_reads_a_fixed_number_of_queries(
    pco: Program, clock: Clock, django_assert_max_num_queries: Any
) -> None:
    team = on_shift(pco)
    client = signed_in(staff(pco))
    for n in range(3):
        task_at(pco, f"Few{n}", 1 + n, address="x")
    client.get(route_url(pco, team))
    for n in range(30):
        task_at(pco, f"Many{n}", 1 + n % 9, address="y")
    with django_assert_max_num_queries(30):
        assert client.get(route_url(pco, team)).status_code == 200


def test_at_a_weekend_the_page_plans_the_next_shift(pco: Program, clock: Clock) -> None:
    clock.now = dt.datetime(2025, 3, 8, 15, tzinfo=dt.UTC)  # a Saturday, 10:00 in Plymouth
    team = on_shift(pco)
    task = task_at(pco, "Monday", 3, address="5 Water St", opens=-60, closes=40)
    client = signed_in(staff(pco))
    page = client.get(route_url(pco)).content.decode()
    assert "Next shift&#x27;s route: PCO Team 1" in page or "Next shift's route: PCO Team 1" in page
    assert "No team's shift today has time left for a visit. The next shift is on" in page
    assert "Mon 10 Mar" in page
    assert "1. Monday Test" in page and "5 Water St" in page
    # It sets out when the shift starts, 09:00 on Monday in Plymouth.
    assert ">09:00<" in page
    sheet = client.get(route_url(pco, team, sheet=True)).content.decode()
    assert "Route sheet: PCO Team 1" in sheet and "Mon 10 Mar" in sheet
    assert "Monday Test" in sheet
    # Every page of people's data is audited.
    events = AuditEvent.objects.filter(action="read", detail__list="team route")
    assert events.count() == 2
    assert all(event.detail["tasks"] == [task.pk] for event in events)


NO_SHIFT_AHEAD = (
    "No team's shift today has time left for a visit, and no team has a shift in the week ahead."
)


def test_a_shift_ending_before_a_visit_could_be_made_gives_way_to_the_next(
    pco: Program, clock: Clock
) -> None:
    # 16:45 on Monday in Plymouth: the team's shift ends at 17:00, and a visit takes 30
    # minutes (the preset's route.service_minutes), so Tuesday's shift is planned.
    clock.now = dt.datetime(2025, 3, 10, 20, 45, tzinfo=dt.UTC)
    on_shift(pco)
    task_at(pco, "Tuesday", 3, address="5 Water St", opens=-10, closes=60)
    page = signed_in(staff(pco)).get(route_url(pco)).content.decode()
    assert "No team's shift today has time left for a visit. The next shift is on" in page
    assert "Tue 11 Mar" in page
    assert "1. Tuesday Test" in page and ">09:00<" in page
    assert "0 of 1" not in page


def test_a_shift_with_time_for_one_visit_left_is_still_planned(pco: Program, clock: Clock) -> None:
    clock.now = dt.datetime(2025, 3, 10, 20, 25, tzinfo=dt.UTC)  # 16:25, 35 minutes left
    on_shift(pco)
    task_at(pco, "Today", 1, address="5 Water St", opens=-10, closes=60)
    page = signed_in(staff(pco)).get(route_url(pco)).content.decode()
    assert "time left for a visit" not in page
    assert "1. Today Test" in page


def test_without_a_shift_in_the_week_ahead_the_page_says_so(pco: Program, clock: Clock) -> None:
    team = on_shift(pco)
    Shift.objects.filter(team=team).update(starts_on=dt.date(2025, 4, 1))
    task_at(pco, "Nobody", 3)
    client = signed_in(staff(pco))
    page = client.get(route_url(pco)).content.decode()
    assert NO_SHIFT_AHEAD in page
    assert "Nobody Test" not in page
    assert 'href="/programs/pco/teams/"' in page
    sheet = client.get(route_url(pco, sheet=True)).content.decode()
    assert NO_SHIFT_AHEAD in sheet
    # Even a page that lists no one is audited.
    assert AuditEvent.objects.filter(action="read", detail__list="team route").count() == 2


def test_an_unknown_team_is_told_and_lists_no_one(pco: Program, clock: Clock) -> None:
    on_shift(pco)
    task_at(pco, "Hidden", 3)
    response = signed_in(staff(pco)).get("/programs/pco/outreach/route/?team=999999")
    page = response.content.decode()
    assert response.status_code == 200
    assert "That team has no shift with time left for a visit" in page and "Hidden Test" not in page


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PROSECUTOR, Role.ANALYST])
def test_a_role_that_does_not_read_addresses_and_outreach_gets_404(
    pco: Program, clock: Clock, role: Role
) -> None:
    team = on_shift(pco)
    task_at(pco, "Private", 3, address="7 Elm St")
    client = signed_in(staff(pco, role))
    assert client.get(route_url(pco, team)).status_code == 404
    assert client.get(route_url(pco, team, sheet=True)).status_code == 404


def test_the_queue_links_field_roles_to_the_route(pco: Program, clock: Clock) -> None:
    on_shift(pco)
    page = signed_in(staff(pco)).get("/programs/pco/outreach/").content.decode()
    assert 'href="/programs/pco/outreach/route/"' in page


def test_a_routing_server_address_that_is_not_http_is_never_asked() -> None:
    assert server_matrix("file:///etc/passwd", [Point(*BASE), Point(*BASE)]) is None


def test_the_route_leaves_out_visits_the_task_says_not_to_make_yet(
    pco: Program, clock: Clock
) -> None:
    team = on_shift(pco)
    # The next try is due only after the shift (at 18:00 Plymouth time).
    task_at(pco, "Spaced", 2, address="1 Pine St", next_attempt_after=NOW + dt.timedelta(hours=10))
    # Asked to be contacted again tomorrow, on Plymouth's calendar.
    task_at(pco, "Tomorrow", 3, address="2 Pine St", recontact_on=dt.date(2025, 3, 11))
    today = task_at(pco, "Today", 4, address="3 Pine St", recontact_on=dt.date(2025, 3, 10))
    # The next try is due at 15:00 Plymouth time: visited then, not before.
    later = task_at(
        pco, "Afternoon", 1, address="4 Pine St", next_attempt_after=NOW + dt.timedelta(hours=7)
    )
    client = signed_in(staff(pco))
    for sheet in (True, False):
        page = " ".join(client.get(route_url(pco, team, sheet=sheet)).content.decode().split())
        assert "Spaced Test" not in page and "Tomorrow Test" not in page
        assert "Today Test" in page and "Afternoon Test" in page
    assert 'the next attempt is due from <time datetime="2025-03-10T15:00:00-04:00">15:00' in page
    reads = AuditEvent.objects.filter(
        action="read", object_type="outreach.outreachtask", person_id=None
    )
    assert reads.count() == 2
    for event in reads:
        assert sorted(event.detail["tasks"]) == sorted([today.pk, later.pk])


def test_a_next_try_due_after_the_window_closed_is_planned_then_while_the_task_lasts(
    pco: Program, clock: Clock
) -> None:
    """The window closes at 12:00 Plymouth time, the next try is due from 15:00: the task is
    overdue by then but has not expired, so it is visited at 15:00, not skipped as too far
    to reach in its window."""
    team = on_shift(pco)
    late = task_at(
        pco,
        "Overdue",
        1,
        address="4 Pine St",
        closes=4,
        next_attempt_after=NOW + dt.timedelta(hours=7),
    )
    page = " ".join(signed_in(staff(pco)).get(route_url(pco, team)).content.decode().split())
    assert "Overdue Test" in page
    assert "Too far to reach" not in page
    assert 'the next attempt is due from <time datetime="2025-03-10T15:00:00-04:00">15:00' in page
    assert f"/outreach/{late.pk}/" in page


def test_the_route_names_its_zone_in_the_queues_words(pco: Program, clock: Clock) -> None:
    team = on_shift(pco)
    task_at(pco, "Nearer", 4, address="3 Summer St, Plymouth")
    page = signed_in(staff(pco)).get(route_url(pco, team)).content.decode()
    assert "Times are local to the program (Eastern time)." in page
