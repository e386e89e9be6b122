"""Closing tasks (on an outcome, or by hand with a reason) and expiring the unworked ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from coresponder.conftest import Clock
from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.errors import ActionError, Forbidden, StaleVersion
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.access import access_task
from coresponder.outreach.actions import (
    AttemptInput,
    ContactInput,
    close_task,
    expire_tasks,
    record_attempt,
)
from coresponder.outreach.management.commands.run_worker import send_all
from coresponder.outreach.models import OutreachTask
from coresponder.outreach.reminders import WORKER
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.local_time import format_date
from coresponder.programs.models import District, Program

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def pco(db: None) -> Program:
    """Plymouth County Outreach: contact closes a task; a day's grace after the window."""
    load_programs(SYSTEM)
    return Program.objects.get(slug="pco")


def staff(program: Program, role: Role = Role.RECOVERY_COACH, username: str = "") -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    return reader(world, role, username=username or f"{program.slug}-{role.value}")


def task_at(
    program: Program, name: str, now: dt.datetime, *, opened: float = -1, closes: float = 48
) -> OutreachTask:
    """A task whose window opened `opened` hours from `now` and closes `closes` hours from it."""
    person = Person.objects.create(given_name=name, family_name="Test")
    Participation.objects.create(person=person, program=program, first_seen_at=now)
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=now + opened * HOUR,
        window_end=now + closes * HOUR,
    )


# Who an outcome that says someone was reached reached.
REACHED = {
    "contacted": (ContactInput(role="participant"),),
    "contacted_collateral_only": (ContactInput(role="collateral", relationship="mother"),),
}


def attempt_data(now: dt.datetime, outcome: str) -> AttemptInput:
    return AttemptInput(
        attempted_at=now, channel="home_visit", outcome=outcome, contacted=REACHED.get(outcome, ())
    )


def as_user(user: Any, task: OutreachTask) -> tuple[Actor, Any]:
    found, access = access_task(user, task.pk)
    return Actor(user=user), access


# --- Closing outcomes ----------------------------------------------------------------


def test_a_pco_visit_that_reached_the_family_closes_the_task_and_is_audited(
    pco: Program, clock: Clock
) -> None:
    task = task_at(pco, "Family", clock.now)
    coach = staff(pco)
    actor, access = as_user(coach, task)
    record_attempt(actor, access, task, attempt_data(clock.now, "contacted_collateral_only"))
    task.refresh_from_db()
    # PCO's closing checklist still stands between the visit and a closed case.
    assert task.status == OutreachTask.Status.COLLECTING
    assert task.close_reason == "contacted_collateral_only"
    event = AuditEvent.objects.get(object_type="outreach.attempt", action="create")
    assert event.detail["outcome"] == "contacted_collateral_only"
    assert event.detail["task_status"] == "collecting"
    # Another visit now is told what the task waits for, not that it is closed.
    with pytest.raises(ActionError) as refused:
        record_attempt(actor, access, task, attempt_data(clock.now, "no_contact"))
    assert str(refused.value).startswith("Not saved: a visit recorded")
    assert str(refused.value).endswith("settled this task; it waits for its closing checklist.")
    # Nor does its page call it closed.
    page = signed_in(coach).get(task_page(task)).content.decode()
    assert "Closed because" not in page


def test_a_pco_visit_that_reached_the_survivor_with_the_checklist_filled_closes_the_task(
    pco: Program, clock: Clock
) -> None:
    task = task_at(pco, "Survivor", clock.now)
    actor, access = as_user(staff(pco), task)
    data = replace(attempt_data(clock.now, "contacted"), checklist={"family_support": "Leaflets"})
    record_attempt(actor, access, task, data)
    task.refresh_from_db()
    assert (task.status, task.close_reason) == (OutreachTask.Status.CLOSED, "contacted")
    assert task.closed_at == clock.now
    event = AuditEvent.objects.get(object_type="outreach.attempt", action="create")
    assert event.detail["task_status"] == "closed"


def test_a_qrt_visit_that_reached_only_family_keeps_the_task_open(
    qrt: Program, clock: Clock
) -> None:
    task = task_at(qrt, "Family", clock.now)
    actor, access = as_user(staff(qrt, Role.PARAMEDIC), task)
    record_attempt(actor, access, task, attempt_data(clock.now, "contacted_collateral_only"))
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.OPEN


# --- Closing by hand ------------------------------------------------------------------


