"""An attempt's outcome that gives the person's decision about treatment, either way (took it
up, is in it already, declined, declined for now), the close reason it gives the task and
the closing checklist's outcome answer are clinical detail: a reader who may not see the
person's clinical detail (an officer without a consent naming them) reads that the person
was reached, the outcome withheld, on every page and answer that shows them, the same
words whichever it was, so the words never tell that the person took up treatment; a
consent naming the officer, and the clinical team, show the outcome itself."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coresponder.domain.vocabulary import Role
from coresponder.outreach.actions import refresh_priority_tiers
from coresponder.outreach.models import Attempt, OutreachTask
from coresponder.privacy.models import Disclosure
from coresponder.privacy.tests.world import World, build_world, consent_for, reader
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

TREATMENT_WORDS = (
    "accepted_treatment",
    "already_in_treatment",
    "accepted treatment",
    "already in treatment",
)
# The decision either way: a refusal is withheld as an acceptance is, or "withheld" would
# say the person took treatment up.
DECISIONS = ("declined", "declined_interested_later", "accepted_treatment", "already_in_treatment")


@pytest.fixture
def world(qrt: Program) -> World:
    return build_world(qrt)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tasks_with_treatment_outcomes(world: World) -> tuple[OutreachTask, OutreachTask]:
    """A case closed on "accepted treatment", and one waiting for its closing checklist
    after "already in treatment"."""
    closed = OutreachTask.objects.get(person=world.person)
    closed.close_reason = "accepted_treatment"
    closed.closed_at = timezone.now() - dt.timedelta(days=1)
    closed.checklist = {"outcome": "accepted_treatment", "contact_preference": "Text"}
    closed.save()
    closed.attempts.update(outcome="accepted_treatment")
    now = timezone.now()
    collecting = OutreachTask.objects.create(
        program=world.program,
        person=world.person,
        window_start=now - dt.timedelta(hours=6),
        window_end=now + dt.timedelta(days=2),
        status=OutreachTask.Status.COLLECTING,
        close_reason="already_in_treatment",
        checklist={"outcome": "already_in_treatment"},
    )
    Attempt.objects.create(
        task=collecting,
        attempted_at=now - dt.timedelta(hours=2),
        channel="home_visit",
        outcome="already_in_treatment",
    )
    return closed, collecting


def everything_read(user: Any, api: Client, world: World, tasks: tuple[Any, ...]) -> dict[str, str]:
    """Every page and answer that shows the person's follow-ups, by where it was read."""
    web = signed_in(user)
    person = world.person.pk
    read = {
        f"page {t.status} task": web.get(f"/programs/qrt/outreach/{t.pk}/").content.decode()
        for t in tasks
    }
    read |= {
        f"api {t.status} task": api.get(f"/api/v1/outreach-tasks/{t.pk}").content.decode()
        for t in tasks
    }
    read |= {
        "queue page": web.get("/programs/qrt/outreach/").content.decode(),
        "queue api": api.get("/api/v1/programs/qrt/outreach-queue").content.decode(),
        "person page": web.get(f"/people/{person}/").content.decode(),
        "history page": web.get(f"/people/{person}/timeline/").content.decode(),
        "person api": api.get(f"/api/v1/persons/{person}").content.decode(),
        "history api": api.get(f"/api/v1/persons/{person}/timeline").content.decode(),
    }
    return read


def test_an_officer_without_consent_reads_that_the_person_was_reached_never_the_treatment(
    world: World, api_client_for: Any
) -> None:
    closed, collecting = tasks_with_treatment_outcomes(world)
    officer = reader(world, Role.OFFICER)
    api = api_client_for(officer)
    read = everything_read(officer, api, world, (closed, collecting))
    leaked = {
        where: word
        for where, text in read.items()
        for word in TREATMENT_WORDS
        if word in text.lower()
    }
    assert leaked == {}
    assert "Home visit — reached (outcome withheld)" in read["page closed task"]
    assert "Closed because: Person reached (outcome withheld)" in read["page closed task"]
    assert "Reached (outcome withheld)" in read["history page"]
    assert api.get(f"/api/v1/outreach-tasks/{closed.pk}").json()["close_reason"] == "withheld"
    history = api.get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    attempts = [e for e in history["items"] if e["kind"] == "attempt"]
    assert {e["detail"]["outcome"] for e in attempts} == {"withheld"}
    assert {e["title"] for e in attempts} == {"Home visit: Reached (outcome withheld)"}
    closing = next(e for e in history["items"] if e["kind"] == "outreach_task_closed")
    assert closing["detail"]["close_reason"] == "withheld"
    # The rest of the closing checklist reads as before.
    assert "Contact preference" in read["page closed task"]
    person = api.get(f"/api/v1/persons/{world.person.pk}").json()
    outcomes = {a["outcome"] for t in person["outreach_tasks"] for a in t["attempts"]}
    assert outcomes == {"withheld"}
    assert "clinical" in person["withheld"]


