"""A denied amendment is answered in writing (45 CFR 164.526(d)(1)): a letter to print, as a
page and as a PDF, stating the basis of the denial, the right to a statement of disagreement
and how to file it, that the person may instead ask that the request and the denial go with
future disclosures, and how to complain to the program and to HHS's Office for Civil Rights.
It is for those who decide amendments, audited as a read of the person. The person's asking
that the request and the denial go with future disclosures is recorded on the request's
page and in the API, and kept in the records request."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.people.models import Amendment
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.local_time import format_date, today_in
from coresponder.programs.models import Membership, Program, User

pytestmark = pytest.mark.django_db
JSON = "application/json"
ACCURATE = "Accurate and complete as it stands"
EXPLANATION = "Confirmed with EMS: the number was theirs in 2024."
# The words each part of 164.526(d)(1) is said in.
REQUIRED = (
    # (i) the basis for the denial
    ACCURATE,
    EXPLANATION,
    # (ii) the right to disagree in writing, and how
    "You may write a statement disagreeing with this denial",
    "To file it",
    # (iii) the request and the denial with future disclosures
    "you may ask that we include your request for amendment and this denial with any "
    "future disclosures",
    # (iv) complaints, to the program and to the Secretary
    "You may complain about this decision to",
    "Secretary of the U.S. Department of Health and Human Services",
    "Office for Civil Rights",
)
# Where PAD's preset says its privacy contact is reached, as the letter says it.
ADDRESSEE = "Philadelphia Police-Assisted Diversion, attention: Privacy Officer, PAD Program Office"
BY_MAIL = "by mail to 100 Example Street, Suite 300, Philadelphia, PA 19134"
BY_EMAIL = "by email to privacy@pad.example.org"
BY_PHONE = "by phone at 215-555-0134"


@pytest.fixture
def world(pad: Program) -> World:
    return build_world(pad)


@pytest.fixture
def coordinator(world: World) -> User:
    return reader(world, Role.COORDINATOR, username="letter-coordinator")


@pytest.fixture
def api(coordinator: User, api_client_for: Any) -> Client:
    client: Client = api_client_for(coordinator)
    return client


@pytest.fixture
def web(coordinator: User) -> Client:
    client = Client()
    client.force_login(coordinator)
    return client


def asked(api: Client, world: World) -> int:
    response = api.post(
        f"/api/v1/persons/{world.person.pk}/amendments",
        {
            "field": "phone",
            "proposed_value": "215-555-0177",
            "statement": "That number was never mine.",
            "received_on": today_in(world.program).isoformat(),
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    pk: int = response.json()["id"]
    return pk


def denied(api: Client, world: World) -> int:
    pk = asked(api, world)
    response = api.post(
        f"/api/v1/amendments/{pk}/decision",
        {
            "decision": "deny",
            "denial_grounds": "accurate_and_complete",
            "reason": EXPLANATION,
            "version": 1,
        },
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    return pk


def letter(pk: int) -> str:
    return f"/people/amendments/{pk}/denial-letter/"


def pdf_text(content: bytes, tmp_path: Path) -> str:
    (tmp_path / "letter.pdf").write_bytes(content)
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: run `make report-deps`"
    done = subprocess.run(  # noqa: S603 - our own file, a fixed tool
        [tool, str(tmp_path / "letter.pdf"), "-"], capture_output=True, check=True, text=True
    )
    return " ".join(done.stdout.split())


def test_the_denial_letter_states_everything_164_526_d_1_requires(
    api: Client, web: Client, world: World
) -> None:
    pk = denied(api, world)
    response = web.get(letter(pk))
    assert response.status_code == 200
    body = " ".join(response.content.decode().split())
    for words in REQUIRED:
        assert words.replace("'", "&#x27;") in body, words
    assert world.program.name in body
    assert "Dana Reyes" in body
    decided = Amendment.objects.get(pk=pk).decided_at
    assert format_date(decided, world.program, with_year=True) in body
    # Labels, not codes.
    assert "accurate_and_complete" not in body


def test_the_denial_letter_comes_as_a_pdf_saying_the_same(
    api: Client, web: Client, world: World, tmp_path: Path
) -> None:
    pk = denied(api, world)
    response = web.get(letter(pk), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    for words in REQUIRED:
        assert words in text, words
    assert "Dana Reyes" in text


def test_the_amendment_page_offers_the_letter_only_for_a_denial(
    api: Client, web: Client, world: World
) -> None:
    pk = asked(api, world)
    assert letter(pk) not in web.get(f"/people/amendments/{pk}/").content.decode()
    assert web.get(letter(pk)).status_code == 404
    pk = denied(api, world)
    assert letter(pk) in web.get(f"/people/amendments/{pk}/").content.decode()


@pytest.mark.parametrize("role", [Role.FAITH_LEADER, Role.PROSECUTOR, Role.ANALYST])
def test_the_letter_is_missing_to_roles_that_do_not_decide_amendments(
    api: Client, world: World, role: Role
) -> None:
    pk = denied(api, world)
    client = Client()
    client.force_login(reader(world, role))
    assert client.get(letter(pk)).status_code == 404
    assert client.get(letter(pk), {"format": "pdf"}).status_code == 404


def test_the_letter_is_missing_to_a_coordinator_of_another_program(
    api: Client, world: World, pco: Program
) -> None:
    pk = denied(api, world)
    outsider = User.objects.create_user(username="pco-coordinator", role="coordinator")
    Membership.objects.create(user=outsider, program=pco, role="coordinator")
    client = Client()
    client.force_login(outsider)
    response = client.get(letter(pk))
    assert response.status_code == 404
    assert "Reyes" not in response.content.decode()


def test_reading_the_letter_is_audited_as_a_read_of_the_person(
    api: Client, web: Client, world: World, coordinator: User
) -> None:
    pk = denied(api, world)
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    assert web.get(letter(pk)).status_code == 200
    assert web.get(letter(pk), {"format": "pdf"}).status_code == 200
    reads = AuditEvent.objects.filter(
        id__gt=since, actor=coordinator, action=AuditEvent.Action.READ, person_id=world.person.pk
    ).order_by("id")
    assert [(e.object_id, e.detail["channel"], e.detail["form"]) for e in reads] == [
        (str(pk), "web", "denial letter"),
        (str(pk), "pdf file", "denial letter"),
    ]
    assert all("contact" in e.fields and "identity" in e.fields for e in reads)


def inclusion(api: Client, pk: int, version: int) -> Any:
    return api.post(f"/api/v1/amendments/{pk}/inclusion", {"version": version}, content_type=JSON)


def test_the_api_records_that_the_person_asks_the_denial_go_with_future_disclosures(
    api: Client, world: World
) -> None:
    pk = denied(api, world)
    response = inclusion(api, pk, 2)
    assert response.status_code == 200, response.content
    assert response.json()["include_with_disclosures"] is True
    stored = Amendment.objects.get(pk=pk)
    assert (stored.include_with_disclosures, stored.version) == (True, 3)
    event = AuditEvent.objects.filter(object_id=str(pk), action="change").order_by("-id")[0]
    assert event.detail["include_with_disclosures"] is True
    # Sent again, it stands as kept.
    again = inclusion(api, pk, 3)
    assert again.status_code == 200 and Amendment.objects.get(pk=pk).version == 3


def test_the_api_refuses_the_inclusion_request_on_a_stale_version(
    api: Client, world: World
) -> None:
    pk = denied(api, world)
    response = inclusion(api, pk, 1)
    assert response.status_code == 409, response.content
    assert Amendment.objects.get(pk=pk).include_with_disclosures is False


def test_the_api_refuses_the_inclusion_request_for_a_request_not_denied(
    api: Client, world: World
) -> None:
    pk = asked(api, world)
    response = inclusion(api, pk, 1)
    assert response.status_code == 422, response.content
    assert Amendment.objects.get(pk=pk).include_with_disclosures is False


def test_the_api_refuses_the_inclusion_request_once_a_disagreement_is_kept(
    api: Client, world: World
) -> None:
    pk = denied(api, world)
    kept = api.post(
        f"/api/v1/amendments/{pk}/disagreement",
        {"statement": "It was never my phone.", "version": 2},
        content_type=JSON,
    )
    assert kept.status_code == 200
    response = inclusion(api, pk, 3)
    assert response.status_code == 422, response.content


def test_the_page_records_the_inclusion_request_and_shows_it(
    api: Client, web: Client, world: World
) -> None:
    pk = denied(api, world)
    page = f"/people/amendments/{pk}/"
    assert "Send with future disclosures" in web.get(page).content.decode()
    response = web.post(page, {"version": 2, "send_with_disclosures": "yes"})
    assert response.status_code == 302
    assert Amendment.objects.get(pk=pk).include_with_disclosures is True
    shown = web.get(page).content.decode()
    assert "The person asked that the request and the denial go with future disclosures" in (shown)
    assert "Send with future disclosures" not in shown
    assert "You have asked that we include" in web.get(letter(pk)).content.decode()


def test_the_page_answers_a_stale_inclusion_request_with_409(
    api: Client, web: Client, world: World
) -> None:
    pk = denied(api, world)
    Amendment.objects.filter(pk=pk).update(version=3)  # changed by someone else meanwhile
    response = web.post(f"/people/amendments/{pk}/", {"version": 2, "send_with_disclosures": "yes"})
    assert response.status_code == 409
    assert Amendment.objects.get(pk=pk).include_with_disclosures is False


def test_the_records_request_keeps_the_inclusion_request(
    api: Client, web: Client, world: World
) -> None:
    pk = denied(api, world)
    assert inclusion(api, pk, 2).status_code == 200
    exported = api.get(f"/api/v1/persons/{world.person.pk}/records-request").json()
    assert [a["include_with_disclosures"] for a in exported["amendments"]] == [True]
    page = web.get(f"/people/{world.person.pk}/records-request/").content.decode()
    assert "go with future disclosures, at the person&#x27;s request" in page


def test_a_letter_dated_on_the_programs_calendar(api: Client, web: Client, world: World) -> None:
    pk = denied(api, world)
    # Decided late in the evening in Philadelphia: already the next day in UTC.
    evening = dt.datetime(2026, 11, 20, 3, 30, tzinfo=dt.UTC)
    Amendment.objects.filter(pk=pk).update(decided_at=evening)
    body = web.get(letter(pk)).content.decode()
    assert "19 Nov 2026" in body


def sections_of(text: str, headings: tuple[str, ...]) -> dict[str, str]:
    """The letter's text under each heading, up to the next."""
    found: dict[str, str] = {}
    for heading, after in zip(headings, (*headings[1:], "45 CFR 164.526(d)(1)"), strict=True):
        start = text.index(heading)
        found[heading] = text[start : text.index(after, start)]
    return found


