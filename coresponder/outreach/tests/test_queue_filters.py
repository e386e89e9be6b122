"""The queue's filters, its due-now-first order and its counts, on the page and in the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from coresponder.conftest import Clock
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import OutreachTask
from coresponder.outreach.queue import QueueFilter, outreach_queue
from coresponder.outreach.tests.test_closing_and_expiry import staff, task_at
from coresponder.programs.models import District, Program, Team, TeamMember

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def spread(qrt: Program, clock: Clock) -> dict[str, OutreachTask]:
    """QRT at noon UTC (08:00 in Huntington): tasks due now, overdue, later, and expired."""
    now = clock.now
    east = District.objects.create(program=qrt, code="east", name="East side")
    team = Team.objects.create(program=qrt, name="QRT Blue")
    tasks = {
        "closing": task_at(qrt, "Closing", now, closes=3),
        "later": task_at(qrt, "Later", now, closes=60),
        "overdue": task_at(qrt, "Overdue", now, opened=-80, closes=-2),
        "waiting": task_at(qrt, "Waiting", now, opened=5, closes=70),
        "expired": task_at(qrt, "Expired", now, opened=-200, closes=-30),
    }
    OutreachTask.objects.filter(pk=tasks["later"].pk).update(
        claimed_by=team, status="claimed", district=east
    )
    return tasks


def names_in_order(page: str, *names: str) -> list[str]:
    found = [(page.index(f"{name} Test"), name) for name in names if f"{name} Test" in page]
    return [name for _at, name in sorted(found)]


def test_the_queue_shows_due_now_then_overdue_then_not_yet_open_and_hides_expired(
    qrt: Program, spread: dict[str, OutreachTask]
) -> None:
    page = signed_in(staff(qrt, Role.PARAMEDIC)).get("/programs/qrt/outreach/").content.decode()
    assert names_in_order(page, "Closing", "Later", "Overdue", "Waiting", "Expired") == [
        "Closing",
        "Later",
        "Overdue",
        "Waiting",
    ]
    assert "4 tasks to work" in page
    assert "1 task expired unworked" in page


def test_the_tier_policy_orders_tasks_inside_the_due_now_part(
    qrt: Program, spread: dict[str, OutreachTask], clock: Clock
) -> None:
    OutreachTask.objects.filter(pk=spread["later"].pk).update(priority_tier=1)
    OutreachTask.objects.filter(pk=spread["waiting"].pk).update(priority_tier=1)
    ids = [row["task_id"] for row in outreach_queue(qrt, clock.now).items]
    order = {pk: name for name, task in spread.items() for pk in [task.pk]}
    assert [order[pk] for pk in ids] == ["later", "closing", "overdue", "waiting"]


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("who=unclaimed", ["Closing", "Overdue", "Waiting"]),
        ("who=mine", ["Later"]),
        ("when=overdue", ["Overdue"]),
        # 12:00 UTC is 08:00 in Huntington: "Closing" closes at 11:00 there today, and
        # "Overdue" closed at 06:00 this morning; "Later" closes in three days.
        ("when=due_today", ["Closing", "Overdue"]),
        ("district=east", ["Later"]),
        ("who=unclaimed&when=overdue", ["Overdue"]),
    ],
)
def test_each_filter_narrows_the_queue(
    qrt: Program, spread: dict[str, OutreachTask], query: str, shown: list[str]
) -> None:
    user = staff(qrt, Role.PARAMEDIC)
    TeamMember.objects.create(team=Team.objects.get(name="QRT Blue"), user=user, role="paramedic")
    page = signed_in(user).get(f"/programs/qrt/outreach/?{query}").content.decode()
    assert names_in_order(page, "Closing", "Later", "Overdue", "Waiting", "Expired") == shown


def test_the_filter_form_shows_counts_and_keeps_the_choice(
    qrt: Program, spread: dict[str, OutreachTask]
) -> None:
    page = (
        signed_in(staff(qrt, Role.PARAMEDIC))
        .get("/programs/qrt/outreach/?who=unclaimed")
        .content.decode()
    )
    assert '<option value="unclaimed" selected>Not claimed (3)</option>' in page
    assert '<option value="overdue">Overdue (1)</option>' in page
    assert "Claimed by my team" not in page, "offered only to members of a team"
    assert "Clear filters" in page


def test_the_page_links_keep_the_filters(qrt: Program, clock: Clock) -> None:
    for index in range(52):
        task_at(qrt, f"P{index:02d}", clock.now, closes=10 + index)
    page = (
        signed_in(staff(qrt, Role.PARAMEDIC))
        .get("/programs/qrt/outreach/?who=unclaimed")
        .content.decode()
    )
    assert "page 1 of 2" in page
    assert 'href="?who=unclaimed&amp;page=2"' in page
    second = (
        signed_in(staff(qrt, Role.PARAMEDIC, "qrt-second"))
        .get("/programs/qrt/outreach/?who=unclaimed&page=2")
        .content.decode()
    )
    assert "P51 Test" in second and "P00 Test" not in second


def test_a_page_spanning_the_parts_of_the_queue_follows_on_without_gaps(
    qrt: Program, clock: Clock
) -> None:
    made = [task_at(qrt, f"D{i}", clock.now, closes=10 + i) for i in range(3)]
    made += [task_at(qrt, f"O{i}", clock.now, opened=-80, closes=-1 - i) for i in range(3)]
    made += [task_at(qrt, f"W{i}", clock.now, opened=5, closes=60 + i) for i in range(3)]
    pages = [outreach_queue(qrt, clock.now, page=n, page_size=4) for n in (1, 2, 3)]
    ids = [row["task_id"] for result in pages for row in result.items]
    names = {task.pk: task.person.given_name for task in made}
    assert [names[pk] for pk in ids] == [
        "D0",
        "D1",
        "D2",
        "O2",
        "O1",
        "O0",
        "W0",
        "W1",
        "W2",
    ]
    assert [result.pages for result in pages] == [3, 3, 3]


def test_the_filtered_queue_costs_the_same_queries_however_long(
    qrt: Program, clock: Clock, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(staff(qrt, Role.PARAMEDIC))
    url = "/programs/qrt/outreach/?who=unclaimed&when=due_today"
    # Both parts of the queue the filter keeps (due now, overdue) are on the page from the start.
    for index in range(3):
        task_at(qrt, f"A{index}", clock.now, closes=2)
    task_at(qrt, "Late", clock.now, opened=-80, closes=-2)
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    for index in range(30):
        task_at(qrt, f"B{index}", clock.now, closes=2)
        task_at(qrt, f"C{index}", clock.now, opened=-80, closes=-2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_api_queue_filters_and_counts_the_same_way(
    qrt: Program, spread: dict[str, OutreachTask], clock: Clock, api_client_for: Any
) -> None:
    client = api_client_for(staff(qrt, Role.PARAMEDIC))
    everyone = client.get("/api/v1/programs/qrt/outreach-queue").json()
    assert [i["task_id"] for i in everyone["items"]] == [
        spread[name].pk for name in ("closing", "later", "overdue", "waiting")
    ]
    overdue = client.get("/api/v1/programs/qrt/outreach-queue?when=overdue").json()
    assert [i["task_id"] for i in overdue["items"]] == [spread["overdue"].pk]
    unclaimed = client.get("/api/v1/programs/qrt/outreach-queue?who=unclaimed").json()
    assert unclaimed["count"] == 3
    assert client.get("/api/v1/programs/qrt/outreach-queue?who=all").status_code == 422


def test_mine_means_claimed_by_one_of_my_teams(
    qrt: Program, spread: dict[str, OutreachTask], clock: Clock
) -> None:
    result = outreach_queue(qrt, clock.now, filters=QueueFilter(who="mine", my_teams=()))
    assert result.items == [] and result.count == 0
    blue = Team.objects.get(name="QRT Blue")
    result = outreach_queue(qrt, clock.now, filters=QueueFilter(who="mine", my_teams=(blue.pk,)))
    assert [row["task_id"] for row in result.items] == [spread["later"].pk]
    assert result.counts == {
        "everyone": 4,
        "mine": 1,
        "unclaimed": 3,
        "due_today": 2,
        "overdue": 1,
    }


@pytest.mark.parametrize("seated_as", [Role.COORDINATOR, Role.PROSECUTOR])
def test_a_seat_in_a_role_that_does_no_field_work_makes_no_claimed_task_mine(
    qrt: Program, spread: dict[str, OutreachTask], api_client_for: Any, seated_as: Role
) -> None:
    # A coordinator reads the queue but sits on no team; the seat is as data from before
    # the rule holds it (a coordinator seated, or someone seated as a prosecutor).
    user = staff(qrt, Role.COORDINATOR)
    blue = Team.objects.get(name="QRT Blue")
    TeamMember.objects.create(team=blue, user=user, role=seated_as.value)

    page = signed_in(user).get("/programs/qrt/outreach/?who=mine").content.decode()
    api = api_client_for(user).get("/api/v1/programs/qrt/outreach-queue?who=mine").json()

    assert names_in_order(page, "Closing", "Later", "Overdue", "Waiting", "Expired") == []
    assert "Claimed by my team" not in page
    assert api["count"] == 0 and api["items"] == []
