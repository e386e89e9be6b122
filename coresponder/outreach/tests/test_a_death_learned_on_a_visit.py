"""A visit that learns the person died records their death, and their follow-ups end."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.models import AuditEvent
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.outreach.tests.test_outreach_api import attempt
from coresponder.outreach.tests.test_outreach_api import staff as api_staff
from coresponder.outreach.tests.test_outreach_api import task_for as api_task_for
from coresponder.outreach.tests.test_outreach_views import (
    signed_in,
    staff,
    task_for,
    task_url,
    visit,
)
from coresponder.people.models import Participation, Person
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program
from coresponder.programs.tests.saving_once import assert_second_shows_first, post_twice

pytestmark = pytest.mark.django_db


def told_by_family(task: OutreachTask, died_on: dt.date | None, **extra: str) -> dict[str, str]:
    """A deceased visit: the family said so at the door."""
    return visit(
        task,
        "deceased",
        relationship_1="mother",
        note="told by family",
        **({"died_on": died_on.isoformat()} if died_on else {}),
        **extra,
    )


def other_follow_up(task: OutreachTask, target: str = "participant") -> OutreachTask:
    """The same person's follow-up in another program (PCO)."""
    pco = Program.objects.get(slug="pco")
    now = timezone.now()
    Participation.objects.get_or_create(
        person=task.person, program=pco, defaults={"first_seen_at": now}
    )
    return OutreachTask.objects.create(
        program=pco,
        person=task.person,
        target=target,
        window_start=now - dt.timedelta(hours=1),
        window_end=now + dt.timedelta(hours=48),
    )


def test_a_deceased_visit_without_the_date_of_death_is_refused_naming_it(qrt: Program) -> None:
    task = task_for(qrt, "Undated")
    response = signed_in(staff(qrt)).post(task_url(task), told_by_family(task, None))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_died_on_error"' in page and "Give the date of death" in page
    assert not Attempt.objects.exists()
    task.person.refresh_from_db()
    assert task.person.deceased_on is None


def test_a_date_of_death_in_the_future_on_the_programs_calendar_is_refused(
    qrt: Program,
) -> None:
    task = task_for(qrt, "Ahead")
    tomorrow = today_in(qrt) + dt.timedelta(days=1)
    response = signed_in(staff(qrt)).post(task_url(task), told_by_family(task, tomorrow))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_died_on_error"' in page and "cannot be in the future" in page
    assert not Attempt.objects.exists()
    task.person.refresh_from_db()
    assert task.person.deceased_on is None


def test_a_date_of_death_before_the_birth_date_is_refused(qrt: Program) -> None:
    task = task_for(qrt, "Unborn")
    Person.objects.filter(pk=task.person_id).update(birth_date=dt.date(1990, 5, 1))
    response = signed_in(staff(qrt)).post(
        task_url(task), told_by_family(task, dt.date(1990, 4, 30))
    )
    assert response.status_code == 422
    assert "cannot be before the person&#x27;s birth date" in response.content.decode()
    assert not Attempt.objects.exists()


def test_a_date_of_death_before_the_year_of_birth_is_refused_where_only_the_year_is_known(
    qrt: Program,
) -> None:
    task = task_for(qrt, "Yearonly")
    Person.objects.filter(pk=task.person_id).update(birth_date=None, birth_year=1990)
    response = signed_in(staff(qrt)).post(task_url(task), told_by_family(task, dt.date(1985, 6, 1)))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_died_on_error"' in page and "before 1990" in page
    assert not Attempt.objects.exists()
    task.person.refresh_from_db()
    assert task.person.deceased_on is None


def test_a_deceased_visit_records_the_death_and_ends_every_programs_follow_up_but_the_familys(
    qrt: Program,
) -> None:
    task = task_for(qrt, "Gone")
    elsewhere = other_follow_up(task)
    family = other_follow_up(task, target="family")
    died_on = today_in(qrt) - dt.timedelta(days=2)
    response = signed_in(staff(qrt)).post(
        task_url(task), told_by_family(task, died_on), follow=True
    )
    assert response.status_code == 200
    person = Person.objects.get(pk=task.person_id)
    assert person.deceased_on == died_on
    assert Attempt.objects.get(task=task).note == "told by family"
    elsewhere.refresh_from_db()
    assert elsewhere.status == "closed" and elsewhere.close_reason == "other"
    assert elsewhere.close_note == "The person is recorded as dead."
    family.refresh_from_db()
    assert family.status == "open"
    task.refresh_from_db()
    assert task.close_reason == "deceased"  # its own outcome, not the death's closing
    said = f'<time datetime="{died_on.isoformat()}">{died_on.day} {died_on:%b %Y}</time>'
    assert f"Recorded as died on {said}" in response.content.decode()
    death = AuditEvent.objects.get(object_type="people.person", action="change")
    assert death.fields == ["deceased_on"] and death.person_id == person.pk
    visit_event = AuditEvent.objects.get(object_type="outreach.attempt", action="create")
    assert visit_event.detail["died_on"] == died_on.isoformat()
    assert AuditEvent.objects.filter(
        object_type="outreach.outreachtask", object_id=str(elsewhere.pk), action="change"
    ).exists()


