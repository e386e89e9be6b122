"""Every form sent back with a mistake: the page says what is wrong beside the field, in a
way a screen reader finds from the field (each invalid control names its message; radio
groups name it on their fieldset), and keeps what was typed in the other fields."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Amendment, RecordsRequest
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.models import Program, User
from coresponder.programs.tests.form_checks import assert_errors_described, error_problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_sent_back(response: Any, *typed: str) -> None:
    """Refused with each problem tied to its field, and each of `typed` still on the form."""
    assert response.status_code == 422, response.content.decode()[:500]
    assert_errors_described(response)
    body = response.content.decode()
    for text in typed:
        assert text in body, text


def test_the_checker_finds_a_message_no_field_names() -> None:
    loose = (
        '<input name="a" aria-invalid="true" aria-describedby="id_a_error">'
        '<span class="usa-error-message" id="a-error">Wrong</span>'
    )
    assert len(error_problems(loose)) == 3
    tied = (
        '<fieldset aria-describedby="id_r_error"><span class="usa-error-message" '
        'id="id_r_error">Choose one</span><input type="radio" name="r" aria-invalid="true">'
        "</fieldset>"
    )
    assert error_problems(tied) == []


def test_the_checker_finds_field_messages_read_out_all_at_once_and_fields_not_marked() -> None:
    said_at_once = (
        '<main><div class="usa-alert" role="alert">Not saved.</div>'
        '<input name="a" aria-invalid="true" aria-describedby="id_a_error">'
        '<span class="usa-error-message" id="id_a_error" role="alert">Wrong</span></main>'
    )
    assert len(error_problems(said_at_once)) == 1
    unmarked = (
        '<fieldset aria-describedby="id_r_error"><span class="usa-error-message" '
        'id="id_r_error">Choose one</span><input type="radio" name="r"></fieldset>'
    )
    assert len(error_problems(unmarked)) == 1


def test_a_visit_and_a_closing_with_no_choice_name_the_group_that_wants_one(
    world: World, coordinator: User
) -> None:
    task = OutreachTask.objects.get()
    OutreachTask.objects.filter(pk=task.pk).update(status="open")
    client = signed_in(coordinator)
    url = f"/programs/pad/outreach/{task.pk}/"
    assert_sent_back(client.post(url, {"note": "Knocked twice, dog barking"}), "dog barking")
    closed = client.post(f"{url}close", {"close-note": "Moved to Ohio", "close-version": 1})
    assert_sent_back(closed, "Moved to Ohio")


def test_an_encounter_with_no_kind_names_the_group_that_wants_one(
    world: World, pad: Program
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    response = signed_in(clinician).post(
        "/programs/pad/encounters/new/", {"clinical_note": "Calm, asked for water"}
    )
    assert_sent_back(response, "Calm, asked for water")


def test_break_glass_and_a_legal_hold_tie_each_message_to_its_field(
    world: World, coordinator: User, admin: User
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    opened = signed_in(clinician).post(
        "/break-glass/", {"person_id": "twelve", "reason": "Unconscious in the ER now"}
    )
    assert_sent_back(opened, "Unconscious in the ER now")
    held = signed_in(admin).post("/programs/pad/legal-holds/", {"person_id": "x"})
    assert_sent_back(held)
    assert 'id="id_person_id_helptext"' in held.content.decode()


def test_an_amendment_request_and_decision_tie_each_message_to_its_field(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    asked = client.post(
        f"/people/{world.person.pk}/amendments/new/", {"statement": "My phone changed"}
    )
    assert_sent_back(asked, "My phone changed")
    made = client.post(
        f"/people/{world.person.pk}/amendments/new/",
        {"target": "person::phone", "proposed_value": "215-555-0199", "received_on": "2025-01-02"},
    )
    assert made.status_code == 302
    amendment = Amendment.objects.get()
    url = f"/people/amendments/{amendment.pk}/"
    decided = client.post(
        url, {"version": amendment.version, "record_version": 1, "reason": "Not theirs"}
    )
    assert_sent_back(decided, "Not theirs")
    extended = client.post(url, {"version": amendment.version, "extension_reason": ""})
    assert_sent_back(extended)


def test_an_import_without_a_file_names_the_file_field(world: World, coordinator: User) -> None:
    client = signed_in(coordinator)
    assert_sent_back(client.post("/intake/import/pad/", {"source": "ems"}))
    assert_sent_back(client.post("/programs/pad/nemsis/", {}))
    unreadable = SimpleUploadedFile("calls.csv", b"\xff\xfe\x00garbage", content_type="text/csv")
    assert_sent_back(client.post("/intake/import/pad/", {"file": unreadable}))


@pytest.mark.parametrize(
    ("who", "url", "data", "typed"),
    [
        ("coordinator", "/people/{person}/edit/", {"given_name": "", "address": "9 Elm St"}, []),
        ("coordinator", "/people/{person}/consents/new/", {"purpose": "Housing help"}, []),
        ("coordinator", "/programs/pad/referrals/new/officer_intervention/", {}, []),
        ("coordinator", "/programs/pad/teams/shifts/new", {"name": "Late watch"}, []),
        ("admin", "/admin-users/new", {"username": "newhire", "display_name": "Nia Hire"}, []),
        ("anonymous", "/help/pad", {"given_name": "", "address": "5 Oak Ave"}, []),
    ],
)
def test_the_other_create_forms_tie_each_message_to_its_field(
    world: World,
    coordinator: User,
    admin: User,
    who: str,
    url: str,
    data: dict[str, str],
    typed: list[str],
) -> None:
    client = {"coordinator": signed_in(coordinator), "admin": signed_in(admin)}.get(who, Client())
    response = client.post(url.format(person=world.person.pk), data)
    kept = [value for value in data.values() if value]
    assert_sent_back(response, *kept, *typed)


def test_a_form_sent_back_says_above_it_that_nothing_was_saved(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    url = f"/people/{world.person.pk}/edit/"
    typed = {"given_name": "", "family_name": "Reyes", "address": "9 Elm St", "version": 1}
    response = client.post(url, typed)
    assert_sent_back(response, "9 Elm St")
    body = response.content.decode()
    summary = body.index("Not saved. Check the fields marked below; what you typed is kept.")
    assert summary < body.index('name="given_name"')
    # A page sent without what it must send to save safely (one older than the site) says
    # so, rather than only failing.
    unversioned = client.post(url, {**typed, "given_name": "Dana", "version": ""})
    assert unversioned.status_code == 422
    assert "This page is missing what it sends to save safely" in unversioned.content.decode()


def test_an_answer_to_a_referral_and_the_places_free_tie_each_message_to_its_field(
    world: World,
) -> None:
    client = signed_in(reader(world, Role.PROVIDER))
    referral = world.service_referral
    prefix = f"r{referral.pk}"
    answered = client.post(
        f"/service-referrals/{referral.pk}/status/",
        {
            "next": "inbox",
            f"{prefix}-version": str(referral.version),
            f"{prefix}-status": "accepted",
            f"{prefix}-status_reason": "Seen " * 80,
            f"{prefix}-appointment_at": "next Tuesday",
        },
    )
    assert_sent_back(answered, "next Tuesday")
    assert answered.content.decode().count('class="usa-error-message"') == 2
    service = referral.service
    places = client.post(
        f"/services/{service.pk}/capacity/",
        {
            f"s{service.pk}-version": "1",
            f"s{service.pk}-available": "many",
            f"s{service.pk}-maximum": "-3",
        },
    )
    assert_sent_back(places, "many")
    assert places.content.decode().count('class="usa-error-message"') == 2


def test_the_records_request_forms_tie_each_message_to_its_field(world: World) -> None:
    client = signed_in(reader(world, Role.COORDINATOR))
    logged = client.post(
        f"/people/{world.person.pk}/records-requests/new/",
        {"program": "", "received_on": "soon", "notes": "By mail"},
    )
    assert_sent_back(logged, "By mail")
    request = RecordsRequest.objects.create(
        person=world.person, program=world.program, received_on=world.program.created_at.date()
    )
    url = f"/people/records-requests/{request.pk}/"
    denied = client.post(url, {"deny": "1", "reason": "", "version": request.version})
    assert_sent_back(denied)
    assert denied.content.decode().count('class="usa-error-message"') == 2


def test_a_pathway_not_chosen_and_a_day_not_read_mark_their_field_for_the_focus(
    world: World, coordinator: User
) -> None:
    client = signed_in(coordinator)
    chosen = client.get("/programs/pad/referrals/new/?pathway=")
    assert_sent_back(chosen)
    # No summary above these: the page script takes the focus to the first field marked.
    assert 'aria-invalid="true"' in chosen.content.decode()
    day = client.get("/programs/pad/spikes/?day=soon")
    assert_sent_back(day)
    assert 'aria-invalid="true"' in day.content.decode()


def test_no_page_reads_its_field_messages_out_as_alerts() -> None:
    """A page sent back with errors opens on its summary or its first invalid field (the
    page script moves the focus there) and each field's message is read with its field:
    a message marked as an alert besides would be read out, with all the others, as the
    page loads. No part htmx puts into a page (earlier contacts, dashboard sections) holds
    a field message; one that did could keep its alert, no focus moving there."""
    marked = re.compile(r'<[^>]*class="usa-error-message"[^>]*role="alert"')
    root = Path(__file__).resolve().parents[2]
    loud = [
        str(template.relative_to(root))
        for template in sorted(root.glob("*/templates/**/*.html"))
        if marked.search(template.read_text(encoding="utf-8"))
    ]
    assert loud == []
