"""A `coresponder` command run in a child process that a fault test can stop at a chosen write.

    python -m tests.faults.child [--probe LABEL,LABEL...] [COMMAND [ARGS...]]

With --probe, what the database holds is printed as a line of JSON before the command
runs and again after it (see `probe`), so a test reads the state a fault left and
what running again made of it with one child.

Read from the environment, set by the test (the product has no such switches):

FAULT_PAUSE="app_label.model:N"
    When this process saves its Nth new row of that model (inside the writer's own
    transaction: every write is a transaction with its audit events), write its process
    id to FAULT_PAUSED_FILE and wait there to be killed: the test's chosen point. It
    pauses once: not again once that file exists.
FAULT_READY_FILE, FAULT_START_FILE
    Once Django is set up and connected (and the first probe printed), write the ready
    file, then wait for the start file: so that two children the test started run the
    command at the same moment, or a probe reads again after the test did something.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import django

WAIT_SECONDS = 60.0
# Marks the lines `probe` prints among whatever the command prints.
PROBED = "probed: "


def install_pause() -> None:
    """Stop this process at the write FAULT_PAUSE names, if it names one."""
    from django.apps import apps
    from django.db.models.signals import post_save

    wanted = os.environ.get("FAULT_PAUSE", "")
    if not wanted:
        return
    label, _, nth = wanted.partition(":")
    model = apps.get_model(label)
    saved = 0

    def pause(sender: Any, created: bool, **_: Any) -> None:
        nonlocal saved
        if not created:
            return
        saved += 1
        mark = Path(os.environ["FAULT_PAUSED_FILE"])
        # Once only: a web server's next process (forked from the same start) goes on.
        if saved == int(nth or 1) and not mark.exists():
            mark.write_text(str(os.getpid()), encoding="utf-8")
            time.sleep(WAIT_SECONDS)  # the test kills this process well before

    post_save.connect(pause, sender=model, weak=False, dispatch_uid="fault-pause")


def wait_for_start() -> bool:
    """Say ready, and wait for the test's word to start (if the test asked for that)."""
    ready, start = os.environ.get("FAULT_READY_FILE"), os.environ.get("FAULT_START_FILE")
    if not (ready and start):
        return False
    from django.db import connection

    connection.ensure_connection()
    Path(ready).write_text("ready", encoding="utf-8")
    deadline = time.monotonic() + WAIT_SECONDS
    while not Path(start).exists():
        if time.monotonic() > deadline:
            raise SystemExit("the test never said start")
        time.sleep(0.005)
    return True


def probe(labels: list[str]) -> None:
    """Print {"rows": {label: count}, "events": audit events, "audit": what audit_verify
    said, "audit_ok": whether the trail verified} as one line of JSON."""
    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from coresponder.core.models import AuditEvent

    said = io.StringIO()
    try:
        call_command("audit_verify", stdout=said, stderr=io.StringIO())
        verified = True
    except CommandError as exc:
        said, verified = io.StringIO(str(exc)), False
    rows = {label: apps.get_model(label)._default_manager.count() for label in labels}
    found = {
        "rows": rows,
        "events": AuditEvent.objects.count(),
        "audit": said.getvalue().strip(),
        "audit_ok": verified,
    }
    print(PROBED + json.dumps(found), flush=True)


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponder.settings")
    django.setup()
    from django.core.management import call_command

    labels = None
    if argv[:1] == ["--probe"]:
        labels, argv = [label for label in argv[1].split(",") if label], argv[2:]
        probe(labels)
    install_pause()
    held = wait_for_start()
    if argv:
        call_command(*argv)
    if labels is not None and (argv or held):
        probe(labels)


if __name__ == "__main__":
    main(sys.argv[1:])