def test_a_death_already_recorded_on_another_day_is_kept_and_the_page_says_so(
    qrt: Program,
) -> None:
    task = task_for(qrt, "Known")
    recorded = today_in(qrt) - dt.timedelta(days=10)
    Person.objects.filter(pk=task.person_id).update(deceased_on=recorded)
    told = today_in(qrt) - dt.timedelta(days=3)
    response = signed_in(staff(qrt)).post(task_url(task), told_by_family(task, told), follow=True)
    assert response.status_code == 200
    assert Person.objects.get(pk=task.person_id).deceased_on == recorded
    page = response.content.decode()
    assert "A death was already recorded for this person" in page
    assert f"{recorded.day} {recorded:%b %Y}" in page and "that date is kept" in page
    event = AuditEvent.objects.get(object_type="outreach.attempt", action="create")
    assert event.detail["death_recorded_before"] == recorded.isoformat()
    assert not AuditEvent.objects.filter(object_type="people.person", action="change").exists()


def test_the_same_day_already_recorded_is_taken_as_it_is(qrt: Program) -> None:
    task = task_for(qrt, "Agreed")
    day = today_in(qrt) - dt.timedelta(days=1)
    Person.objects.filter(pk=task.person_id).update(deceased_on=day)
    response = signed_in(staff(qrt)).post(task_url(task), told_by_family(task, day), follow=True)
    assert response.status_code == 200
    assert "already recorded" not in response.content.decode()
    assert Person.objects.get(pk=task.person_id).deceased_on == day


def test_a_deceased_visit_sent_twice_is_recorded_once(qrt: Program) -> None:
    task = task_for(qrt, "Twice")
    client: Client = signed_in(staff(qrt))
    died_on = today_in(qrt) - dt.timedelta(days=1)
    first, second = post_twice(client, task_url(task), told_by_family(task, died_on))
    assert_second_shows_first(first, second)
    assert Attempt.objects.filter(task=task).count() == 1


# --- The API -------------------------------------------------------------------

DIED = {"contacted": [{"role": "collateral", "relationship": "mother"}]}


def test_the_api_refuses_a_deceased_attempt_without_died_on(
    qrt: Program, api_client_for: Any
) -> None:
    task = api_task_for(qrt, "Undated")
    response = attempt(api_client_for(api_staff(qrt)), task, "deceased", **DIED)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["died_on"]
    assert not task.attempts.exists()
    assert Person.objects.get(pk=task.person_id).deceased_on is None


def test_the_api_refuses_died_on_with_another_outcome(qrt: Program, api_client_for: Any) -> None:
    task = api_task_for(qrt, "Alive")
    response = attempt(api_client_for(api_staff(qrt)), task, "contacted", died_on="2026-11-19")
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["died_on"]
    assert not task.attempts.exists()


def test_the_api_refuses_a_died_on_in_the_future(qrt: Program, api_client_for: Any) -> None:
    task = api_task_for(qrt, "Ahead")
    ahead = (today_in(qrt) + dt.timedelta(days=1)).isoformat()
    response = attempt(api_client_for(api_staff(qrt)), task, "deceased", died_on=ahead, **DIED)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["died_on"]
    assert not task.attempts.exists()


def test_the_api_records_the_death_and_says_which_day_stands(
    qrt: Program, api_client_for: Any
) -> None:
    task = api_task_for(qrt, "Gone")
    client = api_client_for(api_staff(qrt))
    response = attempt(client, task, "deceased", died_on="2026-11-19", **DIED)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["died_on_recorded"] == "2026-11-19" and body["death_note"] is None
    assert Person.objects.get(pk=task.person_id).deceased_on == dt.date(2026, 11, 19)
    again = api_task_for(qrt, "Known")
    Person.objects.filter(pk=again.person_id).update(deceased_on=dt.date(2026, 11, 1))
    kept = attempt(client, again, "deceased", died_on="2026-11-19", **DIED).json()
    assert kept["died_on_recorded"] == "2026-11-01"
    assert "already recorded" in kept["death_note"]
    assert Person.objects.get(pk=again.person_id).deceased_on == dt.date(2026, 11, 1)


def test_the_visit_form_shows_the_date_of_death_with_its_hint_to_a_phone_without_scripts(
    qrt: Program,
) -> None:
    task = task_for(qrt, "Unscripted")
    page = signed_in(staff(qrt)).get(task_url(task)).content.decode()
    # The page's script hides the field until Deceased is chosen; the markup shows it,
    # so a phone whose script did not load can still record a death.
    opening = re.search(r'<div id="death-date"[^>]*>', page)
    assert opening is not None
    assert 'data-shown-when="outcome" data-shown-value="deceased"' in opening.group()
    assert " hidden" not in opening.group()
    field = page[opening.end() :].split('id="id_channel_0"', 1)[0]
    assert '<input type="date" name="died_on"' in field
    assert "Needed when the outcome is Deceased" in field
    assert "disabled" not in field
    # Needed with Deceased, the one outcome it shows with: never "(optional)".
    assert "(optional)" not in field.split("</label>", 1)[0]
