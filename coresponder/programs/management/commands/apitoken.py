from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coresponder.core.errors import ActionError
from coresponder.privacy.actions import issue_api_token
from coresponder.privacy.models import ApiToken
from coresponder.privacy.token_values import MOST_TOKEN_DAYS, TOKEN_DAYS
from coresponder.programs.management.commands._cli import cli_actor, command_error
from coresponder.programs.models import User


class Command(BaseCommand):
    help = (
        "Print a new API token for a user, alone on its line (when it expires goes to "
        "stderr); with --list, the user's tokens without their values."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=TOKEN_DAYS,
            help=f"how long the token works (default {TOKEN_DAYS}, at most {MOST_TOKEN_DAYS})",
        )
        parser.add_argument("--label", default="", help="what the token is for, at most 100")
        parser.add_argument(
            "--list",
            action="store_true",
            help="list the user's tokens (prefix, label, issued, last used, expiry, state)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            self._list(options["username"])
            return
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['username']!r}")
        try:
            value = issue_api_token(cli_actor(), user, options["label"], options["days"])
        except ActionError as exc:
            raise command_error(exc) from exc
        self.stdout.write(value)
        issued = ApiToken.objects.filter(user=user, prefix=value[:8]).latest("id")
        if issued.expires_at is not None:
            self.stderr.write(f"expires {_when(issued.expires_at)}")

    def _list(self, username: str) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        tokens = ApiToken.objects.filter(user=user).order_by("created_at", "id")
        if not tokens:
            self.stdout.write(f"{user.username} has no API tokens")
            return
        now = timezone.now()
        for token in tokens:
            if token.revoked_at is not None:
                state = f"revoked {_when(token.revoked_at)}"
            elif token.expires_at is not None and token.expires_at <= now:
                state = f"expired {_when(token.expires_at)}"
            elif token.expires_at is not None:
                state = f"works until {_when(token.expires_at)}"
            else:
                state = "works, no expiry (issued before tokens expired)"
            used = _when(token.last_used_at) if token.last_used_at else "never"
            label = f" “{token.label}”" if token.label else ""
            self.stdout.write(
                f"{token.prefix}…{label}: issued {_when(token.created_at)}, "
                f"last used {used}, {state}"
            )


def _when(moment: dt.datetime) -> str:
    """An instant as an operator's log reads it: UTC, to the minute."""
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
