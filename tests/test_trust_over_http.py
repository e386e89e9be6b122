"""The trust cases replayed over HTTP against a running server, as an integrator would.

Each test names the case it replays: a person only PAD knows, Dana Reyes, probed
by PCO's staff and by PAD's own, through real requests with Bearer tokens.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from coresponder.core.audit import SYSTEM, verify_chain
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import REDISCLOSURE_NOTICE
from coresponder.domain.vocabulary import Role
from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.models import Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Answer:
    status: int
    body: Any
    raw: bytes
    content_type: str


class Http:
    """A client of the running server, holding one user's token."""

    def __init__(self, base: str, token: str = "", cookie: str = "") -> None:
        self.base = base
        self.token = token
        self.cookie = cookie

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Answer:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(  # noqa: S310 - the test's own live server
            self.base + path, data=data, method=method
        )
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if self.cookie:
            request.add_header("Cookie", self.cookie)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                content = response.read()
                status, kind = response.status, response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            content = error.read()
            status, kind = error.code, error.headers.get("Content-Type", "")
        parsed = json.loads(content) if content and "json" in kind else None
        return Answer(status, parsed, content, kind)


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def as_user(live_server: Any, user: Any) -> Http:
    return Http(live_server.url, issue_api_token(SYSTEM, user))


def pco_staff(world: World, role: Role) -> Any:
    pad = world.program
    world.program = Program.objects.get(slug="pco")
    try:
        return reader(world, role, username=f"pco-{role.value}")
    finally:
        world.program = pad


def test_case_1_intake_by_exact_name_and_birth_date_stays_in_the_callers_program(
    world: World, live_server: Any
) -> None:
    client = as_user(live_server, pco_staff(world, Role.OFFICER))
    dana = {"given_name": "Dana", "family_name": "Reyes", "birth_date": "1990-05-04"}
    answer = client.call(
        "POST",
        "/api/v1/referrals",
        {
            "program": "pco",
            "pathway": "active_outreach",
            "received_at": timezone.now().isoformat(),
            "person": dana,
        },
    )
    assert answer.status == 201, answer.raw
    assert answer.body["person_id"] != world.person.pk
    assert client.call("GET", f"/api/v1/persons/{world.person.pk}").status == 404
    matches = client.call("GET", "/api/v1/persons/matches?given_name=Dana&family_name=Reyes")
    assert world.person.pk not in [m["person_id"] for m in matches.body["items"]]


def test_case_2_break_glass_answers_another_programs_person_like_a_missing_one(
    world: World, live_server: Any
) -> None:
    client = as_user(live_server, pco_staff(world, Role.CLINICIAN))
    reason = {"reason": "Unresponsive at the crisis centre; need history"}
    theirs = client.call("POST", f"/api/v1/persons/{world.person.pk}/break-glass", reason)
    missing = client.call("POST", "/api/v1/persons/987654/break-glass", reason)
    assert (
        (theirs.status, theirs.body)
        == (missing.status, missing.body)
        == (
            404,
            {"detail": "Not found."},
        )
    )


def test_case_3_break_glass_reads_are_in_the_accounting_of_disclosures(
    world: World, live_server: Any
) -> None:
    clinician = as_user(live_server, reader(world, Role.CLINICIAN))
    url = f"/api/v1/persons/{world.person.pk}"
    reason = "Unresponsive at the crisis centre; need treatment history"
    assert clinician.call("POST", f"{url}/break-glass", {"reason": reason}).status == 201
    assert clinician.call("GET", url).body["redisclosure_notice"] == REDISCLOSURE_NOTICE
    coordinator = as_user(live_server, reader(world, Role.COORDINATOR))
    accounting = coordinator.call("GET", f"{url}/disclosures").body
    assert [row["purpose"] for row in accounting["items"]] == [f"break-glass: {reason}"]


def test_case_4_the_notice_travels_with_every_disclosure(world: World, live_server: Any) -> None:
    officer = reader(world, Role.OFFICER)
    consent_for(world, officer)
    client = as_user(live_server, officer)
    pid = world.person.pk
    timeline = client.call("GET", f"/api/v1/persons/{pid}/timeline").body
    referral = client.call("GET", f"/api/v1/service-referrals/{world.service_referral.pk}").body
    bundle = client.call("GET", f"/api/v1/service-referrals/{world.service_referral.pk}/fhir")
    assert timeline["redisclosure_notice"] == REDISCLOSURE_NOTICE
    assert referral["redisclosure_notice"] == REDISCLOSURE_NOTICE
    assert "42 CFR part 2" in bundle.body["entry"][0]["resource"]["text"]["div"]
    assert Disclosure.objects.filter(person=world.person).exists()
    assert not Disclosure.objects.filter(notice_included=False).exists()


