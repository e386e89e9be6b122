"""Staff referral forms: pathway by pathway, through the same write path as the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Overdose, Referral
from coresponder.outreach.models import OutreachTask
from coresponder.people.models import Person
from coresponder.privacy.tests.world import World, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.programs.signin import SIGNED_IN_AT
from coresponder.programs.tests.form_checks import assert_errors_described

pytestmark = pytest.mark.django_db

# Noon UTC, 20 November 2026: 07:00 in Philadelphia and Plymouth, 05:00 in Longmont.
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def programs(monkeypatch: pytest.MonkeyPatch) -> dict[str, Program]:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    load_programs(SYSTEM)
    return {p.slug: p for p in Program.objects.all()}


def staff(program: Program, role: Role, username: str | None = None) -> Any:
    world = World(program=program, person=None, provider_org=None, service_referral=None)  # type: ignore[arg-type]
    return reader(world, role, username=username or f"{program.slug}-{role.value}")


def signed_in(user: Any) -> Client:
    """A client past both factors, stamped as our sign-in stamps it."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().timestamp()
    session.save()
    return client


PERSON = {"given_name": "Jo", "family_name": "Marsh", "birth_date": "1991-03-02", "sex": "female"}
# The number a charge held in lieu of arrest is filed under.
CASE_NUMBER = "CP-51-CR-0001234-2026"


def submit(client: Client, slug: str, pathway: str, **fields: Any) -> Any:
    data = {"received_at": "2026-11-20T06:45", **PERSON, **fields}
    return client.post(f"/programs/{slug}/referrals/new/{pathway}/", data)


def follow(client: Client, response: Any) -> str:
    assert response.status_code == 302, response.content.decode()
    page = client.get(response["Location"])
    assert page.status_code == 200
    return str(page.content.decode())


def test_the_chooser_lists_only_the_pathways_the_program_takes(
    programs: dict[str, Program],
) -> None:
    pad = signed_in(staff(programs["pad"], Role.OFFICER)).get("/programs/pad/referrals/new/")
    assert pad.status_code == 200
    html = pad.content.decode()
    assert 'value="officer_intervention"' in html
    assert 'value="naloxone_plus"' not in html
    assert 'value="community_response"' not in html
    core = signed_in(staff(programs["core"], Role.CLINICIAN)).get("/programs/core/referrals/new/")
    assert 'value="community_response"' in core.content.decode()


def test_choosing_a_pathway_leads_to_its_form(programs: dict[str, Program]) -> None:
    client = signed_in(staff(programs["pad"], Role.OFFICER))
    response = client.get("/programs/pad/referrals/new/", {"pathway": "officer_intervention"})
    assert response["Location"] == "/programs/pad/referrals/new/officer_intervention/"
    form = client.get(response["Location"])
    html = form.content.decode()
    assert form.status_code == 200
    assert 'name="offense_category"' in html and 'name="district"' in html
    # The time is shown in Philadelphia's time, not the server's.
    assert 'value="2026-11-20T07:00"' in html
    assert "style=" not in html and "<script>" not in html
    missing = client.get("/programs/pad/referrals/new/", {"pathway": "naloxone_plus"})
    assert missing.status_code == 422
    assert client.get("/programs/pad/referrals/new/naloxone_plus/").status_code == 404


