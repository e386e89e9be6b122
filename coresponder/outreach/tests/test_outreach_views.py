"""The follow-up queue and the visit form, through the web pages."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.models import District, Program, Team, TeamMember

pytestmark = pytest.mark.django_db


def staff(program: Program, role: Role = Role.OFFICER, username: str | None = None) -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    return reader(world, role, username=username or f"{program.slug}-{role.value}")


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def task_for(
    program: Program, name: str, *, opens_in_hours: float = -1, closes_in_hours: float = 48
) -> OutreachTask:
    now = timezone.now()
    person = Person.objects.create(given_name=name, family_name="Test")
    Participation.objects.create(person=person, program=program, first_seen_at=now)
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=now + dt.timedelta(hours=opens_in_hours),
        window_end=now + dt.timedelta(hours=closes_in_hours),
    )


def queue_url(program: Program) -> str:
    return f"/programs/{program.slug}/outreach/"


def task_url(task: OutreachTask) -> str:
    return f"/programs/{task.program.slug}/outreach/{task.pk}/"


def visit(task: OutreachTask, outcome: str, **extra: str) -> dict[str, str]:
    local = timezone.localtime(timezone.now(), ZoneInfo(task.program.timezone))
    return {
        "outcome": outcome,
        "channel": "home_visit",
        "attempted_at": local.strftime("%Y-%m-%dT%H:%M"),
        "naloxone_kits_left": "2",
        "resource_cards_left": "",
        "note": "",
        **extra,
    }


def test_the_queue_lists_tasks_due_now_first_with_names_and_due_states(qrt: Program) -> None:
    later = task_for(qrt, "Closing", closes_in_hours=2)
    first = task_for(qrt, "Overdue", opens_in_hours=-80, closes_in_hours=-1)
    waiting = task_for(qrt, "Waiting", opens_in_hours=5, closes_in_hours=60)
    response = signed_in(staff(qrt)).get(queue_url(qrt))
    assert response.status_code == 200
    page = response.content.decode()
    positions = [page.index(f"{name} Test") for name in ("Closing", "Overdue", "Waiting")]
    assert positions == sorted(positions)
    for label in ("Overdue", "Closing soon", "Not yet open"):
        assert f">{label}</span>" in page
    assert f"/outreach/{later.pk}/" in page and "Record a visit" in page
    event = AuditEvent.objects.get(
        object_type="outreach.outreachtask", action="read", person_id=None
    )
    assert event.detail["tasks"] == [later.pk, first.pk, waiting.pk]


@pytest.mark.parametrize("role", [Role.PROSECUTOR, Role.ANALYST])
def test_a_role_that_does_not_read_outreach_gets_404(qrt: Program, role: Role) -> None:
    task = task_for(qrt, "Private")
    client = signed_in(staff(qrt, role))
    assert client.get(queue_url(qrt)).status_code == 404
    assert client.get(task_url(task)).status_code == 404


def test_a_user_from_another_program_gets_404(qrt: Program) -> None:
    task = task_for(qrt, "Elsewhere")
    outsider = signed_in(staff(Program.objects.get(slug="pco")))
    assert outsider.get(queue_url(qrt)).status_code == 404
    assert outsider.get(task_url(task)).status_code == 404
    assert outsider.post(task_url(task), visit(task, "contacted")).status_code == 404
    assert not Attempt.objects.exists()


def test_recording_a_not_located_attempt_creates_it_and_shows_the_next_attempt_time(
    qrt: Program,
) -> None:
    task = task_for(qrt, "Away")
    client = signed_in(staff(qrt))
    response = client.post(task_url(task), visit(task, "not_located"), follow=True)
    assert response.status_code == 200
    attempt = Attempt.objects.get(task=task)
    assert attempt.outcome == "not_located" and attempt.naloxone_kits_left == 2
    task.refresh_from_db()
    assert task.status == "open" and task.next_attempt_after is not None
    local = timezone.localtime(task.next_attempt_after, ZoneInfo(qrt.timezone))
    page = response.content.decode()
    assert "Next attempt after" in page
    assert local.strftime("%H:%M") in page
    assert "Not located" in page


def test_a_next_attempt_due_after_the_window_closes_is_said_to_be_late(qrt: Program) -> None:
    task = task_for(qrt, "Late", closes_in_hours=6)
    client = signed_in(staff(qrt))
    page = client.post(task_url(task), visit(task, "not_located"), follow=True)
    assert "which is after this task&#x27;s window closes" in page.content.decode()


@pytest.mark.parametrize(
    ("outcome", "reached", "said"),
    [
        ("not_located", {"reached_person": "on"}, "Not located means no one was reached"),
        (
            "not_located",
            {"relationship_1": "mother", "name_1": "Ann"},
            "Not located means no one was reached",
        ),
        (
            "contacted_collateral_only",
            {"reached_person": "on", "relationship_1": "mother"},
            "Contacted family or friends only means the person was not reached",
        ),
        ("deceased", {"reached_person": "on"}, "Deceased means the person could not be reached"),
        (
            "contacted",
            {"relationship_1": "mother", "name_1": "Ann"},
            "Contacted means the person was reached",
        ),
    ],
)
def test_who_was_reached_must_fit_the_outcome_and_nothing_is_saved_otherwise(
    qrt: Program, outcome: str, reached: dict[str, str], said: str
) -> None:
    task = task_for(qrt, "Reached")
    client = signed_in(staff(qrt))
    response = client.post(task_url(task), visit(task, outcome, **reached))
    assert response.status_code == 422
    assert said in response.content.decode()
    assert 'id="id_reached_person_error"' in response.content.decode()  # by the question
    assert not Attempt.objects.filter(task=task).exists()


def test_a_declined_outcome_on_qrt_lists_the_missing_checklist_then_filling_it_closes(
    qrt: Program,
) -> None:
    task = task_for(qrt, "Declines")
    client = signed_in(staff(qrt, Role.PEER_SPECIALIST))
    extra = {"reached_person": "on", "relationship_1": "mother", "name_1": "Ann"}
    page = client.post(task_url(task), visit(task, "declined", **extra), follow=True)
    task.refresh_from_db()
    assert task.status == "collecting"
    text = page.content.decode()
    assert "Still needed before this case closes" in text
    assert "Consent status" in text and "Contact preference" in text
    assert AttemptContact.objects.filter(role="collateral", relationship="mother").exists()
    assert AttemptContact.objects.filter(role="participant").exists()
    done = client.post(
        f"{task_url(task)}checklist",
        {
            "version": str(task.version),
            "checklist_treatment_plan": "Declined; wants harm-reduction supplies",
            "checklist_consent_status": "declined",
            "checklist_contact_preference": "text",
        },
        follow=True,
    )
    assert done.status_code == 200
    task.refresh_from_db()
    assert task.status == "closed"
    assert "this case is closed" in done.content.decode()


def test_a_stale_checklist_is_refused_keeping_what_was_typed(qrt: Program) -> None:
    task = task_for(qrt, "Stale")
    client = signed_in(staff(qrt, Role.PEER_SPECIALIST))
    client.post(task_url(task), visit(task, "declined"))
    task.refresh_from_db()
    seen = task.version
    client.post(
        f"{task_url(task)}checklist",
        {"version": str(seen), "checklist_consent_status": "declined"},
    )
    stale = client.post(
        f"{task_url(task)}checklist",
        {"version": str(seen), "checklist_contact_preference": "call me"},
    )
    assert stale.status_code == 409
    text = stale.content.decode()
    assert "Changed by someone else — review and retry." in text
    assert 'value="call me"' in text


def test_a_checklist_sent_twice_is_saved_once_and_the_second_says_so(qrt: Program) -> None:
    task = task_for(qrt, "Twice")
    client = signed_in(staff(qrt, Role.PEER_SPECIALIST))
    client.post(task_url(task), visit(task, "declined"))
    task.refresh_from_db()
    sent = {"version": str(task.version), "checklist_consent_status": "declined"}
    assert client.post(f"{task_url(task)}checklist", sent).status_code == 302
    client.get(task_url(task))
    again = client.post(f"{task_url(task)}checklist", sent, follow=True)
    assert again.redirect_chain == [(task_url(task), 302)]
    text = again.content.decode()
    assert "The checklist was saved already; nothing changed." in text
    assert "Changed by someone else" not in text


def test_a_checklist_sent_after_another_closed_the_case_says_so_and_shows_what_was_typed(
    qrt: Program,
) -> None:
    task = task_for(qrt, "Raced")
    first = signed_in(staff(qrt, Role.PEER_SPECIALIST))
    second = signed_in(staff(qrt, Role.CLINICIAN))
    first.post(task_url(task), visit(task, "declined"))
    task.refresh_from_db()
    seen = task.version
    answers = {
        "checklist_treatment_plan": "Declined; wants harm-reduction supplies",
        "checklist_consent_status": "declined",
        "checklist_contact_preference": "text",
    }
    first.post(f"{task_url(task)}checklist", {"version": str(seen), **answers})
    late = second.post(
        f"{task_url(task)}checklist",
        {"version": str(seen), **answers, "checklist_treatment_plan": "Brother also at address"},
    )
    assert late.status_code == 409
    text = " ".join(late.content.decode().split())
    assert "Your checklist was not saved" in text
    assert "Brother also at address" in text
    # The case's own answers, as saved by the first, read in words.
    assert "Declined; wants harm-reduction supplies" in text
    task.refresh_from_db()
    assert task.checklist["treatment_plan"] == "Declined; wants harm-reduction supplies"


def test_a_closed_case_shows_its_checklist_answers_here_and_in_the_history(qrt: Program) -> None:
    task = task_for(qrt, "Answered")
    client = signed_in(staff(qrt, Role.PEER_SPECIALIST))
    client.post(task_url(task), visit(task, "declined"))
    task.refresh_from_db()
    client.post(
        f"{task_url(task)}checklist",
        {
            "version": str(task.version),
            "checklist_treatment_plan": "Wants a detox bed next week",
            "checklist_consent_status": "declined",
            "checklist_contact_preference": "text",
        },
    )
    page = " ".join(client.get(task_url(task)).content.decode().split())
    assert "Wants a detox bed next week" in page
    assert "declined" not in page.split("Closing checklist")[1].split("</dl>")[0]
    history = " ".join(client.get(f"/people/{task.person_id}/timeline/").content.decode().split())
    assert "Wants a detox bed next week" in history


def test_a_case_closed_as_family_only_reads_as_the_visit_form_names_it(qrt: Program) -> None:
    task = task_for(qrt, "Family")
    task.status, task.close_reason = "closed", "contacted_collateral_only"
    task.save()
    page = signed_in(staff(qrt, Role.PEER_SPECIALIST)).get(task_url(task)).content.decode()
    assert "Closed because: Contacted family or friends only" in page


@pytest.mark.parametrize(
    "field, value",
    [("attempted_at", "yesterday at noon"), ("naloxone_kits_left", "two"), ("outcome", "maybe")],
)
def test_invalid_input_is_refused_with_422_keeping_what_was_typed(
    qrt: Program, field: str, value: str
) -> None:
    task = task_for(qrt, "Typo")
    data = visit(task, "contacted", note="Left a card at the door")
    data[field] = value
    response = signed_in(staff(qrt)).post(task_url(task), data)
    assert response.status_code == 422
    assert "Left a card at the door" in response.content.decode()
    assert not Attempt.objects.exists()


def test_when_two_teams_claim_one_task_the_second_is_told(qrt: Program) -> None:
    task = task_for(qrt, "Claimed")
    users = [staff(qrt), staff(qrt, Role.PARAMEDIC)]
    teams = []
    for name, user in zip(("QRT A", "QRT B"), users, strict=True):
        team = Team.objects.create(program=qrt, name=name)
        TeamMember.objects.create(team=team, user=user, role=user.role)
        teams.append(team)
    clients = [signed_in(user) for user in users]
    page = clients[1].get(task_url(task)).content.decode()
    assert "Claim for QRT B" in page
    first = clients[0].post(f"{task_url(task)}claim", {"team": teams[0].pk}, follow=True)
    assert "Claimed for QRT A." in first.content.decode()
    second = clients[1].post(f"{task_url(task)}claim", {"team": teams[1].pk}, follow=True)
    assert "Another team already claimed this task." in second.content.decode()
    task.refresh_from_db()
    assert task.claimed_by == teams[0]
    again = clients[0].post(f"{task_url(task)}claim", {"team": teams[0].pk}, follow=True)
    assert "Your team QRT A has this task already." in again.content.decode()
    OutreachTask.objects.filter(pk=task.pk).update(
        status=OutreachTask.Status.EXPIRED, claimed_by=None
    )
    late = clients[0].post(f"{task_url(task)}claim", {"team": teams[0].pk}, follow=True)
    assert "This task is no longer open (Missed: expired unworked)" in late.content.decode()


def test_the_queue_costs_the_same_queries_however_long(
    qrt: Program, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(staff(qrt))
    for index in range(3):
        task_for(qrt, f"P{index}")
    with django_assert_max_num_queries(30) as few:
        assert client.get(queue_url(qrt)).status_code == 200
    for index in range(30):
        task_for(qrt, f"Q{index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(queue_url(qrt)).status_code == 200


def test_the_program_home_links_the_follow_up_queue_for_field_roles_only(qrt: Program) -> None:
    assert "Follow-up queue" in signed_in(staff(qrt)).get("/programs/qrt/").content.decode()
    analyst = signed_in(staff(qrt, Role.ANALYST)).get("/programs/qrt/").content.decode()
    assert "Follow-up queue" not in analyst


def test_a_tasks_page_says_where_it_stands_once(qrt: Program) -> None:
    task = task_for(qrt, "Status")
    client = signed_in(staff(qrt))
    page = client.get(task_url(task)).content.decode()
    assert "Window: open" in page and "No team yet" in page
    assert page.count(">Open<") == 0 and "</span> Open" not in page
    team = Team.objects.create(program=qrt, name="QRT A")
    OutreachTask.objects.filter(pk=task.pk).update(status="claimed", claimed_by=team)
    page = client.get(task_url(task)).content.decode()
    assert "Claimed by QRT A" in page
    assert "Claimed by a team" not in page and "claimed by QRT A" not in page


def test_a_second_not_located_visit_too_soon_is_refused_inline_then_saved_with_a_reason(
    qrt: Program,
) -> None:
    task = task_for(qrt, "Again")
    client = signed_in(staff(qrt))
    form = client.get(task_url(task)).content.decode()
    assert 'name="spacing_override_reason"' in form
    assert "kept in the audit log" in form
    client.post(task_url(task), visit(task, "not_located"))
    again = visit(task, "not_located", note="Knocked at the back door too")
    refused = client.post(task_url(task), again)
    assert refused.status_code == 422
    text = refused.content.decode()
    assert 'id="id_attempted_at_error"' in text
    assert "The next attempt may be made from" in text and "(Eastern time)" in text
    assert 'id="id_spacing_override_reason_error"' in text
    assert "Knocked at the back door too" in text
    assert Attempt.objects.filter(task=task).count() == 1
    reason = "Second address given by the neighbour"
    saved = client.post(task_url(task), {**again, "spacing_override_reason": reason})
    assert saved.status_code == 302
    assert Attempt.objects.filter(task=task).count() == 2
    event = AuditEvent.objects.filter(object_type="outreach.attempt", action="create").last()
    assert event is not None and event.detail["spacing_override"]["reason"] == reason


def test_a_task_of_no_district_says_so_in_words_on_the_table_and_on_the_phone_card(
    pco: Program,
) -> None:
    east = District.objects.create(program=pco, code="east", name="East Bridgewater")
    placed = task_for(pco, "Placed")
    OutreachTask.objects.filter(pk=placed.pk).update(district=east)
    task_for(pco, "Unplaced")
    page = signed_in(staff(pco)).get(queue_url(pco)).content.decode()
    assert ">None<" not in page
    table, cards = page.split('aria-label="Tasks to work"', 1)
    assert "<td>No district</td>" in table and "<td>East Bridgewater</td>" in table
    assert "<dt>District</dt><dd>No district</dd>" in cards
    assert "<dt>District</dt><dd>East Bridgewater</dd>" in cards
