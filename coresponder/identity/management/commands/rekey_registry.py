"""Rebuild the blocking keys of every source record after the linkage rules change."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from coresponder.core.audit import Actor
from coresponder.identity.actions import rekey_registry

JOB = Actor(label="rekey_registry", where="cli")


class Command(BaseCommand):
    help = (
        "Rebuild every source record's blocking keys under the linkage rules in force; "
        "run once after an upgrade that changes them."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        records, before, after = rekey_registry(JOB)
        self.stdout.write(f"rekeyed {records} source records: {before} keys before, {after} now")
