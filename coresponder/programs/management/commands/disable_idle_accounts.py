from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.programs.actions import IDLE_DAYS_MAX, disable_idle_accounts
from coresponder.programs.management.commands._cli import cli_actor


class Command(BaseCommand):
    help = (
        "Disable every account with no sign-in and no API token use (or new token) in "
        "--days days (CJIS: 90), administrators included; run it daily."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--days", type=int, default=90, help="Idle for this many days (default 90)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1")
        if days > IDLE_DAYS_MAX:
            raise CommandError(f"--days must be at most {IDLE_DAYS_MAX}")
        disabled = disable_idle_accounts(cli_actor(), days)
        for result in disabled:
            self.stdout.write(
                f"disabled {result.user.username}: {result.sessions_ended} session(s) ended, "
                f"{result.tokens_revoked} token(s) revoked"
            )
        self.stdout.write(f"{len(disabled)} account(s) idle for {days} days disabled")
