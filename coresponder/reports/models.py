"""Reports compute from the other rooms' records; they store no counters.

The one thing reports keep is what a coordinator writes for funders: the
narrative of a quarterly report, which no record can compute.
"""

from __future__ import annotations

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
