"""Coordinators triage what the public help page receives; nobody else sees it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coresponder.conftest import Clock, member_of, sign_in
from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.actions import record_public_referral, set_triage_status
from coresponder.intake.inputs import ReferralInput
from coresponder.intake.models import Referral, TriageStatus
from coresponder.intake.triage_views import STALE_MESSAGE
from coresponder.outreach.models import OutreachTask
from coresponder.programs.models import Program, User

pytestmark = pytest.mark.django_db

PUBLIC = Actor(label="public help page", where="198.51.100.4")
# Noon UTC on 10 March 2025: 08:00 in Philadelphia, the day after clocks went forward.
NOON = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)


def ask(program: Program, given_name: str, received_at: dt.datetime, **extra: Any) -> Referral:
    payload = {
        "received_at": received_at,
        "person": {"given_name": given_name, "family_name": "Reyes", "phone": "2155550123"},
        "referrer": {"relationship": "sibling", "name": "Luz Reyes", "phone": "2155550199"},
        "help_requested": "Treatment for drug or alcohol use",
        "consent_to_contact": True,
        "contact_preference": "call",
        "language": "es",
        **extra,
    }
    return record_public_referral(PUBLIC, program, ReferralInput.from_dict(payload)).referral


def triage_url(program: Program) -> str:
    return f"/programs/{program.slug}/triage/"


def decide(client: Client, referral: Referral, status: str, version: int | None = None) -> Any:
    url = f"/programs/{referral.program.slug}/triage/{referral.pk}"
    data = {"status": status, "version": referral.version if version is None else version}
    return client.post(url, data, follow=True)


def test_a_coordinator_sees_waiting_requests_oldest_first_in_local_time(
    pad: Program, coordinator: User, client: Client, clock: Clock
) -> None:
    later = ask(pad, "Beto", NOON - dt.timedelta(hours=1))
    first = ask(pad, "Ana", NOON - dt.timedelta(hours=4))
    sign_in(client, coordinator)

    response = client.get(triage_url(pad))

    html = response.content.decode()
    assert response.status_code == 200
    assert [row["referral"] for row in response.context["rows"]] == [first, later]
    assert html.index("Ana Reyes") < html.index("Beto Reyes")
    assert "Mon 10 Mar, 04:00" in html  # 08:00 UTC, in Philadelphia (EDT); this year
    assert "Luz Reyes (Brother or sister)" in html
    assert ">(215) 555-0199</a>" in html  # the asker's phone as the person's reads
    assert "Treatment for drug or alcohol use" in html
    assert "Phone call · Spanish" in html


def test_the_same_person_asked_for_twice_is_pointed_out_and_a_sibling_is_not(
    pad: Program, coordinator: User, client: Client
) -> None:
    first = ask(pad, "Ana", NOON - dt.timedelta(hours=3))
    again = ask(pad, "ana", NOON - dt.timedelta(hours=1))
    sibling = ask(pad, "Beto", NOON)  # the same family and phone: a household, not a repeat
    sign_in(client, coordinator)

    rows = {row["referral"]: row for row in client.get(triage_url(pad)).context["rows"]}

    assert [r.referral for r in rows[first]["repeats"]] == [again]
    assert [r.referral for r in rows[again]["repeats"]] == [first]
    assert rows[sibling]["repeats"] == []
    html = client.get(triage_url(pad)).content.decode()
    assert html.count("Asked again") == 2
    assert f"Looks like the person of request {first.pk}" in html
    assert f'href="/people/{first.person_id}/"' in html


def test_a_request_closed_in_triage_closes_its_follow_up_and_the_one_taken_up_stays(
    pad: Program, coordinator: User, client: Client
) -> None:
    taken = ask(pad, "Ana", NOON - dt.timedelta(hours=3))
    repeat = ask(pad, "Ana", NOON - dt.timedelta(hours=1))
    sign_in(client, coordinator)
    decide(client, taken, "accepted")
    decide(client, repeat, "closed")
    closed = OutreachTask.objects.get(referral=repeat)
    assert (closed.status, closed.close_reason) == ("closed", "other")
    assert closed.close_note == "The request for help was closed in triage."
    assert OutreachTask.objects.get(referral=taken).status == "open"


def test_reading_the_list_is_audited(pad: Program, coordinator: User, client: Client) -> None:
    referral = ask(pad, "Ana", NOON)
    sign_in(client, coordinator)

    client.get(triage_url(pad))

    event = AuditEvent.objects.get(action="read", object_type="intake.referral", person_id=None)
    assert event.actor == coordinator
    assert event.program_slug == "pad"
    assert event.detail["list"] == "triage" and event.detail["referrals"] == [referral.pk]
    # Filed under the person asked about, too.
    assert event.detail["ids"] == [referral.person_id]
    filed = AuditEvent.objects.get(action="read", person_id=referral.person_id)
    assert filed.detail == {"in_list": event.pk}


def test_only_new_public_requests_are_listed(
    pad: Program, pco: Program, coordinator: User, client: Client
) -> None:
    waiting = ask(pad, "Ana", NOON)
    set_triage_status(PUBLIC, ask(pad, "Decided", NOON), TriageStatus.CLOSED)
    ask(pco, "Elsewhere", NOON)
    sign_in(client, coordinator)

    response = client.get(triage_url(pad))

    assert [row["referral"] for row in response.context["rows"]] == [waiting]


@pytest.mark.parametrize("persona", ["officer", "clinician", "analyst", "prosecutor", "outsider"])
def test_nobody_but_coordinators_and_administrators_sees_the_list(
    pad: Program, client: Client, persona: str, request: pytest.FixtureRequest
) -> None:
    referral = ask(pad, "Ana", NOON)
    sign_in(client, request.getfixturevalue(persona))

    assert client.get(triage_url(pad)).status_code == 404
    assert decide(client, referral, "accepted").status_code == 404
    referral.refresh_from_db()
    assert referral.triage_status == TriageStatus.NEW


def test_a_coordinator_of_another_program_gets_404(
    pad: Program, pco: Program, coordinator: User, client: Client
) -> None:
    sign_in(client, coordinator)

    assert client.get(triage_url(pco)).status_code == 404


def test_an_administrator_sees_the_list_without_phones_or_addresses(
    pad: Program, admin: User, coordinator: User, client: Client
) -> None:
    # An administrator reads names, not contact details: the list keeps them to coordinators.
    ask(
        pad,
        "Ana",
        NOON,
        person={
            "given_name": "Ana",
            "family_name": "Reyes",
            "phone": "2155550123",
            "address": "100 Kensington Ave",
        },
    )
    sign_in(client, admin)

    response = client.get(triage_url(pad))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ana Reyes" in html
    for contact in ("2155550123", "100 Kensington Ave", "2155550199"):
        assert contact not in html
    event = AuditEvent.objects.filter(object_type="intake.referral", action="read").latest("id")
    assert event.fields == ["identity", "referral"]
    theirs = Client()
    sign_in(theirs, coordinator)
    html = theirs.get(triage_url(pad)).content.decode()
    assert "2155550123" in html and "100 Kensington Ave" in html and "2155550199" in html


def test_signing_in_comes_first(pad: Program, client: Client) -> None:
    response = client.get(triage_url(pad))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_decision_is_recorded_and_audited(
    pad: Program, coordinator: User, client: Client
) -> None:
    referral = ask(pad, "Ana", NOON)
    sign_in(client, coordinator)

    response = decide(client, referral, "accepted")

    assert response.status_code == 200
    assert f"Request {referral.pk}: Taken up." in response.content.decode()
    referral.refresh_from_db()
    assert referral.triage_status == TriageStatus.ACCEPTED
    assert referral.triaged_by == coordinator
    assert referral.triaged_at is not None
    assert referral.version == 2
    event = AuditEvent.objects.get(
        action="change", object_type="intake.referral", object_id=str(referral.pk)
    )
    assert event.actor == coordinator
    assert event.person_id == referral.person_id
    assert event.program_slug == "pad"
    assert event.detail == {"triage_status": "accepted", "was": "new"}
    assert response.context["rows"] == []


def test_a_stale_decision_is_refused(pad: Program, coordinator: User, client: Client) -> None:
    referral = ask(pad, "Ana", NOON)
    sign_in(client, coordinator)

    response = decide(client, referral, "closed", version=referral.version + 5)

    assert response.status_code == 409
    assert STALE_MESSAGE in response.content.decode()
    referral.refresh_from_db()
    assert (referral.triage_status, referral.version) == (TriageStatus.NEW, 1)
    assert not AuditEvent.objects.filter(action="change", object_type="intake.referral").exists()


def test_a_request_someone_else_decided_says_so(
    pad: Program, coordinator: User, client: Client
) -> None:
    referral = ask(pad, "Ana", NOON)
    set_triage_status(PUBLIC, Referral.objects.get(pk=referral.pk), TriageStatus.NOT_REACHED)
    sign_in(client, coordinator)

    response = decide(client, referral, "accepted", version=1)

    referral.refresh_from_db()
    said = f"Request {referral.pk} was already marked “{referral.get_triage_status_display()}”"
    assert said in response.content.decode()
    assert referral.triage_status == TriageStatus.NOT_REACHED


def test_an_unknown_decision_is_refused(pad: Program, coordinator: User, client: Client) -> None:
    referral = ask(pad, "Ana", NOON)
    sign_in(client, coordinator)

    response = decide(client, referral, "new")

    assert "Choose what happened with this request." in response.content.decode()
    referral.refresh_from_db()
    assert referral.triage_status == TriageStatus.NEW


def test_set_triage_status_refuses_a_stale_version(pad: Program, coordinator: User) -> None:
    referral = ask(pad, "Ana", NOON)
    copy = Referral.objects.get(pk=referral.pk)
    set_triage_status(Actor(user=coordinator), referral, TriageStatus.ACCEPTED)

    with pytest.raises(StaleVersion):
        set_triage_status(Actor(user=coordinator), copy, TriageStatus.CLOSED)
    with pytest.raises(ActionError):
        set_triage_status(Actor(user=coordinator), referral, "lost")


def test_the_list_reads_the_same_number_of_queries_however_long(
    pad: Program, coordinator: User, client: Client
) -> None:
    sign_in(client, coordinator)
    ask(pad, "Ana", NOON)
    with CaptureQueriesContext(connection) as one:
        client.get(triage_url(pad))
    for name in ("Beto", "Cruz", "Dora"):
        ask(pad, name, NOON)
    with CaptureQueriesContext(connection) as four:
        client.get(triage_url(pad))

    assert len(four) == len(one)


def test_the_program_home_links_coordinators_to_the_list(
    pad: Program, coordinator: User, officer: User, client: Client
) -> None:
    sign_in(client, coordinator)
    assert triage_url(pad) in client.get(f"/programs/{pad.slug}/").content.decode()

    officer_client = sign_in(Client(), officer)
    assert triage_url(pad) not in officer_client.get(f"/programs/{pad.slug}/").content.decode()


def test_a_decision_over_another_coordinators_is_refused_saying_whose_and_when(
    pad: Program, coordinator: User, client: Client, clock: Clock
) -> None:
    referral = ask(pad, "Ana", NOON - dt.timedelta(hours=1))
    other = member_of(pad, Role.COORDINATOR, "other", display_name="Olga Other")
    set_triage_status(Actor(user=other), Referral.objects.get(pk=referral.pk), "accepted")
    sign_in(client, coordinator)

    response = decide(client, referral, "closed", version=1)

    assert response.status_code == 409
    # 12:00 UTC is 08:00 in Philadelphia.
    said = (
        f"Request {referral.pk} was already marked “Taken up”"
        " by Olga Other on Mon 10 Mar, 08:00 EDT;"
    )
    assert said in response.content.decode()
    referral.refresh_from_db()
    assert (referral.triage_status, referral.triaged_by) == (TriageStatus.ACCEPTED, other)


def test_a_decision_sent_twice_is_made_once(
    pad: Program, coordinator: User, client: Client
) -> None:
    referral = ask(pad, "Ana", NOON)
    sign_in(client, coordinator)

    assert decide(client, referral, "not_reached").status_code == 200
    twice = decide(client, referral, "not_reached", version=1)

    assert twice.status_code == 409
    assert "nothing was changed" in twice.content.decode()
    assert AuditEvent.objects.filter(action="change", object_type="intake.referral").count() == 1


def test_a_note_in_lines_reads_in_its_lines(
    pad: Program, coordinator: User, client: Client
) -> None:
    ask(pad, "Ana", NOON, help_requested="Mi hijo no contesta.\nLlámenme <hoy>.")
    sign_in(client, coordinator)

    html = client.get(triage_url(pad)).content.decode()

    assert "Mi hijo no contesta.<br>Llámenme &lt;hoy&gt;." in html


def test_it_says_who_agreed_to_be_contacted_on_triage_and_on_the_follow_up(
    pad: Program, coordinator: User, client: Client
) -> None:
    # A parent ticking the box agrees for themself, not for the person who needs help.
    by_parent = ask(
        pad,
        "Ana",
        NOON - dt.timedelta(hours=2),
        referrer={"relationship": "parent", "name": "Rosa Ruiz", "phone": "2155550199"},
    )
    by_self = ask(
        pad,
        "Beto",
        NOON,
        person={"given_name": "Beto", "family_name": "Vega", "phone": "2155550777"},
        referrer={"relationship": "self"},
    )
    sign_in(client, coordinator)

    html = client.get(triage_url(pad)).content.decode()

    assert "consented" not in html
    assert "Parent asked; the person has not agreed to be contacted" in html
    assert "The person agreed to be contacted" in html
    pages = {}
    for referral in (by_parent, by_self):
        task = OutreachTask.objects.get(referral=referral)
        pages[referral.pk] = client.get(f"/programs/pad/outreach/{task.pk}/").content.decode()
    assert "Parent asked; the person has not agreed to be contacted" in pages[by_parent.pk]
    assert "The person agreed to be contacted" in pages[by_self.pk]
    assert "The person agreed" not in pages[by_parent.pk]


def person(given: str, family: str, **contact: str) -> dict[str, str]:
    return {"given_name": given, "family_name": family, **contact}


def test_asked_again_stays_once_one_request_is_taken_up_and_names_it_and_its_task(
    pad: Program, coordinator: User, client: Client, clock: Clock
) -> None:
    pedro = person("Pedro", "Vega", phone="215-555-0444")
    taken = ask(pad, "Pedro", NOON - dt.timedelta(days=2), person=pedro)
    again = ask(pad, "Pedro", NOON - dt.timedelta(hours=5), person=pedro)
    sign_in(client, coordinator)
    decide(client, taken, "accepted")

    html = client.get(triage_url(pad)).content.decode()

    task = OutreachTask.objects.get(referral=taken)
    assert [row["referral"] for row in client.get(triage_url(pad)).context["rows"]] == [again]
    assert html.count("Asked again") == 1
    said = re.sub(r"<[^>]+>", "", html)
    # 12:00 UTC on 10 March is 08:00 in Philadelphia, two days before 07:00.
    assert (
        f"request {taken.pk} (Sat 8 Mar, 07:00), taken up on Mon 10 Mar, 08:00, its follow-up "
        f"task {task.pk} open" in said
    )
    assert f'href="/programs/pad/outreach/{task.pk}/"' in html


def test_two_requests_giving_only_an_address_are_pointed_out_as_one_person(
    pad: Program, coordinator: User, client: Client
) -> None:
    first = ask(
        pad,
        "Marta",
        NOON - dt.timedelta(hours=3),
        person=person("Marta", "Soto", address="12 Oak Street, Apt. 3"),
        contact_preference="visit",
    )
    again = ask(
        pad,
        "Marta",
        NOON - dt.timedelta(hours=1),
        person=person("marta", "SOTO", address="12 oak st apt 3"),
        contact_preference="visit",
    )
    neighbour = ask(
        pad,
        "Luis",
        NOON,
        person=person("Luis", "Soto", address="12 Oak Street, Apt. 3"),
        contact_preference="visit",
    )
    sign_in(client, coordinator)

    rows = {row["referral"]: row for row in client.get(triage_url(pad)).context["rows"]}

    assert [r.referral for r in rows[first]["repeats"]] == [again]
    assert [r.referral for r in rows[again]["repeats"]] == [first]
    assert rows[neighbour]["repeats"] == []


def test_a_request_for_someone_with_an_open_follow_up_points_to_it(
    pad: Program, coordinator: User, client: Client, clock: Clock
) -> None:
    # Taken up six weeks ago, its follow-up still open: the request itself is older than
    # the 30 days compared, the open task is not.
    clock.now = NOON - dt.timedelta(days=42)
    old = ask(pad, "Ana", clock.now)
    set_triage_status(Actor(user=coordinator), old, TriageStatus.ACCEPTED)
    closed = ask(pad, "Beto", clock.now)
    set_triage_status(Actor(user=coordinator), closed, TriageStatus.CLOSED)
    clock.now = NOON
    ana = ask(pad, "Ana", NOON)
    beto = ask(pad, "Beto", NOON)
    sign_in(client, coordinator)

    response = client.get(triage_url(pad))

    rows = {row["referral"]: row for row in response.context["rows"]}
    task = OutreachTask.objects.get(referral=old)
    assert [(r.referral, r.task) for r in rows[ana]["repeats"]] == [(None, task)]
    assert rows[beto]["repeats"] == []
    html = response.content.decode()
    assert f'href="/programs/pad/outreach/{task.pk}/"' in html
    assert "open since" in html
