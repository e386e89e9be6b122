"""Import an EMS agency's NEMSIS v3.5 file: its opioid overdoses become overdose reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder import import_limits
from coresponder.core.audit import Actor
from coresponder.core.errors import Forbidden
from coresponder.feeds.actions import FeedRefused, import_nemsis
from coresponder.feeds.models import NemsisImport
from coresponder.feeds.nemsis import NemsisRefused, read_nemsis
from coresponder.feeds.nemsis_import import preview_nemsis
from coresponder.intake.imports import may_import
from coresponder.programs.models import Program, User


class Command(BaseCommand):
    help = (
        "Import a NEMSIS v3.5 EMSDataSet file into a program: reports meeting the opioid-overdose "
        "case definition become overdose reports, all or none; the others are only counted."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("program", help="the program's slug")
        parser.add_argument("path", help="the EMSDataSet XML file")
        parser.add_argument("--user", required=True, help="who imports (must record referrals)")
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
        try:
            too_large = import_limits.file_size_problem(path.stat().st_size, path.name)
            if too_large:
                raise CommandError(f"{too_large} Nothing was imported.")
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            parsed = read_nemsis(data)
        except NemsisRefused as exc:
            raise CommandError(f"{exc} Nothing was imported.") from exc
        if options["dry_run"]:
            preview = preview_nemsis(program, parsed)
            self._say_errors(preview.error_lines())
            if not preview.ok:
                raise CommandError("The file has errors; nothing was written.")
            self.stdout.write(
                f"Dry run: {preview.reports} reports, {preview.qualifying} opioid overdoses "
                f"({preview.already} imported before), {preview.not_qualifying} not; "
                "nothing written." + _unnamed_words(preview.unnamed)
            )
            return
        try:
            record = import_nemsis(
                Actor(user=user, where="cli"),
                program,
                parsed,
                file_name=path.name,
                channel=NemsisImport.Channel.COMMAND,
            )
        except FeedRefused as exc:
            self._say_errors(exc.lines)
            raise CommandError(str(exc)) from exc
        except Forbidden as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Imported {path.name}: {record.reports} reports, {record.qualifying} opioid "
            f"overdoses ({record.already_imported} imported before), {record.not_qualifying} "
            f"not overdoses (counted, not stored); {record.referrals} referrals, "
            f"{record.overdoses_created} overdoses created, {record.overdoses_merged} joined to "
            f"an overdose already known, {record.tasks_opened} outreach tasks opened."
            + (
                f" {record.deaths_held} reports of a death name another record than the "
                "overdose's person: nobody is marked dead until a coordinator decides on the "
                "pair under Possible duplicates."
                if record.deaths_held
                else ""
            )
            + _unnamed_words(record.unnamed)
        )

    def _say_errors(self, lines: list[str]) -> None:
        for line in lines:
            self.stderr.write(line)


def _unnamed_words(unnamed: int) -> str:
    if not unnamed:
        return ""
    which = "1 report does" if unnamed == 1 else f"{unnamed} reports do"
    return (
        f" {which} not name the patient in full: recorded as Unidentified Patient (a missing "
        "part as Unknown), names never taken as evidence of who they are."
    )