def test_an_officer_cannot_overwrite_a_treatment_outcome_on_the_closing_checklist(
    world: World, api_client_for: Any
) -> None:
    _closed, collecting = tasks_with_treatment_outcomes(world)
    officer = reader(world, Role.OFFICER)
    page = signed_in(officer).get(f"/programs/qrt/outreach/{collecting.pk}/").content.decode()
    assert "checklist_outcome" not in page
    refused = api_client_for(officer).patch(
        f"/api/v1/outreach-tasks/{collecting.pk}/checklist",
        {"values": {"outcome": "contacted"}, "version": collecting.version},
        content_type="application/json",
    )
    assert refused.status_code == 422
    collecting.refresh_from_db()
    assert collecting.checklist["outcome"] == "already_in_treatment"


def test_a_consent_naming_the_officer_shows_the_outcome_as_a_disclosure(
    world: World, api_client_for: Any
) -> None:
    closed, collecting = tasks_with_treatment_outcomes(world)
    officer = reader(world, Role.OFFICER)
    consent_for(world, officer)
    api = api_client_for(officer)
    read = everything_read(officer, api, world, (closed, collecting))
    assert "home visit — accepted treatment" in read["page closed task"].lower()
    assert "Closed because: Accepted treatment" in read["page closed task"]
    assert "Accepted treatment" in read["history page"]
    assert "already_in_treatment" in read["history api"]
    assert api.get(f"/api/v1/outreach-tasks/{closed.pk}").json()["close_reason"] == (
        "accepted_treatment"
    )
    assert '"withheld"' not in api.get(f"/api/v1/outreach-tasks/{closed.pk}").content.decode()
    assert Disclosure.objects.filter(recipient_user=officer, groups=["clinical"]).exists()


def test_the_clinical_team_always_reads_the_outcome(world: World, api_client_for: Any) -> None:
    closed, collecting = tasks_with_treatment_outcomes(world)
    clinician = reader(world, Role.CLINICIAN)
    api = api_client_for(clinician)
    read = everything_read(clinician, api, world, (closed, collecting))
    assert "home visit — accepted treatment" in read["page closed task"].lower()
    assert "Closed because: Accepted treatment" in read["page closed task"]
    assert "checklist_outcome" in read["page collecting task"]
    assert "Already in treatment" in read["history page"]
    assert "accepted_treatment" in read["person api"]
    assert api.get(f"/api/v1/outreach-tasks/{collecting.pk}").json()["close_reason"] == (
        "already_in_treatment"
    )
    assert "outcome withheld" not in str(read).lower()


