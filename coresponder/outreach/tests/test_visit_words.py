"""The visit form and the closing checklist speak in labels and say truly what is needed."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from coresponder.domain.vocabulary import Role
from coresponder.outreach.checklist import answers_said
from coresponder.outreach.models import AttemptContact, OutreachTask
from coresponder.outreach.tests.test_outreach_views import (
    signed_in,
    staff,
    task_for,
    task_url,
    visit,
)
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


def collecting(qrt: Program, name: str) -> tuple[OutreachTask, Client]:
    """A QRT task waiting for its closing checklist after a declined visit."""
    task = task_for(qrt, name)
    client = signed_in(staff(qrt, Role.PEER_SPECIALIST))
    client.post(task_url(task), visit(task, "declined"))
    task.refresh_from_db()
    assert task.status == "collecting"
    return task, client


def test_a_family_members_relationship_is_chosen_from_a_labelled_list(qrt: Program) -> None:
    task = task_for(qrt, "Listed")
    client = signed_in(staff(qrt))
    page = client.get(task_url(task)).content.decode()
    assert '<option value="other_relative">Other relative</option>' in page
    assert '<option value="sibling">Brother or sister</option>' in page
    extra = {"relationship_1": "sibling", "name_1": "Luz"}
    client.post(task_url(task), visit(task, "contacted_collateral_only", **extra))
    contact = AttemptContact.objects.get(role="collateral")
    assert (contact.relationship, contact.name) == ("sibling", "Luz")
    shown = client.get(task_url(task)).content.decode()
    assert "reached brother or sister" in shown
    assert "contacted family or friends only" in shown


def test_a_relationship_off_the_list_is_refused_keeping_the_visit_unsaved(qrt: Program) -> None:
    task = task_for(qrt, "Typed")
    client = signed_in(staff(qrt))
    extra = {"relationship_1": "my cousin's friend", "name_1": "Al"}
    response = client.post(task_url(task), visit(task, "contacted_collateral_only", **extra))
    assert response.status_code == 422
    assert not AttemptContact.objects.exists()


def test_a_relationship_typed_before_the_list_still_reads_as_typed(qrt: Program) -> None:
    task, client = collecting(qrt, "Older")
    attempt = task.attempts.get()
    AttemptContact.objects.create(attempt=attempt, role="collateral", relationship="aunt")
    assert "reached aunt" in client.get(task_url(task)).content.decode()


def test_the_closing_checklist_offers_outcome_and_consent_as_labelled_choices(
    qrt: Program,
) -> None:
    task, client = collecting(qrt, "Checklist")
    page = client.get(task_url(task)).content.decode()
    checklist = page[page.index('id="checklist-heading"') : page.index("Save checklist")]
    # The outcome the visit recorded is chosen, by its label, not typed in as a code.
    assert re.search(r'<option value="declined" selected>Declined</option>', checklist)
    assert 'value="declined"' not in checklist.replace('<option value="declined"', "")
    assert '<option value="signed">Signed consent on file</option>' in checklist
    assert "(optional)" not in checklist
    refused = client.post(
        f"{task_url(task)}checklist",
        {"version": str(task.version), "checklist_consent_status": "maybe later"},
    )
    assert refused.status_code == 422
    task.refresh_from_db()
    assert "consent_status" not in task.checklist


def test_a_consent_status_typed_before_the_list_stays_on_offer(qrt: Program) -> None:
    task, client = collecting(qrt, "Kept")
    task.checklist = {**task.checklist, "consent_status": "no consent"}
    task.save(update_fields=["checklist"])
    page = client.get(task_url(task)).content.decode()
    assert '<option value="no consent" selected>no consent</option>' in page


def test_no_checklist_item_on_the_visit_form_says_optional(qrt: Program) -> None:
    task = task_for(qrt, "Before")
    page = signed_in(staff(qrt)).get(task_url(task)).content.decode()
    before = page[page.index("Before this case closes") : page.index("Save visit")]
    assert "Consent status" in before
    assert "(optional)" not in before
    assert "(optional)" in page  # a note, for one, is optional
    # What happened is asked once; the checklist's outcome is the visit's.
    assert 'name="checklist_outcome"' not in page


def test_a_checklist_answer_given_as_yes_or_no_reads_yes_or_no() -> None:
    from_api = {"treatment_plan": True, "outcome": False, "contact_preference": ""}
    items = [("outcome", "Outcome"), ("treatment_plan", "Plan"), ("contact_preference", "How")]
    assert answers_said(items, from_api) == [
        {"item": "Outcome", "answer": "No"},
        {"item": "Plan", "answer": "Yes"},
    ]
