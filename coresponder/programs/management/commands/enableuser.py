from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.programs.actions import ActionError, enable_user
from coresponder.programs.management.commands._cli import cli_actor, command_error
from coresponder.programs.models import User


class Command(BaseCommand):
    help = "Enable a disabled user again (audited as a permission change)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        try:
            enable_user(cli_actor(), user)
        except ActionError as exc:
            raise command_error(exc) from exc
        self.stdout.write(f"user {user.username} enabled")
