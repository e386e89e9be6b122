"""Rebuild programs' daily facts, which the metrics, dashboards and exports then sum (ADR 0012)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coresponder.core.audit import SYSTEM
from coresponder.programs.models import Program
from coresponder.reports.actions import build_metric_days, metric_days_due


class Command(BaseCommand):
    help = (
        "Rebuild the daily facts the metrics are summed from, for one program (--program SLUG) "
        "or every program; figures are then as of this build until the next one."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--program", help="the program's slug, e.g. pco; every program without")
        parser.add_argument(
            "--due",
            action="store_true",
            help=(
                "only programs never built, or whose records changed since a build older than "
                "METRIC_DAYS_REFRESH_SECONDS (what the worker does each pass)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        programs = Program.objects.order_by("slug")
        if options["program"]:
            programs = programs.filter(slug=options["program"])
            if not programs.exists():
                raise CommandError(f"No program {options['program']!r}.")
        now = timezone.now()
        for program in programs:
            if options["due"] and not metric_days_due(program, now):
                self.stdout.write(f"{program.slug}: up to date")
                continue
            build = build_metric_days(program, SYSTEM)
            self.stdout.write(
                f"{program.slug}: {build.rows} rows as of {build.as_of:%Y-%m-%d %H:%M:%S %Z} "
                f"in {build.seconds:.1f} s"
            )
