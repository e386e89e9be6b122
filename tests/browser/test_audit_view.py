"""A coordinator reviews the audit log on a phone: filters, the table, and the review recorded.

The browser starts with a signed-in session cookie, stamped as a finished
two-step sign-in would stamp it; the sign-in journey has its own tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from coresponder.core.audit import Actor, record_event
from coresponder.core.models import AuditEvent
from coresponder.programs.actions import create_organization, create_user, load_programs
from coresponder.programs.signin import SIGNED_IN_AT
from tests.conftest import axe_violations, csp_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_user(username: str, role: str) -> Any:
    return create_user(
        Actor(label="test"),
        username,
        organization="plymouth-pd",
        role=role,
        password="not used: the session is made directly",  # noqa: S106
        programs=["pco"],
        check_password=False,
    )


def signed_in_cookie(user: Any, live_server: Any) -> dict[str, Any]:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.create()
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": session.session_key,
        "url": live_server.url,
    }


def test_a_coordinator_filters_the_audit_log_on_a_phone(live_server: Any, phone_page: Any) -> None:
    load_programs(Actor(label="test"))
    create_organization(Actor(label="test"), "plymouth-pd", "Plymouth Police", "police", ["pco"])
    coordinator = make_user("casey.coordinator", "coordinator")
    officer = make_user("owen.officer", "officer")
    record_event(
        Actor(user=officer, where="10.9.8.7"),
        "read",
        object_type="people.person",
        object_id=7,
        program_slug="pco",
        fields=["phone"],
        purpose="home visit after an overdose",
    )
    page = phone_page
    page.context.add_cookies([signed_in_cookie(coordinator, live_server)])

    page.goto(live_server.url + "/audit/")
    assert page.get_by_role("heading", level=1).inner_text() == "Audit log"
    page.get_by_role("heading", name="Filters").click()
    page.get_by_label("Actor (user name)").fill("owen.officer")
    page.get_by_label("Action").select_option(label="Read")
    page.get_by_role("button", name="Show events").click()

    page.wait_for_url("**/audit/?actor=owen.officer*")
    table = page.get_by_role("table")
    assert "Audit events 1 to 1 of 1" in table.locator("caption").inner_text()
    # On a phone the stacked table hides its header row; each cell carries its label.
    row = table.get_by_role("row").filter(has_text="owen.officer")
    assert row.count() == 1
    assert "home visit after an overdose" in row.inner_text()
    assert "10.9.8.7" in row.inner_text()
    assert axe_violations(page) == []
    assert csp_violations(page) == []
    review = AuditEvent.objects.filter(actor=coordinator, object_type="audit_log").last()
    assert review is not None
    assert review.detail["filters"] == {"actor": "owen.officer", "action": "read"}
