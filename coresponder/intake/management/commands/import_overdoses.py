"""Import overdose notifications (naloxone_plus referrals) from a CSV or XLSX file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder import import_limits
from coresponder.core.audit import Actor
from coresponder.core.errors import Forbidden
from coresponder.domain.vocabulary import OverdoseSource
from coresponder.intake.imports import (
    TARGET_BY_NAME,
    TARGETS,
    ImportFailed,
    ImportOptions,
    ImportRefused,
    RowResult,
    Table,
    check_mapping,
    column_samples,
    commit_import,
    error_lines,
    may_import,
    options_for,
    preview_import,
    read_table,
    suggest_mapping,
)
from coresponder.programs.models import Program, User


class Command(BaseCommand):
    help = "Import overdose notifications from a CSV or XLSX file into a program, all rows or none."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("program", help="the program's slug")
        parser.add_argument(
            "path",
            help=(
                "a .csv (UTF-8, or Windows-1252 as Excel saves it), a .txt as Excel saves "
                "Unicode Text, or an .xlsx file"
            ),
        )
        parser.add_argument("--user", required=True, help="who imports (must record referrals)")
        parser.add_argument(
            "--source",
            default="",
            choices=[source.value for source in OverdoseSource],
            help="who reported every row, when the file has no source column",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="TARGET=HEADER",
            help="take TARGET from the column HEADER (TARGET= leaves it out); repeatable",
        )
        parser.add_argument(
            "--naive-times-local",
            action="store_true",
            help="read times without a UTC offset as the program's local time",
        )
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        program = Program.objects.filter(slug=options["program"]).first()
        if program is None:
            raise CommandError(f"no program {options['program']!r}")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        if not may_import(user, program):
            raise CommandError(f"{user.username} may not record referrals in {program.slug}")
        path = Path(options["path"])
        table = self._read(path)
        suggested = suggest_mapping(table.headers, column_samples(table))
        mapping = {**suggested, **parse_map_options(options["map"])}
        import_options = options_for(
            program,
            mapping,
            source=options["source"],
            naive_times_in_program_timezone=options["naive_times_local"],
        )
        self._print_mapping(import_options, table)
        mapping_errors = check_mapping(import_options.mapping, table.headers, import_options.source)
        if mapping_errors:
            raise self._mapping_error(mapping_errors)
        if options["dry_run"]:
            self._dry_run(program, table, import_options)
            return
        self._commit(Actor(user=user, where="cli"), program, table, import_options, path.name)

    def _read(self, path: Path) -> Table:
        try:
            too_large = import_limits.file_size_problem(path.stat().st_size, path.name)
            if too_large:
                raise CommandError(f"{too_large} Nothing was imported.")
            with path.open("rb") as handle:
                data = handle.read(import_limits.max_file_bytes() + 1)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            return read_table(data, path.name)
        except ImportRefused as exc:
            raise CommandError(f"{exc} Nothing was imported.") from exc

    def _print_mapping(self, options: ImportOptions, table: Table) -> None:
        for note in table.notes:
            self.stdout.write(note)
        self.stdout.write(f"{len(table.rows)} data rows. Columns used:")
        for target in TARGETS:
            header = options.mapping.get(target.name)
            self.stdout.write(f"  {target.name} = {header!r}" if header else f"  {target.name} -")
        if options.source:
            self.stdout.write(f"  source for rows without one: {options.source}")
        zone = options.timezone if options.naive_times_in_program_timezone else "refused"
        self.stdout.write(f"  times without a UTC offset: {zone}")

    def _dry_run(self, program: Program, table: Table, options: ImportOptions) -> None:
        preview = preview_import(program, table, options)
        if not preview.rows:
            raise CommandError("The file has no data rows.")
        if preview.bad:
            self._print_rows(preview.bad, options)
            raise CommandError(
                f"{len(preview.bad)} of {len(preview.rows)} rows have errors; nothing was written."
            )
        self.stdout.write(f"Dry run: {len(preview.rows)} rows would be imported; nothing written.")

    def _commit(
        self, actor: Actor, program: Program, table: Table, options: ImportOptions, name: str
    ) -> None:
        try:
            counts = commit_import(actor, program, table, options, file_name=name)
        except ImportFailed as exc:
            self._print_rows(exc.rows, options)
            raise CommandError(str(exc)) from exc
        except Forbidden as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Imported {counts.rows} rows: {counts.referrals} referrals, "
            f"{counts.overdoses_created} overdoses created, "
            f"{counts.overdoses_merged} merged into an overdose already known, "
            f"{counts.tasks_opened} outreach tasks opened."
            + (
                f" {counts.sent_before} rows the source had sent before, as they were, "
                "added nothing."
                if counts.sent_before
                else ""
            )
            + (
                f" {counts.deaths_held} reports of a death name another record than the "
                "overdose's person: nobody is marked dead until a coordinator decides on the "
                "pair under Possible duplicates."
                if counts.deaths_held
                else ""
            )
        )

    def _print_rows(self, rows: list[RowResult], options: ImportOptions) -> None:
        for row in rows:
            for line in error_lines(row, options.mapping):
                self.stderr.write(f"row {row.number}: {line}")

    def _mapping_error(self, errors: dict[str, list[str]]) -> CommandError:
        lines = ["The columns cannot be used as mapped (use --map TARGET=HEADER or --source):"]
        lines += [
            f"  {name}: {message}" for name, messages in errors.items() for message in messages
        ]
        return CommandError("\n".join(lines))


def parse_map_options(values: list[str]) -> dict[str, str]:
    """`--map occurred_at="Incident Date/Time"` → {"occurred_at": "Incident Date/Time"}."""
    mapping: dict[str, str] = {}
    for value in values:
        name, sep, header = value.partition("=")
        name = name.strip()
        if not sep or name not in TARGET_BY_NAME:
            known = ", ".join(TARGET_BY_NAME)
            raise CommandError(f"--map {value!r}: write TARGET=HEADER with TARGET one of {known}")
        mapping[name] = header.strip()
    return mapping
