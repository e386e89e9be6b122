"""The demo refers people to Part 2 programs only as the product lets a team: under consent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from coresponder.privacy.models import Disclosure
from coresponder.services.models import ServiceReferral
from coresponder.services.referral_consent import consent_for_referral

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def small_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The small demo, as people try it, for this module; rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command(
            "demo_data",
            "--seed",
            "1",
            "--scale",
            "small",
            "--anchor",
            dt.date(2025, 6, 1).isoformat(),
            stdout=StringIO(),
        )
        yield
        transaction.set_rollback(True)


def test_every_part2_referral_was_sent_under_a_consent_in_force_naming_its_provider(
    small_demo: None,
) -> None:
    referrals = ServiceReferral.objects.filter(service__part2_program=True).select_related(
        "program", "service__organization__partner", "consent"
    )
    assert referrals.exists()
    for referral in referrals:
        consent = consent_for_referral(
            referral.person_id,
            referral.program,
            referral.service,
            referral.requested_at,
            referral.note,
        )
        assert consent is not None, referral.pk
        # The referral keeps the consent it went under, as the referral form does.
        assert referral.consent is not None, referral.pk
        assert referral.consent.signed_at <= referral.requested_at
        assert referral.consent.recipients and referral.consent.expires_on is not None


def test_no_referral_elsewhere_carries_a_consent(small_demo: None) -> None:
    assert not ServiceReferral.objects.filter(
        service__part2_program=False, consent__isnull=False
    ).exists()


def test_each_part2_referral_is_in_the_persons_accounting_of_disclosures(
    small_demo: None,
) -> None:
    accounted = {
        (d.person_id, d.consent_id, d.disclosed_at, d.information.split(" to ")[0])
        for d in Disclosure.objects.filter(channel="referral")
    }
    referrals = ServiceReferral.objects.filter(service__part2_program=True)
    assert len(accounted) == referrals.count()
    for referral in referrals:
        told = (referral.person_id, referral.consent_id, referral.requested_at)
        assert (*told, f"Referral {referral.pk}") in accounted, referral.pk