def test_continuing_with_no_pathway_chosen_says_to_choose_one(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pad"], Role.OFFICER))
    page = client.get("/programs/pad/referrals/new/")
    assert 'name="step" value="pathway"' in page.content.decode()
    # Continue with no radio button chosen sends only the step marker.
    response = client.get("/programs/pad/referrals/new/", {"step": "pathway"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose one of the pathways below." in html
    assert 'aria-invalid="true"' in html
    assert_errors_described(response)
    assert "checked" not in html.split('name="pathway"', 1)[1].split(">", 1)[0]


def test_a_pad_officer_diverts_a_retail_theft_in_district_22(programs: dict[str, Program]) -> None:
    client = signed_in(staff(programs["pad"], Role.OFFICER))
    response = submit(
        client,
        "pad",
        "officer_intervention",
        district="22",
        offense_category="retail_theft",
        case_number=CASE_NUMBER,
    )
    html = follow(client, response)
    referral = Referral.objects.get()
    assert referral.eligible and referral.channel == Referral.Channel.FORM
    # 06:45 in Philadelphia is 11:45 UTC.
    assert referral.received_at == dt.datetime(2026, 11, 20, 11, 45, tzinfo=dt.UTC)
    assert referral.offense_violent is False
    assert referral.district is not None and referral.district.code == "22"
    assert OutreachTask.objects.filter(referral=referral).exists()
    assert '<h2 id="eligibility-heading">Eligible</h2>' in html
    assert f'href="/people/{referral.person_id}/"' in html
    assert AuditEvent.objects.filter(
        action="read", object_type="intake.referral", object_id=str(referral.pk)
    ).exists()


def test_a_violent_offense_is_recorded_as_not_eligible_and_opens_no_task(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pad"], Role.OFFICER))
    response = submit(
        client,
        "pad",
        "officer_intervention",
        district="22",
        offense_category="retail_theft",
        offense_violent="on",
        case_number=CASE_NUMBER,
    )
    html = follow(client, response)
    referral = Referral.objects.get()
    assert referral.eligible is False
    assert not OutreachTask.objects.exists()
    assert "Not eligible" in html
    assert "A violent offense is not eligible for diversion" in html
    assert "No outreach task opened" in html


def test_a_suicidal_call_with_weapons_sends_police_first(programs: dict[str, Program]) -> None:
    client = signed_in(staff(programs["core"], Role.CLINICIAN))
    response = submit(
        client,
        "core",
        "community_response",
        received_at="2026-11-20T04:45",
        given_name="",
        family_name="",
        birth_date="",
        sex="",
        call_call_type="suicidal",
        call_narrative="Neighbour says he has a knife",
        call_weapons="on",
    )
    html = follow(client, response)
    referral = Referral.objects.get()
    assert referral.person is None and referral.call.weapons is True
    assert "Police respond first" in html
    assert "Weapons reported: police respond first" in html


def test_a_naloxone_plus_referral_opens_a_window_in_plymouth_time(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pco"], Role.RECOVERY_COACH))
    response = submit(
        client,
        "pco",
        "naloxone_plus",
        overdose_occurred_at="2026-11-20T02:30",
        overdose_naloxone_doses="2",
        overdose_latitude="41.95",
        overdose_longitude="-70.66",
        overdose_source="ems",
    )
    html = follow(client, response)
    overdose = Overdose.objects.get()
    assert overdose.occurred_at == dt.datetime(2026, 11, 20, 7, 30, tzinfo=dt.UTC)
    assert overdose.naloxone_doses == 2
    # PCO visits 12–72 h after the overdose: 14:30 on the 20th to 02:30 on the 23rd, Eastern.
    assert "Fri 20 Nov, 14:30" in html
    assert "Mon 23 Nov, 02:30 EST" in html
    assert "no other source had reported it" in html


def test_a_second_source_joins_the_overdose_already_reported(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pco"], Role.OFFICER))
    facts = {"overdose_occurred_at": "2026-11-20T02:30", "overdose_latitude": "41.95"}
    facts["overdose_longitude"] = "-70.66"
    submit(client, "pco", "naloxone_plus", overdose_source="ems", **facts)
    html = follow(client, submit(client, "pco", "naloxone_plus", overdose_source="police", **facts))
    assert Overdose.objects.count() == 1 and Referral.objects.count() == 1
    assert "joined an overdose already reported by another source" in html
    assert "reported by EMS, Police" in html
    # The officer reads why, in words.
    assert "your report was added to it (" in html


def test_a_missing_given_name_keeps_what_was_typed_and_writes_nothing(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pad"], Role.OFFICER))
    response = submit(
        client,
        "pad",
        "officer_intervention",
        given_name="",
        family_name="Marsh-Typed",
        district="39",
        offense_category="drug_possession",
        case_number=CASE_NUMBER,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_given_name_error"' in html
    assert 'aria-describedby="id_given_name_error"' in html
    assert 'value="Marsh-Typed"' in html
    assert '<option value="drug_possession" selected>' in html
    assert not Referral.objects.exists() and not Person.objects.exists()


def test_write_path_errors_land_on_their_fields(programs: dict[str, Program]) -> None:
    client = signed_in(staff(programs["pco"], Role.OFFICER))
    response = submit(
        client,
        "pco",
        "naloxone_plus",
        overdose_occurred_at="2026-11-20T09:00",
        overdose_source="ems",
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_overdose_occurred_at_error"' in html
    assert "Is after the report came in" in html
    assert not Overdose.objects.exists()


@pytest.mark.parametrize("role", [Role.PROSECUTOR, Role.ANALYST, Role.FAITH_LEADER])
def test_roles_that_may_not_refer_get_not_found(programs: dict[str, Program], role: Role) -> None:
    client = signed_in(staff(programs["pad"], role))
    assert client.get("/programs/pad/referrals/new/").status_code == 404
    assert client.get("/programs/pad/referrals/new/officer_intervention/").status_code == 404
    response = submit(
        client,
        "pad",
        "officer_intervention",
        district="22",
        offense_category="retail_theft",
        case_number=CASE_NUMBER,
    )
    assert response.status_code == 404
    assert not Referral.objects.exists()


def test_the_result_page_is_hidden_from_other_roles_and_programs(
    programs: dict[str, Program],
) -> None:
    officer = signed_in(staff(programs["pad"], Role.OFFICER))
    submit(
        officer,
        "pad",
        "officer_intervention",
        district="22",
        offense_category="retail_theft",
        case_number=CASE_NUMBER,
    )
    referral = Referral.objects.get()
    page = f"/programs/pad/referrals/{referral.pk}/"
    assert signed_in(staff(programs["pad"], Role.COORDINATOR)).get(page).status_code == 200
    assert signed_in(staff(programs["pad"], Role.PROSECUTOR)).get(page).status_code == 404
    assert signed_in(staff(programs["pad"], Role.ANALYST)).get(page).status_code == 404
    outsider = signed_in(staff(programs["pco"], Role.OFFICER, username="pco-officer"))
    assert outsider.get(page).status_code == 404
    assert outsider.get("/programs/pad/referrals/new/").status_code == 404
    # Another program's address does not reach this program's referral either.
    assert outsider.get(f"/programs/pco/referrals/{referral.pk}/").status_code == 404
    # The referral's gate asks for its person too: one the reader may not see (here, a
    # person only PCO knows, on a PAD referral) answers as a missing referral does.
    coordinator = signed_in(staff(programs["pad"], Role.COORDINATOR, username="pad-coord"))
    stranger = Person.objects.create(given_name="Una", family_name="Known")
    stranger.participations.create(program=programs["pco"], first_seen_at=timezone.now())
    Referral.objects.filter(pk=referral.pk).update(person=stranger)
    assert coordinator.get(page).status_code == 404
    assert coordinator.get("/programs/pad/referrals/98765/").status_code == 404


def test_the_program_home_offers_the_form_to_those_who_may_refer(
    programs: dict[str, Program],
) -> None:
    link = 'href="/programs/pad/referrals/new/"'
    officer = signed_in(staff(programs["pad"], Role.OFFICER)).get("/programs/pad/")
    assert link in officer.content.decode()
    analyst = signed_in(staff(programs["pad"], Role.ANALYST)).get("/programs/pad/")
    assert link not in analyst.content.decode()


def test_a_new_overdose_while_the_person_s_follow_up_is_open_says_it_joined_that_task(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pco"], Role.OFFICER))
    first = {"overdose_occurred_at": "2026-11-20T02:30", "overdose_latitude": "41.95"}
    submit(
        client, "pco", "naloxone_plus", overdose_source="ems", overdose_longitude="-70.66", **first
    )
    task = OutreachTask.objects.get()
    second = {"overdose_occurred_at": "2026-11-20T05:50", "overdose_latitude": "42.05"}
    html = follow(
        client,
        submit(
            client,
            "pco",
            "naloxone_plus",
            overdose_source="ems",
            overdose_longitude="-70.95",
            existing_person=str(task.person_id),
            **second,
        ),
    )
    assert Overdose.objects.count() == 2 and OutreachTask.objects.count() == 1
    assert "No outreach task opened" not in html
    assert f'open follow-up, <a class="usa-link" href="/programs/pco/outreach/{task.pk}/">' in html
    # The window is the later overdose's now: 72 h after 05:50 Eastern.
    assert "which now closes" in html and ">Mon 23 Nov, 05:50 EST</time>" in html


def test_an_overdose_typed_years_before_its_referral_is_questioned_until_confirmed(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pco"], Role.OFFICER))
    facts = {
        "overdose_occurred_at": "2020-01-01T19:30",
        "overdose_source": "ems",
        "overdose_latitude": "41.95",
        "overdose_longitude": "-70.66",
    }
    refused = submit(client, "pco", "naloxone_plus", **facts)
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "more than 30 days before the referral came in: check the year" in html
    assert 'name="overdose_long_ago"' in html and 'value="2020-01-01T19:30"' in html
    assert not Referral.objects.exists() and not OutreachTask.objects.exists()
    # A date typed right saves at once; one that really was that long ago, once confirmed.
    confirmed = submit(client, "pco", "naloxone_plus", overdose_long_ago="on", **facts)
    assert confirmed.status_code == 302
    assert Overdose.objects.get().occurred_at.year == 2020


def test_a_referral_typed_as_received_years_ago_is_questioned_until_confirmed(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pco"], Role.OFFICER))
    facts = {
        "received_at": "1999-12-05T20:00",
        "overdose_occurred_at": "1999-12-05T18:00",
        "overdose_source": "ems",
        "overdose_latitude": "41.95",
        "overdose_longitude": "-70.66",
    }
    refused = submit(client, "pco", "naloxone_plus", **facts)
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "more than a year ago: check the year" in html
    assert 'name="received_long_ago"' in html and 'value="1999-12-05T20:00"' in html
    assert not Referral.objects.exists() and not OutreachTask.objects.exists()
    confirmed = submit(client, "pco", "naloxone_plus", received_long_ago="on", **facts)
    assert confirmed.status_code == 302
    assert Referral.objects.get().received_at.year == 1999


def test_the_form_asks_nothing_more_of_an_overdose_from_this_week(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pco"], Role.OFFICER))
    page = client.get("/programs/pco/referrals/new/naloxone_plus/").content.decode()
    assert 'name="overdose_long_ago"' not in page
    assert 'name="received_long_ago"' not in page


def test_a_birth_date_in_the_future_is_said_once_on_the_birth_date(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["pco"], Role.OFFICER))
    facts = {
        "birth_date": "2030-01-01",
        "overdose_occurred_at": "2026-11-20T05:50",
        "overdose_source": "ems",
        "overdose_latitude": "41.95",
        "overdose_longitude": "-70.66",
    }
    refused = submit(client, "pco", "naloxone_plus", **facts)
    assert refused.status_code == 422
    html = refused.content.decode().lower()
    assert "cannot be in the future" in html
    assert "before the person was born" not in html