HEADINGS = ("If you disagree", "If you do not write a statement", "How to complain")


def assert_names_the_privacy_contact(text: str) -> None:
    disagree, include, complain = sections_of(text, HEADINGS).values()
    assert f"send or give it to {ADDRESSEE}: {BY_MAIL}, or {BY_EMAIL}." in disagree
    assert f"write to or call {ADDRESSEE}: {BY_PHONE}, {BY_EMAIL}, or {BY_MAIL}." in include
    assert f"write to or call its Privacy Officer: {BY_PHONE}, {BY_EMAIL}, or {BY_MAIL}." in (
        complain
    )
    assert "the program's privacy contact" not in text


def test_the_letter_says_where_the_programs_privacy_contact_is_reached(
    api: Client, web: Client, world: World, tmp_path: Path
) -> None:
    pk = denied(api, world)
    page = " ".join(web.get(letter(pk)).content.decode().replace("&#x27;", "'").split())
    assert_names_the_privacy_contact(page)
    assert_names_the_privacy_contact(
        pdf_text(web.get(letter(pk), {"format": "pdf"}).content, tmp_path)
    )


def test_a_program_with_no_privacy_contact_is_named_with_the_role_to_ask_for(
    api: Client, web: Client, world: World, tmp_path: Path
) -> None:
    program = world.program
    program.preset = dataclasses.replace(program.rules, privacy_contact=None).as_dict()
    program.save(update_fields=["preset"])
    pk = denied(api, world)
    page = " ".join(web.get(letter(pk)).content.decode().replace("&#x27;", "'").split())
    pdf = pdf_text(web.get(letter(pk), {"format": "pdf"}).content, tmp_path)
    for text in (page, pdf):
        disagree, include, complain = sections_of(text, HEADINGS).values()
        fallback = (
            "Philadelphia Police-Assisted Diversion, attention: the program's privacy contact"
        )
        assert f"send or give it to {fallback}." in disagree
        assert f"write to or call {fallback}." in include
        assert "write to or call the program's privacy contact." in complain
        assert "Privacy Officer" not in text
