"""A referral discloses the person to a provider: where the referring program denied the
person's request to correct their record and the person disputed it in a statement of
disagreement, or asked that the request and the denial go with disclosures, the provider's
page, API record and FHIR bundle carry them, as does the FHIR export, and the accounting
of disclosures says so (45 CFR 164.526(d)(4)-(5)). A denial the person let stand, an
accepted request and another program's request go with nothing."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.people.amendments_in_disclosures import HEADING
from coresponder.people.models import Amendment
from coresponder.people.tests.refused import answered, cases
from coresponder.privacy.models import Consent, Disclosure
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.models import ServiceReferral

pytestmark = pytest.mark.django_db
JSON = "application/json"
WORDS = "My family name was always Reyes-Ortiz"
DISAGREEMENT = "The record has my name wrong and I disagree with the denial"

# Each kind of request, and whether it goes with the disclosure.
CASES = cases(DISAGREEMENT)


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def asked(world: World, status: str, elsewhere: bool = False, **answer: Any) -> Amendment:
    """The person's request to correct their family name, as the program answered it."""
    return answered(
        world,
        status,
        statement=WORDS,
        denial_reason="The name is as the person's ID shows it",
        elsewhere=elsewhere,
        **answer,
    )


def referred(world: World, api_client_for: Any) -> ServiceReferral:
    """A referral to a Part 2 program under the person's consent naming the provider."""
    service = world.service_referral.service
    service.part2_program = True
    service.save(update_fields=["part2_program"])
    now = timezone.now()
    Consent.objects.create(
        person=world.person,
        program=world.program,
        discloser="PAD",
        recipients=[{"organization": world.provider_org.slug}],
        information="Referral for treatment",
        covers=["part2"],
        purpose="Treatment",
        right_to_revoke_explained=True,
        expires_at=now + dt.timedelta(days=30),
        signed_at=now - dt.timedelta(hours=1),
        signature_method="written",
    )
    world.service_referral.delete()
    sent = api_client_for(reader(world, Role.COORDINATOR)).post(
        "/api/v1/service-referrals",
        {"person_id": world.person.pk, "service_id": service.pk, "program": "pad"},
        content_type=JSON,
    )
    assert sent.status_code == 201, sent.content
    return ServiceReferral.objects.get(pk=sent.json()["id"])


def documents(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "DocumentReference"
    ]


def carried(document: dict[str, Any]) -> dict[str, Any]:
    (attached,) = [
        c["attachment"]
        for c in document["content"]
        if c["attachment"]["contentType"] == "application/json"
    ]
    data: dict[str, Any] = json.loads(base64.b64decode(attached["data"]))
    return data


@pytest.mark.parametrize("case", CASES)
def test_a_referral_carries_a_refused_correction_only_where_the_rule_sends_it(
    world: World, api_client_for: Any, tmp_path: Path, case: str
) -> None:
    answer, goes = CASES[case]
    amendment = asked(world, **answer)
    referral = referred(world, api_client_for)
    provider = reader(world, Role.PROVIDER)
    web = Client()
    web.force_login(provider)
    page = web.get(reverse("service-referral", args=[referral.pk])).content.decode()
    one = api_client_for(provider).get(f"/api/v1/service-referrals/{referral.pk}").json()
    bundle = api_client_for(provider).get(f"/api/v1/service-referrals/{referral.pk}/fhir").json()
    call_command("export_fhir", str(tmp_path), "--program", "pad", stdout=None)
    exported = json.loads((tmp_path / f"referral-{referral.pk}.json").read_text("utf-8"))
    sent = Disclosure.objects.get(person=world.person, channel="referral")
    filed = Disclosure.objects.get(person=world.person, channel="export")

    if not goes:
        assert HEADING not in page and WORDS not in page
        assert one["amendments"] == []
        assert documents(bundle) == [] and documents(exported) == []
        assert sent.amendments == [] and filed.amendments == []
        return
    assert HEADING in page and WORDS in page and "Accurate and complete" in page
    assert (DISAGREEMENT in page) is bool(answer.get("disagreement"))
    (item,) = one["amendments"]
    assert item["amendment_id"] == amendment.pk
    assert item["request"] == {"statement": WORDS, "proposed_value": "Reyes-Ortiz"}
    assert item["denial"]["grounds"] == "Accurate and complete as it stands"
    assert item["statement_of_disagreement"] == answer.get("disagreement")
    for made in (bundle, exported):
        (document,) = documents(made)
        assert carried(document)["amendment_id"] == amendment.pk
        (request,) = [
            e["resource"]
            for e in made["entry"]
            if e["resource"]["resourceType"] == "ServiceRequest"
        ]
        assert {"reference": f"DocumentReference/{document['id']}"} in request["supportingInfo"]
    assert sent.amendments == [amendment.pk] and filed.amendments == [amendment.pk]
    read = AuditEvent.objects.filter(action="read", person_id=world.person.pk, actor=provider)
    assert any(e.detail.get("amendments") == [amendment.pk] for e in read)


def test_the_referring_team_reads_it_and_the_accounting_says_it_went_along(
    world: World, api_client_for: Any
) -> None:
    amendment = asked(world, "denied", disagreement=DISAGREEMENT)
    referral = referred(world, api_client_for)
    coordinator = reader(world, Role.COORDINATOR, username="another-coordinator")
    web = Client()
    web.force_login(coordinator)
    page = web.get(reverse("service-referral", args=[referral.pk])).content.decode()
    assert HEADING in page and DISAGREEMENT in page
    accounting = api_client_for(coordinator).get(f"/api/v1/persons/{world.person.pk}/disclosures")
    (sent,) = [i for i in accounting.json()["items"] if i["channel"] == "referral"]
    assert sent["amendments"] == [amendment.pk]
    listed = web.get(reverse("disclosures", args=[world.person.pk])).content.decode()
    assert "refused request to correct their record" in listed


def test_a_list_of_referrals_says_their_corrections_are_read_one_at_a_time(
    world: World, api_client_for: Any
) -> None:
    asked(world, "denied", disagreement=DISAGREEMENT)
    referral = referred(world, api_client_for)
    provider = api_client_for(reader(world, Role.PROVIDER))

    listed = provider.get("/api/v1/service-referrals").json()["items"]
    one = provider.get(f"/api/v1/service-referrals/{referral.pk}").json()

    (item,) = [i for i in listed if i["id"] == referral.pk]
    # Not an empty list, which would say that nothing goes with it.
    assert item["amendments"] is None
    assert len(one["amendments"]) == 1
