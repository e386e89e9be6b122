"""People in the web UI: the gate decides, stale edits keep what was typed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Screening
from coresponder.privacy.models import BreakGlass, Consent
from coresponder.privacy.tests.world import build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def signed_in(user: Any) -> Client:
    """A client past both factors (force_login is stamped as a real sign-in is)."""
    client = Client()
    client.force_login(user)
    return client


def edit_form(person: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "sex": person.sex,
        "race": person.race,
        "ethnicity": person.ethnicity,
        "phone": person.phone,
        "address": person.address,
        "version": person.version,
    }
    data.update(changes)
    return data


def test_an_officer_sees_the_person_but_not_the_screenings(world: Any) -> None:
    officer = reader(world, Role.OFFICER)
    response = signed_in(officer).get(f"/people/{world.person.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dana Reyes" in html
    assert "Status withheld: no consent in force names you" in html
    assert "open to buprenorphine" not in html
    # One neutral line under a neutral heading: not even that a screening took place.
    assert html.count("Status withheld: no consent in force names you") == 1
    assert "<h2>Clinical detail</h2>" in html and "Screenings" not in html
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    assert AuditEvent.objects.filter(actor=officer, action="read", outcome="denied").exists()


def test_a_clinician_sees_the_clinical_note(world: Any) -> None:
    clinician = reader(world, Role.CLINICIAN)
    html = signed_in(clinician).get(f"/people/{world.person.pk}/").content.decode()
    assert "open to buprenorphine" in html


def test_a_clinician_sees_a_clinical_note_written_without_a_screening(world: Any) -> None:
    Screening.objects.filter(encounter__person=world.person).delete()
    html = signed_in(reader(world, Role.CLINICIAN)).get(f"/people/{world.person.pk}/")
    assert "open to buprenorphine" in html.content.decode()
    officer_page = signed_in(reader(world, Role.OFFICER)).get(f"/people/{world.person.pk}/")
    assert "open to buprenorphine" not in officer_page.content.decode()
    assert "Status withheld: no consent in force names you" in officer_page.content.decode()


def test_a_person_outside_the_readers_programs_is_not_found(world: Any) -> None:
    world.program = Program.objects.get(slug="pco")
    outsider = reader(world, Role.OFFICER, username="pco-officer")
    assert signed_in(outsider).get(f"/people/{world.person.pk}/").status_code == 404


def test_the_search_finds_people_by_name(world: Any) -> None:
    officer = reader(world, Role.OFFICER)
    html = signed_in(officer).get("/people/?q=reyes").content.decode()
    assert f"/people/{world.person.pk}/" in html


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("1990-05-04", True),
        ("05/04/1990", True),
        ("5/4/1990", True),
        ("Dana 1990", True),
        ("reyes 05/04/1990", True),
        ("1990-05-05", False),
        ("Dana 1991", False),
        # As the list itself writes a birth date.
        ("4 May 1990", True),
        ("Reyes 4 may 1990", True),
        ("4 May. 1990 Dana", True),
        ("5 May 1990", False),
        ("31 Feb 1990", False),
    ],
)
def test_the_search_finds_people_by_birth_date_through_the_gate(
    world: Any, q: str, found: bool
) -> None:
    officer = reader(world, Role.OFFICER)
    html = signed_in(officer).get("/people/", {"q": q}).content.decode()
    assert (f"/people/{world.person.pk}/" in html) is found
    world.program = Program.objects.get(slug="pco")
    outsider = reader(world, Role.OFFICER, username="pco-officer")
    html = signed_in(outsider).get("/people/", {"q": q}).content.decode()
    assert f"/people/{world.person.pk}/" not in html


def test_a_stale_edit_says_so_and_keeps_what_was_typed(world: Any) -> None:
    officer = reader(world, Role.OFFICER)
    first, second = signed_in(officer), signed_in(officer)
    url = f"/people/{world.person.pk}/edit/"
    saved = first.post(url, edit_form(world.person, phone="215-555-0001"))
    assert saved.status_code == 302
    stale = second.post(url, edit_form(world.person, address="9 Somerset St"))
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "Changed by someone else — review and retry." in html
    assert 'value="9 Somerset St"' in html
    assert 'name="version" value="2"' in html
    world.person.refresh_from_db()
    assert (world.person.phone, world.person.address) == ("215-555-0001", "100 Kensington Ave")
    retried = second.post(url, edit_form(world.person, address="9 Somerset St"))
    assert retried.status_code == 302
    world.person.refresh_from_db()
    assert world.person.address == "9 Somerset St"


def test_an_edit_sent_twice_is_saved_once_and_the_second_says_saved(world: Any) -> None:
    officer = reader(world, Role.OFFICER)
    client = signed_in(officer)
    url = f"/people/{world.person.pk}/edit/"
    sent = edit_form(world.person, phone="215-555-0001")
    assert client.post(url, sent).status_code == 302
    client.get(f"/people/{world.person.pk}/")  # the first answer read, as a browser does
    again = client.post(url, sent, follow=True)  # a double tap, or Back and Save
    assert again.redirect_chain == [(f"/people/{world.person.pk}/", 302)]
    html = again.content.decode()
    assert "Saved." in html and "Changed by someone else" not in html
    world.person.refresh_from_db()
    assert (world.person.phone, world.person.version) == ("215-555-0001", 2)


def opened(client: Client, url: str) -> dict[str, str]:
    """The edit form's fields as the page opens them, hidden ones included."""
    return opened_from(client.get(url).content.decode())


