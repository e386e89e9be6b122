from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.core.errors import ActionError
from coresponder.domain.vocabulary import Role
from coresponder.programs.actions import create_user_with_setup_code
from coresponder.programs.management.commands._cli import cli_actor, command_error


class Command(BaseCommand):
    help = "Create a user in an organisation, with a role in programs; password on stdin."
    # call_command(..., stdin=io.StringIO(...)) feeds the password, as createsuperuser does.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--org", required=True)
        parser.add_argument("--role", required=True, choices=[role.value for role in Role])
        parser.add_argument(
            "--program",
            action="extend",
            nargs="+",
            default=[],
            dest="programs",
            help="a program slug; several after one --program, or --program again",
        )
        parser.add_argument("--name", default="", help="display name")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["password_stdin"]:
            raise CommandError("give the password on standard input with --password-stdin")
        stdin = options.get("stdin") or sys.stdin
        password = stdin.readline().rstrip("\r\n")
        try:
            user, given = create_user_with_setup_code(
                cli_actor(),
                options["username"],
                organization=options["org"],
                role=options["role"],
                password=password,
                programs=options["programs"],
                display_name=options["name"],
            )
        except ActionError as exc:
            raise command_error(exc) from exc
        programs = ", ".join(options["programs"]) or "no program"
        self.stdout.write(f"user {user.username} ({user.role}) saved in {programs}")
        self.stdout.write(
            f"set-up code for the first sign-in (shown once, works until "
            f"{given.expires_at:%Y-%m-%d %H:%M} UTC): {given.code}"
        )
