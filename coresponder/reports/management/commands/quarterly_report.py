"""Write a program's quarterly report for funders as a PDF file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.programs.management.commands._cli import cli_actor
from coresponder.programs.models import Program
from coresponder.reports.exports import record_export
from coresponder.reports.quarterly import quarter_period, quarterly_pdf


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
        content = quarterly_pdf(program, year, quarter, suppress=suppress)
        path.write_bytes(content)
        record_export(
            cli_actor(),
            program,
            "quarterly",
            file_format="pdf",
            period=quarter_period(year, quarter),
            holds_part2=True,
            suppressed=suppress,
        )
        self.stdout.write(f"Wrote {path} ({len(content):,} bytes)")
