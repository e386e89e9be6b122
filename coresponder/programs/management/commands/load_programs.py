from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.domain.presets import PresetError
from coresponder.programs.actions import load_programs
from coresponder.programs.management.commands._cli import cli_actor


class Command(BaseCommand):
    help = "Create or update the programs from the preset files (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--presets", type=Path, default=None, help="folder of *.toml presets")
        parser.add_argument(
            "--new",
            action="append",
            default=[],
            metavar="SLUG",
            help="create this program even though a program with no preset file holds records"
            " (it is a new program, not that one renamed); may be given again",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_programs(cli_actor(), options["presets"], new_programs=options["new"])
        except PresetError as exc:
            raise CommandError(f"preset rejected:\n{exc}") from exc
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        if result.renamed:
            renamed = ", ".join(f"{old} -> {new}" for old, new in result.renamed)
            self.stdout.write(f"renamed: {renamed}")
        for label, slugs in (
            ("created", result.created),
            ("updated", result.updated),
            ("unchanged", result.unchanged),
            ("held back", result.held_back),
        ):
            if slugs:
                self.stdout.write(f"{label}: {', '.join(slugs)}")
