"""What every command shares: the actor a command writes as, and readable errors."""

from __future__ import annotations

import getpass

from django.core.management.base import CommandError

from coresponder.privacy.audit import Actor
from coresponder.programs.actions import ActionError


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