def test_a_stale_edit_takes_the_other_save_where_the_field_was_left_alone(world: Any) -> None:
    officer = reader(world, Role.OFFICER)
    first, second = signed_in(officer), signed_in(officer)
    url = f"/people/{world.person.pk}/edit/"
    mine, theirs = opened(second, url), opened(first, url)
    assert mine["was_birth_date"] == "1990-05-04" and mine["birth_date"] == "1990-05-04"
    # They correct the birth date and the phone; I change the address and the phone.
    saved = first.post(url, {**theirs, "birth_date": "1990-05-14", "phone": "215-555-0001"})
    assert saved.status_code == 302
    stale = second.post(url, {**mine, "address": "9 Somerset St", "phone": "215-555-0002"})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "Their changes are now in the form: Birth date." in html
    assert "You both changed Phone (the record now reads 215-555-0001)" in html
    retry = opened_from(html)
    assert retry["birth_date"] == "1990-05-14", "their correction is in the form"
    assert (retry["address"], retry["phone"]) == ("9 Somerset St", "215-555-0002")
    assert second.post(url, retry).status_code == 302
    world.person.refresh_from_db()
    assert world.person.birth_date == dt.date(1990, 5, 14), "not put back by the second save"
    assert (world.person.address, world.person.phone) == ("9 Somerset St", "215-555-0002")


def opened_from(html: str) -> dict[str, str]:
    """A page's edit form as it stands: inputs, hidden ones included, and chosen options."""
    fields = dict(
        re.findall(r'<input type="(?:hidden|text|date)" name="(\w+)" value="([^"]*)"', html)
    )
    selects = re.findall(
        r'<select name="(\w+)"[^>]*>.*?<option value="([^"]*)" selected', html, re.S
    )
    fields.update(selects)
    return fields


def test_a_prosecutor_has_no_person_pages_beyond_engagement(world: Any) -> None:
    prosecutor = reader(world, Role.PROSECUTOR)
    client = signed_in(prosecutor)
    assert client.get("/people/").status_code == 404
    html = client.get(f"/people/{world.person.pk}/").content.decode()
    assert "Engaged since the diversion of" in html
    assert "Dana" not in html and "Reyes" not in html
    assert client.get(f"/people/{world.person.pk}/edit/").status_code == 404


