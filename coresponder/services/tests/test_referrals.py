"""Closed-loop referrals: who sees which, the Task through its statuses, consent, reminders,
warm handoffs and capacity — through the API, the pages and the worker."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import WITHHELD_TEXT
from coresponder.domain.referrals import people_accepted_treatment
from coresponder.domain.vocabulary import Role, label
from coresponder.outreach.management.commands.run_worker import send_all
from coresponder.outreach.models import Notice
from coresponder.people.models import Participation, Person
from coresponder.privacy.models import Consent
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Organization, Program, User
from coresponder.services.actions import referral_histories
from coresponder.services.models import (
    Service,
    ServiceCapacity,
    ServiceOrganization,
    ServiceReferral,
    ServiceReferralStatusChange,
    TaxonomyTerm,
)
from coresponder.services.reminders import send_referral_reminders


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def other_provider(world: World) -> tuple[Service, User]:
    """A second provider organisation with a service, a referral of the person, and a user."""
    org = Organization.objects.create(slug="north-clinic", name="North Clinic", kind="provider")
    entry = ServiceOrganization.objects.create(hsds_id="org-nc", name="North Clinic", partner=org)
    service = Service.objects.create(hsds_id="svc-nc", organization=entry, name="North detox")
    user = User.objects.create_user(
        username="north-provider", password="x", role="provider", organization=org
    )
    Membership.objects.create(user=user, program=world.program, role="provider")
    return service, user


def requested(world: World, service: Service | None = None, **fields: Any) -> ServiceReferral:
    now = fields.pop("at", timezone.now())
    return ServiceReferral.objects.create(
        program=world.program,
        person=world.person,
        service=service or world.service_referral.service,
        status="requested",
        requested_at=now,
        status_changed_at=now,
        **fields,
    )


def shown_version(service: Service) -> str:
    """The version the inbox's capacity form carries: the newest figure's, 0 before any."""
    newest = ServiceCapacity.objects.filter(service=service).order_by("-updated", "-id").first()
    return str(newest.version if newest else 0)


def typed(service: Service, **numbers: str) -> dict[str, str]:
    """The inbox's capacity form for `service` as sent, over the figure it now shows."""
    field = f"s{service.pk}"
    return {f"{field}-version": shown_version(service)} | {
        f"{field}-{name}": value for name, value in numbers.items()
    }


def patch(client: Client, referral: ServiceReferral, **body: Any) -> Any:
    return client.patch(
        f"/api/v1/service-referrals/{referral.pk}", body, content_type="application/json"
    )


# --- Who sees which ---------------------------------------------------------------


def test_a_provider_sees_only_referrals_sent_to_its_organisation(
    world: World, api_client_for: Any
) -> None:
    north_service, north_user = other_provider(world)
    north_referral = requested(world, north_service)
    ours = api_client_for(reader(world, Role.PROVIDER))
    listed = ours.get("/api/v1/service-referrals").json()
    assert [item["id"] for item in listed["items"]] == [world.service_referral.pk]
    assert listed["count"] == 1
    assert ours.get(f"/api/v1/service-referrals/{north_referral.pk}").status_code == 404
    assert ours.get("/api/v1/service-referrals/999999").status_code == 404
    theirs = api_client_for(north_user).get("/api/v1/service-referrals").json()
    assert [item["id"] for item in theirs["items"]] == [north_referral.pk]


@pytest.mark.parametrize("status", ["in_progress", "Accepted", "withheld", "declined"])
def test_listing_by_a_status_no_referral_can_have_is_422_naming_status(
    world: World, api_client_for: Any, status: str
) -> None:
    # `in_progress` for `in-progress` answered an empty list, read as "none in progress".
    client = api_client_for(reader(world, Role.PROVIDER))

    response = client.get("/api/v1/service-referrals", {"status": status})

    assert response.status_code == 422
    assert "status" in response.json()["errors"]
    listed = client.get("/api/v1/service-referrals", {"status": "in-progress"}).json()
    assert [item["id"] for item in listed["items"]] == [world.service_referral.pk]


