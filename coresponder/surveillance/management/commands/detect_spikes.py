from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coresponder.core.audit import Actor
from coresponder.domain.clock import date_problem
from coresponder.programs.local_time import today_in
from coresponder.programs.models import Program
from coresponder.surveillance.actions import detect_spikes

CLI = Actor(label="detect_spikes", where="cli")


class Command(BaseCommand):
    help = (
        "Look for overdose spikes per district and over each program's area by the program's "
        "method (EARS C1, C2, C3 or a fixed count in 24 hours); record and send new alerts."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--program", action="append", help="A program's slug (repeatable).")
        parser.add_argument("--day", help="The local day to check, YYYY-MM-DD (default: today).")

    def handle(self, *args: Any, **options: Any) -> None:
        programs = Program.objects.order_by("slug")
        if options["program"]:
            programs = programs.filter(slug__in=options["program"])
            missing = set(options["program"]) - set(programs.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No program {', '.join(sorted(missing))}")
        day = None
        if options["day"]:
            try:
                day = dt.date.fromisoformat(options["day"])
            except ValueError as exc:
                raise CommandError(f"--day must be a date like 2026-12-03: {exc}") from exc
            problem = date_problem(day)
            if problem is not None:
                raise CommandError(f"--day: {problem}")
        now = timezone.now()
        if day is not None:
            # A day still to come has nothing to count: refuse it before any program is checked.
            for program in programs:
                if day > today_in(program, now):
                    raise CommandError(f"--day: {day.isoformat()} has not begun in {program.slug}")
        for program in programs:
            found = detect_spikes(CLI, program, day or today_in(program, now), now)
            spikes = ", ".join(f"{a.area_name} ({a.observed})" for a in found.new_alerts)
            self.stdout.write(
                f"{program.slug} {found.day.isoformat()}: {len(found.new_alerts)} new alert(s)"
                + (f": {spikes}" if spikes else "")
                + f", {found.notices} notice(s), {found.emailed} email(s)"
            )
