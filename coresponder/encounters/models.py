"""Crisis responses, visits and drop-ins, with the screenings done there."""

from __future__ import annotations

from django.db import models

from coresponder.core.models import Tracked, choices_of
from coresponder.domain.vocabulary import Disposition, EncounterKind

KINDS = choices_of(EncounterKind)
DISPOSITIONS = choices_of(Disposition)


class Encounter(Tracked):
    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="encounters"
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="encounters"
    )
    team = models.ForeignKey(
        "programs.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    call = models.ForeignKey(
        "intake.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="encounters"
    )
    referral = models.ForeignKey(
        "intake.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=32, choices=KINDS)
    disposition = models.CharField(max_length=32, choices=DISPOSITIONS)
    destination = models.CharField(max_length=200, blank=True)
    minutes_on_scene = models.PositiveIntegerField(null=True, blank=True)
    deescalation_used = models.BooleanField(default=False)
    naloxone_given = models.BooleanField(default=False)
    # SBIRT: screening (below), brief intervention given, referral to treatment made.
    brief_intervention = models.BooleanField(default=False)
    referral_to_treatment = models.BooleanField(default=False)
    # Clinical: seen only by clinical roles, or with consent.
    clinical_note = models.TextField(blank=True)
    # Set by the form a phone keeps as a draft: a resent draft records one encounter, not two.
    client_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["program", "occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "client_key"],
                condition=~models.Q(client_key=""),
                name="one_encounter_per_client_key",
            )
        ]


class Screening(Tracked):
    """A standard instrument given at an encounter, answers in item order."""

    class Instrument(models.TextChoices):
        DAST_10 = "dast10", "DAST-10"
        AUDIT_C = "audit_c", "AUDIT-C"
        CSSRS_SCREENER = "cssrs_screener", "C-SSRS screener"
        PHQ_2 = "phq2", "PHQ-2"
        PHQ_9 = "phq9", "PHQ-9"

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="screenings")
    instrument = models.CharField(max_length=32, choices=Instrument.choices)
    answers = models.JSONField(default=list)
    score = models.IntegerField(null=True, blank=True)
    band = models.CharField(max_length=32, blank=True)
    positive = models.BooleanField(default=False)
    flags = models.JSONField(default=list, blank=True)
