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

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_programs(cli_actor(), options["presets"])
        except PresetError as exc:
            raise CommandError(f"preset rejected:\n{exc}") from exc
        for label, slugs in (
            ("created", result.created),
            ("updated", result.updated),
            ("unchanged", result.unchanged),
        ):
            if slugs:
                self.stdout.write(f"{label}: {', '.join(slugs)}")