def test_the_provider_inbox_page_lists_only_its_organisations_referrals(
    world: World, client: Client
) -> None:
    north_service, north_user = other_provider(world)
    requested(world, north_service, note="North only")
    client.force_login(reader(world, Role.PROVIDER))
    page = client.get("/services/inbox/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Buprenorphine clinic" in text and "North only" not in text
    assert AuditEvent.objects.filter(action="read", object_type="services.servicereferral").exists()


def test_an_officer_without_consent_sees_the_status_withheld_and_a_prosecutor_nothing(
    world: World, api_client_for: Any
) -> None:
    officer = api_client_for(reader(world, Role.OFFICER))
    body = officer.get(f"/api/v1/service-referrals/{world.service_referral.pk}").json()
    assert body["status"] == "withheld" and body["status_note"] == WITHHELD_TEXT
    assert [step["status"] for step in body["history"]] == []
    assert (
        officer.get(f"/api/v1/service-referrals/{world.service_referral.pk}/fhir").status_code
        == 403
    )
    prosecutor = api_client_for(reader(world, Role.PROSECUTOR))
    assert prosecutor.get("/api/v1/service-referrals").json()["count"] == 0
    url = f"/api/v1/service-referrals/{world.service_referral.pk}"
    assert prosecutor.get(url).status_code == 404


def test_the_referral_page_says_once_why_a_status_is_withheld(world: World) -> None:
    client = Client()
    client.force_login(reader(world, Role.OFFICER))
    page = client.get(f"/service-referrals/{world.service_referral.pk}/").content.decode()
    assert '<span class="usa-tag">Withheld</span> No consent in force names you.' in page
    assert "Withheld</span> status withheld" not in page


@pytest.mark.parametrize(
    ("status", "part2_program", "seen"),
    [
        ("requested", True, "requested"),  # the referrer's own record
        ("cancelled", True, "cancelled"),
        ("accepted", True, "withheld"),  # a Part 2 program's answer: applied for treatment
        ("rejected", True, "withheld"),
        ("accepted", False, "accepted"),  # elsewhere only past `accepted` tells of treatment
        ("rejected", False, "rejected"),
        ("in-progress", False, "withheld"),
    ],
)
def test_a_part2_programs_answer_is_withheld_from_the_police_without_consent(
    world: World, api_client_for: Any, client: Client, status: str, part2_program: bool, seen: str
) -> None:
    service = world.service_referral.service
    Service.objects.filter(pk=service.pk).update(part2_program=part2_program)
    referral = requested(world)
    ServiceReferral.objects.filter(pk=referral.pk).update(
        status=status, status_reason="No bed" if status == "rejected" else ""
    )
    ServiceReferralStatusChange.objects.create(referral=referral, status=status, at=timezone.now())
    officer = reader(world, Role.OFFICER)
    api = api_client_for(officer)
    body = api.get(f"/api/v1/service-referrals/{referral.pk}").json()
    assert body["status"] == seen
    assert ("No bed" in str(body)) == (status == "rejected" and seen != "withheld")
    assert [s["status"] for s in body["history"]] == ([] if seen == "withheld" else [status])
    listed = {r["id"]: r["status"] for r in api.get("/api/v1/service-referrals").json()["items"]}
    assert listed[referral.pk] == seen
    filtered = api.get(f"/api/v1/service-referrals?status={status}").json()["items"]
    assert (referral.pk in {r["id"] for r in filtered}) == (seen == status)
    client.force_login(officer)
    page = client.get(f"/people/{world.person.pk}/").content.decode()
    line = page[page.index(f'href="/service-referrals/{referral.pk}/"') :].split("</li>")[0]
    assert (WITHHELD_TEXT in line) == (seen == "withheld")
    assert (label("task_status", status) in line) == (seen == status)
    # The referral's own page, its history included.
    own = client.get(f"/service-referrals/{referral.pk}/").content.decode()
    assert (label("task_status", status) in own) == (seen == status)
    assert ("No bed" in own) == (status == "rejected" and seen != "withheld")


def test_an_officer_with_consent_sees_the_status_and_the_read_is_a_disclosure(
    world: World, api_client_for: Any
) -> None:
    user = reader(world, Role.OFFICER)
    consent_for(world, user)
    body = api_client_for(user).get(f"/api/v1/service-referrals/{world.service_referral.pk}").json()
    assert body["status"] == "in-progress"
    assert world.person.disclosures.filter(recipient_user=user).exists()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.FAITH_LEADER])
def test_roles_that_only_read_referrals_may_not_call_one_off_or_record_a_handoff(
    world: World, api_client_for: Any, client: Client, role: Role
) -> None:
    referral = requested(world)
    user = reader(world, role)
    api = api_client_for(user)
    assert patch(api, referral, status="cancelled", status_reason="x", version=1).status_code == 403
    handoff = api.post(
        f"/api/v1/service-referrals/{referral.pk}/warm-handoff",
        {"by": "Someone", "at": timezone.now().isoformat(), "version": 1},
        content_type="application/json",
    )
    assert handoff.status_code == 403
    client.force_login(user)
    page = client.get(f"/service-referrals/{referral.pk}/").content.decode()
    assert "Cancel referral" not in page and "Withdraw" not in page and "Warm handoff" in page
    assert "Record a warm handoff" not in page
    posted = client.post(
        f"/service-referrals/{referral.pk}/status/",
        {f"r{referral.pk}-status": "entered-in-error", f"r{referral.pk}-version": "1"},
    )
    assert posted.status_code in (403, 404, 422)
    referral.refresh_from_db()
    assert (referral.status, referral.version, referral.warm_handoff_at) == ("requested", 1, None)


