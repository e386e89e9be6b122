"""The hint under a referral's Reason names only the answers offered there that need one:
a provider is never told a reason is needed to cancel, which only the referring team may
do, nor to reject a referral it has already started."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.services.forms import StatusForm
from coresponder.services.forms import reason_hint as reason_hint_words

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


@pytest.fixture
def provider(world: World) -> Client:
    client = Client()
    client.force_login(reader(world, Role.PROVIDER))
    return client


def reason_hint(html: str, referral_id: int) -> str:
    found = re.search(rf'id="id_r{referral_id}-status_reason_helptext">([^<]*)<', html)
    assert found, "the reason has its hint"
    return found.group(1)


@pytest.mark.parametrize("where", ["/services/inbox/", "referral page"])
def test_a_provider_working_a_referral_is_told_which_of_its_answers_need_a_reason(
    world: World, provider: Client, where: str
) -> None:
    referral = world.service_referral  # in progress: complete, mark failed or put on hold
    url = f"/service-referrals/{referral.pk}/" if where == "referral page" else where

    hint = reason_hint(provider.get(url).content.decode(), referral.pk)

    assert hint == "Needed to mark failed or put on hold."


def test_the_hint_stays_with_the_answers_when_a_reason_was_missing(
    world: World, provider: Client
) -> None:
    referral = world.service_referral
    prefix = f"r{referral.pk}"

    sent = provider.post(
        f"/service-referrals/{referral.pk}/status/",
        {f"{prefix}-version": str(referral.version), f"{prefix}-status": "failed"},
    )

    assert sent.status_code == 422
    assert reason_hint(sent.content.decode(), referral.pk) == (
        "Needed to mark failed or put on hold."
    )


def test_with_no_answer_offered_that_needs_a_reason_the_hint_says_nothing() -> None:
    assert StatusForm(needing_reason=())["status_reason"].help_text == ""
    assert reason_hint_words(["rejected"]) == "Needed to reject."
