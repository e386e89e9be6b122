"""The operations room's one write path: the worker's heartbeat, backups and their restore."""

from __future__ import annotations

import datetime as dt
import os
import socket

from coresponder.operations.models import WorkerHeartbeat

WORKER_NAME = "worker"


def record_heartbeat(now: dt.datetime, name: str = WORKER_NAME) -> None:
    """The worker began a pass: one UPDATE, and the row made the first time.

    Not audited: it tells /readyz the worker runs, and says nothing of anyone.
    """
    values = {"beat_at": now, "host": socket.gethostname()[:255], "pid": os.getpid()}
    if WorkerHeartbeat.objects.filter(pk=name).update(**values):
        return
    first = WorkerHeartbeat(name=name, **values)
    WorkerHeartbeat.objects.bulk_create([first], ignore_conflicts=True)