def test_case_5_a_part2_referral_needs_a_consent_that_covers_part2(
    world: World, live_server: Any
) -> None:
    service = world.service_referral.service
    service.part2_program = True
    service.save(update_fields=["part2_program"])
    coordinator = as_user(live_server, reader(world, Role.COORDINATOR))
    now = timezone.now()
    consent = {
        "discloser": "PAD",
        "recipients": [{"organization": world.provider_org.slug}],
        "information": "Screening results",
        "covers": ["clinical"],
        "purpose": "Treatment",
        "right_to_revoke_explained": True,
        "expires_at": (now + dt.timedelta(days=30)).isoformat(),
        "signed_at": (now - dt.timedelta(minutes=5)).isoformat(),
        "signature_method": "written",
    }
    made = coordinator.call("POST", f"/api/v1/persons/{world.person.pk}/consents", consent)
    assert made.status == 201, made.raw
    body = {"person_id": world.person.pk, "service_id": service.pk, "program": "pad"}
    refused = coordinator.call("POST", "/api/v1/service-referrals", body)
    assert refused.status == 422
    assert "consent" in refused.body["errors"]
    consent["covers"] = ["part2"]
    coordinator.call("POST", f"/api/v1/persons/{world.person.pk}/consents", consent)
    assert coordinator.call("POST", "/api/v1/service-referrals", body).status == 201


def test_case_7_de_identified_figures_come_by_whole_finished_quarters_only(
    world: World, live_server: Any
) -> None:
    analyst = as_user(live_server, reader(world, Role.ANALYST))
    month = analyst.call("GET", "/api/v1/programs/pad/metrics?start=2026-01-01&end=2026-01-31")
    assert month.status == 422
    assert set(month.body["errors"]) & {"start", "end"}
    quarter = analyst.call("GET", "/api/v1/programs/pad/metrics?start=2026-07-01&end=2026-09-30")
    assert quarter.status == 200, quarter.raw
    assert "suppressed" in quarter.body
    assert quarter.body["small_count_max"] == 10


def test_case_8_the_edit_form_and_the_new_consent_form_are_audited_reads(
    world: World, live_server: Any
) -> None:
    from django.conf import settings
    from django.test import Client

    from coresponder.core.models import AuditEvent

    signed_in = Client()
    signed_in.force_login(reader(world, Role.COORDINATOR))
    name = settings.SESSION_COOKIE_NAME
    browser = Http(live_server.url, cookie=f"{name}={signed_in.cookies[name].value}")
    for path in (f"/people/{world.person.pk}/edit/", f"/people/{world.person.pk}/consents/new/"):
        before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        page = browser.call("GET", path)
        assert page.status == 200, path
        assert b"Reyes" in page.raw
        read = AuditEvent.objects.filter(pk__gt=before, action="read", person_id=world.person.pk)
        assert read.exists(), path


def test_case_9_bad_input_is_a_json_422_never_a_500(
    world: World, live_server: Any, tmp_path: Any
) -> None:
    import io

    from django.core.management import CommandError, call_command

    coordinator = as_user(live_server, reader(world, Role.COORDINATOR))
    answer = coordinator.call(
        "PATCH", f"/api/v1/persons/{world.person.pk}", {"given_name": None, "version": 1}
    )
    assert answer.status == 422
    assert "json" in answer.content_type
    assert "given_name" in answer.body["errors"]
    unknown = coordinator.call("GET", "/api/v1/no-such-thing")
    assert unknown.status == 404 and "json" in unknown.content_type
    path = tmp_path / "od.csv"
    path.write_text(
        "Incident Date/Time,Fatal?,Agency,First Name,Surname\n"
        f"2025-03-01T10:00:00-05:00,no,police,{'x' * 140_000},Reyes\n",
        "utf-8",
    )
    reader(world, Role.OFFICER, username="importer")
    with pytest.raises(CommandError, match="Row 2, column .First Name., holds 140,000 characters"):
        call_command(
            "import_overdoses", "pad", str(path), "--user", "importer", stdout=io.StringIO()
        )


def test_case_10_weak_passwords_are_refused_and_monitors_may_ask_head(
    world: World, live_server: Any
) -> None:
    import io

    from django.core.management import CommandError, call_command

    head = Http(live_server.url).call("HEAD", "/healthz")
    assert (head.status, head.raw) == (200, b"")
    assert Http(live_server.url).call("HEAD", "/help").status == 200
    reader(world, Role.OFFICER)  # the officers' organisation
    stdin = io.StringIO("aaaaaaaaaaaa\n")
    with pytest.raises(CommandError, match="--password:"):
        call_command(
            "adduser",
            "weak",
            "--org",
            "org-officer",
            "--role",
            "officer",
            "--password-stdin",
            stdin=stdin,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_reads_sent_at_once_are_all_answered_and_each_leaves_its_audit_event(
    world: World, live_server: Any
) -> None:
    coordinator = as_user(live_server, reader(world, Role.COORDINATOR))
    url = f"/api/v1/persons/{world.person.pk}"
    reads = AuditEvent.objects.filter(action="read", person_id=world.person.pk)
    assert coordinator.call("GET", url).status == 200
    one_read = reads.count()
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _: coordinator.call("GET", url).status, range(6)))
    assert statuses == [200] * 6
    assert reads.count() == one_read * 7
    assert verify_chain()[1] is None
