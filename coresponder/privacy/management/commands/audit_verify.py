from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.privacy.audit import verify_chain


class Command(BaseCommand):
    help = "Check the audit chain: `ok N events`, or name the first bad event."

    def handle(self, *args: Any, **options: Any) -> None:
        count, problem = verify_chain()
        if problem:
            raise CommandError(f"audit chain broken after {count} good events: {problem}")
        self.stdout.write(f"ok {count} events")
