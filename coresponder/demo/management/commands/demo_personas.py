from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from coresponder.demo.cast import (
    ADMIN_USERNAME,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    PERSONA_ROLES,
    persona_username,
)
from coresponder.domain.vocabulary import ROLE_LABELS, Role
from coresponder.programs.models import Program, User

LOGIN_URL = "http://127.0.0.1:8000/accounts/login/"


class Command(BaseCommand):
    help = "Show how to sign in to the demo, and the demo personas that exist."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = self.persona_rows()
        if not rows:
            self.stdout.write(
                "No demo personas yet. Load them with: coresponder demo_data --seed 1 --scale small"
            )
            return
        self.stdout.write(f"Sign in at {LOGIN_URL}")
        self.stdout.write(f"Every demo persona's password is: {DEMO_PASSWORD}")
        self.stdout.write(
            f"Then a six-digit code: run `coresponder demo_totp`, or add the shared "
            f"demo key {DEMO_TOTP_SECRET} to an authenticator app (TOTP, 30 s)."
        )
        self.stdout.write("")
        headers = ("username", "role", "program", "organisation")
        widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(3)]
        for row in [headers, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[3]]).rstrip())

    def persona_rows(self) -> list[tuple[str, str, str, str]]:
        """(username, role, program, organisation) for each persona in the database."""
        slugs = list(Program.objects.order_by("slug").values_list("slug", flat=True))
        wanted = {
            persona_username(slug, role): (role, slug) for slug in slugs for role in PERSONA_ROLES
        }
        wanted[ADMIN_USERNAME] = (Role.ADMIN, "all programs")
        users = {
            user.username: user
            for user in User.objects.filter(username__in=wanted).select_related("organization")
        }
        rows = []
        for username, (role, program) in wanted.items():
            user = users.get(username)
            if user is None:
                continue
            org = user.organization.name if user.organization else ""
            rows.append((username, ROLE_LABELS[role], program, org))
        return rows
