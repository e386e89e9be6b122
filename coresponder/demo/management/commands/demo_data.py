from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError

from coresponder.demo.cleanup import delete_demo_data
from coresponder.demo.context import SCALES
from coresponder.demo.generator import EVENT_MODELS, demo_data_exists, generate_demo_data
from coresponder.demo.spikes import add_demo_spikes, spike_moment
from coresponder.domain.presets import PresetError
from coresponder.programs.actions import load_programs
from coresponder.programs.management.commands._cli import cli_actor
from coresponder.programs.models import Program


def anchor_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2025-01-31") from exc


class Command(BaseCommand):
    help = (
        "Load synthetic demo data for every program: people, referrals, overdoses, "
        "follow-up, encounters, services. The same seed and anchor give the same data."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="small",
            help="small: a few years of report-sized programs; large: 100,000+ people; "
            "xlarge: about a million events in one program; tiny: a quick sample for tests",
        )
        parser.add_argument(
            "--program",
            action="append",
            default=[],
            metavar="SLUG",
            help="load only this program (repeat for more; default: every program)",
        )
        parser.add_argument(
            "--anchor",
            type=anchor_date,
            default=None,
            help="YYYY-MM-DD: the data ends at the start of this day, UTC (default: today)",
        )
        when_loaded = parser.add_mutually_exclusive_group()
        when_loaded.add_argument(
            "--if-empty", action="store_true", help="do nothing when demo data is already loaded"
        )
        when_loaded.add_argument(
            "--replace", action="store_true", help="delete loaded demo data and load it anew"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        exists = demo_data_exists()
        if exists and options["if_empty"]:
            self.stdout.write("Demo data is already loaded; leaving it as it is.")
            return
        if exists and not options["replace"]:
            raise CommandError(
                "Demo data is already loaded. Run again with --replace to delete it and "
                "load it anew, or with --if-empty to keep it."
            )
        actor = cli_actor()
        anchor = options["anchor"] or dt.datetime.now(dt.UTC).date()
        started = time.perf_counter()
        try:
            with transaction.atomic():
                load_programs(actor)
                unknown = set(options["program"]) - set(
                    Program.objects.values_list("slug", flat=True)
                )
                if unknown:
                    raise CommandError(f"no such program: {', '.join(sorted(unknown))}")
                if exists:
                    removed = delete_demo_data(actor)
                    self.stdout.write(f"Deleted the previous demo data ({removed.total()} rows).")
                summary = generate_demo_data(
                    actor,
                    seed=options["seed"],
                    scale=options["scale"],
                    anchor=anchor,
                    programs=tuple(options["program"]),
                )
                moment = spike_moment(anchor, dt.datetime.now(dt.UTC))
                rng = random.Random(options["seed"])
                summary.counts.update(add_demo_spikes(actor, rng, summary.programs, moment))
        except PresetError as exc:
            raise CommandError(f"preset rejected:\n{exc}") from exc
        except ProtectedError as exc:
            raise CommandError(
                f"Cannot delete the previous demo data: other records still point at it ({exc})"
            ) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Loaded demo data for {', '.join(summary.programs)} "
            f"(seed {options['seed']}, scale {options['scale']}, anchor {anchor.isoformat()}) "
            f"in {seconds:.1f} s:"
        )
        self.write_counts(summary.counts, summary.events)

    def write_counts(self, counts: Counter[str], events: int) -> None:
        width = max(len(label) for label in counts) + 2
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label:<{width}}{count:>10}")
        self.stdout.write(f"  {'total rows':<{width}}{counts.total():>10}")
        self.stdout.write(f"  {'events':<{width}}{events:>10}  ({', '.join(EVENT_MODELS)})")
