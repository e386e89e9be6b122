"""A high-risk C-SSRS screen calls for an immediate evaluation and not leaving the person
alone: an encounter that ends with the person left where they are is questioned first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role
from coresponder.encounters.models import Encounter
from coresponder.encounters.tests.test_encounter_views import filled, form_url
from coresponder.privacy.tests.world import World, reader

pytestmark = pytest.mark.django_db

# Thoughts of suicide with some intention of acting on them: high risk.
HIGH_RISK = {
    "cssrs_screener_1": "1",
    "cssrs_screener_2": "1",
    "cssrs_screener_3": "1",
    "cssrs_screener_4": "1",
    "cssrs_screener_5": "0",
    "cssrs_screener_6": "0",
}


@pytest.mark.parametrize("disposition", ["resolved_on_scene", "transported_home", "refused"])
def test_a_high_risk_screen_that_leaves_the_person_where_they_are_is_questioned(
    world: World, client: Any, disposition: str
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    before = Encounter.objects.count()
    typed = filled(**HIGH_RISK, disposition=disposition, clinical_note="Typed on scene.")
    page = client.post(form_url(world), typed)
    assert page.status_code == 422
    html = page.content.decode()
    assert "The C-SSRS screener is high risk" in html
    assert "immediate behavioral-health evaluation" in html
    assert 'name="stays_after_high_risk"' in html
    assert "Typed on scene." in html
    assert Encounter.objects.count() == before


def test_a_clinicians_judgement_that_the_person_may_stay_is_saved_with_its_reason(
    world: World, client: Any
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    before = Encounter.objects.count()
    typed = filled(**HIGH_RISK, disposition="resolved_on_scene", stays_after_high_risk="on")
    page = client.post(form_url(world), typed)
    assert page.status_code == 422
    assert "Say in the clinical note why it was safe for the person to stay." in (
        page.content.decode()
    )
    assert Encounter.objects.count() == before
    note = "Assessed face to face; sister staying overnight; safety plan made."
    saved = client.post(form_url(world), {**typed, "clinical_note": note})
    assert saved.status_code == 302, saved.content.decode()
    assert Encounter.objects.count() == before + 1


def test_a_high_risk_screen_ending_in_an_evaluation_is_saved_without_a_question(
    world: World, client: Any
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    page = client.get(form_url(world)).content.decode()
    assert 'name="stays_after_high_risk"' not in page
    saved = client.post(form_url(world), filled(**HIGH_RISK))
    assert saved.status_code == 302, saved.content.decode()


PHQ_9_ITEM_9 = {f"phq9_{n}": "1" for n in range(1, 10)}


def test_a_phq_9_answered_with_the_c_ssrs_does_not_ask_for_the_c_ssrs_again(
    world: World, client: Any
) -> None:
    client.force_login(reader(world, Role.CLINICIAN))
    alone = client.post(form_url(world), filled(**PHQ_9_ITEM_9, client_key="k-alone"))
    assert "Ask the C-SSRS screener now" in client.get(alone["Location"]).content.decode()
    both = client.post(form_url(world), filled(**PHQ_9_ITEM_9, **HIGH_RISK, client_key="k-both"))
    page = client.get(both["Location"]).content.decode()
    assert "Ask the C-SSRS screener now" not in page
    assert "Clinician reviews the answers now" in page
    assert "Do not leave the person alone" in page


def api_body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "program": "core",
        "person_id": world.person.pk,
        "occurred_at": (timezone.now() - dt.timedelta(minutes=30)).isoformat(),
        "kind": "crisis_response",
        "disposition": "resolved_on_scene",
        "screenings": [{"instrument": "cssrs_screener", "answers": [1, 1, 1, 1, 0, 0]}],
        **extra,
    }


def api_post(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/encounters", body, content_type="application/json")


@pytest.mark.parametrize("disposition", ["resolved_on_scene", "transported_home", "refused"])
def test_the_api_refuses_a_high_risk_screen_left_where_it_is_naming_the_steps(
    world: World, api_client_for: Any, disposition: str
) -> None:
    client = api_client_for(reader(world, Role.CLINICIAN))
    before = Encounter.objects.count()
    response = api_post(client, api_body(world, disposition=disposition, clinical_note="Seen."))
    assert response.status_code == 422, response.content
    [message] = response.json()["errors"]["disposition"]
    assert "The C-SSRS screener is high risk" in message
    assert "do not leave the person alone" in message
    assert "immediate behavioral-health evaluation" in message
    assert "stays_after_high_risk" in message
    assert Encounter.objects.count() == before


def test_the_api_takes_a_clinicians_judgement_only_with_its_reason(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.CLINICIAN))
    before = Encounter.objects.count()
    unexplained = api_post(client, api_body(world, stays_after_high_risk=True))
    assert unexplained.status_code == 422, unexplained.content
    assert unexplained.json()["errors"]["clinical_note"] == [
        "Say in the clinical note why it was safe for the person to stay."
    ]
    assert Encounter.objects.count() == before
    note = "Assessed face to face; sister staying overnight; safety plan made."
    saved = api_post(client, api_body(world, stays_after_high_risk=True, clinical_note=note))
    assert saved.status_code == 201, saved.content
    encounter = Encounter.objects.get(pk=saved.json()["id"])
    assert encounter.clinical_note == note
    event = AuditEvent.objects.get(object_type="encounters.encounter", action="create")
    assert event.detail["stays_after_high_risk"] is True


def test_the_api_records_a_high_risk_screen_ending_in_an_evaluation_without_a_judgement(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.CLINICIAN))
    body = api_body(world, disposition="transported_crisis_center")
    assert api_post(client, body).status_code == 201


def test_only_a_role_that_records_screenings_may_judge_that_the_person_may_stay(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for(reader(world, Role.OFFICER))
    body = api_body(world, screenings=[], stays_after_high_risk=True, clinical_note="Fine.")
    assert api_post(client, body).status_code == 403
