from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.programs.actions import ActionError, reset_mfa
from coresponder.programs.management.commands._cli import cli_actor, command_error
from coresponder.programs.models import User


class Command(BaseCommand):
    help = (
        "Clear a user's second factor (a lost phone): they set up a new authenticator app "
        "at their next sign-in. Check who is asking first."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        try:
            reset_mfa(cli_actor(), user)
        except ActionError as exc:
            raise command_error(exc) from exc
        self.stdout.write(f"user {user.username} will set up a new authenticator app")
