"""/readyz: 200 only while the database answers, the migrations are applied, the worker reports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from coresponder.operations.actions import record_heartbeat
from coresponder.operations.models import WorkerHeartbeat
from coresponder.operations.readiness import unapplied_migrations

pytestmark = pytest.mark.django_db


def test_it_is_ready_when_the_worker_reported_within_the_allowed_age(
    client: Client, settings: object
) -> None:
    record_heartbeat(timezone.now() - dt.timedelta(seconds=30))

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
        "failing": {},
    }


def test_it_is_not_ready_before_the_worker_ever_reported(client: Client) -> None:
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"] == {"database": "ok", "migrations": "ok", "worker": "failing"}
    assert body["failing"] == {
        "worker": "the worker has never reported: start `coresponder run_worker`"
    }


def test_it_is_not_ready_when_the_heartbeat_is_older_than_the_setting(
    client: Client, settings: object
) -> None:
    settings.WORKER_HEARTBEAT_MAX_AGE = 60  # type: ignore[attr-defined]
    record_heartbeat(timezone.now() - dt.timedelta(seconds=90))

    response = client.get("/readyz")

    assert response.status_code == 503
    problem = response.json()["failing"]["worker"]
    assert "last reported 90 seconds ago" in problem or "last reported 91 seconds ago" in problem
    assert "more than the 60 seconds allowed (WORKER_HEARTBEAT_MAX_AGE)" in problem


def test_a_later_heartbeat_makes_it_ready_again(client: Client) -> None:
    record_heartbeat(timezone.now() - dt.timedelta(hours=1))
    assert client.get("/readyz").status_code == 503

    record_heartbeat(timezone.now())

    assert client.get("/readyz").status_code == 200
    assert WorkerHeartbeat.objects.count() == 1


def test_it_is_not_ready_while_a_migration_is_not_applied(client: Client) -> None:
    record_heartbeat(timezone.now())
    recorder = MigrationRecorder(connection)
    assert ("operations", "0001_initial") in recorder.applied_migrations()
    recorder.record_unapplied("operations", "0001_initial")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "failing",
        "worker": "ok",
    }
    assert response.json()["failing"]["migrations"] == (
        "1 migrations are not applied (operations.0001_initial): run `coresponder migrate`"
    )


def test_the_migration_check_lists_what_the_recorder_lacks_in_the_order_migrate_runs_it() -> None:
    assert unapplied_migrations() == []
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied("core", "0001_initial")

    pending = unapplied_migrations()

    assert pending == [("core", "0001_initial")]


def test_it_answers_head_like_get_and_refuses_a_post(client: Client) -> None:
    record_heartbeat(timezone.now())

    head = client.head("/readyz")

    assert (head.status_code, head.content) == (200, b"")
    assert client.post("/readyz").status_code == 405


def test_the_worker_reports_on_each_pass(client: Client) -> None:
    call_command("run_worker", "--once", stdout=io.StringIO(), stderr=io.StringIO())

    assert WorkerHeartbeat.objects.get().beat_at > timezone.now() - dt.timedelta(minutes=1)
    assert client.get("/readyz").status_code == 200
