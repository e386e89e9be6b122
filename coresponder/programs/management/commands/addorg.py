from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from coresponder.core.errors import ActionError
from coresponder.domain.vocabulary import OrganizationKind
from coresponder.programs.actions import create_organization
from coresponder.programs.management.commands._cli import cli_actor, command_error


class Command(BaseCommand):
    help = "Create or update an organisation and join it to programs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--kind", required=True, choices=[kind.value for kind in OrganizationKind]
        )
        parser.add_argument(
            "--program",
            action="extend",
            nargs="+",
            default=[],
            dest="programs",
            help="a program slug; several after one --program, or --program again",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            org = create_organization(
                cli_actor(), options["slug"], options["name"], options["kind"], options["programs"]
            )
        except ActionError as exc:
            raise command_error(exc) from exc
        self.stdout.write(f"organisation {org.slug} ({org.kind}) saved")
