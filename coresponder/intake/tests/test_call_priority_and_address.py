"""A call's dispatch priority and street address: entered, kept, and shown as the gate allows.

The address is where a person in crisis was: contact, as their own address is, so
only roles that read contact see it; the priority is a referral fact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.conftest import typed_local
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Call, Referral
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.programs.signin import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

ADDRESS = "412 Main St, Longmont"


@pytest.fixture
def world() -> World:
    """A person in CORE with a 911 call about them, beside facts in every field group."""
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="core"))
    referral = Referral.objects.create(
        program=world.program,
        person=world.person,
        pathway="community_response",
        received_at=timezone.now() - dt.timedelta(days=4),
        eligible=True,
    )
    Call.objects.create(
        program=world.program,
        referral=referral,
        person=world.person,
        cad_number="2026-000412",
        received_at=referral.received_at,
        call_type="suicidal",
        priority="P1",
        address=ADDRESS,
        co_responders_sent=True,
    )
    return world


def signed_in(user: Any) -> Client:
    """A client past both factors, stamped as our sign-in stamps it."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    return client


def test_the_call_form_keeps_the_priority_and_address_and_the_result_shows_them(
    world: World,
) -> None:
    clinician = signed_in(reader(world, Role.CLINICIAN))
    form = clinician.get("/programs/core/referrals/new/community_response/").content.decode()
    assert 'name="call_priority"' in form and 'name="call_address"' in form
    assert "Street address of the incident" in form
    response = clinician.post(
        "/programs/core/referrals/new/community_response/",
        {
            "received_at": typed_local(world.program),
            "call_call_type": "mental_health_crisis",
            "call_priority": "2",
            "call_address": "77 Coffman St",
        },
    )
    assert response.status_code == 302, response.content.decode()
    call = Call.objects.get(address="77 Coffman St")
    assert call.priority == "2" and call.referral is not None
    page = clinician.get(response["Location"]).content.decode()
    assert "<dt>Dispatch priority</dt><dd>2</dd>" in page
    assert "<dt>Street address</dt><dd>77 Coffman St</dd>" in page
    read = AuditEvent.objects.filter(action="read", object_type="intake.referral").last()
    assert read is not None and "contact" in read.fields


def test_the_call_form_takes_the_cad_number_and_refuses_one_the_program_has(
    world: World,
) -> None:
    clinician = signed_in(reader(world, Role.CLINICIAN))
    page = "/programs/core/referrals/new/community_response/"
    assert 'name="call_cad_number"' in clinician.get(page).content.decode()
    entered = {
        "received_at": typed_local(world.program),
        "call_call_type": "mental_health_crisis",
        "call_cad_number": "2026-000977",
    }
    response = clinician.post(page, entered)
    assert response.status_code == 302, response.content.decode()
    assert Call.objects.get(cad_number="2026-000977").referral is not None
    shown = clinician.get(response["Location"]).content.decode()
    assert "<dt>CAD call number</dt><dd>2026-000977</dd>" in shown
    # The feed's call, entered again by hand: refused on the field, nothing recorded.
    calls, referrals = Call.objects.count(), Referral.objects.count()
    again = clinician.post(page, {**entered, "call_cad_number": "2026-000412"})
    assert again.status_code == 422
    text = again.content.decode()
    assert 'id="id_call_cad_number_error"' in text
    assert "This CAD call number is recorded already (received " in text
    assert (Call.objects.count(), Referral.objects.count()) == (calls, referrals)


def test_the_result_page_shows_a_feed_call_to_those_who_record_referrals_only(
    world: World,
) -> None:
    referral = Referral.objects.get(pathway="community_response")
    page = f"/programs/core/referrals/{referral.pk}/"
    officer = signed_in(reader(world, Role.OFFICER)).get(page).content.decode()
    assert "<dt>CAD call number</dt><dd>2026-000412</dd>" in officer
    assert "<dt>Dispatch priority</dt><dd>P1</dd>" in officer
    assert ADDRESS in officer
    for role in (Role.PROSECUTOR, Role.ANALYST, Role.PROVIDER):
        answer = signed_in(reader(world, role)).get(page)
        assert answer.status_code == 404
        assert ADDRESS not in answer.content.decode()


def test_the_history_shows_the_address_to_roles_that_read_where_people_are(
    world: World,
) -> None:
    page = f"/people/{world.person.pk}/timeline/"
    officer = signed_in(reader(world, Role.OFFICER)).get(page).content.decode()
    # Labelled as the referral's own page labels them.
    assert "Dispatch priority" in officer and "P1" in officer
    assert "Street address" in officer and ADDRESS in officer
    # An administrator reads referrals but not contact: the priority, never the address.
    admin = signed_in(reader(world, Role.ADMIN)).get(page)
    assert admin.status_code == 200
    assert "P1" in admin.content.decode() and ADDRESS not in admin.content.decode()
    read = AuditEvent.objects.filter(action="read", object_type="people.person").last()
    assert read is not None and "referral" in read.fields and "contact" not in read.fields
    # A provider reads contact but not referrals, so no call of theirs to tell of.
    provider = signed_in(reader(world, Role.PROVIDER)).get(page)
    assert ADDRESS not in provider.content.decode()
    # A prosecutor learns engagement and nothing else: no history at all.
    prosecutor = signed_in(reader(world, Role.PROSECUTOR)).get(page)
    assert prosecutor.status_code == 404
    assert ADDRESS not in prosecutor.content.decode()


def test_the_history_api_and_a_records_request_carry_the_call_facts(
    world: World, api_client_for: Any
) -> None:
    officer = api_client_for(reader(world, Role.OFFICER))
    entries = officer.get(f"/api/v1/persons/{world.person.pk}/timeline").json()["items"]
    call = next(e for e in entries if e["detail"].get("pathway") == "community_response")
    assert (call["detail"]["call_priority"], call["detail"]["call_address"]) == ("P1", ADDRESS)
    admin = api_client_for(reader(world, Role.ADMIN))
    entries = admin.get(f"/api/v1/persons/{world.person.pk}/timeline").json()["items"]
    call = next(e for e in entries if e["detail"].get("pathway") == "community_response")
    assert call["detail"]["call_priority"] == "P1" and "call_address" not in call["detail"]
    coordinator = api_client_for(reader(world, Role.COORDINATOR))
    export = coordinator.get(f"/api/v1/persons/{world.person.pk}/records-request")
    assert export.status_code == 200
    assert ADDRESS in export.content.decode()
