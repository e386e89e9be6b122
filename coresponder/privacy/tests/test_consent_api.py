"""42 CFR Part 2 consent, disclosures and break-glass through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.privacy.models import BreakGlass, Consent, Disclosure
from coresponder.privacy.tests.world import build_world, group_state, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Organization, Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def consent_payload(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    payload = {
        "discloser": "Philadelphia PAD behavioural-health staff",
        "recipients": [{"kind": "police"}],
        "information": "Screening results and treatment status",
        "covers": ["clinical", "part2"],
        "purpose": "Coordinate outreach with the district officers",
        "right_to_revoke_explained": True,
        "expires_at": (now + dt.timedelta(days=90)).isoformat(),
        "signed_at": (now - dt.timedelta(minutes=5)).isoformat(),
        "signature_method": "written",
    }
    payload.update(overrides)
    return payload


def post_consent(client: Any, world: Any, payload: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/persons/{world.person.pk}/consents", payload, content_type="application/json"
    )


def test_a_clinician_records_a_complete_consent(world: Any, api_client_for: Any) -> None:
    clinician = reader(world, Role.CLINICIAN)
    response = post_consent(api_client_for(clinician), world, consent_payload())
    assert response.status_code == 201, response.content
    consent = Consent.objects.get(pk=response.json()["id"])
    assert consent.recipients == [{"kind": "police"}]
    assert consent.created_by == clinician
    assert AuditEvent.objects.filter(object_type="privacy.consent", action="create").exists()


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ({"discloser": ""}, "discloser"),
        ({"recipients": []}, "recipients"),
        ({"information": " "}, "information"),
        ({"purpose": ""}, "purpose"),
        ({"right_to_revoke_explained": False}, "right_to_revoke_explained"),
        ({"expires_at": None}, "expires_at"),
        ({"covers": []}, "covers"),
        ({"recipients": [{"role": "wizard"}]}, "recipients"),
        ({"recipients": [{"kind": "astrologers"}]}, "recipients"),
        ({"signed_at": "2031-12-01T10:00:00Z", "expires_at": "2032-12-01T10:00:00Z"}, "signed_at"),
        ({"expires_at": None, "expires_on": "2020-01-01"}, "expires_on"),
        ({"expires_at": None, "expires_on": "9999-12-31"}, "expires_on"),
        ({"information": "x" * 20_000}, "information"),
    ],
)
def test_it_rejects_a_consent_missing_an_element(
    world: Any, api_client_for: Any, missing: dict[str, Any], field: str
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    response = post_consent(api_client_for(clinician), world, consent_payload(**missing))
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Consent.objects.exists()


def test_it_rejects_a_consent_without_a_signature_time(world: Any, api_client_for: Any) -> None:
    payload = consent_payload()
    del payload["signed_at"]
    clinician = reader(world, Role.CLINICIAN)
    response = post_consent(api_client_for(clinician), world, payload)
    assert response.status_code == 422
    assert "signed_at" in response.json()["errors"]


def test_it_rejects_a_naive_signature_time(world: Any, api_client_for: Any) -> None:
    clinician = reader(world, Role.CLINICIAN)
    payload = consent_payload(signed_at="2026-01-01T10:00:00")
    response = post_consent(api_client_for(clinician), world, payload)
    assert response.status_code == 422
    assert "signed_at" in response.json()["errors"]


@pytest.mark.parametrize(("field", "longest"), [("discloser", 200), ("expiry_event", 300)])
def test_it_rejects_a_consent_element_longer_than_its_record_holds_naming_it(
    world: Any, api_client_for: Any, field: str, longest: int
) -> None:
    client = api_client_for(reader(world, Role.CLINICIAN))
    response = post_consent(client, world, consent_payload(**{field: "x" * (longest + 1)}))
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {field: [f"is longer than {longest} characters"]}
    assert not Consent.objects.exists()
    response = post_consent(client, world, consent_payload(**{field: "x" * longest}))
    assert response.status_code == 201, response.content


def test_an_expiry_event_alone_is_an_expiry(world: Any, api_client_for: Any) -> None:
    clinician = reader(world, Role.CLINICIAN)
    payload = consent_payload(expires_at=None, expiry_event="Discharge from treatment")
    assert post_consent(api_client_for(clinician), world, payload).status_code == 201


def test_an_officer_may_not_record_a_consent(world: Any, api_client_for: Any) -> None:
    officer = reader(world, Role.OFFICER)
    response = post_consent(api_client_for(officer), world, consent_payload())
    assert response.status_code == 403
    assert not Consent.objects.exists()


def test_with_consent_the_officer_reads_clinical_detail_and_revocation_stops_it_at_once(
    world: Any, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    officer = reader(world, Role.OFFICER)
    officer_client = api_client_for(officer)
    url = f"/api/v1/persons/{world.person.pk}"

    before = officer_client.get(url).json()
    assert group_state(before, "clinical") == "withheld"
    assert before["screenings"]["withheld"] == "status withheld: no consent in force names you"
    assert group_state(before, "part2") == "withheld"

    consent_id = post_consent(api_client_for(clinician), world, consent_payload()).json()["id"]
    during = officer_client.get(url).json()
    assert group_state(during, "clinical") == "shown"
    assert group_state(during, "part2") == "shown"
    assert during["service_referrals"][0]["status"] == "in-progress"
    assert "42 CFR part 2" in during["redisclosure_notice"]

    revoked = api_client_for(clinician).post(f"/api/v1/consents/{consent_id}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    after = officer_client.get(url).json()
    assert group_state(after, "clinical") == "withheld"
    assert "redisclosure_notice" not in after


def test_an_expired_consent_releases_nothing(world: Any, api_client_for: Any) -> None:
    clinician = reader(world, Role.CLINICIAN)
    officer = reader(world, Role.OFFICER)
    post_consent(api_client_for(clinician), world, consent_payload())
    Consent.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    body = api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}").json()
    assert group_state(body, "clinical") == "withheld"


def test_a_consent_naming_another_organisation_releases_nothing(
    world: Any, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    officer = reader(world, Role.OFFICER)
    elsewhere = Organization.objects.create(
        slug="some-other-department", name="Elsewhere PD", kind="police"
    )
    world.program.partners.add(elsewhere)
    payload = consent_payload(recipients=[{"organization": "some-other-department"}])
    assert post_consent(api_client_for(clinician), world, payload).status_code == 201
    body = api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}").json()
    assert group_state(body, "clinical") == "withheld"


def test_a_consent_naming_an_organisation_or_user_no_one_knows_is_refused(
    world: Any, api_client_for: Any
) -> None:
    # A typo would release to no one while the person believes it releases to someone.
    client = api_client_for(reader(world, Role.CLINICIAN))
    recipients = [{"organization": "no-such-org"}, {"user": "nobody-here"}, {"name": "A Clinic"}]
    response = post_consent(client, world, consent_payload(recipients=recipients))
    assert response.status_code == 422
    expected = [
        "no organisation called 'no-such-org' works with this person's programs (recipient 1):"
        " check the name, or name an organisation that does not use Coresponder by name alone",
        "no user 'nobody-here' works in this person's programs (recipient 2)",
    ]
    assert response.json()["errors"]["recipients"] == expected
    # One that exists elsewhere on the site reads the same: nothing is learnt of it.
    Organization.objects.create(slug="no-such-org", name="Far Away", kind="provider")
    again = post_consent(client, world, consent_payload(recipients=recipients))
    assert again.json()["errors"]["recipients"] == expected
    assert not Consent.objects.exists()
    # A provider in the service directory is known, with or without staff on the site.
    known = [{"organization": world.provider_org.slug.upper()}, {"name": "A Clinic"}]
    assert post_consent(client, world, consent_payload(recipients=known)).status_code == 201
    # As staff know it, by its name: kept by the short name consents are matched on.
    by_name = [{"organization": "kensington RECOVERY"}]
    assert post_consent(client, world, consent_payload(recipients=by_name)).status_code == 201
    assert [c.recipients for c in Consent.objects.order_by("id")] == [
        [{"organization": world.provider_org.slug}, {"name": "A Clinic"}],
        [{"organization": world.provider_org.slug}],
    ]


def test_the_accounting_lists_each_disclosure_of_the_past_three_years(
    world: Any, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    officer = reader(world, Role.OFFICER)
    post_consent(api_client_for(clinician), world, consent_payload())
    api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}")
    old = Disclosure.objects.create(
        person=world.person,
        disclosed_at=timezone.now() - dt.timedelta(days=365 * 3 + 10),
        recipient="An old recipient",
        information="Old",
    )
    body = api_client_for(clinician).get(f"/api/v1/persons/{world.person.pk}/disclosures").json()
    recipients = {item["recipient"] for item in body["items"]}
    assert any(officer.username in r for r in recipients)
    assert old.recipient not in recipients
    assert {item["information"] for item in body["items"]} >= {
        "Clinical detail (screenings, encounter notes, treatment outcomes and where "
        "the person was taken)"
    }
    assert "42 CFR part 2" in body["redisclosure_notice"]


def test_an_officer_cannot_read_the_accounting(world: Any, api_client_for: Any) -> None:
    officer = reader(world, Role.OFFICER)
    url = f"/api/v1/persons/{world.person.pk}/disclosures"
    assert api_client_for(officer).get(url).status_code == 403


def test_a_clinician_breaks_the_glass_with_a_reason_and_a_coordinator_reviews_it(
    world: Any, api_client_for: Any
) -> None:
    clinician = reader(world, Role.CLINICIAN)
    coordinator = reader(world, Role.COORDINATOR)
    client = api_client_for(clinician)
    url = f"/api/v1/persons/{world.person.pk}"
    assert group_state(client.get(url).json(), "part2") == "withheld"

    short = client.post(f"{url}/break-glass", {"reason": "need"}, content_type="application/json")
    assert short.status_code == 422
    opened = client.post(
        f"{url}/break-glass",
        {"reason": "Unresponsive at the crisis centre; need treatment history"},
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content
    body = client.get(url).json()
    assert group_state(body, "part2") == "shown"
    assert "42 CFR part 2" in body["redisclosure_notice"]
    read = AuditEvent.objects.filter(actor=clinician, action="read", purpose="break-glass")
    assert read.count() >= 2

    queue = api_client_for(coordinator).get("/api/v1/break-glass").json()
    assert [item["id"] for item in queue["items"]] == [opened.json()["id"]]
    reviewed = api_client_for(coordinator).post(
        f"/api/v1/break-glass/{opened.json()['id']}/review",
        {"note": "Appropriate"},
        content_type="application/json",
    )
    assert reviewed.status_code == 200
    assert api_client_for(coordinator).get("/api/v1/break-glass").json()["count"] == 0


def test_break_glass_lapses_after_its_hours(world: Any, api_client_for: Any) -> None:
    clinician = reader(world, Role.CLINICIAN)
    client = api_client_for(clinician)
    url = f"/api/v1/persons/{world.person.pk}"
    reason = {"reason": "Unresponsive at the crisis centre; need history"}
    assert (
        client.post(f"{url}/break-glass", reason, content_type="application/json").status_code
        == 201
    )
    assert group_state(client.get(url).json(), "part2") == "shown"
    BreakGlass.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert group_state(client.get(url).json(), "part2") == "withheld"


def test_an_officer_cannot_break_the_glass(world: Any, api_client_for: Any) -> None:
    officer = reader(world, Role.OFFICER)
    response = api_client_for(officer).post(
        f"/api/v1/persons/{world.person.pk}/break-glass",
        {"reason": "I would like to see the screenings"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not BreakGlass.objects.exists()


def test_a_consent_good_through_the_day_it_was_signed_is_read_on_the_programs_calendar(
    api_client_for: Any,
) -> None:
    # Signed at 22:30 in Longmont on 8 March, sent in UTC (04:30 on the 9th): a consent good
    # through the 8th was refused as ending "before the day it was signed".
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="core"))
    client = api_client_for(reader(world, Role.CLINICIAN))
    payload = consent_payload(
        expires_at=None, expires_on="2026-03-08", signed_at="2026-03-09T04:30:00Z"
    )

    response = post_consent(client, world, payload)

    assert response.status_code == 201, response.content
    consent = Consent.objects.get(pk=response.json()["id"])
    # Through the whole of the 8th in Longmont: midnight MDT is 06:00 UTC.
    assert consent.expires_at == dt.datetime(2026, 3, 9, 6, 0, tzinfo=dt.UTC)


def test_a_consent_ending_before_the_day_it_was_signed_there_is_still_refused(
    api_client_for: Any,
) -> None:
    load_programs(SYSTEM)
    world = build_world(Program.objects.get(slug="core"))
    client = api_client_for(reader(world, Role.CLINICIAN))
    # 07:30 UTC on the 9th is 01:30 on the 9th in Longmont.
    payload = consent_payload(
        expires_at=None, expires_on="2026-03-08", signed_at="2026-03-09T07:30:00Z"
    )

    response = post_consent(client, world, payload)

    assert response.status_code == 422, response.content
    refused = {"expires_on": ["must be on or after the day it was signed"]}
    assert response.json()["errors"] == refused