def test_the_note_to_the_provider_is_clinical_detail_an_officer_reads_only_with_consent(
    world: World, client: Client, api_client_for: Any
) -> None:
    referral = requested(world, note="Started buprenorphine 8 mg; PHQ-9 severe")
    officer = reader(world, Role.OFFICER)
    client.force_login(officer)
    page = client.get(f"/service-referrals/{referral.pk}/").content.decode()
    assert "buprenorphine" not in page and "The note sent with this referral is withheld" in page
    denied = AuditEvent.objects.filter(actor=officer, action="read", outcome="denied")
    assert any("clinical" in event.fields for event in denied)
    fhir = api_client_for(officer).get(f"/api/v1/service-referrals/{referral.pk}/fhir")
    assert fhir.status_code == 200 and "buprenorphine" not in fhir.content.decode()
    consent_for(world, officer)
    page = client.get(f"/service-referrals/{referral.pk}/").content.decode()
    assert "Started buprenorphine 8 mg" in page
    # Read by the consent: a disclosure, with its record.
    assert world.person.disclosures.filter(recipient_user=officer).exists()
    fhir = api_client_for(officer).get(f"/api/v1/service-referrals/{referral.pk}/fhir")
    assert "Started buprenorphine 8 mg" in fhir.content.decode()
    client.force_login(reader(world, Role.CLINICIAN))
    assert (
        "Started buprenorphine 8 mg"
        in client.get(f"/service-referrals/{referral.pk}/").content.decode()
    )
    client.force_login(reader(world, Role.PROVIDER))
    assert (
        "Started buprenorphine 8 mg"
        in client.get(f"/service-referrals/{referral.pk}/").content.decode()
    )


# --- The Task through its statuses -------------------------------------------------


def test_a_provider_accepts_then_starts_and_each_step_is_kept_and_audited(
    world: World, api_client_for: Any
) -> None:
    referral = requested(world)
    client = api_client_for(reader(world, Role.PROVIDER))
    response = patch(client, referral, status="accepted", version=1)
    assert response.status_code == 200, response.content
    assert response.json()["allowed_next"] == ["in-progress", "on-hold", "failed"]
    response = patch(client, referral, status="in-progress", version=2)
    assert response.json()["status"] == "in-progress"
    steps = list(referral.status_changes.values_list("status", flat=True))
    assert steps == ["accepted", "in-progress"]
    events = AuditEvent.objects.filter(object_type="services.servicereferral", action="change")
    assert [e.fields for e in events.order_by("id")] == [["referral"], ["part2"]]


def test_a_bad_transition_is_422_naming_status_and_a_rejection_needs_a_reason(
    world: World, api_client_for: Any
) -> None:
    referral = requested(world)
    client = api_client_for(reader(world, Role.PROVIDER))
    skip = patch(client, referral, status="completed", version=1)
    assert skip.status_code == 422
    assert "status" in skip.json()["errors"]
    bare = patch(client, referral, status="rejected", version=1)
    assert bare.status_code == 422 and "status_reason" in bare.json()["errors"]
    unknown = patch(client, referral, status="declined", version=1)
    assert unknown.status_code == 422 and "status" in unknown.json()["errors"]
    ok = patch(client, referral, status="rejected", status_reason="No bed", version=1)
    assert ok.status_code == 200 and ok.json()["status_reason"] == "No bed"


def test_a_provider_may_not_cancel_but_the_referring_clinician_may(
    world: World, api_client_for: Any
) -> None:
    referral = requested(world)
    provider = api_client_for(reader(world, Role.PROVIDER))
    refused = patch(provider, referral, status="cancelled", status_reason="x", version=1)
    assert refused.status_code == 422
    clinician = api_client_for(reader(world, Role.CLINICIAN))
    done = patch(clinician, referral, status="cancelled", status_reason="Moved", version=1)
    assert done.status_code == 200, done.content


def test_a_stale_version_is_409_and_changes_nothing(world: World, api_client_for: Any) -> None:
    referral = requested(world)
    client = api_client_for(reader(world, Role.PROVIDER))
    assert patch(client, referral, status="accepted", version=1).status_code == 200
    stale = patch(client, referral, status="rejected", status_reason="x", version=1)
    assert stale.status_code == 409
    referral.refresh_from_db()
    assert (referral.status, referral.version) == ("accepted", 2)


