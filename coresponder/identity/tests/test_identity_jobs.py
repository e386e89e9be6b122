"""The identity jobs write through actions: each run leaves one audit event, and no one's data."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.models import AuditEvent
from coresponder.domain import linkage
from coresponder.domain.linkage import COMPARISONS, DEFAULT_PARAMS, params_from_json
from coresponder.identity import matching
from coresponder.identity.actions import (
    SourceRecordInput,
    activate_linkage_model,
    index_unindexed_people,
    record_source,
)
from coresponder.identity.management.commands import dedupe_registry
from coresponder.identity.matching import active_params
from coresponder.identity.models import LinkageModel, PersonKey, SourceRecord
from coresponder.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_activating_a_linkage_model_is_one_audited_create_naming_the_previous_model() -> None:
    first = activate_linkage_model(SYSTEM, DEFAULT_PARAMS, 12)
    second = activate_linkage_model(SYSTEM, DEFAULT_PARAMS, 40)

    assert list(LinkageModel.objects.filter(active=True)) == [second]
    first.refresh_from_db()
    assert not first.active
    event = AuditEvent.objects.get(action="create", object_id=str(second.pk))
    assert event.object_type == "people.linkagemodel"
    assert event.actor_label == SYSTEM.name
    assert event.person_id is None
    assert event.detail["previous_model"] == first.pk
    assert event.detail["record_count"] == 40
    assert event.detail["params"] == second.params
    assert AuditEvent.objects.filter(object_type="people.linkagemodel").count() == 2


def test_train_linkage_activates_its_model_through_the_audited_action() -> None:
    actor = Actor(label="test")
    person = PersonFactory.create(given_name="Dana", family_name="Quill")
    record_source(
        actor, person, None, "ems", SourceRecordInput(given_name="Zebulon", family_name="Quill")
    )
    before = AuditEvent.objects.count()

    call_command("train_linkage", stdout=io.StringIO())

    model = LinkageModel.objects.get(active=True)
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("create", "people.linkagemodel", str(model.pk))
    ]
    assert events[0].detail["previous_model"] is None
    assert events[0].detail["record_count"] == 1
    # The figures a model stores, never what anyone is called.
    stored = json.dumps(events[0].detail)
    assert "Quill" not in stored and "Zebulon" not in stored and "Dana" not in stored


def test_indexing_people_is_one_audited_create_with_the_counts() -> None:
    unindexed = [PersonFactory.create(), PersonFactory.create()]
    before = AuditEvent.objects.count()

    assert index_unindexed_people(SYSTEM, batch=1) == 2

    keys = PersonKey.objects.filter(person__in=unindexed).count()
    assert SourceRecord.objects.filter(person__in=unindexed).count() == 2
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.action, e.object_type) for e in events] == [("create", "people.sourcerecord")]
    assert events[0].detail == {"backfill": True, "people": 2, "keys": keys}

    call_command("index_people", stdout=io.StringIO())
    again = AuditEvent.objects.latest("id")
    assert again.detail == {"backfill": True, "people": 0, "keys": 0}


PARTLY_BAD = {
    # Trained values for these two comparisons are kept.
    "m": {
        "sex": [1.0, 0.9, 0.1],
        "phone": [1.0, 0.6, 0.1, 0.1, 0.05, 0.15],
        # A level missing: this comparison falls back to the defaults.
        "given_name": [1.0, 0.7, 0.01, 0.05, 0.05, 0.03, 0.02],
        # A level that is not a number: this one too.
        "family_name": [1.0, "high", 0.01, 0.02, 0.06, 0.04, 0.02, 0.05],
    },
    "u": {
        "sex": [1.0, 0.4, 0.6],
        "phone": [1.0, 0.001, 0.002, 0.003, 0.004, 0.99],
        "given_name": [1.0, 0.02, 0.0001, 0.001, 0.003, 0.02, 0.03, 0.9],
        "family_name": [1.0, 0.005, 0.0001, 0.0005, 0.002, 0.004, 0.02, 0.9684],
        # u without m: the defaults, for both.
        "address": [1.0, 0.002, 0.003, 0.02, 0.975],
    },
    "prior": "not a number",
}


def test_a_partly_bad_stored_model_gives_online_matching_and_batch_runs_the_same_params() -> None:
    LinkageModel.objects.create(
        params=PARTLY_BAD, trained_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), active=True
    )

    online = active_params()
    batch = params_from_json(LinkageModel.objects.get(active=True).params)

    # Online matching and the batch job read a stored model through one function.
    assert matching.params_from_json is dedupe_registry.params_from_json is linkage.params_from_json
    assert online == batch
    assert online.m["sex"] == (1.0, 0.9, 0.1) and online.u["sex"] == (1.0, 0.4, 0.6)
    assert online.m["phone"] == (1.0, 0.6, 0.1, 0.1, 0.05, 0.15)
    for fallen in ("given_name", "family_name", "address", "birth_date", "event_facility"):
        assert (online.m[fallen], online.u[fallen]) == (
            DEFAULT_PARAMS.m[fallen],
            DEFAULT_PARAMS.u[fallen],
        ), fallen
    assert online.prior == DEFAULT_PARAMS.prior
    assert set(online.m) == {c.name for c in COMPARISONS}
