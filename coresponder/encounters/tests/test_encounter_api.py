"""Recording and reading encounters through the API: scores, the gate, drafts sent twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter, Screening
from coresponder.privacy.tests.world import World, consent_for, reader
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

# C-SSRS screener: wished dead, thoughts of killing oneself, and a plan (item 4): high risk.
CSSRS_HIGH = [1, 1, 0, 1, 0, 0]


def crisis(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "program": "core",
        "person_id": world.person.pk,
        "occurred_at": (timezone.now() - dt.timedelta(minutes=40)).isoformat(),
        "kind": "crisis_response",
        "disposition": "transported_crisis_center",
        "destination": "Longmont crisis center",
        "minutes_on_scene": 35,
        "deescalation_used": True,
        "screenings": [{"instrument": "cssrs_screener", "answers": CSSRS_HIGH}],
        **extra,
    }


def post(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/encounters", body, content_type="application/json")


def test_a_clinician_records_a_crisis_response_with_a_scored_cssrs(
    world: World, api_client_for: Any
) -> None:
    response = post(api_client_for(reader(world, Role.CLINICIAN)), crisis(world))
    assert response.status_code == 201, response.content
    body = response.json()
    [score] = body["screening_scores"]
    assert (score["instrument"], score["band"], score["positive"]) == (
        "cssrs_screener",
        "high",
        True,
    )
    assert score["escalation"], "a positive C-SSRS shows what to do now"
    encounter = Encounter.objects.get(pk=body["id"])
    assert encounter.disposition == "transported_crisis_center"
    assert encounter.deescalation_used and encounter.minutes_on_scene == 35
    stored = Screening.objects.get(encounter=encounter)
    assert (stored.answers, stored.score, stored.band) == (CSSRS_HIGH, 3, "high")
    event = AuditEvent.objects.get(object_type="encounters.encounter", action="create")
    assert event.person_id == world.person.pk and "clinical" in event.fields


def test_the_api_scores_each_instrument_as_published(world: World, api_client_for: Any) -> None:
    body = crisis(
        world,
        kind="outreach_visit",
        disposition="resolved_on_scene",
        screenings=[
            {"instrument": "dast10", "answers": [1, 1, 0, 1, 1, 0, 0, 0, 0, 0]},
            {"instrument": "audit_c", "answers": [1, 1, 1]},
            {"instrument": "phq9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 2]},
        ],
    )
    scores = post(api_client_for(reader(world, Role.CLINICIAN)), body).json()["screening_scores"]
    got = {s["instrument"]: (s["score"], s["band"]) for s in scores}
    # DAST-10: four yeses plus "no" to item 3 (reverse-scored) = 5, moderate.
    assert got["dast10"] == (5, "moderate")
    assert got["audit_c"] == (3, "positive")  # 3 is positive for a woman (Dana)
    assert got["phq9"] == (10, "moderate")
    phq9 = next(s for s in scores if s["instrument"] == "phq9")
    assert "suicidal_ideation_item9" in phq9["flags"]


def test_bad_answers_are_refused_naming_the_screening_and_item(
    world: World, api_client_for: Any
) -> None:
    before = Encounter.objects.count()
    body = crisis(
        world, screenings=[{"instrument": "phq9", "answers": [0, 0, 0, 0, 7, 0, 0, 0, 0]}]
    )
    response = post(api_client_for(reader(world, Role.CLINICIAN)), body)
    assert response.status_code == 422
    [message] = response.json()["errors"]["screenings[0].answers"]
    assert "PHQ-9 item 5" in message
    assert Encounter.objects.count() == before


def test_a_time_without_offset_and_a_future_time_are_refused(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.CLINICIAN))
    assert post(client, crisis(world, occurred_at="2026-11-20T10:00:00")).status_code == 422
    later = (timezone.now() + dt.timedelta(hours=3)).isoformat()
    response = post(client, crisis(world, occurred_at=later))
    assert response.status_code == 422
    assert response.json()["errors"]["occurred_at"] == ["cannot be in the future"]
    response = post(client, crisis(world, occurred_at="1850-03-01T10:00:00-07:00"))
    assert response.status_code == 422
    assert response.json()["errors"]["occurred_at"][0].startswith("give a date between 1900")


def test_an_officer_may_not_record_an_encounter(world: World, api_client_for: Any) -> None:
    before = Encounter.objects.count()
    response = post(api_client_for(reader(world, Role.OFFICER)), crisis(world, screenings=[]))
    assert response.status_code == 403
    assert Encounter.objects.count() == before


def test_a_draft_sent_twice_records_one_encounter(world: World, api_client_for: Any) -> None:
    clinician = reader(world, Role.CLINICIAN)
    client = api_client_for(clinician)
    before = Encounter.objects.count()
    draft = crisis(world, client_key="draft-7f3a")
    first = post(client, draft)
    again = post(client, draft)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert Encounter.objects.count() == before + 1
    # Given again, the scores are a read of the encounter, audited.
    assert AuditEvent.objects.filter(
        action="read",
        object_id=str(first.json()["id"]),
        actor=clinician,
        purpose="draft sent again",
    ).exists()


def test_a_key_someone_else_used_records_nothing_and_shows_nothing_of_theirs(
    world: World, api_client_for: Any
) -> None:
    first = post(api_client_for(reader(world, Role.CLINICIAN)), crisis(world, client_key="k-9"))
    assert first.status_code == 201
    before = Encounter.objects.count()
    paramedic = api_client_for(reader(world, Role.PARAMEDIC))
    theirs = post(paramedic, crisis(world, client_key="k-9", screenings=[]))
    assert theirs.status_code == 422
    assert theirs.json()["errors"] == {
        "client_key": ["already used for another encounter; send a new key for a new encounter"]
    }
    assert "screening_scores" not in theirs.json() and str(first.json()["id"]) not in str(
        theirs.json()
    )
    # Nor does one's own key, sent with another encounter, stand for the first one.
    clinician = api_client_for(reader(world, Role.CLINICIAN, username="second-clinician"))
    mine = crisis(world, client_key="k-10")
    assert post(clinician, mine).status_code == 201
    other = post(clinician, {**mine, "kind": "phone"})
    assert other.status_code == 422 and "client_key" in other.json()["errors"]
    assert Encounter.objects.count() == before + 1


def test_the_officer_reads_the_response_but_not_the_screening_without_consent(
    world: World, api_client_for: Any
) -> None:
    made = post(api_client_for(reader(world, Role.CLINICIAN)), crisis(world)).json()
    officer = reader(world, Role.OFFICER)
    seen = api_client_for(officer).get(f"/api/v1/encounters/{made['id']}").json()
    # Taken to a crisis center is treatment detail: the officer learns of a transport.
    assert seen["disposition"] == "withheld"
    assert "screenings" not in seen and "clinical_note" not in seen
    assert seen["clinical_withheld"].startswith("status withheld")
    consent_for(world, officer)
    released = api_client_for(officer).get(f"/api/v1/encounters/{made['id']}").json()
    assert released["screenings"][0]["answers"] == CSSRS_HIGH
    assert released["disposition"] == "transported_crisis_center"
    assert AuditEvent.objects.filter(action="read", person_id=world.person.pk).exists()


def test_sbirt_is_withheld_from_an_officer_as_the_screenings_are(
    world: World, api_client_for: Any
) -> None:
    # A brief intervention and a referral to treatment follow a positive screening: an
    # officer without the person's consent learns neither, on the API or the page.
    sbirt = crisis(world, screenings=[], brief_intervention=True, referral_to_treatment=True)
    made = post(api_client_for(reader(world, Role.CLINICIAN)), sbirt).json()
    officer = reader(world, Role.OFFICER)
    seen = api_client_for(officer).get(f"/api/v1/encounters/{made['id']}").json()
    assert "brief_intervention" not in seen and "referral_to_treatment" not in seen
    assert seen["clinical_withheld"].startswith("status withheld")
    page = Client()
    page.force_login(officer)
    html = page.get(f"/programs/{world.program.slug}/encounters/{made['id']}/").content.decode()
    assert "Brief intervention" not in html
    consent_for(world, officer)
    released = api_client_for(officer).get(f"/api/v1/encounters/{made['id']}").json()
    assert released["brief_intervention"] is True and released["referral_to_treatment"] is True


def test_a_prosecutor_and_an_outsider_cannot_learn_of_an_encounter(
    world: World, api_client_for: Any
) -> None:
    made = post(api_client_for(reader(world, Role.CLINICIAN)), crisis(world)).json()
    for role in (Role.PROSECUTOR, Role.ANALYST):
        response = api_client_for(reader(world, role)).get(f"/api/v1/encounters/{made['id']}")
        assert response.status_code == 404
    pad = World(
        program=Program.objects.get(slug="pad"),
        person=world.person,
        provider_org=world.provider_org,
        service_referral=world.service_referral,
    )
    outsider = reader(pad, Role.CLINICIAN, username="pad-clinician")
    assert api_client_for(outsider).get(f"/api/v1/encounters/{made['id']}").status_code == 404


def test_a_role_that_never_reads_clinical_detail_cannot_tell_whether_any_was_recorded(
    world: World, api_client_for: Any
) -> None:
    recorded = Encounter.objects.get(person=world.person)  # a note and a screening
    bare = Encounter.objects.create(
        program=world.program,
        person=world.person,
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        kind="outreach_visit",
        disposition="resolved_on_scene",
    )
    admin = api_client_for(reader(world, Role.ADMIN))
    seen = [admin.get(f"/api/v1/encounters/{e.pk}").json() for e in (recorded, bare)]
    for body in seen:
        assert "brief_intervention" not in body and "referral_to_treatment" not in body
        assert "clinical_withheld" not in body and "clinical_note" not in body
    # An officer, who may read it with consent, is told there is none, or that it is withheld.
    officer = api_client_for(reader(world, Role.OFFICER))
    assert officer.get(f"/api/v1/encounters/{bare.pk}").json()["brief_intervention"] is False
    assert "clinical_withheld" in officer.get(f"/api/v1/encounters/{recorded.pk}").json()


def test_only_roles_that_may_amend_the_note_are_given_the_version_an_amendment_moves(
    world: World, api_client_for: Any
) -> None:
    encounter = Encounter.objects.get(person=world.person)
    url = f"/api/v1/encounters/{encounter.pk}"
    officer = api_client_for(reader(world, Role.OFFICER)).get(url).json()
    clinician = api_client_for(reader(world, Role.CLINICIAN)).get(url).json()
    assert "version" not in officer and "clinical_withheld" in officer
    assert clinician["version"] == encounter.version
