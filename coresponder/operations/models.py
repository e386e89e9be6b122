"""What the site keeps about its own running: the worker's heartbeat."""

from __future__ import annotations

from django.db import models


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
