"""A 911 call that fits the program but names no one opens no follow-up: the result page
says that is why, rather than only that no task opened."""

from __future__ import annotations

import re

import pytest

from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake import views
from coresponder.intake.models import Call, Referral
from coresponder.intake.tests.test_referral_forms import follow, programs, signed_in, staff
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person
from coresponder.programs.models import Program

__all__ = ["programs"]

pytestmark = pytest.mark.django_db


def test_an_eligible_call_naming_no_one_says_follow_up_waits_for_a_name(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["core"], Role.OFFICER))
    data = {"received_at": "2026-11-19T10:15", "call_call_type": "suicidal"}
    response = client.post("/programs/core/referrals/new/community_response/", data)
    page = follow(client, response)
    html = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    referral = Referral.objects.get()
    assert referral.eligible is True and referral.person is None
    assert "No outreach task opened: no one was named on this referral" in html
    assert "follow-up opens only for a person the team can reach" in html
    assert "Once you know who it was, add them" in html
    assert f"/programs/core/referrals/{referral.pk}/person/" in page


def test_the_person_added_once_known_is_named_on_the_call_and_followed_up(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["core"], Role.OFFICER))
    data = {"received_at": "2026-11-19T10:15", "call_call_type": "suicidal"}
    follow(client, client.post("/programs/core/referrals/new/community_response/", data))
    referral = Referral.objects.get()
    address = f"/programs/core/referrals/{referral.pk}/person/"
    assert client.get(address).status_code == 200
    named = {"given_name": "Jo", "family_name": "Marsh", "birth_date": "1991-03-02"}
    html = follow(client, client.post(address, named))
    referral.refresh_from_db()
    assert referral.person is not None and referral.person.given_name == "Jo"
    assert Call.objects.get().person_id == referral.person_id
    task = OutreachTask.objects.get(referral=referral)
    assert task.person_id == referral.person_id
    assert "Follow-up opened." in html
    assert AuditEvent.objects.filter(
        action="change", object_type="intake.referral", person_id=referral.person_id
    ).exists()
    # Named once: the form is not offered again, and a second name is not taken.
    assert client.get(address).status_code == 302


def test_a_person_without_a_name_is_refused_and_nothing_is_written(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["core"], Role.OFFICER))
    data = {"received_at": "2026-11-19T10:15", "call_call_type": "suicidal"}
    follow(client, client.post("/programs/core/referrals/new/community_response/", data))
    referral = Referral.objects.get()
    response = client.post(f"/programs/core/referrals/{referral.pk}/person/", {"given_name": "Jo"})
    assert response.status_code == 422
    referral.refresh_from_db()
    assert referral.person is None and not OutreachTask.objects.exists()


def test_the_person_sent_twice_at_once_is_named_once_and_the_second_lands_on_the_call(
    programs: dict[str, Program], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_in(staff(programs["core"], Role.OFFICER))
    data = {"received_at": "2026-11-19T10:15", "call_call_type": "suicidal"}
    follow(client, client.post("/programs/core/referrals/new/community_response/", data))
    referral = Referral.objects.get()
    address = f"/programs/core/referrals/{referral.pk}/person/"
    named = {"given_name": "Jo", "family_name": "Marsh", "birth_date": "1991-03-02"}
    # A double click: the second request read the referral before the first had named anyone.
    read_before = Referral.objects.get(pk=referral.pk)
    assert client.post(address, named).status_code == 302
    people = Person.objects.count()
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    monkeypatch.setattr(views, "access_referral", lambda *args: read_before)

    again = client.post(address, named)

    assert again.status_code == 302
    assert again["Location"] == f"/programs/core/referrals/{referral.pk}/"
    assert Person.objects.count() == people
    assert OutreachTask.objects.filter(referral=referral).count() == 1
    assert not AuditEvent.objects.filter(pk__gt=last_event, action="change").exists()


def test_an_ineligible_call_names_no_one_and_says_why(programs: dict[str, Program]) -> None:
    client = signed_in(staff(programs["core"], Role.OFFICER))
    data = {
        "received_at": "2026-11-19T10:15",
        "call_call_type": "suicidal",
        "call_weapons": "on",
    }
    follow(client, client.post("/programs/core/referrals/new/community_response/", data))
    referral = Referral.objects.get()
    assert referral.eligible is False
    named = {"given_name": "Jo", "family_name": "Marsh", "birth_date": "1991-03-02"}

    response = client.post(f"/programs/core/referrals/{referral.pk}/person/", named)

    assert response.status_code == 422
    html = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    assert "This referral is not eligible for" in html
    assert "Weapons reported: police respond first" in html
    referral.refresh_from_db()
    assert referral.person is None
    assert not Person.objects.exists() and not OutreachTask.objects.exists()
