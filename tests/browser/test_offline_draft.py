"""A recovery coach's visit typed with no signal is kept on the phone and sent on reconnect."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from coresponder.core.audit import SYSTEM
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.programs.actions import create_user
from coresponder.programs.signin import SIGNED_IN_AT
from tests.browser.conftest import PASSWORD, SECRET
from tests.conftest import assert_clean, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drafts_kept(page: Any) -> list[str]:
    return list(
        page.evaluate(
            "() => Object.keys(localStorage).filter(k => k.startsWith('coresponder.draft.'))"
        )
    )


OFFLINE = "You're offline. Your draft is saved on this device and will be sent when you reconnect."


def test_a_visit_recorded_offline_is_kept_as_a_draft_and_sent_on_reconnect(
    live_server: Any, phone_page: Any, coach: Any, task: OutreachTask
) -> None:
    page = phone_page
    task_url = live_server.url + f"/programs/pco/outreach/{task.pk}/"
    sign_in_with_code(page, live_server.url, "rory.coach", PASSWORD, SECRET, "/programs/pco/")
    page.goto(task_url)

    page.get_by_text("Contacted", exact=True).click()
    page.get_by_text("The person", exact=True).click()
    page.get_by_label("Naloxone kits left").fill("3")

    # The draft outlives a reload (a dropped tab, a browser restart).
    page.reload()
    expect(page.get_by_text("Draft restored.")).to_be_visible()
    assert page.get_by_label("Contacted", exact=True).is_checked()
    assert page.get_by_label("The person").is_checked()
    assert page.get_by_label("Naloxone kits left").input_value() == "3"
    assert_clean(page)

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.context.set_offline(True)
    page.get_by_role("button", name="Save visit").click()
    expect(page.get_by_role("status").filter(has_text=OFFLINE)).to_be_visible()
    assert posts == []
    assert not Attempt.objects.filter(task=task).exists()
    assert_clean(page)

    page.context.set_offline(False)
    page.get_by_text("Visit recorded: Contacted.").wait_for()
    attempt = Attempt.objects.get(task=task)
    assert (attempt.outcome, attempt.naloxone_kits_left) == ("contacted", 3)
    # Sent, so the draft is gone.
    assert page.get_by_text("Draft restored.").count() == 0
    assert drafts_kept(page) == []
    # Reaching the person closed PCO's task: the page no longer offers the visit form,
    # and nothing of the sent draft comes back.
    page.reload()
    assert page.get_by_text("Draft restored.").count() == 0
    assert page.get_by_label("Naloxone kits left").count() == 0

    # The visit is in the person's history, which reads well on the phone.
    page.goto(live_server.url + f"/people/{task.person_id}/")
    page.get_by_role("link", name="History").click()
    page.wait_for_url(live_server.url + f"/people/{task.person_id}/timeline/")
    expect(page.get_by_role("heading", name="Home visit: Contacted")).to_be_visible()
    assert_clean(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375


def test_a_draft_typed_on_a_shared_device_is_never_put_back_for_the_next_person(
    live_server: Any, phone_page: Any, coach: Any, task: OutreachTask
) -> None:
    create_user(
        SYSTEM,
        "sam.coach",
        organization="high-point",
        role="recovery_coach",
        password=PASSWORD,
        programs=["pco"],
        display_name="Sam Coach",
        mfa_secret=SECRET,
    )
    page = phone_page
    task_url = live_server.url + f"/programs/pco/outreach/{task.pk}/"
    sign_in_with_code(page, live_server.url, "rory.coach", PASSWORD, SECRET, "/programs/pco/")
    # A draft kept before drafts had an owner is the first signed-in person's to send.
    page.evaluate(
        f"() => localStorage.setItem('coresponder.draft.attempt-{task.pk}', "
        "JSON.stringify({resource_cards_left: ['4']}))"
    )
    page.goto(task_url)
    expect(page.get_by_text("Draft restored.")).to_be_visible()
    assert page.get_by_label("Resource cards left").input_value() == "4"
    page.get_by_label("Naloxone kits left").fill("3")
    page.get_by_label("Note (optional)").fill("Told me about her new prescription")
    assert len(drafts_kept(page)) == 1

    # The first person's sign-in runs out without them signing out; the next signs in.
    page.context.clear_cookies()
    sign_in_with_code(page, live_server.url, "sam.coach", PASSWORD, SECRET, "/programs/pco/")
    page.goto(task_url)
    assert page.get_by_text("Draft restored.").count() == 0
    assert page.get_by_label("Note (optional)").input_value() == ""
    assert drafts_kept(page) == []

    # Signing out has the browser forget this person's drafts as well.
    page.get_by_label("Naloxone kits left").fill("1")
    assert len(drafts_kept(page)) == 1
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Sign out sam.coach").click()
    page.wait_for_url(live_server.url + "/accounts/login/**")
    assert drafts_kept(page) == []


def test_a_visit_saved_after_the_sign_in_lapsed_is_put_back_once_signed_in_again(
    live_server: Any, phone_page: Any, coach: Any, task: OutreachTask
) -> None:
    page = phone_page
    task_url = live_server.url + f"/programs/pco/outreach/{task.pk}/"
    sign_in_with_code(page, live_server.url, "rory.coach", PASSWORD, SECRET, "/programs/pco/")
    page.goto(task_url)
    page.get_by_text("Contacted", exact=True).click()
    page.get_by_text("The person", exact=True).click()
    page.get_by_label("Note (optional)").fill("Forty minutes on the porch; call back Friday")

    # Forty minutes on the doorstep: the idle sign-in lapses before Save is pressed.
    Session.objects.all().delete()
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(live_server.url + "/accounts/login/**")
    assert not Attempt.objects.filter(task=task).exists()

    # Signed in again (the code of this half-minute is spent, so the server signs them in).
    again = Client()
    again.force_login(coach)
    session = again.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": task_url}]
    )
    page.goto(task_url)
    expect(page.get_by_text("Draft restored.")).to_be_visible()
    assert page.get_by_label("Contacted", exact=True).is_checked()
    assert page.get_by_label("The person").is_checked()
    assert page.get_by_label("Note (optional)").input_value().startswith("Forty minutes")

    page.get_by_role("button", name="Save visit").click()
    page.get_by_text("Visit recorded: Contacted.").wait_for()
    page.wait_for_load_state()
    assert Attempt.objects.get(task=task).note.startswith("Forty minutes")
    assert drafts_kept(page) == []
