from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.core.errors import ActionError
from coresponder.privacy.actions import revoke_api_token
from coresponder.privacy.models import ApiToken
from coresponder.programs.management.commands._cli import cli_actor, command_error
from coresponder.programs.models import User


class Command(BaseCommand):
    help = "Revoke a user's API tokens: the one starting with --prefix, or --all of them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--prefix", help="the token's first characters, as `apitoken` printed")
        which.add_argument("--all", action="store_true", help="every token the user holds")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("id")
        if options["prefix"]:
            # The stored prefix is the token's first 8 characters; a longer one still matches.
            prefix = options["prefix"][:8]
            tokens = tokens.filter(prefix=prefix)
        found = list(tokens)
        if not found:
            raise CommandError(f"{user.username} has no live token matching that")
        for token in found:
            try:
                revoke_api_token(cli_actor(), token)
            except ActionError as exc:
                raise command_error(exc) from exc
            self.stdout.write(f"revoked {token.prefix}… of {user.username}")
