"""What the site keeps about its own running: the worker's heartbeat."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from coresponder.core.models import Tracked


class WorkerHeartbeat(models.Model):
    """When a worker last began a pass, so /readyz can tell a stopped worker from a quiet one.

    One row per worker name, moved by one UPDATE each pass: a heartbeat is no one's data,
    so it is not audited (the audit trail would grow by a row a minute for nothing).
    """

    name = models.CharField(max_length=64, primary_key=True)
    beat_at = models.DateTimeField()
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class LegalHold(Tracked):
    """A legal hold: what it covers is kept past every retention rule until it is released.

    On a person (`person` set), it keeps their records in the program; on the whole
    program (`person` empty), every record of the program. Set and released through
    `operations.retention.actions`, each audited with the reason.
    """

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="legal_holds"
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=500)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-set_at", "-id"]
        indexes = [models.Index(fields=["program", "released_at"])]

    def __str__(self) -> str:
        what = "a person" if self.person_id else "the whole program"
        return f"Legal hold {self.pk} on {what} ({self.program.slug})"


class RetentionRun(models.Model):
    """When a program's retention rules were last applied, so the worker applies them daily.

    Moved by one UPDATE per run and not audited: it is no one's data, and each deletion
    a run makes has its own audit event.
    """

    program = models.OneToOneField(
        "programs.Program", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    ran_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Retention applied to {self.program_id} at {self.ran_at:%Y-%m-%d %H:%M:%S}"