def test_closing_by_hand_keeps_the_reason_and_audits_it(pco: Program, clock: Clock) -> None:
    task = task_at(pco, "Hand", clock.now)
    actor, access = as_user(staff(pco), task)
    closed = close_task(actor, access, task, "other", "Family say he moved to Ohio", 1)
    closed.refresh_from_db()
    assert (closed.status, closed.close_reason) == (OutreachTask.Status.CLOSED, "other")
    assert closed.close_note == "Family say he moved to Ohio"
    assert closed.version == 2
    event = AuditEvent.objects.get(object_type="outreach.outreachtask", action="change")
    assert event.detail == {"closed": "other", "note": "Family say he moved to Ohio"}
    assert event.person_id == task.person_id


def test_closing_by_hand_refuses_other_without_words_and_a_closed_task(
    pco: Program, clock: Clock
) -> None:
    task = task_at(pco, "Words", clock.now)
    actor, access = as_user(staff(pco), task)
    with pytest.raises(ActionError) as raised:
        close_task(actor, access, task, "other", "", 1)
    assert "note" in (raised.value.errors or {})
    close_task(actor, access, task, "duplicate", "", 1)
    with pytest.raises(ActionError):
        close_task(actor, access, task, "duplicate", "", 2)
    assert AuditEvent.objects.filter(action="change").count() == 1


def test_closing_by_hand_against_a_stale_version_changes_nothing(
    pco: Program, clock: Clock
) -> None:
    task = task_at(pco, "Stale", clock.now)
    OutreachTask.objects.filter(pk=task.pk).update(version=2)
    actor, access = as_user(staff(pco), task)
    with pytest.raises(StaleVersion):
        close_task(actor, access, task, "duplicate", "", 1)
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.OPEN
    assert not AuditEvent.objects.filter(action="change").exists()


def test_a_role_that_cannot_write_outreach_cannot_close(pco: Program, clock: Clock) -> None:
    task = task_at(pco, "Admin", clock.now)
    actor, access = as_user(staff(pco, Role.ADMIN), task)
    with pytest.raises(Forbidden):
        close_task(actor, access, task, "duplicate", "", 1)


# --- Expiry ---------------------------------------------------------------------------


def test_the_worker_expires_tasks_past_the_preset_s_grace_once_and_audits_the_batch(
    pco: Program, clock: Clock
) -> None:
    old = task_at(pco, "Old", clock.now, opened=-200, closes=-25)
    older = task_at(pco, "Older", clock.now, opened=-900, closes=-800)
    graced = task_at(pco, "Grace", clock.now, opened=-80, closes=-23)
    current = task_at(pco, "Now", clock.now)
    assert expire_tasks(WORKER, clock.now) == 2
    states = dict(OutreachTask.objects.values_list("pk", "status"))
    assert states[old.pk] == states[older.pk] == OutreachTask.Status.EXPIRED
    assert states[graced.pk] == states[current.pk] == OutreachTask.Status.OPEN
    batches = AuditEvent.objects.filter(action="change", person_id__isnull=True)
    event = batches.get(object_type="outreach.outreachtask")
    assert event.detail["expired"] == sorted([older.pk, old.pk])
    assert (event.actor_label, event.program_slug) == ("worker", "pco")
    assert expire_tasks(WORKER, clock.now) == 0, "a second pass finds nothing"
    assert batches.count() == 1


def test_an_expired_task_is_in_its_persons_trail(pco: Program, clock: Clock) -> None:
    """The worker changed each person's task: a review of the person finds who and when."""
    old = task_at(pco, "Old", clock.now, opened=-200, closes=-25)
    older = task_at(pco, "Older", clock.now, opened=-900, closes=-800)
    current = task_at(pco, "Now", clock.now)
    expire_tasks(WORKER, clock.now)
    for task in (old, older):
        (event,) = AuditEvent.objects.filter(person_id=task.person_id)
        assert (event.action, event.object_type) == ("change", "outreach.outreachtask")
        assert (event.actor_label, event.program_slug) == ("worker", "pco")
    assert not AuditEvent.objects.filter(person_id=current.person_id).exists()


def test_an_expired_task_takes_no_more_attempts_but_can_be_closed_with_a_reason(
    pco: Program, clock: Clock
) -> None:
    task = task_at(pco, "Late", clock.now, opened=-200, closes=-100)
    expire_tasks(WORKER, clock.now)
    task.refresh_from_db()
    actor, access = as_user(staff(pco), task)
    with pytest.raises(ActionError) as raised:
        record_attempt(actor, access, task, attempt_data(clock.now, "contacted"))
    assert "Missed list" in str(raised.value)
    closed = close_task(actor, access, task, "reached_elsewhere", "", task.version)
    assert closed.status == OutreachTask.Status.CLOSED


