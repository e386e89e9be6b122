"""Retrain the linkage model on the registry's own source records and make it active."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from coresponder.core.audit import SYSTEM
from coresponder.identity.actions import activate_linkage_model
from coresponder.identity.linkage_model import backend_label, load_source_records, train_model


class Command(BaseCommand):
    help = (
        "Train match weights (Splink EM, no labels) on every source record; store as active."
        " Runs on DuckDB, or on Spark with LINKAGE_BACKEND=spark."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args: Any, **options: Any) -> None:
        rows = load_source_records()
        params = train_model(((rid, record) for rid, record, _ in rows), seed=options["seed"])
        model = activate_linkage_model(SYSTEM, params, len(rows))
        self.stdout.write(
            f"Trained linkage model {model.pk} on {len(rows)} source records"
            f" with Splink on {backend_label()}."
        )
