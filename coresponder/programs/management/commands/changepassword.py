"""Django's changepassword, made to go through the audited action every password goes
through: the same rules as `adduser`, an audit event, the user's sessions ended and their
API tokens revoked."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.core.errors import ActionError
from coresponder.programs.actions import set_password
from coresponder.programs.management.commands._cli import cli_actor, command_error
from coresponder.programs.models import User

# As many tries as Django's own command gives.
TRIES = 3


class Command(BaseCommand):
    help = (
        "Give a user a new password (asked twice, or --password-stdin): it must pass the "
        "same rules as adduser's; the user's sessions end and their API tokens are revoked, "
        "they choose their own at their next sign-in, and the change is audited."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        if options["password_stdin"]:
            stdin = options.get("stdin") or sys.stdin
            self._set(user, stdin.readline().rstrip("\r\n"))
            return
        for _ in range(TRIES):
            password = getpass.getpass(f"New password for {user.username}: ")
            if getpass.getpass("The same again: ") != password:
                self.stdout.write("The two passwords differ. Try again.")
                continue
            try:
                self._set(user, password)
            except CommandError as exc:
                self.stdout.write(str(exc))
                continue
            return
        raise CommandError(f"password of {user.username} not changed after {TRIES} attempts")

    def _set(self, user: User, password: str) -> None:
        try:
            done = set_password(cli_actor(), user, password, temporary=True)
        except ActionError as exc:
            raise command_error(exc) from exc
        self.stdout.write(
            f"password of {user.username} changed; {done.sessions_ended} session(s) ended; "
            f"{done.tokens_revoked} API token(s) revoked; "
            "they choose their own at their next sign-in"
        )
