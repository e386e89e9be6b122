"""Follow-up: outreach tasks with their windows, and every attempt to reach someone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from coresponder.core.models import Tracked, choices_of
from coresponder.domain.vocabulary import (
    CLOSE_REASON_LABELS,
    AttemptChannel,
    AttemptOutcome,
    CloseReason,
)

CHANNELS = choices_of(AttemptChannel)
OUTCOMES = choices_of(AttemptOutcome)
# A task closes on an attempt's outcome, or by hand with one of the listed reasons.
CLOSE_REASONS = [*OUTCOMES, *choices_of(CloseReason, CLOSE_REASON_LABELS)]


class OutreachTask(Tracked):
    """A duty to reach a person (or, after a fatal overdose, their family) within a window."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLAIMED = "claimed", "Claimed by a team"
        COLLECTING = "collecting", "Waiting for the closing checklist"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"
        # Nobody closed it, and its window closed longer ago than the preset allows.
        EXPIRED = "expired", "Missed: expired unworked"

    class Target(models.TextChoices):
        PARTICIPANT = "participant", "The person"
        FAMILY = "family", "Family and friends"

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="outreach_tasks"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="outreach_tasks"
    )
    referral = models.ForeignKey(
        "intake.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    overdose = models.ForeignKey(
        "intake.Overdose", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    target = models.CharField(max_length=16, choices=Target.choices, default=Target.PARTICIPANT)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    # QRT tier from the person's whole history (see outreach/tiers.py); None sorts last.
    priority_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    # The referral's district, kept here so a team's queue is one indexed range.
    district = models.ForeignKey(
        "programs.District", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_by = models.ForeignKey(
        "programs.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    next_attempt_after = models.DateTimeField(null=True, blank=True)
    recontact_on = models.DateField(null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(default=0)
    # Learned of after the window the anchor gives had closed: the window opened then.
    window_from_report = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=32, choices=CLOSE_REASONS, blank=True)
    # What staff wrote when closing by hand ("other" needs it).
    close_note = models.CharField(max_length=500, blank=True)
    checklist = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["window_end", "id"]
        indexes = [
            models.Index(fields=["program", "status", "window_end"]),
            # The queue's work order, over queued tasks only: the database reads the
            # first page straight off the index however long the queue grows.
            # (PostgreSQL's ascending order already puts NULL tiers last.)
            # The conditions spell out QUEUE_STATUSES (below the class, which they cannot
            # name from here); a test holds them to it.
            models.Index(
                fields=["program", "priority_tier", "window_end", "created_at", "id"],
                condition=Q(status__in=["open", "claimed", "collecting"]),
                name="outreach_queue_order",
            ),
            models.Index(
                fields=["program", "district", "priority_tier", "window_end", "created_at", "id"],
                condition=Q(status__in=["open", "claimed", "collecting"]),
                name="outreach_queue_district_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Outreach task {self.pk} ({self.program.slug}, {self.status})"


# Tasks nobody has closed yet: what a repeat contact escalates, reminders speak of and
# expiry moves out of the queue.
OPEN_STATUSES = (OutreachTask.Status.OPEN, OutreachTask.Status.CLAIMED)
# Tasks in the queue: the open ones and those waiting for their closing checklist.
QUEUE_STATUSES = (*OPEN_STATUSES, OutreachTask.Status.COLLECTING)


def still_due(cutoff: object) -> Q:
    """Tasks not yet expired at the `expiry_cutoff` given: their window closed after it, or
    the person asked to be contacted again later and that re-contact is not yet past it.
    A person who said "later" stays in the queue until then, not on the Missed list."""
    return Q(window_end__gt=cutoff) | Q(recontact_on__isnull=False, next_attempt_after__gt=cutoff)


class Attempt(Tracked):
    """One try at reaching someone: a home visit, a call, a text."""

    task = models.ForeignKey(OutreachTask, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    channel = models.CharField(max_length=16, choices=CHANNELS)
    outcome = models.CharField(max_length=32, choices=OUTCOMES)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "programs.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    naloxone_kits_left = models.PositiveSmallIntegerField(default=0)
    resource_cards_left = models.PositiveSmallIntegerField(default=0)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["attempted_at", "id"]
        indexes = [models.Index(fields=["task", "attempted_at"])]


class AttemptContact(models.Model):
    """Who was reached on an attempt: the participant, or a family member or friend."""

    class Role(models.TextChoices):
        PARTICIPANT = "participant", "The person"
        COLLATERAL = "collateral", "Family or friend"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="contacts")
    role = models.CharField(max_length=16, choices=Role.choices)
    collateral = models.ForeignKey(
        "people.Collateral", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    relationship = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.get_role_display()} reached on attempt {self.attempt_id}"


class Notice(models.Model):
    """A reminder to a user about a task's window; sent once per user, task and kind, and
    a closing or missed window once per window, so a window moved later is told again."""

    class Kind(models.TextChoices):
        WINDOW_OPEN = "window_open", "Window open"
        CLOSING_SOON_NO_ATTEMPT = "closing_soon_no_attempt", "Closing soon with no attempt"
        MISSED = "missed", "Window missed"
        FOLLOW_UP_DUE = "follow_up_due", "Care plan follow-up due"
        REFERRAL_NO_ANSWER = "referral_no_answer", "Service referral not answered"
        REFERRAL_ANSWERED = "referral_answered", "Service referral answered"
        REFERRAL_CANCELLED = "referral_cancelled", "Service referral cancelled"
        SPIKE_ALERT = "spike_alert", "Overdose spike"
        ASSIGNED = "assigned", "Task changed hands"
        CARE_PLAN_HANDED_OVER = "care_plan_handed_over", "Care plan handed over to you"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="notices"
    )
    task = models.ForeignKey(
        OutreachTask, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    # Care plan follow-ups leave `task` empty; `FollowUp.reminded_at` sends them once.
    follow_up = models.ForeignKey(
        "care.FollowUp",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    # A service referral the provider has not answered (`reminded_at` sends it once), has
    # just answered, or the referring program has just called off.
    service_referral = models.ForeignKey(
        "services.ServiceReferral",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    # A care plan handed over to the recipient because its owner could no longer hold it.
    care_plan = models.ForeignKey(
        "care.CarePlan",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # The end of the window a closing or missed reminder was about; empty for the rest.
    window_end = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "task", "kind"],
                condition=models.Q(window_end__isnull=True),
                name="one_notice_per_task_kind",
            ),
            models.UniqueConstraint(
                fields=["recipient", "task", "kind", "window_end"],
                condition=models.Q(window_end__isnull=False),
                name="one_notice_per_task_kind_window",
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient} (task {self.task_id})"
