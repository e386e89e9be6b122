"""The outreach queue, claims, attempts and the data-collection step through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Referral
from coresponder.outreach.actions import refresh_priority_tiers
from coresponder.outreach.models import Attempt, AttemptContact, OutreachTask
from coresponder.people.models import Participation, Person
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, Team, TeamMember

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def staff(program: Program, role: Role = Role.OFFICER, username: str | None = None) -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    return reader(world, role, username=username or f"{program.slug}-{role.value}")


def task_for(program: Program, name: str, *, closes_in_hours: float = 48) -> OutreachTask:
    person = Person.objects.create(given_name=name, family_name="Test")
    Participation.objects.create(person=person, program=program, first_seen_at=NOW)
    return OutreachTask.objects.create(
        program=program,
        person=person,
        window_start=NOW - dt.timedelta(hours=1),
        window_end=NOW + dt.timedelta(hours=closes_in_hours),
    )


def history(task: OutreachTask, *outcomes: str) -> None:
    """Earlier, closed tasks of the same person with these attempt outcomes."""
    for index, outcome in enumerate(outcomes):
        earlier = OutreachTask.objects.create(
            program=task.program,
            person=task.person,
            window_start=NOW - dt.timedelta(days=30 + index),
            window_end=NOW - dt.timedelta(days=27 + index),
            status="closed",
        )
        Attempt.objects.create(
            task=earlier,
            attempted_at=NOW - dt.timedelta(days=29 - index),
            channel="home_visit",
            outcome=outcome,
        )
    # Written straight to the tables, so the stored tiers are brought up to date here.
    refresh_priority_tiers(task.program)


def test_the_qrt_queue_puts_never_contacted_then_not_located_then_interested_later(
    qrt: Program, api_client_for: Any
) -> None:
    later = task_for(qrt, "Later", closes_in_hours=2)
    history(later, "declined_interested_later")
    not_located = task_for(qrt, "NotLocated", closes_in_hours=3)
    history(not_located, "not_located")
    never = task_for(qrt, "Never", closes_in_hours=40)
    others = task_for(qrt, "Known", closes_in_hours=1)
    history(others, "contacted")
    # A recovery coach reads the tiers as the preset gives them; an officer is not given the
    # third, which tells a decision about treatment (test_treatment_outcomes_are_clinical_detail).
    client = api_client_for(staff(qrt, Role.RECOVERY_COACH))
    body = client.get(
        f"/api/v1/programs/qrt/outreach-queue?at={NOW.isoformat()}".replace("+", "%2B")
    ).json()
    order = [item["task_id"] for item in body["items"]]
    assert order == [never.pk, not_located.pk, later.pk, others.pk]
    tiers = [item["priority_tier"] for item in body["items"]]
    assert tiers == [1, 2, 3, None]
    assert {item["due_state"] for item in body["items"]} == {"open", "closing_soon"}
    assert AuditEvent.objects.filter(object_type="outreach.outreachtask", action="read").exists()


def test_the_queue_costs_the_same_queries_however_long(
    qrt: Program, api_client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = api_client_for(staff(qrt))
    for index in range(3):
        task_for(qrt, f"P{index}")
    with django_assert_max_num_queries(20) as few:
        client.get("/api/v1/programs/qrt/outreach-queue")
    for index in range(30):
        task_for(qrt, f"Q{index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/v1/programs/qrt/outreach-queue")


def test_two_claims_of_one_task_one_wins_the_other_gets_409(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Claimed")
    team_a = Team.objects.create(program=qrt, name="QRT A")
    team_b = Team.objects.create(program=qrt, name="QRT B")
    officer, paramedic = staff(qrt), staff(qrt, Role.PARAMEDIC)
    TeamMember.objects.create(team=team_a, user=officer, role=Role.OFFICER.value)
    TeamMember.objects.create(team=team_b, user=paramedic, role=Role.PARAMEDIC.value)
    first = api_client_for(officer).post(
        f"/api/v1/outreach-tasks/{task.pk}/claim",
        {"team_id": team_a.pk},
        content_type="application/json",
    )
    second = api_client_for(paramedic).post(
        f"/api/v1/outreach-tasks/{task.pk}/claim",
        {"team_id": team_b.pk},
        content_type="application/json",
    )
    assert first.status_code == 200 and first.json()["status"] == "claimed"
    assert second.status_code == 409
    task.refresh_from_db()
    assert task.claimed_by == team_a


def test_a_task_is_claimed_only_for_a_team_the_claimant_is_on(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Unclaimed")
    theirs = Team.objects.create(program=qrt, name="QRT Night")
    refused = api_client_for(staff(qrt)).post(
        f"/api/v1/outreach-tasks/{task.pk}/claim",
        {"team_id": theirs.pk},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"team_id": ["you are not a member of this team"]}
    task.refresh_from_db()
    assert task.claimed_by is None and task.status == OutreachTask.Status.OPEN


def attempt(client: Any, task: OutreachTask, outcome: str, **extra: Any) -> Any:
    body = {
        "attempted_at": NOW.isoformat(),
        "channel": "home_visit",
        "outcome": outcome,
        "contacted": [
            {"role": "participant"},
            {"role": "collateral", "relationship": "mother", "name": "Ann"},
        ],
        "naloxone_kits_left": 2,
        **extra,
    }
    return client.post(
        f"/api/v1/outreach-tasks/{task.pk}/attempts", body, content_type="application/json"
    )


def test_not_located_schedules_the_next_attempt(qrt: Program, api_client_for: Any) -> None:
    task = task_for(qrt, "Away")
    response = attempt(api_client_for(staff(qrt)), task, "not_located", contacted=[])
    assert response.status_code == 201, response.content
    body = response.json()["task"]
    assert body["status"] == "open"
    assert body["next_attempt_after"].startswith("2026-11-21T15:00")


def test_not_located_with_someone_reached_is_refused(qrt: Program, api_client_for: Any) -> None:
    task = task_for(qrt, "Contradicted")
    response = attempt(api_client_for(staff(qrt)), task, "not_located")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["contacted"]
    assert not task.attempts.exists()


def test_an_attempt_dated_in_the_future_is_refused_and_nothing_is_saved(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Later")
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    response = attempt(
        api_client_for(staff(qrt)), task, "contacted", attempted_at=ahead.isoformat()
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {"attempted_at": ["cannot be in the future"]}
    assert not task.attempts.exists()


def test_a_closing_outcome_waits_for_the_qrt_checklist_then_closes(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Declines")
    client = api_client_for(staff(qrt, Role.PEER_SPECIALIST))
    body = attempt(client, task, "declined").json()["task"]
    assert body["status"] == "collecting"
    assert body["missing_checklist"] == [
        "Treatment plan, or the reason there is none",
        "Consent status",
        "Contact preference",
    ]
    assert AttemptContact.objects.filter(role="collateral", relationship="mother").exists()
    done = client.patch(
        f"/api/v1/outreach-tasks/{task.pk}/checklist",
        {
            "values": {
                "treatment_plan": "Declined; wants harm-reduction supplies",
                "consent_status": "no consent",
                "contact_preference": "text",
            },
            "version": body["version"],
        },
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "closed"
    stale = client.patch(
        f"/api/v1/outreach-tasks/{task.pk}/checklist",
        {"values": {"contact_preference": "call"}, "version": body["version"]},
        content_type="application/json",
    )
    assert stale.status_code == 409


def test_a_closed_task_takes_no_more_attempts(qrt: Program, api_client_for: Any) -> None:
    task = task_for(qrt, "Closed")
    task.status = "closed"
    task.save()
    assert attempt(api_client_for(staff(qrt)), task, "contacted").status_code == 422


def test_a_naive_attempt_time_is_refused(qrt: Program, api_client_for: Any) -> None:
    task = task_for(qrt, "Naive")
    response = attempt(
        api_client_for(staff(qrt)), task, "contacted", attempted_at="2026-11-20T10:00:00"
    )
    assert response.status_code == 422
    assert "attempted_at" in response.json()["errors"]
    assert not Attempt.objects.exists()


def test_a_second_not_located_attempt_a_minute_later_is_refused_on_attempted_at(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Twice")
    client = api_client_for(staff(qrt))
    assert attempt(client, task, "not_located", contacted=[]).status_code == 201
    soon = (NOW + dt.timedelta(minutes=1)).isoformat()
    response = attempt(client, task, "not_located", contacted=[], attempted_at=soon)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    [message] = errors["attempted_at"]
    # People read the message; the field it belongs to is the key, not words in it.
    assert "attempted_at" not in message and "spacing_override_reason" not in message
    # 15:00 UTC on 20 November is 10:00 in New York; the next try from 10:00 the next day.
    assert "Sat 21 Nov 2026, 10:00 EST (Eastern time)" in message
    assert "spacing_override_reason" in errors
    assert Attempt.objects.filter(task=task).count() == 1


def test_a_back_dated_attempt_too_close_to_a_later_one_is_refused(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Backdated")
    client = api_client_for(staff(qrt))
    assert attempt(client, task, "not_located", contacted=[]).status_code == 201
    earlier = (NOW - dt.timedelta(hours=3)).isoformat()
    response = attempt(client, task, "not_located", contacted=[], attempted_at=earlier)
    assert response.status_code == 422
    assert "attempted_at" in response.json()["errors"]


def test_a_stated_reason_overrides_the_spacing_and_is_audited(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Second address")
    client = api_client_for(staff(qrt))
    attempt(client, task, "not_located", contacted=[])
    soon = (NOW + dt.timedelta(minutes=1)).isoformat()
    reason = "Tried his sister's flat across town too"
    short = attempt(
        client, task, "not_located", contacted=[], attempted_at=soon, spacing_override_reason="x"
    )
    assert short.status_code == 422
    assert "spacing_override_reason" in short.json()["errors"]
    response = attempt(
        client, task, "not_located", contacted=[], attempted_at=soon, spacing_override_reason=reason
    )
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(
        object_type="outreach.attempt", object_id=str(response.json()["id"]), action="create"
    )
    assert event.detail["spacing_override"]["reason"] == reason
    assert event.detail["outcome"] == "not_located"


def test_a_try_recorded_late_with_a_reason_does_not_bring_the_next_try_forward(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Late entry")
    client = api_client_for(staff(qrt))
    assert attempt(client, task, "not_located", contacted=[]).status_code == 201
    earlier = (NOW - dt.timedelta(hours=3)).isoformat()
    response = attempt(
        client,
        task,
        "not_located",
        contacted=[],
        attempted_at=earlier,
        spacing_override_reason="Entered late: the morning knock was not written down",
    )
    assert response.status_code == 201, response.content
    # The next try stays a day after the latest one, not after the one entered late.
    assert response.json()["task"]["next_attempt_after"].startswith("2026-11-21T15:00")


def test_interested_later_sets_the_recontact_day_on_the_programs_clock(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Evening")
    # 03:30 UTC on 21 November is still the evening of 20 November in New York.
    evening = dt.datetime(2026, 11, 21, 3, 30, tzinfo=dt.UTC)
    response = attempt(
        api_client_for(staff(qrt)),
        task,
        "declined_interested_later",
        attempted_at=evening.isoformat(),
    )
    assert response.status_code == 201, response.content
    task.refresh_from_db()
    # Thirty days from the evening of 20 November is 20 December there (21 December in UTC).
    assert task.recontact_on == dt.date(2026, 12, 20)


def test_a_not_located_attempt_a_day_later_is_recorded(qrt: Program, api_client_for: Any) -> None:
    task = task_for(qrt, "Next day")
    client = api_client_for(staff(qrt))
    attempt(client, task, "not_located", contacted=[])
    later = (NOW + dt.timedelta(hours=24)).isoformat()
    response = attempt(client, task, "not_located", contacted=[], attempted_at=later)
    assert response.status_code == 201, response.content
    first = AuditEvent.objects.filter(object_type="outreach.attempt", action="create").first()
    assert first is not None and "spacing_override" not in first.detail


def test_reaching_someone_soon_after_a_not_located_try_needs_no_reason(
    qrt: Program, api_client_for: Any
) -> None:
    task = task_for(qrt, "Phoned back")
    client = api_client_for(staff(qrt))
    attempt(client, task, "not_located", contacted=[])
    soon = (NOW + dt.timedelta(minutes=20)).isoformat()
    response = attempt(client, task, "contacted", channel="phone", attempted_at=soon)
    assert response.status_code == 201, response.content


def test_the_attempt_schema_documents_the_override_reason(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    fields = schema["components"]["schemas"]["AttemptIn"]["properties"]
    assert "spacing_override_reason" in fields
    assert "spacing_override_reason" not in schema["components"]["schemas"]["AttemptIn"].get(
        "required", []
    )


def test_roles_without_outreach_cannot_see_tasks(qrt: Program, api_client_for: Any) -> None:
    task = task_for(qrt, "Private")
    for role in (Role.PROSECUTOR, Role.ANALYST):
        client = api_client_for(staff(qrt, role))
        assert attempt(client, task, "contacted").status_code == 404
        assert client.get("/api/v1/programs/qrt/outreach-queue").status_code == 403


def test_the_queue_is_paginated_in_work_order(qrt: Program, api_client_for: Any) -> None:
    tasks = [task_for(qrt, f"P{index:02d}", closes_in_hours=10 + index) for index in range(55)]
    client = api_client_for(staff(qrt))
    at = NOW.isoformat().replace("+", "%2B")
    first = client.get(f"/api/v1/programs/qrt/outreach-queue?at={at}").json()
    second = client.get(f"/api/v1/programs/qrt/outreach-queue?at={at}&page=2").json()
    assert first["count"] == second["count"] == 55
    ids = [i["task_id"] for i in first["items"]] + [i["task_id"] for i in second["items"]]
    assert ids == [t.pk for t in tasks]


def test_an_attempt_before_the_referral_it_follows_up_is_refused(api_client_for: Any) -> None:
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="pad"))
    referral = Referral.objects.get(person=world.person)
    task = OutreachTask.objects.create(
        program=world.program,
        person=world.person,
        referral=referral,
        window_start=referral.received_at,
        window_end=referral.received_at + dt.timedelta(days=3),
    )
    before = (referral.received_at - dt.timedelta(days=400)).isoformat()
    client = api_client_for(reader(world, Role.RECOVERY_COACH))
    response = attempt(client, task, "declined", attempted_at=before)
    assert response.status_code == 422, response.content
    assert "attempted_at" in response.json()["errors"]
    assert not task.attempts.exists()
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.OPEN