def test_a_move_the_referral_cannot_make_is_told_in_words_above_the_buttons(
    world: World, client: Client
) -> None:
    referral = requested(world)
    client.force_login(reader(world, Role.PROVIDER))
    prefix = f"r{referral.pk}"
    response = client.post(
        f"/service-referrals/{referral.pk}/status/",
        {f"{prefix}-version": "1", f"{prefix}-status": "completed"},
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "Cannot go from requested to completed" in text
    held = client.post(
        f"/service-referrals/{referral.pk}/status/",
        {f"{prefix}-version": "1", f"{prefix}-status": "rejected"},
    )
    assert "Say why the referral is rejected" in held.content.decode()


def test_the_inbox_shows_the_referrals_waiting_for_an_answer_apart(
    world: World, client: Client
) -> None:
    waiting = requested(world, note="Please call her mother first")
    client.force_login(reader(world, Role.PROVIDER))
    every = client.get("/services/inbox/").content.decode()
    assert "Waiting for your answer (1)" in every and "Working on (1)" in every
    page = client.get("/services/inbox/", {"show": "waiting"}).content.decode()
    assert f'id="referral-{waiting.pk}"' in page
    assert f'id="referral-{world.service_referral.pk}"' not in page  # in progress
    page = client.get("/services/inbox/", {"show": "working"}).content.decode()
    assert f'id="referral-{world.service_referral.pk}"' in page
    assert f'id="referral-{waiting.pk}"' not in page
    # An unknown view shows them all.
    page = client.get("/services/inbox/", {"show": "nonsense"}).content.decode()
    assert f'id="referral-{waiting.pk}"' in page


def test_the_inbox_keeps_what_was_typed_when_someone_else_changed_it(
    world: World, client: Client
) -> None:
    referral = requested(world)
    client.force_login(reader(world, Role.PROVIDER))
    ServiceReferral.objects.filter(pk=referral.pk).update(version=2)
    prefix = f"r{referral.pk}"
    response = client.post(
        f"/service-referrals/{referral.pk}/status/",
        {
            f"{prefix}-version": "1",
            f"{prefix}-status": "rejected",
            f"{prefix}-status_reason": "Full",
        },
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert "Changed by someone else — review and retry." in text
    assert 'value="Full"' in text


def test_a_provider_tapping_accept_twice_is_told_it_is_accepted_not_that_it_changed(
    world: World, client: Client
) -> None:
    referral = requested(world)
    client.force_login(reader(world, Role.PROVIDER))
    prefix = f"r{referral.pk}"
    tap = {f"{prefix}-version": "1", f"{prefix}-status": "accepted"}
    first = client.post(f"/service-referrals/{referral.pk}/status/", tap)
    second = client.post(f"/service-referrals/{referral.pk}/status/", tap, follow=True)
    assert first.status_code == 302 and second.status_code == 200
    page = second.content.decode()
    assert "already accepted; nothing changed" in page and "Changed by someone else" not in page
    assert referral.status_changes.count() == 1


def test_a_provider_accepting_drives_people_accepted_treatment(
    world: World, api_client_for: Any
) -> None:
    term = TaxonomyTerm.objects.create(code="moud_buprenorphine", name="Buprenorphine")
    world.service_referral.service.taxonomy_terms.add(term)
    world.service_referral.delete()
    referral = requested(world)
    start, end = timezone.now() - dt.timedelta(days=1), timezone.now() + dt.timedelta(days=1)

    def count() -> int:
        rows = ServiceReferral.objects.prefetch_related("status_changes", "service__taxonomy_terms")
        return people_accepted_treatment(referral_histories(rows), start, end)

    assert count() == 0
    patch(api_client_for(reader(world, Role.PROVIDER)), referral, status="accepted", version=1)
    assert count() == 1


# --- Referring, consent ------------------------------------------------------------


def test_a_clinician_refers_and_gets_201_requested(world: World, api_client_for: Any) -> None:
    client = api_client_for(reader(world, Role.CLINICIAN))
    body = {
        "person_id": world.person.pk,
        "service_id": world.service_referral.service_id,
        "program": "pad",
        "note": "Wants to start this week",
    }
    response = client.post("/api/v1/service-referrals", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "requested" and response.json()["version"] == 1
    referral = ServiceReferral.objects.get(pk=response.json()["id"])
    assert referral.referred_by is not None and referral.consent is None
    assert ServiceReferralStatusChange.objects.filter(referral=referral).count() == 1


def test_a_part2_program_needs_a_consent_naming_the_provider_and_keeps_it(
    world: World, api_client_for: Any
) -> None:
    service = world.service_referral.service
    Service.objects.filter(pk=service.pk).update(part2_program=True)
    clinician = reader(world, Role.CLINICIAN)
    client = api_client_for(clinician)
    body = {"person_id": world.person.pk, "service_id": service.pk, "program": "pad"}
    refused = client.post("/api/v1/service-referrals", body, content_type="application/json")
    assert refused.status_code == 422
    assert "consent" in refused.json()["errors"]
    consent = consent_for(world, reader(world, Role.PROVIDER))
    made = client.post("/api/v1/service-referrals", body, content_type="application/json")
    assert made.status_code == 201, made.content
    assert ServiceReferral.objects.get(pk=made.json()["id"]).consent == consent


def test_a_consent_another_program_keeps_does_not_let_this_one_refer_to_a_part2_program(
    world: World, api_client_for: Any
) -> None:
    """The consent names who may disclose, and the program that keeps it lists and revokes
    it: PCO's consent naming the provider does not let PAD tell the provider of treatment."""
    service = world.service_referral.service
    Service.objects.filter(pk=service.pk).update(part2_program=True)
    consent = consent_for(world, reader(world, Role.PROVIDER))
    Consent.objects.filter(pk=consent.pk).update(program=Program.objects.get(slug="pco"))
    client = api_client_for(reader(world, Role.CLINICIAN))
    body = {"person_id": world.person.pk, "service_id": service.pk, "program": "pad"}
    refused = client.post("/api/v1/service-referrals", body, content_type="application/json")
    assert refused.status_code == 422
    assert "consent" in refused.json()["errors"]
    Consent.objects.filter(pk=consent.pk).update(program=world.program)
    made = client.post("/api/v1/service-referrals", body, content_type="application/json")
    assert made.status_code == 201, made.content


def test_an_officer_may_not_refer(world: World, api_client_for: Any) -> None:
    body = {
        "person_id": world.person.pk,
        "service_id": world.service_referral.service_id,
        "program": "pad",
    }
    client = api_client_for(reader(world, Role.OFFICER))
    response = client.post("/api/v1/service-referrals", body, content_type="application/json")
    assert response.status_code == 403


def test_the_referral_form_sends_a_referral_and_shows_its_page(
    world: World, client: Client
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    service = world.service_referral.service
    url = f"/people/{world.person.pk}/refer/?service={service.pk}&program=pad"
    assert client.get(url).status_code == 200
    response = client.post(url, {"note": "Walk-in tomorrow"})
    assert response.status_code == 302
    referral = ServiceReferral.objects.get(note="Walk-in tomorrow")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Buprenorphine clinic" in page.content.decode()
    assert referral.status == "requested"


def test_the_referral_form_says_before_sending_when_the_consent_leaves_the_note_out(
    world: World, client: Client
) -> None:
    # The consent names the provider for Part 2 only: a note (clinical detail) cannot go.
    service = world.service_referral.service
    Service.objects.filter(pk=service.pk).update(part2_program=True)
    consent = consent_for(world, reader(world, Role.PROVIDER))
    Consent.objects.filter(pk=consent.pk).update(covers=["part2"])
    client.force_login(reader(world, Role.CLINICIAN))
    url = f"/people/{world.person.pk}/refer/?service={service.pk}&program=pad"
    text = " ".join(client.get(url).content.decode().split())
    assert "names this provider and will be kept with the referral" in text
    assert "send the referral without a note" in text
    assert f"consent {consent.pk} " not in text
    Consent.objects.filter(pk=consent.pk).update(covers=["part2", "clinical"])
    assert "without a note" not in client.get(url).content.decode()


# --- Reminders ----------------------------------------------------------------------


def test_an_unanswered_referral_reminds_the_referrer_and_coordinators_once_after_the_hours(
    world: World, clock: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    coordinator = reader(world, Role.COORDINATOR)
    referral = requested(world, at=clock.now, referred_by=clinician)
    hours = world.program.preset["service_referral_response_hours"]
    assert send_referral_reminders(clock.advance(hours=hours - 1)) == 0
    assert send_referral_reminders(clock.advance(hours=1)) == 2
    assert send_referral_reminders(clock.advance(hours=5)) == 0
    notices = Notice.objects.filter(service_referral=referral, kind="referral_no_answer")
    assert {n.recipient for n in notices} == {clinician, coordinator}
    assert "Dana" not in notices[0].message
    referral.refresh_from_db()
    assert referral.reminded_at is not None and referral.version == 1


def test_a_referrer_who_left_the_program_is_not_reminded(world: World, clock: Any) -> None:
    """Their role in the program was taken away: the referral is no longer theirs to chase,
    and the reminder would lead to a page they are refused. The coordinators still hear."""
    clinician = reader(world, Role.CLINICIAN, username="moved-on")
    coordinator = reader(world, Role.COORDINATOR)
    referral = requested(world, at=clock.now, referred_by=clinician)
    Membership.objects.filter(user=clinician, program=world.program).update(active=False)
    hours = world.program.preset["service_referral_response_hours"]
    assert send_referral_reminders(clock.advance(hours=hours)) == 1
    notices = Notice.objects.filter(service_referral=referral, kind="referral_no_answer")
    assert {n.recipient for n in notices} == {coordinator}


def test_an_answered_referral_sends_no_reminder_and_the_worker_runs_the_pass(
    world: World, clock: Any
) -> None:
    requested(world, at=clock.now, status_reason="")
    ServiceReferral.objects.filter(status="requested").update(status="accepted")
    counts = send_all(clock.advance(hours=100))
    assert counts["referral_no_answer"] == 0


# --- Warm handoff and capacity --------------------------------------------------------


def test_a_warm_handoff_is_recorded_and_audited(world: World, api_client_for: Any) -> None:
    referral = requested(world)
    client = api_client_for(reader(world, Role.CLINICIAN))
    at = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10)
    response = client.post(
        f"/api/v1/service-referrals/{referral.pk}/warm-handoff",
        {"by": "Recovery coach Sam", "at": at.isoformat(), "version": referral.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["warm_handoff"]["by"] == "Recovery coach Sam"
    referral.refresh_from_db()
    assert referral.warm_handoff_at == at
    assert AuditEvent.objects.filter(
        object_type="services.servicereferral", action="change", person_id=world.person.pk
    ).exists()


def test_capacity_is_updated_in_one_click_by_the_provider_only(
    world: World, client: Client, api_client_for: Any
) -> None:
    service = world.service_referral.service
    provider = reader(world, Role.PROVIDER)
    client.force_login(provider)
    page = client.get("/services/inbox/").content.decode()
    assert "No capacity reported yet." in page
    assert f'name="s{service.pk}-version" value="0"' in page
    response = client.post(f"/services/{service.pk}/capacity/", typed(service, available="3"))
    assert response.status_code == 302
    capacity = ServiceCapacity.objects.get(service=service)
    assert capacity.available == 3 and capacity.updated is not None
    assert "updated" in client.get("/services/inbox/").content.decode()
    clinician = api_client_for(reader(world, Role.CLINICIAN))
    body = {"available": 9}
    refused = clinician.post(
        f"/api/v1/services/{service.pk}/capacity", body, content_type="application/json"
    )
    assert refused.status_code == 403
    ok = api_client_for(provider).post(
        f"/api/v1/services/{service.pk}/capacity",
        {"available": 2, "maximum": 10},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["maximum"] == 10


def test_more_places_free_than_the_service_has_are_refused(
    world: World, client: Client, api_client_for: Any
) -> None:
    service = world.service_referral.service
    provider = reader(world, Role.PROVIDER)
    api = api_client_for(provider)
    url = f"/api/v1/services/{service.pk}/capacity"
    set_up = api.post(url, {"available": 4, "maximum": 14}, content_type="application/json")
    assert set_up.status_code == 200
    refused = api.post(url, {"available": 60}, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["errors"]["available"] == [
        "must be at most the service's 14 places; a larger number needs a new maximum"
    ]
    client.force_login(provider)
    page = client.post(f"/services/{service.pk}/capacity/", typed(service, available="50"))
    assert page.status_code == 422
    html = page.content.decode()
    # Beside the field, with the number as typed, not only in a message at the top.
    assert (
        f'<span class="usa-error-message" id="id_s{service.pk}-available_error">'
        "Must be at most the service&#x27;s 14 places" in html
    )
    assert f'name="s{service.pk}-available" value="50"' in html
    assert "the capacity was not changed" in html
    typo = client.post(
        f"/services/{service.pk}/capacity/", typed(service, available="3", maximum="ten")
    )
    assert typo.status_code == 422
    html = typo.content.decode()
    assert f'id="id_s{service.pk}-maximum_error"' in html
    assert f'name="s{service.pk}-maximum" value="ten"' in html
    assert f'name="s{service.pk}-available" value="3"' in html
    capacity = ServiceCapacity.objects.get(service=service)
    assert (capacity.available, capacity.maximum) == (4, 14)
    grown = api.post(url, {"available": 20, "maximum": 20}, content_type="application/json")
    assert grown.status_code == 200


def test_a_provider_gives_a_new_maximum_on_the_inbox_and_a_smaller_one_is_explained(
    world: World, client: Client
) -> None:
    service = world.service_referral.service
    client.force_login(reader(world, Role.PROVIDER))
    url, field = f"/services/{service.pk}/capacity/", f"s{service.pk}"
    client.post(url, typed(service, available="4", maximum="14"))
    page = client.get("/services/inbox/").content.decode()
    assert "4 of 14" in page
    assert "Now 14." in page and f'name="{field}-maximum" value' not in page
    assert f'aria-describedby="id_{field}-maximum-hint"' in page
    grown = client.post(url, typed(service, available="20", maximum="24"), follow=True)
    assert "capacity updated." in grown.content.decode()
    capacity = ServiceCapacity.objects.get(service=service)
    assert (capacity.available, capacity.maximum) == (20, 24)
    # Empty keeps the maximum as it stands.
    client.post(url, typed(service, available="18", maximum=""))
    capacity.refresh_from_db()
    assert (capacity.available, capacity.maximum) == (18, 24)
    shrunk = client.post(url, typed(service, available="18", maximum="10"), follow=True)
    assert (
        f'id="id_{field}-maximum_error">Must be at least the number available'
        in shrunk.content.decode()
    )
    capacity.refresh_from_db()
    assert (capacity.available, capacity.maximum) == (18, 24)
    typo = client.post(url, typed(service, available="eighteen"), follow=True)
    assert typo.status_code == 422
    assert f'id="id_{field}-available_error">Enter a whole number.' in typo.content.decode()


def test_a_warm_handoff_sent_twice_is_recorded_once_without_a_conflict(
    world: World, client: Client
) -> None:
    referral = requested(world, at=dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC))
    client.force_login(reader(world, Role.CLINICIAN))
    form = {"handoff-version": "1", "handoff-by": "Cody Coach", "handoff-at": "2026-12-01T10:15"}
    first = client.post(f"/service-referrals/{referral.pk}/warm-handoff/", form)
    again = client.post(f"/service-referrals/{referral.pk}/warm-handoff/", form)
    assert first.status_code == again.status_code == 302
    referral.refresh_from_db()
    assert (referral.warm_handoff_by, referral.version) == ("Cody Coach", 2)
    other = {**form, "handoff-by": "Someone Else"}
    stale = client.post(f"/service-referrals/{referral.pk}/warm-handoff/", other)
    assert stale.status_code == 409
    # What was typed is kept over the current version, so sending it again records it.
    page = stale.content.decode()
    assert 'value="Someone Else"' in page and 'name="handoff-version" value="2"' in page
    resent = client.post(
        f"/service-referrals/{referral.pk}/warm-handoff/", {**other, "handoff-version": "2"}
    )
    assert resent.status_code == 302
    referral.refresh_from_db()
    assert referral.warm_handoff_by == "Someone Else"


# --- What a withheld status lets a reader infer ----------------------------------------


def test_steps_withheld_from_the_referrer_do_not_move_the_version_it_is_shown(
    world: World, api_client_for: Any, client: Client
) -> None:
    referral = requested(world)
    provider = api_client_for(reader(world, Role.PROVIDER))
    clinician = reader(world, Role.CLINICIAN)  # referring side, no consent naming them
    referrer = api_client_for(clinician)
    url = f"/api/v1/service-referrals/{referral.pk}"
    assert patch(provider, referral, status="accepted", version=1).status_code == 200
    assert patch(provider, referral, status="in-progress", version=2).status_code == 200
    before = referrer.get(url).json()
    assert before["status"] == "withheld"
    assert (
        patch(provider, referral, status="on-hold", status_reason="Away", version=3).json()[
            "version"
        ]
        == 4
    )
    after = referrer.get(url).json()
    # Treatment went on hold; the referrer is told nothing of it, not even that it moved.
    assert after["status"] == "withheld" and after["version"] == before["version"]
    listed = referrer.get("/api/v1/service-referrals").json()["items"]
    assert {r["id"]: r["version"] for r in listed}[referral.pk] == before["version"]
    record = referrer.get(f"/api/v1/persons/{world.person.pk}").json()
    rows = {r["id"]: r for r in record["service_referrals"]}
    assert rows[referral.pk]["version"] == before["version"]
    client.force_login(clinician)
    page = client.get(f"/service-referrals/{referral.pk}/").content.decode()
    assert f'name="handoff-version" value="{before["version"]}"' in page
    # The handoff, which everyone who reads the referral sees, goes through on that version
    # and moves it; the version the referrer had before is stale after it.
    at = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    body = {"by": "Coach Sam", "at": at.isoformat(), "version": before["version"]}
    done = referrer.post(f"{url}/warm-handoff", body, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["version"] == before["version"] + 1
    assert (
        referrer.post(f"{url}/warm-handoff", body, content_type="application/json").status_code
        == 409
    )
    referral.refresh_from_db()
    assert referral.status == "on-hold"  # the handoff kept the provider's latest step


def test_a_status_withheld_from_the_referrer_is_not_theirs_to_move_and_the_refusal_hides_it(
    world: World, api_client_for: Any, client: Client
) -> None:
    referral = requested(world)
    provider = api_client_for(reader(world, Role.PROVIDER))
    assert patch(provider, referral, status="accepted", version=1).status_code == 200
    assert patch(provider, referral, status="in-progress", version=2).status_code == 200
    clinician = reader(world, Role.CLINICIAN)
    referrer = api_client_for(clinician)
    shown = referrer.get(f"/api/v1/service-referrals/{referral.pk}").json()["version"]
    for version in (shown, 3):
        refused = patch(referrer, referral, status="cancelled", status_reason="x", version=version)
        assert refused.status_code == 403
        assert "withheld" in refused.json()["detail"]
        assert "progress" not in refused.content.decode()
    client.force_login(clinician)
    posted = client.post(
        f"/service-referrals/{referral.pk}/status/",
        {
            f"r{referral.pk}-status": "cancelled",
            f"r{referral.pk}-status_reason": "x",
            f"r{referral.pk}-version": "3",
        },
    )
    assert posted.status_code == 404 and "progress" not in posted.content.decode()
    referral.refresh_from_db()
    assert (referral.status, referral.version) == ("in-progress", 3)


def test_a_draft_is_the_referring_team_s_until_sent_and_no_provider_sees_it(
    world: World, api_client_for: Any, client: Client
) -> None:
    draft = requested(world)
    ServiceReferral.objects.filter(pk=draft.pk).update(status="draft")
    provider = reader(world, Role.PROVIDER)
    api = api_client_for(provider)
    assert draft.pk not in {r["id"] for r in api.get("/api/v1/service-referrals").json()["items"]}
    assert api.get(f"/api/v1/service-referrals/{draft.pk}").status_code == 404
    client.force_login(provider)
    assert f"/service-referrals/{draft.pk}/" not in client.get("/services/inbox/").content.decode()
    # The referring side still has it.
    clinician = api_client_for(reader(world, Role.CLINICIAN))
    assert clinician.get(f"/api/v1/service-referrals/{draft.pk}").json()["status"] == "draft"


def referrals_of_new_people(world: World, count: int) -> None:
    """`count` more people in the program, each referred to the world's service and in
    treatment there (a Part 2 status)."""
    now = timezone.now()
    for n in range(count):
        person = Person.objects.create(given_name=f"Pat{n}", family_name="Ortiz")
        Participation.objects.create(person=person, program=world.program, first_seen_at=now)
        ServiceReferral.objects.create(
            program=world.program,
            person=person,
            service=world.service_referral.service,
            status="in-progress",
            requested_at=now,
            status_changed_at=now,
        )


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.OFFICER, Role.ADMIN])
def test_the_referral_list_costs_the_same_queries_for_more_people(
    world: World, api_client_for: Any, role: Role
) -> None:
    client = api_client_for(reader(world, role))
    referrals_of_new_people(world, 2)
    client.get("/api/v1/service-referrals")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/service-referrals").status_code == 200
    referrals_of_new_people(world, 6)
    with CaptureQueriesContext(connection) as many:
        listed = client.get("/api/v1/service-referrals").json()
    assert listed["count"] == 9
    assert len(many) == len(few)


def test_the_provider_inbox_costs_the_same_queries_for_more_referrals(
    world: World, client: Client
) -> None:
    client.force_login(reader(world, Role.PROVIDER))
    referrals_of_new_people(world, 2)
    client.get("/services/inbox/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/services/inbox/").status_code == 200
    referrals_of_new_people(world, 6)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/services/inbox/").content.decode()
    assert page.count("Pat5 Ortiz") == 1
    assert len(many) == len(few)


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.OFFICER])
def test_the_referral_list_filtered_by_a_treatment_status_costs_the_same_queries_for_more_people(
    world: World, api_client_for: Any, role: Role
) -> None:
    """Filtering by a Part 2 status decides every matching row before the page is cut; it
    does so for all of them at once, not person by person."""
    client = api_client_for(reader(world, role))
    referrals_of_new_people(world, 2)
    url = "/api/v1/service-referrals?status=in-progress"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        first = client.get(url).json()
    referrals_of_new_people(world, 6)
    with CaptureQueriesContext(connection) as many:
        listed = client.get(url).json()
    # No one here consented to share their treatment, so no row is listed, at any size.
    assert first["count"] == listed["count"] == 0
    assert len(many) == len(few)
