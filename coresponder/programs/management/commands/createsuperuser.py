"""Django's createsuperuser, refused: it would make an administrator with no audit event,
no organisation and no set-up code, beside a user name that differs only in case.
`adduser --role admin` makes one through the audited action every account goes through."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

REFUSED = (
    "Coresponder makes administrators with its own command, which audits the account, "
    "checks the user name and password and prints the set-up code for their "
    "authenticator app:\n"
    '  echo "$PASSWORD" | coresponder adduser USERNAME --org ORG --role admin --password-stdin\n'
    "(coresponder addorg makes the organisation first). Nothing was made."
)


class Command(BaseCommand):
    help = "Refused: make an administrator with `coresponder adduser USERNAME --role admin`."

    def add_arguments(self, parser: Any) -> None:
        # Django's own options, taken so that any way of calling it gets the same answer.
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--database")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(REFUSED)
