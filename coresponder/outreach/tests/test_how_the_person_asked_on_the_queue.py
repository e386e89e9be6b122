"""How the person asked to be reached (45 CFR 164.522(b)) follows the team onto the queue, the
route and its printed sheet, the family's follow-up and the API, to readers of contact
details only, and at one query for a whole list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coresponder.conftest import Clock
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import OutreachTask
from coresponder.outreach.tests.test_routes import (
    on_shift,
    route_url,
    signed_in,
    staff,
    task_at,
)
from coresponder.people.models import ContactRequest
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

TAG = "Asked: no visits at home; no texts"
FAMILY = "The person asked not to be reached through family or friends"


@pytest.fixture
def pco(db: None) -> Program:
    load_programs(SYSTEM)
    return Program.objects.get(slug="pco")


def asked(task: OutreachTask, *limits: str, **given: Any) -> ContactRequest:
    return ContactRequest.objects.create(
        person_id=task.person_id,
        program=task.program,
        limits=list(limits),
        asked_on=dt.date(2025, 3, 1),
        **given,
    )


def queue_url(program: Program) -> str:
    return f"/programs/{program.slug}/outreach/"


def test_the_queue_tags_each_card_and_row_for_a_field_role(pco: Program, clock: Clock) -> None:
    task = task_at(pco, "Asker", 2, address="3 Summer St")
    asked(task, "no_home_visits", "no_texts", phone="508-555-0110")
    task_at(pco, "Quiet", 3, address="4 Summer St")

    page = signed_in(staff(pco)).get(queue_url(pco)).content.decode()

    # Once in the table for a desk, once on the card for a phone; the other person has none.
    assert page.count(TAG) == 2
    assert page.count("cr-asked") == 2
    # The full text, with the phone, is on the task page, not on the queue.
    assert "508-555-0110" not in page
    event = AuditEvent.objects.get(action="read", detail__list="outreach queue")
    assert "contact" in event.fields


def test_the_queue_shows_no_tag_to_a_role_that_does_not_read_contact_details(
    pco: Program, clock: Clock
) -> None:
    task = task_at(pco, "Asker", 2, address="3 Summer St")
    asked(task, "no_home_visits", "no_texts")

    response = signed_in(staff(pco, Role.ADMIN)).get(queue_url(pco))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Asker Test" in page
    assert "Asked:" not in page and "cr-asked" not in page
    event = AuditEvent.objects.get(action="read", detail__list="outreach queue")
    assert "contact" not in event.fields


def test_a_withdrawn_request_or_another_programs_leaves_no_tag(pco: Program, clock: Clock) -> None:
    task = task_at(pco, "Asker", 2, address="3 Summer St")
    asked(task, "no_texts", withdrawn_at=clock.now)
    ContactRequest.objects.create(
        person_id=task.person_id,
        program=Program.objects.get(slug="qrt"),
        limits=["no_home_visits"],
        asked_on=dt.date(2025, 3, 1),
    )

    page = signed_in(staff(pco)).get(queue_url(pco)).content.decode()

    assert "Asker Test" in page and "Asked:" not in page


def test_the_route_and_its_sheet_tag_each_stop(pco: Program, clock: Clock) -> None:
    team = on_shift(pco)
    task = task_at(pco, "Asker", 2, address="3 Summer St")
    asked(task, "no_home_visits", "no_texts")
    task_at(pco, "Quiet", 3, address="4 Summer St")
    client = signed_in(staff(pco))

    route = client.get(route_url(pco, team)).content.decode()
    sheet = client.get(route_url(pco, team, sheet=True)).content.decode()

    assert ". Asker Test</h3>" in route and route.count(TAG) == 1
    assert 'id="route-sheet"' in sheet and sheet.count(TAG) == 1


def test_the_route_is_refused_to_a_role_that_does_not_read_contact_details(
    pco: Program, clock: Clock
) -> None:
    team = on_shift(pco)
    asked(task_at(pco, "Asker", 2, address="3 Summer St"), "no_home_visits")
    client = signed_in(staff(pco, Role.ADMIN))

    for sheet in (False, True):
        response = client.get(route_url(pco, team, sheet=sheet))
        assert response.status_code in (403, 404)
        assert "Asked:" not in response.content.decode()


def test_the_familys_task_warns_loudly_where_the_person_asked_not_through_family(
    pco: Program, clock: Clock
) -> None:
    team = on_shift(pco)
    task = task_at(pco, "Asker", 2, address="3 Summer St", target=OutreachTask.Target.FAMILY)
    asked(task, "no_contact_through_family")
    client = signed_in(staff(pco))

    page = client.get(f"/programs/pco/outreach/{task.pk}/").content.decode()
    queue = client.get(queue_url(pco)).content.decode()
    route = client.get(route_url(pco, team)).content.decode()

    # At the top and again over the visit form.
    assert page.count(FAMILY) == 2
    assert page.index(FAMILY) < page.index('id="contact-warning"')
    assert page.rindex(FAMILY) > page.index('id="visit-heading"')
    assert "cr-family-warning" in page and 'role="alert"' in page
    assert FAMILY in queue and FAMILY in route
    assert (
        FAMILY
        not in signed_in(staff(pco, Role.ADMIN))
        .get(f"/programs/pco/outreach/{task.pk}/")
        .content.decode()
    )


def test_the_persons_own_task_carries_no_family_alarm(pco: Program, clock: Clock) -> None:
    task = task_at(pco, "Asker", 2, address="3 Summer St")
    asked(task, "no_contact_through_family")

    page = signed_in(staff(pco)).get(f"/programs/pco/outreach/{task.pk}/").content.decode()

    assert "Asked not to be reached through family or friends" in page
    assert "cr-family-warning" not in page


def test_the_queue_and_route_read_one_more_query_however_many_asked(
    pco: Program, clock: Clock, django_assert_max_num_queries: Any
) -> None:
    team = on_shift(pco)
    client = signed_in(staff(pco))
    for n in range(3):
        asked(task_at(pco, f"Few{n}", 1 + n, address="x"), "no_texts")
    client.get(queue_url(pco))
    client.get(route_url(pco, team))
    with django_assert_max_num_queries(60) as few:
        client.get(queue_url(pco))
        client.get(route_url(pco, team))
    for n in range(30):
        asked(task_at(pco, f"Many{n}", 1 + n % 9, address="y"), "no_home_visits")
    with django_assert_max_num_queries(len(few.captured_queries)):
        queue = client.get(queue_url(pco)).content.decode()
        route = client.get(route_url(pco, team)).content.decode()
    assert "Asked: no visits at home" in queue and "Asked: no texts" in route
    asked_reads = [q for q in few.captured_queries if "people_contactrequest" in q["sql"]]
    assert len(asked_reads) == 2  # one for the queue, one for the route


def test_the_api_queue_summarises_requests_in_codes_and_words(
    pco: Program, clock: Clock, api_client_for: Any
) -> None:
    task = task_at(pco, "Asker", 2, address="3 Summer St")
    asked(task, "no_home_visits", "no_texts")
    quiet = task_at(pco, "Quiet", 3, address="4 Summer St")

    items = {
        item["task_id"]: item
        for item in api_client_for(staff(pco))
        .get("/api/v1/programs/pco/outreach-queue")
        .json()["items"]
    }

    assert items[task.pk]["contact_requests"] == {
        "limits": ["no_home_visits", "no_texts"],
        "limit_labels": ["no visits at home", "no texts"],
        "text": TAG,
    }
    assert items[quiet.pk]["contact_requests"] is None
    hidden = api_client_for(staff(pco, Role.ADMIN)).get("/api/v1/programs/pco/outreach-queue")
    assert hidden.status_code == 200
    assert all(i["contact_requests"] is None for i in hidden.json()["items"])
    assert "no_texts" not in hidden.content.decode()


def test_the_api_task_gives_the_requests_in_full_to_readers_of_contact_details(
    pco: Program, clock: Clock, api_client_for: Any
) -> None:
    task = task_at(pco, "Asker", 2, address="3 Summer St")
    asked(task, "no_texts", phone="508-555-0110", note="After 5pm")

    response = api_client_for(staff(pco)).get(f"/api/v1/outreach-tasks/{task.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == task.pk and body["person_id"] == task.person_id
    assert body["contact_requests"] == [
        {
            "program": pco.name,
            "limits": ["no_texts"],
            "limit_labels": ["No texts"],
            "avoid": ["Asked not to be texted"],
            "instead": ["Call 508-555-0110 instead"],
            "note": "After 5pm",
        }
    ]
    event = AuditEvent.objects.get(action="read", object_id=str(task.pk))
    assert "contact" in event.fields
    hidden = api_client_for(staff(pco, Role.ADMIN)).get(f"/api/v1/outreach-tasks/{task.pk}")
    assert hidden.status_code == 200
    assert hidden.json()["contact_requests"] is None
    assert "508-555-0110" not in hidden.content.decode()


def test_a_phone_card_says_the_task_is_to_reach_the_family(pco: Program, clock: Clock) -> None:
    task_at(pco, "Mourned", 2, address="3 Summer St", target=OutreachTask.Target.FAMILY)
    task_at(pco, "Living", 3, address="4 Summer St")

    page = signed_in(staff(pco)).get(queue_url(pco)).content.decode()

    # The table on a desk and the card on a phone both say whom the visit is for.
    cards = page[page.index('aria-label="Tasks to work"') :]
    assert cards.count("Family and friends") == 1
    assert cards.index("Mourned Test") < cards.index("Family and friends")
    assert page.count("Family and friends") == 2


def test_the_task_page_says_the_visit_is_to_reach_the_family(pco: Program, clock: Clock) -> None:
    family = task_at(pco, "Mourned", 2, address="3 Summer St", target=OutreachTask.Target.FAMILY)
    own = task_at(pco, "Living", 3, address="4 Summer St")
    client = signed_in(staff(pco))

    page = client.get(f"/programs/pco/outreach/{family.pk}/").content.decode()

    assert page.index("Mourned Test</h1>") < page.index("Family and friends")
    assert (
        "Family and friends" not in client.get(f"/programs/pco/outreach/{own.pk}/").content.decode()
    )
