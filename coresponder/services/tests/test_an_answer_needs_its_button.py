"""A referral's status changes only by the button pressed for it: a reason typed and sent
with Enter, which a browser sends with the form's first button, changes nothing and says
to choose one, with the reason kept."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

REASON = "Did not arrive for intake"


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


@pytest.fixture
def provider(world: World) -> Client:
    client = Client()
    client.force_login(reader(world, Role.PROVIDER))
    return client


class FirstButtons(HTMLParser):
    """The first submit button of each form that posts to `action`, as its attributes."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.first: list[dict[str, Any]] = []
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form":
            self.inside = named.get("action") == self.action
            self.found = False
        elif tag == "button" and self.inside and not self.found:
            if named.get("type", "submit") == "submit":
                self.first.append(named)
                self.found = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def first_buttons(html: str, action: str) -> list[dict[str, Any]]:
    parser = FirstButtons(action)
    parser.feed(html)
    return parser.first


@pytest.mark.parametrize("where", ["/services/inbox/", "referral page"])
def test_the_button_enter_presses_in_an_answer_form_changes_nothing(
    world: World, provider: Client, where: str
) -> None:
    referral = world.service_referral
    action = f"/service-referrals/{referral.pk}/status/"
    url = action.replace("status/", "") if where == "referral page" else where
    html = provider.get(url).content.decode()

    buttons = first_buttons(html, action)

    assert len(buttons) == 1, "one answer form for the referral"
    default = buttons[0]
    assert default.get("name") == f"r{referral.pk}-status"
    assert default.get("value") == ""
    assert "hidden" in default


def test_a_reason_sent_without_its_button_changes_nothing_and_keeps_the_reason(
    world: World, provider: Client
) -> None:
    referral = world.service_referral
    prefix = f"r{referral.pk}"

    sent = provider.post(
        f"/service-referrals/{referral.pk}/status/",
        {
            "next": "inbox",
            f"{prefix}-version": str(referral.version),
            f"{prefix}-status": "",
            f"{prefix}-status_reason": REASON,
        },
    )

    assert sent.status_code == 422
    page = sent.content.decode()
    assert "Nothing was changed: press the button for what happened" in page
    assert f'value="{REASON}"' in page
    assert "missing what it sends to save safely" not in page
    referral.refresh_from_db()
    assert referral.status == "in-progress"
    assert referral.status_changes.count() == 0
