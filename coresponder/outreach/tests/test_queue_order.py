"""The queue the database sorts: stored tiers, pages, a team's shift districts, the map."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from coresponder.core.audit import Actor
from coresponder.core.errors import StaleVersion
from coresponder.domain.outreach import work_order_key
from coresponder.domain.vocabulary import Role
from coresponder.outreach.access import access_task
from coresponder.outreach.actions import claim_task
from coresponder.outreach.models import OutreachTask
from coresponder.outreach.queue import outreach_queue
from coresponder.outreach.task_map import build_task_map
from coresponder.outreach.tests.test_outreach_api import NOW, attempt, history, staff, task_for
from coresponder.programs.models import District, Program, Shift, Team, TeamMember

pytestmark = pytest.mark.django_db


def url(program: Program, **params: Any) -> str:
    query = "&".join(f"{key}={value}" for key, value in {"at": NOW.isoformat(), **params}.items())
    return f"/api/v1/programs/{program.slug}/outreach-queue?" + query.replace("+", "%2B")


def test_an_attempt_moves_the_persons_other_queued_task_to_its_new_tier(
    qrt: Program, api_client_for: Any
) -> None:
    first = task_for(qrt, "Twice")
    second = OutreachTask.objects.create(
        program=qrt,
        person=first.person,
        target="family",
        window_start=first.window_start,
        window_end=first.window_end,
        priority_tier=1,
    )
    client = api_client_for(staff(qrt))
    assert attempt(client, first, "not_located", contacted=[]).status_code == 201
    second.refresh_from_db()
    assert second.priority_tier == 2
    assert second.version == 1, "a derived tier does not make anyone's edit stale"


def test_the_database_order_is_the_domain_work_order(qrt: Program) -> None:
    rng = random.Random(7)
    outcomes = [(), ("not_located",), ("declined_interested_later",), ("contacted",)]
    for index in range(24):
        task = task_for(qrt, f"P{index}", closes_in_hours=rng.choice([2, 5, 5, 30, 60]))
        history(task, *rng.choice(outcomes))
    tasks = list(OutreachTask.objects.filter(program=qrt, status="open"))
    expected = [
        t.pk
        for t in sorted(
            tasks, key=lambda t: work_order_key(t.priority_tier, t.window_end, t.created_at, t.pk)
        )
    ]
    got = outreach_queue(qrt, NOW, page_size=100).items
    assert [row["task_id"] for row in got] == expected
    assert {row["priority_tier"] for row in got} == {1, 2, 3, None}


def test_the_queue_comes_in_pages_of_fifty(qrt: Program, api_client_for: Any) -> None:
    for index in range(53):
        task_for(qrt, f"P{index}", closes_in_hours=10 + index)
    client = api_client_for(staff(qrt))
    first = client.get(url(qrt)).json()
    second = client.get(url(qrt, page=2)).json()
    assert (first["count"], first["pages"], len(first["items"])) == (53, 2, 50)
    assert (second["page"], len(second["items"])) == (2, 3)
    seen = [i["task_id"] for i in first["items"] + second["items"]]
    assert len(set(seen)) == 53
    assert client.get(url(qrt, page=0)).status_code == 422


def in_district(task: OutreachTask, district: District) -> OutreachTask:
    OutreachTask.objects.filter(pk=task.pk).update(district=district)
    return task


def on_shift(program: Program, name: str, *districts: District) -> Team:
    team = Team.objects.create(program=program, name=name)
    shift = Shift.objects.create(
        program=program,
        team=team,
        name="Days",
        rrule="FREQ=DAILY",
        starts_on=dt.date(2026, 11, 1),
        starts_at=dt.time(8, 0),
        duration_minutes=10 * 60,
    )
    shift.districts.set(districts)
    return team


def test_a_team_on_shift_sees_only_its_shifts_districts(qrt: Program, api_client_for: Any) -> None:
    east = District.objects.create(program=qrt, code="east", name="East")
    west = District.objects.create(program=qrt, code="west", name="West")
    mine = in_district(task_for(qrt, "East"), east)
    in_district(task_for(qrt, "West"), west)
    team = on_shift(qrt, "QRT East", east)
    client = api_client_for(staff(qrt))
    body = client.get(url(qrt, team=team.pk)).json()  # 10:00 in Huntington: on shift
    assert [i["task_id"] for i in body["items"]] == [mine.pk]
    assert body["items"][0]["district"] == "east"
    assert client.get(url(qrt, team=team.pk, district="west")).json()["count"] == 0
    night = NOW + dt.timedelta(hours=12)
    off = client.get(
        f"/api/v1/programs/qrt/outreach-queue?team={team.pk}&at="
        + night.isoformat().replace("+", "%2B")
    )
    assert off.status_code == 422
    assert "not on shift" in off.json()["errors"]["team"][0]


def test_the_queue_page_offers_the_teams_on_shift(qrt: Program, client: Any) -> None:
    east = District.objects.create(program=qrt, code="east", name="East")
    team = on_shift(qrt, "QRT East", east)
    team.shifts.update(rrule="FREQ=MINUTELY;INTERVAL=1440", starts_at=dt.time(0, 0))
    Shift.objects.filter(team=team).update(duration_minutes=24 * 60)
    in_district(task_for(qrt, "Eastern"), east)
    task_for(qrt, "Nowhere")
    # The page asks about now: the windows are open now.
    now = timezone.now()
    OutreachTask.objects.filter(program=qrt).update(
        window_start=now - dt.timedelta(hours=1), window_end=now + dt.timedelta(hours=48)
    )
    client.force_login(staff(qrt))
    page = client.get(f"/programs/qrt/outreach/?team={team.pk}")
    text = page.content.decode()
    assert page.status_code == 200
    assert "QRT East" in text and "Eastern" in text and "Nowhere" not in text
    assert "1 task to work" in text


def test_the_map_counts_todays_open_tasks_per_district_as_tiles(qrt: Program) -> None:
    east = District.objects.create(program=qrt, code="east", name="East")
    District.objects.create(program=qrt, code="west", name="West")
    in_district(task_for(qrt, "A"), east)
    late = in_district(task_for(qrt, "B", closes_in_hours=-2), east)
    OutreachTask.objects.filter(pk=late.pk).update(window_start=NOW - dt.timedelta(days=3))
    future = task_for(qrt, "C")
    OutreachTask.objects.filter(pk=future.pk).update(
        window_start=NOW + dt.timedelta(days=2), district=east
    )
    drawn = build_task_map(qrt, NOW)
    counts = {row.code: (row.open_today, row.overdue) for row in drawn.rows}
    assert counts == {"east": (2, 1), "west": (0, 0)}
    assert not drawn.drawn_from_boundaries
    assert [shape.code for shape in drawn.shapes] == ["east", "west"]
    assert drawn.shapes[0].shade == 4 and drawn.shapes[1].shade == 0


def square(west: float, south: float) -> dict[str, Any]:
    ring = [[west, south], [west + 0.1, south], [west + 0.1, south + 0.1], [west, south + 0.1]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_the_map_draws_district_shapes_and_links_each_to_its_queue(
    qrt: Program, client: Any, django_assert_max_num_queries: Any
) -> None:
    north = District.objects.create(
        program=qrt, code="n", name="North", boundary=square(-82.5, 38.5)
    )
    District.objects.create(program=qrt, code="s", name="South", boundary=square(-82.5, 38.3))
    in_district(task_for(qrt, "A"), north)
    client.force_login(staff(qrt))
    with django_assert_max_num_queries(25) as few:
        page = client.get("/programs/qrt/outreach/map/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Districts drawn from their boundaries" in text
    assert "/programs/qrt/outreach/?district=n" in text
    assert text.count("<path") == 2
    for index in range(10):
        in_district(task_for(qrt, f"More{index}"), north)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/programs/qrt/outreach/map/")


def test_a_prosecutor_gets_no_map(qrt: Program, client: Any) -> None:
    client.force_login(staff(qrt, Role.PROSECUTOR))
    assert client.get("/programs/qrt/outreach/map/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_teams_claiming_at_the_same_instant_one_wins_and_one_gets_409(
    qrt: Program,
) -> None:
    task = task_for(qrt, "Contested")
    teams = [Team.objects.create(program=qrt, name=f"QRT {n}") for n in "AB"]
    users = [staff(qrt), staff(qrt, Role.PARAMEDIC)]
    for team, user in zip(teams, users, strict=True):
        TeamMember.objects.create(team=team, user=user, role=Role.OFFICER.value)
    start = threading.Barrier(2)
    results: list[str] = []

    def claim(index: int) -> None:
        try:
            found, access = access_task(users[index], task.pk)
            start.wait(timeout=10)
            for _ in range(500):
                try:
                    claim_task(Actor(user=users[index]), access, found, teams[index])
                    results.append("won")
                    return
                except OperationalError as exc:
                    # The in-memory SQLite test database locks whole tables and ignores
                    # the busy timeout a file database waits out; wait here instead.
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except StaleVersion:
            results.append("409")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["409", "won"]
    task.refresh_from_db()
    assert task.status == "claimed" and task.claimed_by in teams
