"""What the EMS (NEMSIS) and 911/CAD feeds brought in: counts per import, never the reports."""

from __future__ import annotations

from django.db import models

from coresponder.core.models import Tracked


class NemsisImport(Tracked):
    """One NEMSIS file imported into a program.

    Only the counts are kept: a patient care report that is not an opioid overdose
    is counted, never stored (HIPAA minimum necessary). The qualifying ones are
    the program's overdose reports, recorded through intake.
    """

    class Channel(models.TextChoices):
        UPLOAD = "upload", "Uploaded by a coordinator"
        PUSH = "push", "Sent by the agency's system"
        COMMAND = "command", "Command line"

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="nemsis_imports"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    file_name = models.CharField(max_length=200, blank=True)
    reports = models.PositiveIntegerField(default=0)
    qualifying = models.PositiveIntegerField(default=0)
    not_qualifying = models.PositiveIntegerField(default=0)
    # Qualifying reports whose PCR number and time are on one of the program's EMS reports already.
    already_imported = models.PositiveIntegerField(default=0)
    # Reason code -> how many qualifying reports met the case definition that way.
    by_reason = models.JSONField(default=dict, blank=True)
    referrals = models.PositiveIntegerField(default=0)
    overdoses_created = models.PositiveIntegerField(default=0)
    overdoses_merged = models.PositiveIntegerField(default=0)
    tasks_opened = models.PositiveIntegerField(default=0)
    # Reports of a death naming another record than the overdose's person, held for review.
    deaths_held = models.PositiveIntegerField(default=0)
    # Imported reports that did not name the patient, or named them in part (placeholders
    # stand for the rest: "Unidentified Patient", "Unknown").
    unnamed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"NEMSIS import {self.pk} ({self.program.slug}, {self.reports} reports)"
