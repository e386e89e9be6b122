"""Write a program's quarterly report for funders as a PDF file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.programs.management.commands._cli import cli_actor
from coresponder.programs.models import Program
from coresponder.reports import disclosure
from coresponder.reports.exports import record_export
from coresponder.reports.quarterly import quarter_label, quarter_period, quarterly_pdf


class Command(BaseCommand):
    help = "Write the quarterly report PDF of one program: SLUG YEAR QUARTER PATH."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slug", help="the program, e.g. pco")
        parser.add_argument("year", type=int)
        parser.add_argument("quarter", type=int, choices=[1, 2, 3, 4])
        parser.add_argument("path", help="where to write the PDF")
        parser.add_argument(
            "--deidentified",
            action="store_true",
            help="the copy for publication: small counts and their complements suppressed",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        program = Program.objects.filter(slug=options["slug"]).first()
        if program is None:
            raise CommandError(f"No program {options['slug']!r}.")
        year, quarter = options["year"], options["quarter"]
        if not 2000 <= year <= 2100:
            raise CommandError("Give a year from 2000 to 2100.")
        path = Path(options["path"])
        suppress = bool(options["deidentified"])
        period = quarter_period(year, quarter)
        # What the download refuses, the command refuses: a quarter not begun has no
        # figures, and a copy for publication stands on whole, finished quarters only.
        if period.start > disclosure.program_today(program):
            raise CommandError(f"{quarter_label(year, quarter)} has not begun.")
        if suppress and (problems := disclosure.period_problems(program, period)):
            message = " ".join(p for ps in problems.values() for p in ps)
            raise CommandError(
                f"No de-identified copy of {quarter_label(year, quarter)} yet: {message}"
            )
        content = quarterly_pdf(program, year, quarter, suppress=suppress)
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror}") from error
        record_export(
            cli_actor(),
            program,
            "quarterly",
            file_format="pdf",
            period=period,
            holds_part2=True,
            suppressed=suppress,
        )
        self.stdout.write(f"Wrote {path} ({len(content):,} bytes)")