def test_a_consent_form_missing_an_element_is_refused_with_the_reason(world: Any) -> None:
    clinician = reader(world, Role.CLINICIAN)
    response = signed_in(clinician).post(
        f"/people/{world.person.pk}/consents/new/",
        {
            "discloser": "PAD clinicians",
            "recipient_kind": "kind",
            "recipient": "police",
            "information": "Screenings",
            "covers_clinical": "on",
            "purpose": "Coordinate care",
            "expires_on": "2027-01-01",
            "signed_at": "2026-11-01T10:00",
            "signature_method": "written",
        },
    )
    assert response.status_code == 422
    assert "right to revoke" in response.content.decode()
    assert not Consent.objects.exists()


def test_a_clinician_records_and_revokes_a_consent_in_the_form(world: Any) -> None:
    clinician = reader(world, Role.CLINICIAN)
    client = signed_in(clinician)
    response = client.post(
        f"/people/{world.person.pk}/consents/new/",
        {
            "discloser": "PAD clinicians",
            "recipient_kind": "kind",
            "recipient": "police",
            "information": "Screenings",
            "covers_clinical": "on",
            "purpose": "Coordinate care",
            "expires_on": "2099-01-01",
            "signed_at": "2026-11-01T10:00",
            "signature_method": "written",
            "right_to_revoke_explained": "on",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.covers == ["clinical"]
    client.post(f"/people/{world.person.pk}/consents/{consent.pk}/revoke/")
    consent.refresh_from_db()
    assert consent.revoked_at is not None


def test_break_glass_in_the_ui_opens_the_record_and_queues_a_review(world: Any) -> None:
    clinician = reader(world, Role.CLINICIAN)
    coordinator = reader(world, Role.COORDINATOR)
    client = signed_in(clinician)
    response = client.post(
        "/break-glass/",
        {"person_id": world.person.pk, "reason": "Brought in unresponsive, need history"},
    )
    assert response.status_code == 302
    assert client.get(f"/people/{world.person.pk}/").status_code == 200
    queue = signed_in(coordinator).get("/break-glass/reviews/").content.decode()
    assert "Brought in unresponsive" in queue
    glass = BreakGlass.objects.get()
    signed_in(coordinator).post("/break-glass/reviews/", {"glass_id": glass.pk, "note": "ok"})
    glass.refresh_from_db()
    assert glass.reviewed_by == coordinator


def test_an_officer_cannot_reach_break_glass_or_the_review_list(world: Any) -> None:
    officer = reader(world, Role.OFFICER)
    client = signed_in(officer)
    assert client.get("/break-glass/").status_code == 404
    assert client.get("/break-glass/reviews/").status_code == 404


@pytest.mark.parametrize("role", list(Role))
def test_every_link_on_a_persons_page_opens_for_the_reader(world: Any, role: Role) -> None:
    client = signed_in(reader(world, role))
    page = client.get(f"/people/{world.person.pk}/")
    if page.status_code == 404:
        return  # a role that sees no one (an analyst) has no links to follow
    html = page.content.decode()
    links = set(re.findall(r'<a class="usa-(?:link|button)[^"]*" href="(/[^"#]*)"', html))
    broken = {
        link: answer.status_code
        for link in sorted(links)
        if (answer := client.get(link.replace("&amp;", "&"))).status_code not in (200, 302)
    }
    assert broken == {}


def test_a_referral_on_a_persons_page_opens_its_page_for_those_who_record_referrals(
    world: Any,
) -> None:
    referral = world.person.referrals.get()
    page = f"/programs/{world.program.slug}/referrals/{referral.pk}/"
    social_worker = signed_in(reader(world, Role.SOCIAL_WORKER))
    html = social_worker.get(f"/people/{world.person.pk}/").content.decode()
    assert f'href="{page}"' in html
    assert social_worker.get(page).status_code == 200
    # A faith leader records no referral, and so has no referral's page to be sent to.
    faith_leader = signed_in(reader(world, Role.FAITH_LEADER))
    html = faith_leader.get(f"/people/{world.person.pk}/").content.decode()
    assert "Officer intervention" in html and f'href="{page}"' not in html
    assert faith_leader.get(page).status_code == 404
