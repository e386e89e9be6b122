from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coresponder.care.actions import send_follow_up_reminders
from coresponder.operations.actions import record_heartbeat
from coresponder.operations.retention.actions import apply_retention_daily
from coresponder.outreach.actions import expire_tasks
from coresponder.outreach.reminders import WORKER, send_due_reminders
from coresponder.privacy.audit_checkpoints import CheckpointError, write_checkpoint_if_moved
from coresponder.programs.actions import forget_expired_sessions
from coresponder.programs.form_tokens import forget_old_tokens
from coresponder.programs.request_keys import forget_old_keys
from coresponder.reports.actions import refresh_metric_days
from coresponder.services.reminders import send_referral_reminders
from coresponder.surveillance.actions import detect_spikes_due

# The longest wait between passes: a day (the daily steps' own period).
MAX_INTERVAL = 86400.0


def send_all(now: Any) -> dict[str, int]:
    """Outreach window reminders, care plan follow-ups coming due, unanswered referrals.

    Then tasks nobody closed leave the queue once their window closed longer ago than
    the preset allows (after the reminders, so a missed window is still told first),
    and create forms' used tokens older than a month (API request keys, a day) and expired
    sessions are forgotten.
    Last, the daily facts the metrics sum are rebuilt for each program whose records
    changed since its last build, once that build is older than METRIC_DAYS_REFRESH_SECONDS (unless
    METRIC_DAYS_BY_WORKER is false and `build_metric_days --due` runs on its own schedule).
    Once a day per program, what its retention rules let go and no legal hold keeps is deleted.
    Every quarter of an hour per program, yesterday and today are checked for overdose spikes.
    """
    return {
        **send_due_reminders(now),
        "follow_up_due": send_follow_up_reminders(WORKER, now),
        "referral_no_answer": send_referral_reminders(now),
        "expired": expire_tasks(WORKER, now),
        "form_tokens_forgotten": forget_old_tokens(now),
        "request_keys_forgotten": forget_old_keys(now),
        "sessions_forgotten": forget_expired_sessions(now),
        "metric_days_built": (
            refresh_metric_days(now, WORKER) if settings.METRIC_DAYS_BY_WORKER else 0
        ),
        "retention_deleted": apply_retention_daily(WORKER, now),
        "spike_alerts": detect_spikes_due(WORKER, now),
    }


class Command(BaseCommand):
    help = (
        "Every --interval seconds: send follow-up reminders (window open, closing soon with "
        "no attempt, missed; care plan follow-ups; unanswered service referrals), expire "
        "tasks whose window closed longer ago than the preset allows, rebuild changed "
        "programs' daily facts, check for overdose spikes (every quarter hour), delete what "
        "each program's retention rules let go (once a day; see apply_retention --dry-run), "
        "and checkpoint the audit chain. --once runs a single pass and prints the counts."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Run one pass and exit.")
        parser.add_argument("--interval", type=float, default=60.0, help="Seconds between passes.")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        # NaN compares false with everything: it would pass "> 0" and never wait.
        if not (0 < interval <= MAX_INTERVAL):
            raise CommandError(
                f"--interval must be more than 0 and at most {MAX_INTERVAL:g} seconds"
                f" (a day), not {interval:g}"
            )
        if options["once"]:
            self._report(send_all(self._beat()))
            self._checkpoint()
            return
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.is_set():
                self._report(send_all(self._beat()), quiet=True)
                self._checkpoint()
                stop.wait(interval)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write("worker stopped")

    def _beat(self) -> Any:
        """The pass's time, recorded as the worker's heartbeat first (/readyz reads it)."""
        now = timezone.now()
        record_heartbeat(now)
        return now

    def _report(self, counts: dict[str, int], quiet: bool = False) -> None:
        if quiet and not any(counts.values()):
            return
        self.stdout.write(", ".join(f"{kind}: {n}" for kind, n in counts.items()))

    def _checkpoint(self) -> None:
        """Checkpoint the audit chain's head when it moved; the log keeps a copy of each line."""
        try:
            line = write_checkpoint_if_moved()
        except (CheckpointError, OSError) as exc:
            # Reminders still go out; the failure repeats on every pass until it is fixed.
            self.stderr.write(f"audit checkpoint failed: {exc}")
            return
        if line is not None:
            self.stdout.write(f"audit checkpoint {line}")
