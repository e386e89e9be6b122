"""What reports keep: the coordinator's quarterly narrative, and the daily facts the figures sum.

The narrative of a quarterly report is what a coordinator writes for funders,
which no record can compute. The daily facts (`MetricDay`) are a copy the worker
rebuilds from the records (ADR 0012): per program-local day, the counts and the
sets of people each metric in `domain/metrics.py` reads, so a year's figures sum
a few hundred rows instead of reading every record of the year.
"""

from __future__ import annotations

import struct

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from coresponder.core.models import Tracked

# One field a funder reads per heading; long enough for a page, short enough for one.
NARRATIVE_MAX_CHARS = 4000
NARRATIVE_FIELDS = ("highlights", "challenges", "next_steps", "success_story")


class QuarterlyNarrative(Tracked):
    """What the coordinator says about one program's quarter, beside its figures."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="quarterly_narratives"
    )
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    quarter = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    highlights = models.TextField(blank=True, max_length=NARRATIVE_MAX_CHARS)
    challenges = models.TextField(blank=True, max_length=NARRATIVE_MAX_CHARS)
    next_steps = models.TextField(blank=True, max_length=NARRATIVE_MAX_CHARS)
    # No names: the report leaves the program, so the story is told without identifying anyone.
    success_story = models.TextField(blank=True, max_length=NARRATIVE_MAX_CHARS)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "year", "quarter"], name="one_narrative_per_quarter"
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__gte=1, quarter__lte=4), name="quarter_1_to_4"
            ),
        ]
        ordering = ["program", "-year", "-quarter"]

    def __str__(self) -> str:
        return f"{self.program_id} {self.year} Q{self.quarter}"


class MetricDay(models.Model):
    """One figure of one program-local day (or month): a count, a set of ids, or hours.

    `by` is "" for the program's totals, else a breakdown (domain.metrics.BREAKDOWNS)
    with `key` its group. `people` is a serialized roaring bitmap of ids (people, or
    interned collateral keys), so distinct counts union exactly across days.
    """

    class Grain(models.TextChoices):
        DAY = "day", "Day"
        MONTH = "month", "Month"

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=8, choices=Grain.choices, default=Grain.DAY)
    day = models.DateField()
    kind = models.CharField(max_length=64)
    by = models.CharField(max_length=16, blank=True)
    key = models.CharField(max_length=200, blank=True)
    count = models.IntegerField(default=0)
    people = models.BinaryField(null=True)
    # The SLA's hours to first contact, packed as float64s (pack_hours): exact, quick to read.
    hours = models.BinaryField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "grain", "kind", "by", "key", "day"],
                name="one_metric_day_per_figure",
            )
        ]
        # A read names the program, the totals or one breakdown, and day or month ranges.
        indexes = [models.Index(fields=["program", "by", "grain", "day"])]

    def __str__(self) -> str:
        return f"{self.program_id} {self.day} {self.kind} {self.by}={self.key}"


class MetricKey(models.Model):
    """A number for each collateral a program's follow-up reached, stable across builds."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    key = models.TextField()
    number = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="one_number_per_metric_key"),
            models.UniqueConstraint(fields=["program", "number"], name="one_metric_key_per_number"),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.number}"


class MetricBuild(models.Model):
    """When a program's daily facts were last built, and from which records."""

    program = models.OneToOneField(
        "programs.Program", on_delete=models.CASCADE, related_name="metric_build"
    )
    # The instant the build read the records at: figures are as of then.
    as_of = models.DateTimeField()
    # The highest audit event id when the build began; writes after it call for a rebuild.
    audit_watermark = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0)
    rows = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.program_id} as of {self.as_of:%Y-%m-%d %H:%M}"


def pack_hours(hours: list[float]) -> bytes:
    """Hours as little-endian float64s: every float comes back exactly as it went in."""
    return struct.pack(f"<{len(hours)}d", *hours)


def unpack_hours(stored: bytes | memoryview | None) -> list[float]:
    if not stored:
        return []
    data = bytes(stored)
    return list(struct.unpack(f"<{len(data) // 8}d", data))
