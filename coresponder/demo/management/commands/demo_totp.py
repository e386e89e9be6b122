from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from coresponder.demo.cast import DEMO_TOTP_SECRET
from coresponder.domain.totp import STEP_SECONDS, totp


class Command(BaseCommand):
    help = (
        "Print the current six-digit code of the demo personas' shared, published TOTP "
        "secret, alone on its line. It knows no other user's secret."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        self.stdout.write(totp(DEMO_TOTP_SECRET, now))
        left = STEP_SECONDS - int(now.timestamp()) % STEP_SECONDS
        self.stderr.write(f"good for {left} more seconds; a code signs each user in once")
