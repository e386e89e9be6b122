"""Care plans: goals, the steps toward them, and scheduled follow-ups.

Peer support and case managers follow people up after the crisis. All of it is
clinical detail. The tables keep the names they were created under.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from coresponder.core.models import Tracked


class CarePlan(Tracked):
    """A person's plan in one program, owned by the worker who follows them up."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CLOSED = "closed", "Closed"

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="care_plans"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="care_plans")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_plans"
    )
    note = models.TextField(blank=True)

    class Meta:
        db_table = "encounters_careplan"
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["person", "program"])]

    def __str__(self) -> str:
        return f"Care plan {self.pk}: {self.title}"


class CarePlanGoal(Tracked):
    class Need(models.TextChoices):
        TREATMENT = "treatment", "Treatment"
        HOUSING = "housing", "Housing"
        BENEFITS = "benefits", "Benefits"
        ID_DOCUMENTS = "id_documents", "ID documents"
        TRANSPORTATION = "transportation", "Transportation"
        MENTAL_HEALTH = "mental_health", "Mental health"
        MEDICAL = "medical", "Medical care"
        LEGAL = "legal", "Legal"
        EMPLOYMENT = "employment", "Employment"
        FAMILY = "family", "Family"
        RECOVERY_SUPPORT = "recovery_support", "Recovery support"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MET = "met", "Met"
        DROPPED = "dropped", "Dropped"

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    need = models.CharField(max_length=32, choices=Need.choices)
    description = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    # A goal met or dropped and then opened again: the need came back.
    times_reopened = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "encounters_careplangoal"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Goal {self.pk}: {self.get_need_display()}"


class CarePlanStep(Tracked):
    goal = models.ForeignKey(CarePlanGoal, on_delete=models.CASCADE, related_name="steps")
    description = models.CharField(max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_steps",
    )
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "encounters_careplanstep"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Step {self.pk}"


class FollowUp(Tracked):
    """A scheduled check-in; its owner is reminded once when it comes due."""

    class Kind(models.TextChoices):
        PHONE = "phone", "Phone call"
        VISIT = "visit", "Home visit"
        TEXT = "text", "Text message"
        IN_PERSON = "in_person", "In person"

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="follow_ups")
    due_at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_follow_ups"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "encounters_followup"
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["done_at", "reminded_at", "due_at"])]

    def __str__(self) -> str:
        return f"Follow-up {self.pk}"
