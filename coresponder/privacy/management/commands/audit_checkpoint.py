from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.privacy.audit_checkpoints import CheckpointError, checkpoint_file, write_checkpoint


class Command(BaseCommand):
    help = (
        "Append a signed checkpoint of every audit chain's head to AUDIT_CHECKPOINT_FILE "
        "and print it; `audit_verify` then notices a chain that lost what it saw."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        path = checkpoint_file()
        try:
            line = write_checkpoint(path)
        except (CheckpointError, OSError) as exc:
            raise CommandError(f"no checkpoint written to {path}: {exc}") from exc
        self.stdout.write(f"audit checkpoint {line}")
