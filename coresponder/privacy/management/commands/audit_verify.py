from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coresponder.privacy.audit_checkpoints import checkpoint_file, verify_trail


class Command(BaseCommand):
    help = (
        "Check every audit chain under the audit key and against every checkpoint: "
        "`ok N events`, or name the first bad event or the checkpoint the chain lost."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--checkpoints",
            type=Path,
            default=None,
            help="A checkpoint file to check against (default: AUDIT_CHECKPOINT_FILE), "
            "such as a copy kept on another host.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        named = options["checkpoints"]
        if named is not None and not named.is_file():
            # A copy named on purpose that is not there checks nothing: never report ok.
            raise CommandError(f"no checkpoint file at {named}: nothing was verified")
        path = named or checkpoint_file()
        count, problem = verify_trail(path)
        if problem:
            raise CommandError(f"audit chain broken after {count} good events: {problem}")
        if count and not path.exists():
            # Without checkpoints, removing the newest events and the head together goes unseen.
            self.stderr.write(f"no checkpoints at {path}: run `coresponder audit_checkpoint`")
        self.stdout.write(f"ok {count} events")
