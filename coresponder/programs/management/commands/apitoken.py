from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.privacy.actions import issue_api_token
from coresponder.programs.management.commands._cli import cli_actor
from coresponder.programs.models import User


class Command(BaseCommand):
    help = "Print a new API token for a user, alone on its line."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['username']!r}")
        self.stdout.write(issue_api_token(cli_actor(), user))
