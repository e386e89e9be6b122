"""A closing checklist item of clinical detail (QRT's treatment plan) is read and given only
by roles that read clinical detail, or with the person's consent; the rest of the checklist
works as before for everyone who works the task."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.domain.policy import FieldGroup
from coresponder.domain.presets import PresetError, parse_preset
from coresponder.domain.vocabulary import Role
from coresponder.outreach.models import OutreachTask
from coresponder.privacy.models import Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

PLAN = "Started buprenorphine 16 mg daily at Prestera"


@pytest.fixture
def world(qrt: Program) -> World:
    return build_world(qrt)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def the_task(world: World, **fields: Any) -> OutreachTask:
    task = OutreachTask.objects.get(person=world.person)
    for name, value in fields.items():
        setattr(task, name, value)
    task.save()
    return task


def closed_with_plan(world: World) -> OutreachTask:
    checklist = {
        "outcome": "contacted",
        "treatment_plan": PLAN,
        "consent_status": "Signed",
        "contact_preference": "Text",
    }
    return the_task(world, checklist=checklist, closed_at=timezone.now())


def test_the_qrt_preset_files_the_treatment_plan_as_clinical_detail(qrt: Program) -> None:
    groups = {item.key: item.group for item in qrt.rules.closing_checklist}
    assert groups["treatment_plan"] is FieldGroup.CLINICAL
    assert groups["contact_preference"] is FieldGroup.OUTREACH


def test_a_checklist_item_of_another_group_is_refused_by_the_preset_check() -> None:
    preset = {
        "slug": "x",
        "name": "X",
        "timezone": "America/New_York",
        "closing_checklist": [{"key": "charges", "label": "Charges", "group": "justice"}],
    }
    with pytest.raises(PresetError) as refused:
        parse_preset(preset, "x.toml")
    assert "closing_checklist[0].group" in str(refused.value)
    assert "clinical, outreach" in str(refused.value)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.FAITH_LEADER, Role.COORDINATOR])
def test_a_closed_cases_treatment_plan_is_not_shown_to_roles_without_clinical_detail(
    world: World, api_client_for: Any, role: Role
) -> None:
    task = closed_with_plan(world)
    user = reader(world, role)
    page = signed_in(user).get(f"/programs/qrt/outreach/{task.pk}/").content.decode()
    assert PLAN not in page and "Treatment plan" not in page
    assert "Contact preference" in page and "Text" in page
    timeline = api_client_for(user).get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    assert PLAN not in str(timeline) and "Contact preference" in str(timeline)
    history = signed_in(user).get(f"/people/{world.person.pk}/history/").content.decode()
    assert PLAN not in history


def test_the_clinical_team_reads_it_and_consent_releases_it_as_a_disclosure(
    world: World, api_client_for: Any
) -> None:
    task = closed_with_plan(world)
    clinician = reader(world, Role.CLINICIAN)
    assert PLAN in signed_in(clinician).get(f"/programs/qrt/outreach/{task.pk}/").content.decode()
    officer = reader(world, Role.OFFICER)
    consent_for(world, officer)
    timeline = api_client_for(officer).get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    assert PLAN in str(timeline)
    assert Disclosure.objects.filter(recipient_user=officer, groups=["clinical"]).exists()


def test_an_officer_closing_a_case_leaves_the_treatment_plan_to_the_clinical_team(
    world: World, api_client_for: Any
) -> None:
    task = the_task(
        world,
        status=OutreachTask.Status.COLLECTING,
        checklist={"outcome": "contacted", "treatment_plan": PLAN},
    )
    officer = reader(world, Role.OFFICER)
    web = signed_in(officer)
    page = web.get(f"/programs/qrt/outreach/{task.pk}/").content.decode()
    assert PLAN not in page and "checklist_treatment_plan" not in page
    assert "Still needed from staff who read clinical detail" not in page  # answered already
    assert "checklist_consent_status" in page
    saved = web.post(
        f"/programs/qrt/outreach/{task.pk}/checklist",
        {
            "version": task.version,
            "checklist_consent_status": "signed",
            "checklist_contact_preference": "Text",
        },
    )
    assert saved.status_code == 302
    task.refresh_from_db()
    # The officer's answers closed the case, and the clinician's plan was kept as it was.
    assert task.status == OutreachTask.Status.CLOSED
    assert task.checklist["treatment_plan"] == PLAN


def test_an_unanswered_treatment_plan_waits_for_the_clinical_team_and_is_refused_to_others(
    world: World, api_client_for: Any
) -> None:
    task = the_task(
        world, status=OutreachTask.Status.COLLECTING, checklist={"outcome": "contacted"}
    )
    officer = reader(world, Role.OFFICER)
    page = signed_in(officer).get(f"/programs/qrt/outreach/{task.pk}/").content.decode()
    assert "Still needed from staff who read clinical detail: Treatment plan" in page
    refused = api_client_for(officer).patch(
        f"/api/v1/outreach-tasks/{task.pk}/checklist",
        {"values": {"treatment_plan": "none", "consent_status": "signed"}, "version": task.version},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert "answered by staff who read clinical detail" in refused.content.decode()
    task.refresh_from_db()
    assert "treatment_plan" not in task.checklist and "consent_status" not in task.checklist
    clinician = reader(world, Role.CLINICIAN)
    done = api_client_for(clinician).patch(
        f"/api/v1/outreach-tasks/{task.pk}/checklist",
        {
            "values": {
                "treatment_plan": PLAN,
                "consent_status": "signed",
                "contact_preference": "Text",
            },
            "version": task.version,
        },
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "closed"
