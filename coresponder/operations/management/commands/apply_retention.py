from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.operations.retention.actions import RetentionReport, apply_retention_everywhere
from coresponder.programs.models import Program


class Command(BaseCommand):
    help = (
        "Delete what each program's retention rules let go and no legal hold keeps: one "
        "transaction and one audit event per kind of record per program. --dry-run counts "
        "what would go and changes nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--program", help="Only this program (its slug).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        programs = None
        if options["program"]:
            program = Program.objects.filter(slug=options["program"]).first()
            if program is None:
                raise CommandError(f"there is no program {options['program']!r}")
            programs = [program]
        runs = apply_retention_everywhere(
            SYSTEM, timezone.now(), programs, dry_run=options["dry_run"]
        )
        for run in runs:
            self._report(run)

    def _report(self, run: RetentionReport) -> None:
        verb = "would delete" if run.dry_run else "deleted"
        held = " (the whole program is under a legal hold)" if run.program_held else ""
        self.stdout.write(f"{run.program}{held}:")
        for result in run.kinds:
            count = result.expired - result.held if run.dry_run else result.deleted
            line = (
                f"  {result.label}: {verb} {count} (older than {result.days} days, {result.rule})"
            )
            if result.held:
                line += f"; {result.held} kept under a legal hold"
            self.stdout.write(line)
        self.stdout.write(
            f"  Audit events older than the rule: {run.audit_events_past_rule}, kept"
            " (the audit trail is never deleted)"
        )
