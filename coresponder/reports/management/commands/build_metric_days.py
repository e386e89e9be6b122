"""Rebuild programs' daily facts, which the metrics, dashboards and exports then sum (ADR 0012)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.core.audit import SYSTEM
from coresponder.programs.models import Program
from coresponder.reports.actions import build_metric_days


class Command(BaseCommand):
    help = (
        "Rebuild the daily facts the metrics are summed from, for one program (--program SLUG) "
        "or every program; figures are then as of this build until the next one."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--program", help="the program's slug, e.g. pco; every program without")

    def handle(self, *args: Any, **options: Any) -> None:
        programs = Program.objects.order_by("slug")
        if options["program"]:
            programs = programs.filter(slug=options["program"])
            if not programs.exists():
                raise CommandError(f"No program {options['program']!r}.")
        for program in programs:
            build = build_metric_days(program, SYSTEM)
            self.stdout.write(
                f"{program.slug}: {build.rows} rows as of {build.as_of:%Y-%m-%d %H:%M:%S %Z} "
                f"in {build.seconds:.1f} s"
            )
