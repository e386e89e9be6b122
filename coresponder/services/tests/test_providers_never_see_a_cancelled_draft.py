"""A referral drafted and called off before it was sent never reached the provider: it is
not in their inbox, their list or the API, and its page is not theirs, as with a draft.
A referral that was sent and then cancelled stays theirs to see."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.actions import import_fhir_referral
from coresponder.services.fhir import referral_bundle
from coresponder.services.models import ServiceReferral, ServiceReferralStatusChange

history_fix = importlib.import_module(
    "coresponder.services.migrations.0005_imported_drafts_were_never_requested"
)


@pytest.fixture
def world(db: None) -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def imported(world: World, status: str) -> ServiceReferral:
    """The world's referral sent to us again as a FHIR bundle whose Task is `status`."""
    referral = world.service_referral
    referral.status = status
    referral.save()
    bundle = json.loads(json.dumps(referral_bundle(referral)))
    referral.delete()
    made, _created = import_fhir_referral(SYSTEM, bundle)
    return made


def cancel(api_client_for: Any, world: World, referral: ServiceReferral) -> None:
    clinician = api_client_for(reader(world, Role.CLINICIAN))
    response = clinician.patch(
        f"/api/v1/service-referrals/{referral.pk}",
        {"status": "cancelled", "status_reason": "Not needed", "version": referral.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


def provider_sees(world: World, api_client_for: Any, referral: ServiceReferral) -> set[str]:
    """Where the provider finds the referral: inbox, list, API record, page."""
    provider = reader(world, Role.PROVIDER)
    api = api_client_for(provider)
    web = Client()
    web.force_login(provider)
    found = set()
    if f"/service-referrals/{referral.pk}/" in web.get("/services/inbox/").content.decode():
        found.add("inbox")
    if referral.pk in {r["id"] for r in api.get("/api/v1/service-referrals").json()["items"]}:
        found.add("list")
    if api.get(f"/api/v1/service-referrals/{referral.pk}").status_code == 200:
        found.add("api")
    if web.get(f"/service-referrals/{referral.pk}/").status_code == 200:
        found.add("page")
    return found


def test_a_draft_imported_by_fhir_has_a_history_of_one_draft_step(world: World) -> None:
    draft = imported(world, "draft")

    assert list(draft.status_changes.values_list("status", flat=True)) == ["draft"]


def test_a_draft_cancelled_before_it_was_sent_is_nowhere_the_provider_looks(
    world: World, api_client_for: Any
) -> None:
    draft = imported(world, "draft")
    cancel(api_client_for, world, draft)

    assert provider_sees(world, api_client_for, draft) == set()
    # The referring side still has it, called off.
    clinician = api_client_for(reader(world, Role.CLINICIAN, username="clinician-two"))
    assert clinician.get(f"/api/v1/service-referrals/{draft.pk}").json()["status"] == "cancelled"


def test_a_referral_sent_then_cancelled_stays_where_the_provider_looks(
    world: World, api_client_for: Any
) -> None:
    sent = imported(world, "requested")
    cancel(api_client_for, world, sent)

    assert provider_sees(world, api_client_for, sent) == {"inbox", "list", "api", "page"}


def test_the_history_of_drafts_imported_earlier_loses_the_request_never_made(
    world: World,
) -> None:
    now = timezone.now()
    sent = imported(world, "requested")
    old_draft = ServiceReferral.objects.create(
        program=sent.program,
        person=sent.person,
        service=sent.service,
        status="cancelled",
        requested_at=now,
        status_changed_at=now,
    )
    for status in ("requested", "draft", "cancelled"):
        ServiceReferralStatusChange.objects.create(referral=old_draft, status=status, at=now)
    ServiceReferralStatusChange.objects.create(referral=sent, status="cancelled", at=now)

    history_fix.forget_requests_before_a_draft(apps, None)

    assert list(old_draft.status_changes.values_list("status", flat=True)) == [
        "draft",
        "cancelled",
    ]
    assert list(sent.status_changes.values_list("status", flat=True)) == [
        "requested",
        "cancelled",
    ]
