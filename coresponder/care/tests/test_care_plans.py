"""Care plans through the API and the pages: who may see and write them, reminders, repeat need."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from coresponder.care.actions import send_follow_up_reminders
from coresponder.care.models import CarePlan, CarePlanGoal, CarePlanStep, FollowUp
from coresponder.care.reminders import WORKER
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Notice
from coresponder.people.models import Person
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def case_manager(world: World) -> User:
    return reader(world, Role.CASE_MANAGER)


@pytest.fixture
def api(case_manager: User, api_client_for: Any) -> Client:
    client: Client = api_client_for(case_manager)
    return client


def audit_count(**filters: Any) -> int:
    return AuditEvent.objects.filter(**filters).count()


def open_plan(api: Client, world: World, title: str = "Housing and treatment") -> dict[str, Any]:
    response = api.post(
        f"/api/v1/persons/{world.person.pk}/care-plans",
        {"title": title},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def add_goal(api: Client, plan_id: int, need: str) -> dict[str, Any]:
    response = api.post(
        f"/api/v1/care-plans/{plan_id}/goals",
        {"need": need, "description": "Stable place to sleep"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_a_case_manager_builds_a_plan_and_every_write_is_audited(
    api: Client, world: World, case_manager: User
) -> None:
    plan = open_plan(api, world)
    assert plan["status"] == "active"
    assert plan["owner"]["id"] == case_manager.pk
    goal = add_goal(api, plan["id"], "housing")
    step = api.post(
        f"/api/v1/care-goals/{goal['id']}/steps",
        {"description": "Call the shelter intake line", "due_on": plan["opened_on"]},
        content_type="application/json",
    )
    assert step.status_code == 201, step.content
    due = (timezone.now() + dt.timedelta(days=2)).isoformat()
    follow_up = api.post(
        f"/api/v1/care-plans/{plan['id']}/follow-ups",
        {"due_at": due, "kind": "phone"},
        content_type="application/json",
    )
    assert follow_up.status_code == 201, follow_up.content
    done = api.patch(
        f"/api/v1/care-steps/{step.json()['id']}",
        {"version": step.json()["version"], "done": True},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["done_at"]
    met = api.patch(
        f"/api/v1/care-goals/{goal['id']}",
        {"version": goal["version"], "status": "met"},
        content_type="application/json",
    )
    assert met.status_code == 200 and met.json()["status"] == "met"
    held = api.patch(
        f"/api/v1/follow-ups/{follow_up.json()['id']}",
        {"version": follow_up.json()["version"], "outcome": "Has a bed from Monday"},
        content_type="application/json",
    )
    assert held.status_code == 200 and held.json()["outcome"] == "Has a bed from Monday"
    closed = api.patch(
        f"/api/v1/care-plans/{plan['id']}",
        {"version": plan["version"], "status": "completed"},
        content_type="application/json",
    )
    assert closed.status_code == 200 and closed.json()["closed_on"]

    stored = CarePlan.objects.get(pk=plan["id"])
    assert stored.status == CarePlan.Status.COMPLETED
    assert CarePlanStep.objects.get().done_at is not None
    assert FollowUp.objects.get().done_at is not None
    writes = AuditEvent.objects.filter(
        person_id=world.person.pk, action__in=["create", "change"], actor=case_manager
    )
    by_type = {(e.object_type, e.action) for e in writes}
    assert by_type == {
        ("encounters.careplan", "create"),
        ("encounters.careplangoal", "create"),
        ("encounters.careplanstep", "create"),
        ("encounters.followup", "create"),
        ("encounters.careplanstep", "change"),
        ("encounters.careplangoal", "change"),
        ("encounters.followup", "change"),
        ("encounters.careplan", "change"),
    }
    assert all(e.fields == ["clinical"] and e.program_slug == "pad" for e in writes)

    listed = api.get(f"/api/v1/persons/{world.person.pk}/care-plans").json()
    assert [p["title"] for p in listed["items"]] == ["Housing and treatment"]
    assert listed["items"][0]["goals"][0]["steps"][0]["description"] == (
        "Call the shelter intake line"
    )


def test_reading_a_persons_care_plans_is_an_audited_read(
    api: Client, world: World, case_manager: User
) -> None:
    open_plan(api, world)
    before = audit_count(action="read", person_id=world.person.pk, actor=case_manager)
    api.get(f"/api/v1/persons/{world.person.pk}/care-plans")
    assert audit_count(action="read", person_id=world.person.pk, actor=case_manager) == before + 1


def test_an_officer_without_consent_sees_no_plan_and_may_not_write(
    api: Client, world: World, api_client_for: Any
) -> None:
    plan = open_plan(api, world)
    goal = add_goal(api, plan["id"], "housing")
    officer = api_client_for(reader(world, Role.OFFICER))
    listed = officer.get(f"/api/v1/persons/{world.person.pk}/care-plans")
    assert listed.status_code == 200
    assert listed.json()["items"] == []
    assert listed.json()["withheld"] == ["clinical"]
    assert (
        officer.post(
            f"/api/v1/persons/{world.person.pk}/care-plans",
            {"title": "Mine"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert (
        officer.post(
            f"/api/v1/care-plans/{plan['id']}/goals",
            {"need": "legal"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        officer.patch(
            f"/api/v1/care-goals/{goal['id']}",
            {"version": goal["version"], "status": "dropped"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert CarePlan.objects.count() == 1
    assert CarePlanGoal.objects.get().status == "open"


def test_a_prosecutor_never_sees_a_care_plan(
    api: Client, world: World, api_client_for: Any
) -> None:
    plan = open_plan(api, world)
    prosecutor = api_client_for(reader(world, Role.PROSECUTOR))
    listed = prosecutor.get(f"/api/v1/persons/{world.person.pk}/care-plans")
    assert listed.status_code == 200
    assert listed.json() == {
        "items": [],
        "count": 0,
        "repeat_needs": [],
        "withheld": [],
        "redisclosure_notice": None,
    }
    assert (
        prosecutor.patch(
            f"/api/v1/care-plans/{plan['id']}",
            {"version": 1, "status": "closed"},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_someone_outside_the_program_gets_404(
    api: Client, world: World, api_client_for: Any, outsider: User
) -> None:
    plan = open_plan(api, world)
    stranger = api_client_for(outsider)
    assert stranger.get(f"/api/v1/persons/{world.person.pk}/care-plans").status_code == 404
    assert (
        stranger.post(
            f"/api/v1/care-plans/{plan['id']}/goals",
            {"need": "legal"},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_a_stale_version_is_refused_with_409(api: Client, world: World) -> None:
    plan = open_plan(api, world)
    first = api.patch(
        f"/api/v1/care-plans/{plan['id']}",
        {"version": plan["version"], "status": "closed"},
        content_type="application/json",
    )
    assert first.status_code == 200
    again = api.patch(
        f"/api/v1/care-plans/{plan['id']}",
        {"version": plan["version"], "status": "completed"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert CarePlan.objects.get().status == "closed"


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("goals", {"need": "yachts"}, "need"),
        ("follow-ups", {"due_at": "2026-12-01T10:00:00", "kind": "phone"}, "due_at"),
        ("follow-ups", {"due_at": "2020-01-01T10:00:00+00:00", "kind": "phone"}, "due_at"),
        ("follow-ups", {"due_at": "2099-01-01T10:00:00+00:00", "kind": "fax"}, "kind"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    api: Client, world: World, path: str, payload: dict[str, Any], field: str
) -> None:
    plan = open_plan(api, world)
    response = api.post(
        f"/api/v1/care-plans/{plan['id']}/{path}", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert response.json()["detail"]


def test_a_step_due_before_the_plan_opened_or_owned_by_an_outsider_is_refused(
    api: Client, world: World, outsider: User
) -> None:
    plan = open_plan(api, world)
    goal = add_goal(api, plan["id"], "benefits")
    early = api.post(
        f"/api/v1/care-goals/{goal['id']}/steps",
        {"description": "Apply", "due_on": "2001-01-01"},
        content_type="application/json",
    )
    assert early.status_code == 422 and "due_on" in early.json()["errors"]
    stranger = api.post(
        f"/api/v1/care-goals/{goal['id']}/steps",
        {"description": "Apply", "owner": outsider.pk},
        content_type="application/json",
    )
    assert stranger.status_code == 422 and "owner" in stranger.json()["errors"]
    assert CarePlanStep.objects.count() == 0


def test_needs_that_recur_show_as_repeat_needs(api: Client, world: World) -> None:
    first = open_plan(api, world, "Spring")
    goal = add_goal(api, first["id"], "housing")
    add_goal(api, first["id"], "treatment")
    second = open_plan(api, world, "Autumn")
    add_goal(api, second["id"], "housing")
    met = api.patch(
        f"/api/v1/care-goals/{goal['id']}",
        {"version": goal["version"], "status": "met"},
        content_type="application/json",
    ).json()
    reopened = api.patch(
        f"/api/v1/care-goals/{goal['id']}",
        {"version": met["version"], "status": "open"},
        content_type="application/json",
    )
    assert reopened.json()["times_reopened"] == 1
    body = api.get(f"/api/v1/persons/{world.person.pk}/care-plans").json()
    assert body["repeat_needs"] == [
        {"need": "housing", "times": 3, "plans": 2, "label": "Housing: 3rd time"}
    ]


def test_the_plans_list_takes_the_same_queries_however_many_plans(
    api: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    def plan_with_everything(title: str) -> None:
        plan = open_plan(api, world, title)
        goal = add_goal(api, plan["id"], "housing")
        api.post(
            f"/api/v1/care-goals/{goal['id']}/steps",
            {"description": "Call"},
            content_type="application/json",
        )
        api.post(
            f"/api/v1/care-plans/{plan['id']}/follow-ups",
            {"due_at": (timezone.now() + dt.timedelta(days=1)).isoformat(), "kind": "visit"},
            content_type="application/json",
        )

    url = f"/api/v1/persons/{world.person.pk}/care-plans"
    plan_with_everything("One")
    with django_assert_max_num_queries(100) as one:
        api.get(url)
    queries_for_one = len(one)
    for n in range(5):
        plan_with_everything(f"More {n}")
    with django_assert_max_num_queries(queries_for_one):
        body = api.get(url).json()
    assert len(body["items"]) == 6


# --- Reminders ------------------------------------------------------------------


def follow_up(world: World, owner: User, due_at: dt.datetime, **fields: Any) -> FollowUp:
    plan = CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="Plan",
        opened_on=dt.date(2026, 11, 1),
        owner=owner,
    )
    return FollowUp.objects.create(plan=plan, due_at=due_at, kind="phone", owner=owner, **fields)


def test_a_due_follow_up_reminds_its_owner_once(world: World, case_manager: User) -> None:
    soon = follow_up(world, case_manager, NOW + dt.timedelta(hours=20))
    overdue = follow_up(world, case_manager, NOW - dt.timedelta(hours=3))
    follow_up(world, case_manager, NOW + dt.timedelta(hours=30))  # not yet
    follow_up(world, case_manager, NOW - dt.timedelta(hours=1), done_at=NOW)  # done
    assert send_follow_up_reminders(WORKER, NOW) == 2
    assert send_follow_up_reminders(WORKER, NOW + dt.timedelta(minutes=5)) == 0
    notices = Notice.objects.filter(kind=Notice.Kind.FOLLOW_UP_DUE)
    assert {n.follow_up_id for n in notices} == {soon.pk, overdue.pk}
    assert {n.recipient_id for n in notices} == {case_manager.pk}
    assert all(n.task_id is None and world.person.family_name not in n.message for n in notices)
    soon.refresh_from_db()
    assert soon.reminded_at == NOW and soon.version == 1
    assert audit_count(object_type="outreach.notice") == 1


def test_a_reminder_goes_only_to_someone_who_may_open_the_plan(
    world: World, case_manager: User
) -> None:
    officer = reader(world, Role.OFFICER, username="reminded-officer")
    # Owned by an officer, as follow-ups given before owners were checked may be.
    theirs = follow_up(world, case_manager, NOW)
    FollowUp.objects.filter(pk=theirs.pk).update(owner=officer)
    nobodys = follow_up(world, officer, NOW)
    assert send_follow_up_reminders(WORKER, NOW) == 1
    [notice] = Notice.objects.filter(kind=Notice.Kind.FOLLOW_UP_DUE)
    assert (notice.follow_up_id, notice.recipient_id) == (theirs.pk, case_manager.pk)
    nobodys.refresh_from_db()
    assert nobodys.reminded_at == NOW  # looked at once, not again each pass


def test_a_follow_up_whose_owner_left_is_reminded_to_the_plans_owner(
    world: World, case_manager: User
) -> None:
    gone = reader(world, Role.CLINICIAN, username="gone-clinician")
    theirs = follow_up(world, case_manager, NOW)
    FollowUp.objects.filter(pk=theirs.pk).update(owner=gone)
    gone.is_active = False
    gone.save()
    assert send_follow_up_reminders(WORKER, NOW) == 1
    [notice] = Notice.objects.filter(kind=Notice.Kind.FOLLOW_UP_DUE)
    assert notice.recipient_id == case_manager.pk


def test_a_follow_up_of_a_closed_plan_sends_no_reminder(world: World, case_manager: User) -> None:
    due = follow_up(world, case_manager, NOW)
    CarePlan.objects.filter(pk=due.plan_id).update(status=CarePlan.Status.CLOSED)
    assert send_follow_up_reminders(WORKER, NOW) == 0


def test_a_follow_up_of_someone_recorded_as_dead_sends_no_reminder(
    world: World, case_manager: User
) -> None:
    """Nobody is to call or visit someone reported dead; should the death be undone (a
    merge undone), the follow-up is reminded then."""
    due = follow_up(world, case_manager, NOW)
    Person.objects.filter(pk=world.person.pk).update(deceased_on=dt.date(2026, 11, 18))
    assert send_follow_up_reminders(WORKER, NOW) == 0
    assert not Notice.objects.filter(kind=Notice.Kind.FOLLOW_UP_DUE).exists()

    Person.objects.filter(pk=world.person.pk).update(deceased_on=None)
    assert send_follow_up_reminders(WORKER, NOW + dt.timedelta(minutes=5)) == 1
    assert Notice.objects.get(kind=Notice.Kind.FOLLOW_UP_DUE).follow_up_id == due.pk


def test_run_worker_once_sends_care_reminders_too(world: World, case_manager: User) -> None:
    follow_up(world, case_manager, timezone.now() + dt.timedelta(hours=1))
    out = StringIO()
    call_command("run_worker", "--once", stdout=out)
    assert "follow_up_due: 1" in out.getvalue()


def test_a_care_notice_links_to_its_plan(world: World, case_manager: User) -> None:
    due = follow_up(world, case_manager, NOW)
    send_follow_up_reminders(WORKER, NOW)
    client = Client()
    client.force_login(case_manager)
    page = client.get("/notices/")
    assert page.status_code == 200
    link = f"/care-follow-ups/{due.pk}/"
    assert link in page.content.decode()
    assert client.get(link)["Location"] == f"/care-plans/{due.plan_id}/#follow-up-{due.pk}"


# --- Pages ----------------------------------------------------------------------


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_pages_open_a_plan_add_a_goal_and_mark_a_follow_up_done(
    world: World, case_manager: User
) -> None:
    client = signed_in(case_manager)
    page = client.get(f"/people/{world.person.pk}/care/")
    assert page.status_code == 200
    assert 'data-draft="care-plan-' in page.content.decode()
    opened = client.post(
        f"/people/{world.person.pk}/care/",
        {"plan-program": "pad", "plan-title": "Back on feet", "plan-owner": case_manager.pk},
    )
    assert opened.status_code == 302
    plan = CarePlan.objects.get()
    goal = client.post(f"/care-plans/{plan.pk}/goals", {"goal-need": "id_documents"})
    assert goal.status_code == 302
    due = follow_up_for(plan, case_manager)
    done = client.post(
        f"/care-follow-ups/{due.pk}/done",
        {f"fudone-{due.pk}-version": due.version, f"fudone-{due.pk}-outcome": "Reached by phone"},
    )
    assert done.status_code == 302
    due.refresh_from_db()
    assert due.done_at is not None and due.outcome == "Reached by phone"
    body = client.get(f"/care-plans/{plan.pk}/").content.decode()
    assert "ID documents" in body and "Reached by phone" in body
    listing = client.get(f"/people/{world.person.pk}/care/").content.decode()
    assert "Back on feet" in listing


def follow_up_for(plan: CarePlan, owner: User) -> FollowUp:
    return FollowUp.objects.create(
        plan=plan, due_at=timezone.now() - dt.timedelta(hours=1), kind="visit", owner=owner
    )


def test_a_stale_page_edit_says_so_and_keeps_what_was_typed(
    world: World, case_manager: User
) -> None:
    client = signed_in(case_manager)
    plan = CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="Plan",
        opened_on=dt.date(2026, 11, 1),
        owner=case_manager,
    )
    due = follow_up_for(plan, case_manager)
    FollowUp.objects.filter(pk=due.pk).update(version=2)  # someone else saved first
    response = client.post(
        f"/care-follow-ups/{due.pk}/done",
        {f"fudone-{due.pk}-version": 1, f"fudone-{due.pk}-outcome": "Left a voicemail"},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Changed by someone else — review and retry." in body
    assert "Left a voicemail" in body
    assert f'name="fudone-{due.pk}-version" value="2"' in body
    due.refresh_from_db()
    assert due.done_at is None


def test_a_page_form_with_a_bad_date_shows_the_error(world: World, case_manager: User) -> None:
    client = signed_in(case_manager)
    plan = CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="Plan",
        opened_on=dt.date(2026, 11, 1),
        owner=case_manager,
    )
    goal = CarePlanGoal.objects.create(plan=plan, need="legal")
    response = client.post(
        f"/care-goals/{goal.pk}/steps",
        {
            f"step-{goal.pk}-description": "See the public defender",
            f"step-{goal.pk}-due_on": "2026-10-01",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "when the plan opened" in body and "See the public defender" in body


def test_an_officer_without_consent_sees_no_plan_on_the_pages(
    world: World, case_manager: User
) -> None:
    plan = CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="Secret plan title",
        opened_on=dt.date(2026, 11, 1),
        owner=case_manager,
    )
    officer = signed_in(reader(world, Role.OFFICER))
    page = officer.get(f"/people/{world.person.pk}/care/")
    assert page.status_code == 200
    assert "Secret plan title" not in page.content.decode()
    assert "withheld" in page.content.decode()
    assert officer.get(f"/care-plans/{plan.pk}/").status_code == 404
    assert officer.post(f"/care-plans/{plan.pk}/goals", {"goal-need": "legal"}).status_code == 404
    assert CarePlanGoal.objects.count() == 0