def test_a_closed_task_or_one_waiting_for_its_checklist_never_expires(
    pco: Program, clock: Clock
) -> None:
    closed = task_at(pco, "Closed", clock.now, opened=-200, closes=-100)
    collecting = task_at(pco, "Collecting", clock.now, opened=-200, closes=-100)
    OutreachTask.objects.filter(pk=closed.pk).update(status="closed")
    OutreachTask.objects.filter(pk=collecting.pk).update(status="collecting")
    assert expire_tasks(WORKER, clock.now) == 0


def test_a_person_who_asked_to_be_contacted_later_stays_in_the_queue_until_then(
    pco: Program, clock: Clock
) -> None:
    task = task_at(pco, "Later", clock.now, opened=-20, closes=10)
    actor, access = as_user(staff(pco), task)
    record_attempt(actor, access, task, attempt_data(clock.now, "declined_interested_later"))
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.OPEN and task.recontact_on is not None
    assert task.next_attempt_after is not None and task.next_attempt_after > task.window_end
    # Days after the window closed, before the re-contact: not expired, not missed.
    days_on = clock.now + dt.timedelta(days=10)
    assert expire_tasks(WORKER, days_on) == 0
    clock.now = days_on
    coordinator = signed_in(staff(pco, Role.COORDINATOR, username="coordinator"))
    queue = signed_in(staff(pco, username="coach-2")).get("/programs/pco/outreach/").content
    assert "Later Test" in queue.decode()
    # Said as what it is, not as an overdue window.
    assert f"Contact again on {format_date(task.recontact_on, with_year=True)}" in queue.decode()
    assert "Later Test" not in coordinator.get("/programs/pco/outreach/missed/").content.decode()
    sla = coordinator.get("/programs/pco/sla/").content.decode()
    assert '<td data-label="Missed windows" id="sla-missed">0</td>' in sla
    # Nobody tried again after the re-contact date and its grace: then it leaves the queue.
    past = task.next_attempt_after + dt.timedelta(hours=25)
    assert expire_tasks(WORKER, past) == 1


def test_the_visit_message_says_when_to_contact_again_and_that_the_task_waits(
    pco: Program, clock: Clock
) -> None:
    task = task_at(pco, "Message", clock.now, opened=-20, closes=10)
    client = signed_in(staff(pco))
    local = clock.now.astimezone(dt.timezone(dt.timedelta(hours=-5))).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        task_page(task),
        {"attempted_at": local, "channel": "phone", "outcome": "declined_interested_later"},
        follow=True,
    )
    page = response.content.decode()
    assert "Contact them again after" in page and "stays in the queue until then" in page
    assert "a visit then is late" not in page


def test_the_worker_pass_counts_what_it_expired(pco: Program, clock: Clock) -> None:
    task_at(pco, "Old", clock.now, opened=-200, closes=-100)
    assert send_all(clock.now)["expired"] == 1
    out = StringIO()
    call_command("run_worker", "--once", stdout=out)
    assert "expired: 0" in out.getvalue()


# --- Pages ------------------------------------------------------------------------------


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_never_lists_expired_tasks_even_before_the_worker_ran(
    pco: Program, clock: Clock
) -> None:
    task_at(pco, "Ancient", clock.now, opened=-36000, closes=-35000)
    task_at(pco, "Today", clock.now)
    page = signed_in(staff(pco)).get("/programs/pco/outreach/").content.decode()
    assert "Today Test" in page and "Ancient Test" not in page
    assert "1 task expired unworked" in page
    assert OutreachTask.objects.filter(status="open").count() == 2, "nothing was written"