def test_a_visit_that_comes_too_late_is_told_why_in_the_readers_words(
    world: World, api_client_for: Any
) -> None:
    """The refusal of a visit on a settled task names what settled it as the reader reads
    it: an officer without a consent is told the person was reached, not the treatment."""
    closed, collecting = tasks_with_treatment_outcomes(world)
    closed.status = OutreachTask.Status.CLOSED
    closed.save()
    visit = {
        "attempted_at": timezone.now().isoformat(),
        "channel": "home_visit",
        "outcome": "not_located",
    }
    officer, clinician = reader(world, Role.OFFICER), reader(world, Role.CLINICIAN)
    said: dict[str, str] = {}
    for who, user in (("officer", officer), ("clinician", clinician)):
        api = api_client_for(user)
        for task in (closed, collecting):
            answer = api.post(
                f"/api/v1/outreach-tasks/{task.pk}/attempts", visit, content_type="application/json"
            )
            assert answer.status_code == 422, answer.content
            said[f"{who} api {task.status}"] = answer.content.decode()
            page = signed_in(user).post(
                f"/programs/qrt/outreach/{task.pk}/",
                {"attempted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), **visit},
            )
            said[f"{who} page {task.status}"] = page.content.decode()
    for where, text in said.items():
        if where.startswith("officer"):
            assert not any(word in text.lower() for word in TREATMENT_WORDS), where
            assert "withheld" in text, where
    assert "Accepted treatment" in said["clinician api closed"]
    assert "Already in treatment" in said["clinician api collecting"]


def decided(world: World, outcome: str) -> OutreachTask:
    """The world's case closed on a visit with `outcome`, its checklist answered so."""
    task = OutreachTask.objects.get(person=world.person)
    task.close_reason = outcome
    task.closed_at = timezone.now() - dt.timedelta(days=1)
    task.checklist = {"outcome": outcome, "contact_preference": "Text"}
    task.save()
    task.attempts.update(outcome=outcome)
    return task


@pytest.mark.parametrize("outcome", DECISIONS)
def test_an_officer_reads_the_same_words_whatever_the_person_decided(
    world: World, api_client_for: Any, outcome: str
) -> None:
    task = decided(world, outcome)
    officer = reader(world, Role.OFFICER)
    api = api_client_for(officer)
    page = signed_in(officer).get(f"/programs/qrt/outreach/{task.pk}/").content.decode()
    assert "Home visit — reached (outcome withheld)" in page
    assert "Closed because: Person reached (outcome withheld)" in page
    assert "declin" not in page.lower().split("<main")[1]
    body = api.get(f"/api/v1/outreach-tasks/{task.pk}").json()
    assert (body["close_reason"], body["close_reason_label"]) == (
        "withheld",
        "Person reached (outcome withheld)",
    )
    history = api.get(f"/api/v1/persons/{world.person.pk}/timeline").json()
    attempts = [e for e in history["items"] if e["kind"] == "attempt"]
    assert {e["detail"]["outcome"] for e in attempts} == {"withheld"}
    assert {e["title"] for e in attempts} == {"Home visit: Reached (outcome withheld)"}
    person = api.get(f"/api/v1/persons/{world.person.pk}").json()
    assert {a["outcome"] for t in person["outreach_tasks"] for a in t["attempts"]} == {"withheld"}
    timeline = signed_in(officer).get(f"/people/{world.person.pk}/timeline/").content.decode()
    assert "declin" not in timeline.lower().split("<main")[1]


@pytest.mark.parametrize("outcome", ["declined", "declined_interested_later"])
def test_the_clinical_team_reads_a_refusal_as_it_was(
    world: World, api_client_for: Any, outcome: str
) -> None:
    task = decided(world, outcome)
    clinician = reader(world, Role.CLINICIAN)
    api = api_client_for(clinician)
    assert api.get(f"/api/v1/outreach-tasks/{task.pk}").json()["close_reason"] == outcome
    page = signed_in(clinician).get(f"/programs/qrt/outreach/{task.pk}/").content.decode()
    assert "Home visit — declined" in page
    assert "outcome withheld" not in page


def queued_after_a_refusal_for_now(world: World) -> OutreachTask:
    """A new follow-up of the world's person, whose last visit before it reached them and
    they declined for now: QRT's third priority tier."""
    queued = queued_after(world, "declined_interested_later")
    assert queued.priority_tier == 3
    return queued


def queued_after(world: World, outcome: str) -> OutreachTask:
    """A new follow-up of the world's person, whose last visit before it reached them and
    ended in `outcome`."""
    task = decided(world, outcome)
    now = timezone.now()
    queued = OutreachTask.objects.create(
        program=world.program,
        person=world.person,
        window_start=now - dt.timedelta(hours=2),
        window_end=now + dt.timedelta(days=2),
    )
    refresh_priority_tiers(world.program, [world.person.pk])
    queued.refresh_from_db()
    assert task.status == "closed"
    return queued


def priority_cell(page: str) -> str:
    """The priority the desk table gives the only task on the page."""
    row = page.split("<main")[1].split("<tbody")[1].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return next(cell for cell in cells if cell in ("Everyone else", *TIER_WORDS))


TIER_WORDS = (
    "Never contacted by the team",
    "Not located on earlier responses",
    "Declined before but interested later",
)


@pytest.mark.parametrize("outcome", DECISIONS)
def test_an_officer_s_queue_reads_every_decision_as_everyone_else_s_priority(
    world: World, api_client_for: Any, outcome: str
) -> None:
    queued_after(world, outcome)
    officer = reader(world, Role.OFFICER)
    page = signed_in(officer).get("/programs/qrt/outreach/").content.decode()
    main = page.split("<main")[1]
    assert "Dana Reyes" in main
    assert "declin" not in main.lower()
    assert "withheld" not in main.lower()
    # The same words whichever the decision was, so the queue never tells them apart.
    assert priority_cell(page) == "Everyone else"
    items = api_client_for(officer).get("/api/v1/programs/qrt/outreach-queue").json()["items"]
    assert [item["priority_tier"] for item in items] == [None]


def test_the_clinical_team_s_queue_names_the_priority_as_the_preset_words_it(
    world: World, api_client_for: Any
) -> None:
    queued_after_a_refusal_for_now(world)
    clinician = reader(world, Role.CLINICIAN)
    page = signed_in(clinician).get("/programs/qrt/outreach/").content.decode()
    assert priority_cell(page) == "Declined before but interested later"
    items = api_client_for(clinician).get("/api/v1/programs/qrt/outreach-queue").json()["items"]
    assert [item["priority_tier"] for item in items] == [3]
