"""Backfill source records and blocking keys for people known before identity resolution."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from coresponder.core.audit import SYSTEM
from coresponder.identity.actions import index_unindexed_people


class Command(BaseCommand):
    help = "Index people without a source record, so online matching can find them; idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        indexed = index_unindexed_people(SYSTEM)
        self.stdout.write(f"indexed {indexed} people")
