"""What every command shares: the actor a command writes as, and readable errors."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.core.audit import Actor
from coresponder.core.errors import ActionError
from coresponder.programs.models import User


def cli_actor() -> Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(label=f"cli:{who}", where="cli")


def command_error(exc: ActionError) -> CommandError:
    lines = [str(exc)] + [
        f"  --{field}: {message}" for field, messages in exc.errors.items() for message in messages
    ]
    return CommandError("\n".join(lines))


class UserActionCommand(BaseCommand):
    """A command that applies one audited action to one user named on the command line."""

    done = "done"  # what to print after the user name

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def act(self, actor: Actor, user: User) -> None:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        try:
            self.act(cli_actor(), user)
        except ActionError as exc:
            raise command_error(exc) from exc
        self.stdout.write(f"user {user.username} {self.done}")
