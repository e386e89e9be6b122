"""A person may ask to be reached only in certain ways or at certain places (HIPAA 45 CFR
164.522(b)): the request is recorded and withdrawn through the write path, read as the
person's contact details are, shown to the team on the follow-up, and followed by letters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.care.models import CarePlan, FollowUp
from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import OutreachTask
from coresponder.people.actions.contact_requests import (
    ContactRequestInput,
    record_contact_request,
    withdraw_contact_request,
)
from coresponder.people.contact_requests import warnings_for
from coresponder.people.models import Amendment, ContactRequest, Person, RecordsRequest
from coresponder.privacy.access import access_person
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 15, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 21)
TOKEN = "0123456789abcdef0123456789abcdef"
HOME = "100 Kensington Ave"  # the world's person's address
ELSEWHERE = "PO Box 12, Philadelphia PA 19134"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


@pytest.fixture
def coordinator(world: World) -> User:
    return reader(world, Role.COORDINATOR)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def asked(world: World, user: User, **given: Any) -> ContactRequest:
    data = ContactRequestInput(
        asked_on=given.pop("asked_on", TODAY),
        limits=given.pop("limits", ("no_home_visits", "no_voicemail")),
        **{"phone": "215-555-0188", **given},
    )
    return record_contact_request(Actor(user=user), access_person(user, world.person.pk), data)


def test_a_request_is_recorded_with_who_recorded_it_and_an_audited_write(
    world: World, coordinator: User
) -> None:
    kept = asked(world, coordinator, note="After 6pm")

    kept.refresh_from_db()
    assert kept.limits == ["no_home_visits", "no_voicemail"]
    assert (kept.phone, kept.note, kept.asked_on) == ("215-555-0188", "After 6pm", TODAY)
    assert (kept.program.slug, kept.recorded_by, kept.in_force) == ("pad", coordinator, True)
    event = AuditEvent.objects.get(action="create", object_type="people.contactrequest")
    assert (event.person_id, event.fields, event.program_slug) == (
        world.person.pk,
        ["contact"],
        "pad",
    )


def test_a_withdrawal_keeps_the_request_in_the_history_and_stands_when_sent_again(
    world: World, coordinator: User
) -> None:
    kept = asked(world, coordinator)
    access = access_person(coordinator, world.person.pk)

    withdraw_contact_request(Actor(user=coordinator), access, kept, kept.version)
    again = ContactRequest.objects.get(pk=kept.pk)
    withdraw_contact_request(Actor(user=coordinator), access, again, 1)

    again.refresh_from_db()
    assert (again.in_force, again.withdrawn_by, again.withdrawn_at) == (False, coordinator, NOW)
    assert ContactRequest.objects.filter(person=world.person).count() == 1
    assert warnings_for(access_person(coordinator, world.person.pk)) == []
    assert (
        AuditEvent.objects.filter(object_type="people.contactrequest", action="change").count() == 1
    )


def test_a_withdrawal_of_a_request_changed_since_it_was_read_is_stale(
    world: World, coordinator: User, api_client_for: Any
) -> None:
    kept = asked(world, coordinator)
    access = access_person(coordinator, world.person.pk)

    with pytest.raises(StaleVersion):
        withdraw_contact_request(Actor(user=coordinator), access, kept, kept.version + 1)
    response = api_client_for(coordinator).post(
        f"/api/v1/contact-requests/{kept.pk}/withdrawal",
        {"version": kept.version + 1},
        content_type="application/json",
    )

    assert response.status_code == 409
    kept.refresh_from_db()
    assert kept.in_force


def test_an_address_not_to_visit_is_needed_with_no_visits_at_the_address_named(
    world: World, coordinator: User
) -> None:
    with pytest.raises(ActionError) as refused:
        asked(world, coordinator, limits=("no_visits_at_address",))

    assert list(refused.value.errors) == ["avoid_address"]
    assert not ContactRequest.objects.exists()


def test_the_api_records_lists_and_withdraws_a_request(
    world: World, coordinator: User, api_client_for: Any
) -> None:
    client = api_client_for(coordinator)
    path = f"/api/v1/persons/{world.person.pk}/contact-requests"

    made = client.post(
        path,
        {
            "asked_on": "2026-11-21",
            "limits": ["no_visits_at_address", "no_home_mail"],
            "avoid_address": "12 Elm St (her mother's)",
            "address": ELSEWHERE,
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    withdrawn = client.post(
        f"/api/v1/contact-requests/{body['id']}/withdrawal",
        {"version": body["version"]},
        content_type="application/json",
    )
    listed = client.get(path)

    assert (body["program"], body["limits"], body["in_force"]) == (
        "pad",
        ["no_visits_at_address", "no_home_mail"],
        True,
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["in_force"] is False
    assert listed.status_code == 200
    assert [(r["id"], r["in_force"]) for r in listed.json()["items"]] == [(body["id"], False)]


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"asked_on": "2026-11-21", "limits": ["no_carrier_pigeons"]}, "limits"),
        ({"asked_on": "2026-11-21"}, "limits"),
        ({"asked_on": "2026-12-25", "limits": ["no_texts"]}, "asked_on"),
        ({"asked_on": "2026-11-21", "limits": ["no_visits_at_address"]}, "avoid_address"),
        ({"asked_on": "2026-11-21", "phone": "2" * 40}, "phone"),
    ],
)
def test_the_api_refuses_a_bad_request_naming_the_field_and_keeps_nothing(
    world: World, coordinator: User, api_client_for: Any, sent: dict[str, Any], field: str
) -> None:
    response = api_client_for(coordinator).post(
        f"/api/v1/persons/{world.person.pk}/contact-requests",
        sent,
        content_type="application/json",
    )

    assert response.status_code == 422, response.content
    assert field in {name.split("[")[0] for name in response.json()["errors"]}
    assert not ContactRequest.objects.exists()


def test_the_form_on_the_persons_page_records_once_however_often_it_is_sent(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    page = f"/people/{world.person.pk}/contact-requests/"
    form = {
        "form_token": TOKEN,
        "program": "pad",
        "asked_on": "2026-11-21",
        "limits": ["no_home_visits", "no_texts"],
        "phone": "215-555-0188",
    }

    first = client.post(page, form)
    second = client.post(page, form)

    assert (first.status_code, second.status_code) == (302, 302)
    assert ContactRequest.objects.count() == 1
    shown = client.get(page).content.decode()
    assert "No visits at home" in shown and "No texts" in shown
    assert "no_home_visits" not in shown.replace('value="no_home_visits"', "")


def test_the_form_says_which_field_is_wrong_and_keeps_nothing(
    world: World, coordinator: User
) -> None:
    response = signed_in(coordinator).post(
        f"/people/{world.person.pk}/contact-requests/",
        {"form_token": TOKEN, "program": "pad", "asked_on": "2026-11-21", "limits": []},
    )

    assert response.status_code == 422
    assert "Choose a way not to use, or give a way to use instead." in response.content.decode()
    assert not ContactRequest.objects.exists()


def test_a_withdrawal_from_the_page_after_someone_else_changed_it_answers_409(
    world: World, coordinator: User
) -> None:
    kept = asked(world, coordinator)

    response = signed_in(coordinator).post(
        f"/people/contact-requests/{kept.pk}/withdraw/", {"version": kept.version + 1}
    )

    assert response.status_code == 409
    kept.refresh_from_db()
    assert kept.in_force


def test_the_follow_up_page_warns_the_team_at_the_top(world: World, coordinator: User) -> None:
    asked(world, coordinator, limits=("no_home_visits",), phone="215-555-0188")
    task = OutreachTask.objects.get(person=world.person)
    officer = reader(world, Role.OFFICER)

    response = signed_in(officer).get(f"/programs/pad/outreach/{task.pk}/")

    assert response.status_code == 200
    body = response.content.decode()

    assert 'id="contact-warning"' in body
    assert "Asked not to be visited at home" in body
    assert "Call or text 215-555-0188 instead" in body
    assert body.index('id="contact-warning"') < body.index("Window</dt>")


@pytest.mark.parametrize("role", [Role.PROSECUTOR, Role.ADMIN])
def test_a_role_that_does_not_read_contact_details_gets_no_requests(
    world: World, coordinator: User, api_client_for: Any, role: Role
) -> None:
    asked(world, coordinator)
    other = reader(world, role)

    assert warnings_for(access_person(other, world.person.pk)) == []
    response = api_client_for(other).get(f"/api/v1/persons/{world.person.pk}/contact-requests")
    assert response.status_code in (403, 404)
    assert "215-555-0188" not in response.content.decode()


def test_an_administrator_on_the_follow_up_page_sees_no_warning(
    world: World, coordinator: User
) -> None:
    asked(world, coordinator)
    task = OutreachTask.objects.get(person=world.person)
    admin = reader(world, Role.ADMIN)

    response = signed_in(admin).get(f"/programs/pad/outreach/{task.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "contact-warning" not in body and "215-555-0188" not in body


def test_a_withdrawn_request_no_longer_warns(world: World, coordinator: User) -> None:
    kept = asked(world, coordinator)
    withdraw_contact_request(
        Actor(user=coordinator), access_person(coordinator, world.person.pk), kept, kept.version
    )
    task = OutreachTask.objects.get(person=world.person)

    response = signed_in(reader(world, Role.OFFICER)).get(f"/programs/pad/outreach/{task.pk}/")
    assert response.status_code == 200
    assert b"contact-warning" not in response.content


def _denied_amendment(world: World) -> Amendment:
    return Amendment.objects.create(
        person=world.person,
        program=world.program,
        record_kind="person",
        record_id=world.person.pk,
        field="phone",
        proposed_value="215-555-0177",
        original_value=world.person.phone,
        received_on=TODAY,
        status=Amendment.Status.DENIED,
        decided_at=NOW,
        denial_grounds="accurate_and_complete",
        denial_reason="The phone is the one the person gave",
    )


def _denied_records_request(world: World) -> RecordsRequest:
    return RecordsRequest.objects.create(
        person=world.person,
        program=world.program,
        received_on=TODAY,
        status=RecordsRequest.Status.DENIED,
        denied_at=NOW,
        denial_grounds=["psychotherapy_notes"],
        denial_reason="The notes are the therapist's own",
    )


def test_the_letters_go_to_the_address_the_person_asked_for(
    world: World, coordinator: User
) -> None:
    asked(world, coordinator, limits=("no_home_mail",), phone="", address=ELSEWHERE)
    client = signed_in(coordinator)
    pages = [
        f"/people/amendments/{_denied_amendment(world).pk}/denial-letter/",
        f"/people/records-requests/{_denied_records_request(world).pk}/denial-letter/",
    ]

    for page in pages:
        body = client.get(page).content.decode()
        assert ELSEWHERE in body, page
        assert HOME not in body, page
        assert "Send to the address the person asked for." in body, page


def test_the_letters_go_home_without_such_a_request(world: World, coordinator: User) -> None:
    asked(world, coordinator, limits=("no_texts",))

    page = f"/people/amendments/{_denied_amendment(world).pk}/denial-letter/"
    body = signed_in(coordinator).get(page).content.decode()

    assert HOME in body
    assert "Send to the address the person asked for." not in body


def test_the_visit_form_sent_back_with_errors_still_warns(world: World, coordinator: User) -> None:
    asked(world, coordinator, limits=("no_home_visits",))
    # A follow-up still open: a closed one takes no visit, and says so before any field.
    task = OutreachTask.objects.get(person=world.person)
    task.status = OutreachTask.Status.OPEN
    task.window_end = timezone.now() + dt.timedelta(days=2)
    task.save()

    response = signed_in(reader(world, Role.OFFICER)).post(
        f"/programs/pad/outreach/{task.pk}/", {"form_token": TOKEN}
    )

    assert response.status_code == 422
    assert "Asked not to be visited at home" in response.content.decode()


def test_the_persons_page_warns_by_the_contact_details(world: World, coordinator: User) -> None:
    asked(world, coordinator, limits=("no_home_visits",), phone="215-555-0188")

    response = signed_in(reader(world, Role.OFFICER)).get(f"/people/{world.person.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="contact-warning"' in body
    assert "Asked not to be visited at home" in body
    assert "Call or text 215-555-0188 instead" in body
    assert body.index("<h2>Contact</h2>") < body.index('id="contact-warning"')


def test_the_persons_page_shows_no_warning_to_a_role_that_does_not_read_contact_details(
    world: World, coordinator: User
) -> None:
    asked(world, coordinator)

    response = signed_in(reader(world, Role.ADMIN)).get(f"/people/{world.person.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "contact-warning" not in body and "215-555-0188" not in body


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"phone": "call me maybe"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"phone": "215\t555 0188"}, "phone"),
        ({"address": "12 Elm St\u2028Apt 3"}, "address"),
        (
            {"avoid_address": "4 Oak\u2029Ave", "limits": ("no_visits_at_address",)},
            "avoid_address",
        ),
    ],
)
def test_a_phone_no_one_could_call_or_a_line_holding_hidden_breaks_is_refused(
    world: World, coordinator: User, given: dict[str, Any], field: str
) -> None:
    with pytest.raises(ActionError) as refused:
        asked(world, coordinator, **given)

    assert field in refused.value.errors
    assert not ContactRequest.objects.exists()


def test_a_request_is_not_asked_before_the_person_was_born(world: World, coordinator: User) -> None:
    Person.objects.filter(pk=world.person.pk).update(birth_date=dt.date(1998, 4, 17))

    with pytest.raises(ActionError) as refused:
        asked(world, coordinator, asked_on=dt.date(1901, 1, 1))

    assert "before the person was born" in refused.value.errors["asked_on"][0]
    assert not ContactRequest.objects.exists()


def test_a_care_plan_with_a_home_visit_due_warns_its_clinician(
    world: World, coordinator: User
) -> None:
    asked(world, coordinator, limits=("no_home_visits",), phone="215-555-0188")
    clinician = reader(world, Role.CLINICIAN, username="plan-clinician")
    plan = CarePlan.objects.create(
        program=world.program,
        person=world.person,
        title="Recovery support",
        opened_on=TODAY,
        owner=clinician,
    )
    FollowUp.objects.create(plan=plan, due_at=NOW, kind="visit", owner=clinician)

    body = signed_in(clinician).get(f"/care-plans/{plan.pk}/").content.decode()

    assert 'id="contact-warning"' in body
    assert "Asked not to be visited at home" in body
    assert body.index('id="contact-warning"') < body.index("Follow-ups")
