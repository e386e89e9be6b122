"""Disable an account from the command line, as "Disable" on its page does."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.core.errors import ActionError
from coresponder.programs.actions import disable_user
from coresponder.programs.management.commands._cli import cli_actor, command_error
from coresponder.programs.models import User


class Command(BaseCommand):
    help = (
        "Disable a user (someone who left): they cannot sign in, their sessions end and their "
        "API tokens are revoked at once; audited with the reason. enableuser undoes it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--reason", required=True, help="why, kept in the audit log (up to 200 characters)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        try:
            done = disable_user(cli_actor(), user, options["reason"])
        except ActionError as exc:
            raise command_error(exc) from exc
        self.stdout.write(
            f"user {user.username} disabled; {done.sessions_ended} session(s) ended, "
            f"{done.tokens_revoked} API token(s) revoked"
        )