def test_the_missed_list_shows_expired_tasks_to_coordinators_and_audits_the_read(
    pco: Program, clock: Clock
) -> None:
    moved = task_at(pco, "Moved", clock.now, opened=-200, closes=-100)
    expire_tasks(WORKER, clock.now)
    waiting = task_at(pco, "Waiting", clock.now, opened=-200, closes=-30)
    task_at(pco, "Live", clock.now)
    response = signed_in(staff(pco, Role.COORDINATOR)).get("/programs/pco/outreach/missed/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Moved Test" in page and "Waiting Test" in page and "Live Test" not in page
    assert page.index("Waiting Test") < page.index("Moved Test"), "latest window first"
    assert "2 missed tasks" in page
    event = AuditEvent.objects.filter(action="read", person_id=None).latest("id")
    assert event.detail["list"] == "missed tasks"
    assert event.detail["tasks"] == [waiting.pk, moved.pk]
    # Filed under each person listed, too.
    assert set(event.detail["ids"]) == {waiting.person_id, moved.person_id}
    assert signed_in(staff(pco)).get("/programs/pco/outreach/missed/").status_code == 404


def test_the_missed_list_comes_in_pages(pco: Program, clock: Clock) -> None:
    for index in range(52):
        task_at(pco, f"M{index}", clock.now, opened=-200, closes=-100 - index)
    client = signed_in(staff(pco, Role.COORDINATOR))
    first = client.get("/programs/pco/outreach/missed/").content.decode()
    second = client.get("/programs/pco/outreach/missed/?page=2").content.decode()
    assert "page 1 of 2" in first and "?page=2" in first
    assert "M51 Test" in second and "M0 Test" not in second


def test_the_sla_board_counts_expired_tasks_as_missed(pco: Program, clock: Clock) -> None:
    # Attempted inside its window, but nobody closed it: it expired all the same.
    tried = task_at(pco, "Tried", clock.now, opened=-200, closes=-100)
    record = {"attempted_at": clock.now - 150 * HOUR, "channel": "phone", "outcome": "not_located"}
    tried.attempts.create(**record)
    on_time = task_at(pco, "OnTime", clock.now, opened=-200, closes=-100)
    on_time.attempts.create(**{**record, "outcome": "accepted_treatment"})
    OutreachTask.objects.filter(pk=on_time.pk).update(status="closed")
    expire_tasks(WORKER, clock.now)
    page = signed_in(staff(pco, Role.COORDINATOR)).get("/programs/pco/sla/").content.decode()
    assert '<td data-label="Missed windows" id="sla-missed">1</td>' in page
    assert 'id="sla-expired">1 (' in page and "/programs/pco/outreach/missed/" in page


def test_the_sla_boards_missed_link_lists_the_tasks_it_counted(pco: Program, clock: Clock) -> None:
    # Two expired in the board's last 30 days, one long before; 52 would page the list.
    task_at(pco, "Recent", clock.now, opened=-200, closes=-100)
    task_at(pco, "Later", clock.now, opened=-150, closes=-50)
    task_at(pco, "Old", clock.now, opened=-2000, closes=-1900)
    client = signed_in(staff(pco, Role.COORDINATOR))
    board = client.get("/programs/pco/sla/").content.decode()
    assert 'id="sla-expired">2 (' in board
    link = "/programs/pco/outreach/missed/?start=2025-02-09&amp;end=2025-03-10"
    assert link in board
    missed = client.get(link.replace("&amp;", "&"))
    page = missed.content.decode()
    assert missed.status_code == 200
    assert "Recent Test" in page and "Later Test" in page and "Old Test" not in page
    assert "2 missed tasks whose window closed from 9 Feb to 10 Mar" in page
    assert 'href="/programs/pco/outreach/missed/"' in page  # all of them, one link away


def test_the_missed_lists_pages_keep_its_dates(pco: Program, clock: Clock) -> None:
    for index in range(52):
        task_at(pco, f"M{index}", clock.now, opened=-200, closes=-100 - index)
    task_at(pco, "Old", clock.now, opened=-2000, closes=-1900)
    client = signed_in(staff(pco, Role.COORDINATOR))
    first = client.get("/programs/pco/outreach/missed/?start=2025-02-01&end=2025-03-10")
    assert "52 missed tasks" in first.content.decode()
    assert "?start=2025-02-01&amp;end=2025-03-10&amp;page=2" in first.content.decode()
    second = client.get("/programs/pco/outreach/missed/?start=2025-02-01&end=2025-03-10&page=2")
    page = second.content.decode()
    assert "M51 Test" in page and "Old Test" not in page
    assert "?start=2025-02-01&amp;end=2025-03-10&amp;page=1" in page
    wrong = client.get("/programs/pco/outreach/missed/?start=2025-13-01")
    assert wrong.status_code == 422
    assert "The start date must be a date like" in wrong.content.decode()


def task_page(task: OutreachTask) -> str:
    return f"/programs/{task.program.slug}/outreach/{task.pk}/"


def test_a_coach_closes_a_task_with_a_reason_on_its_page(pco: Program, clock: Clock) -> None:
    task = task_at(pco, "Close", clock.now)
    client = signed_in(staff(pco))
    page = client.get(task_page(task)).content.decode()
    assert "Close this task" in page and "Duplicate of another task" in page
    response = client.post(
        f"{task_page(task)}close",
        {"close-reason": "in_custody_or_hospital", "close-note": "", "close-version": "1"},
        follow=True,
    )
    text = response.content.decode()
    assert "Task closed: In custody or in hospital." in text
    assert "Closed because: In custody or in hospital" in text
    assert "Close this task" not in text
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.CLOSED
    # Pressed again (a second tap), the page says so rather than nothing.
    again = client.post(
        f"{task_page(task)}close",
        {"close-reason": "in_custody_or_hospital", "close-note": "", "close-version": "1"},
        follow=True,
    )
    assert "This task is already closed." in again.content.decode()


def test_closing_a_task_someone_changed_meanwhile_is_a_409_with_the_form_kept(
    pco: Program, clock: Clock
) -> None:
    task = task_at(pco, "Raced", clock.now)
    OutreachTask.objects.filter(pk=task.pk).update(version=3)
    response = signed_in(staff(pco)).post(
        f"{task_page(task)}close",
        {"close-reason": "other", "close-note": "Reached at the shelter", "close-version": "1"},
    )
    text = response.content.decode()
    assert response.status_code == 409
    assert "Someone changed this task while you were looking" in text
    assert "Reached at the shelter" in text and 'value="3"' in text
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.OPEN


def test_closing_for_other_with_no_words_is_refused_on_the_page(pco: Program, clock: Clock) -> None:
    task = task_at(pco, "Other", clock.now)
    response = signed_in(staff(pco)).post(
        f"{task_page(task)}close", {"close-reason": "other", "close-version": "1"}
    )
    assert response.status_code == 422
    assert "Say why the task is closed" in response.content.decode()


def test_a_role_that_reads_but_cannot_write_outreach_gets_no_close_form(
    pco: Program, clock: Clock
) -> None:
    task = task_at(pco, "Read", clock.now)
    client = signed_in(staff(pco, Role.ADMIN))
    assert "Close this task" not in client.get(task_page(task)).content.decode()
    response = client.post(
        f"{task_page(task)}close", {"close-reason": "duplicate", "close-version": "1"}
    )
    # The task is the admin's to see, the action not theirs: the site's 403 page, no reason.
    assert response.status_code == 403
    assert "Your role does not allow this page or action" in response.content.decode()
    assert "may not record follow-up" not in response.content.decode()
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.OPEN


# --- API ------------------------------------------------------------------------------------


def close_url(task: OutreachTask) -> str:
    return f"/api/v1/outreach-tasks/{task.pk}/close"


def test_the_api_closes_with_a_reason_and_answers_409_on_a_stale_version(
    pco: Program, clock: Clock, api_client_for: Any
) -> None:
    task = task_at(pco, "Api", clock.now)
    client = api_client_for(staff(pco))
    body = {"reason": "reached_elsewhere", "version": 1}
    done = client.post(close_url(task), body, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["status"] == "closed"
    assert done.json()["close_reason"] == "reached_elsewhere"
    assert done.json()["version"] == 2
    other = task_at(pco, "Api2", clock.now)
    OutreachTask.objects.filter(pk=other.pk).update(version=2)
    stale = client.post(close_url(other), body, content_type="application/json")
    assert stale.status_code == 409


def test_the_api_refuses_other_without_a_note_an_unknown_reason_and_a_reader(
    pco: Program, clock: Clock, api_client_for: Any
) -> None:
    task = task_at(pco, "Refused", clock.now)
    coach = api_client_for(staff(pco))
    bare = coach.post(
        close_url(task), {"reason": "other", "version": 1}, content_type="application/json"
    )
    assert bare.status_code == 422
    unknown = coach.post(
        close_url(task), {"reason": "bored", "version": 1}, content_type="application/json"
    )
    assert unknown.status_code == 422
    admin = api_client_for(staff(pco, Role.ADMIN))
    forbidden = admin.post(
        close_url(task), {"reason": "duplicate", "version": 1}, content_type="application/json"
    )
    assert forbidden.status_code == 403
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.OPEN


def test_the_missed_list_says_no_district_as_the_queue_does(pco: Program, clock: Clock) -> None:
    District.objects.get_or_create(program=pco, code="E", defaults={"name": "East"})
    task_at(pco, "Nowhere", clock.now, opened=-200, closes=-30)
    page = signed_in(staff(pco, Role.COORDINATOR)).get("/programs/pco/outreach/missed/")
    html = page.content.decode()
    assert '<td data-label="District">No district</td>' in html
    assert ">None<" not in html
