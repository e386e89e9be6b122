"""The service directory (Open Referral HSDS 3.0 shapes) and closed-loop referrals (FHIR Task)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from coresponder.core.models import Tracked, choices_of
from coresponder.domain.referrals import NOT_MADE
from coresponder.domain.vocabulary import TaskStatus

TASK_STATUSES = choices_of(TaskStatus)


class TaxonomyTerm(Tracked):
    """HSDS taxonomy_term: a category a service can carry."""

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    taxonomy = models.CharField(max_length=64, default="coresponder")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ServiceOrganization(Tracked):
    """HSDS organization: who runs services (not necessarily a program partner)."""

    hsds_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    # The partner organisation whose provider users work this directory entry's referrals.
    partner = models.ForeignKey(
        "programs.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="directory_entries",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(Tracked):
    """HSDS service."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        DEFUNCT = "defunct", "Defunct"
        TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"

    hsds_id = models.CharField(max_length=64, unique=True)
    organization = models.ForeignKey(
        ServiceOrganization, on_delete=models.CASCADE, related_name="services"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    url = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.ACTIVE)
    languages = models.JSONField(default=list, blank=True, help_text="BCP 47 codes")
    eligibility_description = models.TextField(blank=True)
    fees_description = models.TextField(blank=True)
    insurance_accepted = models.JSONField(default=list, blank=True)
    # A federally assisted substance-use disorder program: what it says about a
    # person's treatment is a 42 CFR Part 2 record, and referring there needs consent.
    part2_program = models.BooleanField(default=False)
    taxonomy_terms = models.ManyToManyField(TaxonomyTerm, blank=True, related_name="services")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Location(Tracked):
    """HSDS location: a physical place."""

    hsds_id = models.CharField(max_length=64, unique=True)
    organization = models.ForeignKey(
        ServiceOrganization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="locations",
    )
    name = models.CharField(max_length=200)
    address_1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=64, blank=True)
    postal_code = models.CharField(max_length=16, blank=True)
    country = models.CharField(max_length=2, default="US")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="America/New_York")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceAtLocation(Tracked):
    """HSDS service_at_location: a service offered at a place."""

    hsds_id = models.CharField(max_length=64, unique=True)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="services_here")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="one_service_per_place")
        ]


class Schedule(Tracked):
    """HSDS schedule: when a service is open, as an RFC 5545 recurrence."""

    hsds_id = models.CharField(max_length=64, unique=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="schedules",
    )
    freq = models.CharField(max_length=16, default="WEEKLY")
    byday = models.CharField(max_length=64, blank=True, help_text="e.g. MO,TU,WE")
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)


class ServiceCapacity(Tracked):
    """HSDS service_capacity: how many places are free, and when that was said."""

    hsds_id = models.CharField(max_length=64, unique=True)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="capacities")
    unit = models.CharField(max_length=64, default="beds")
    available = models.PositiveIntegerField()
    maximum = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    updated = models.DateTimeField()


class ServiceReferral(Tracked):
    """A closed-loop referral to a service: a FHIR ServiceRequest with its Task status."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="service_referrals"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="service_referrals"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(
        max_length=32, choices=TASK_STATUSES, default=TaskStatus.REQUESTED.value
    )
    status_reason = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    status_changed_at = models.DateTimeField()
    # The consent under which a Part 2 program was told about the person.
    consent = models.ForeignKey(
        "privacy.Consent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A warm handoff: the person introduced in person or on the phone, by whom and when.
    warm_handoff_by = models.CharField(max_length=200, blank=True)
    warm_handoff_at = models.DateTimeField(null=True, blank=True)
    # When the person is booked to be seen, as the provider said on accepting (or since):
    # shown only to readers who see the status, since at a Part 2 program it is that answer.
    appointment_at = models.DateTimeField(null=True, blank=True)
    # When the referring team was reminded that the provider had not answered.
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Counts only the changes every reader of the referral sees (the handoff, statuses that
    # are not Part 2 records): the version a reader whose status is withheld works with, so
    # a withheld step never shows as a new version.
    shared_version = models.PositiveIntegerField(default=1)
    # The identifier the sending system gave the ServiceRequest ("system|value"), for a
    # referral that came in a FHIR bundle: a bundle sent again finds it, not a second one.
    source_identifier = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["program", "requested_at"]),
            models.Index(fields=["service", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "source_identifier"],
                condition=~models.Q(source_identifier=""),
                name="service_referral_source_identifier_once",
            )
        ]


class ServiceReferralStatusChange(models.Model):
    """One step of a referral's closed loop: the FHIR Task status it moved to, and why."""

    referral = models.ForeignKey(
        ServiceReferral, on_delete=models.CASCADE, related_name="status_changes"
    )
    status = models.CharField(max_length=32, choices=TASK_STATUSES)
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Referral {self.referral_id} → {self.status}"


def sent_to_provider() -> Q:
    """Referrals made to their provider: not a draft, nor a draft called off before it was
    sent, nor one withdrawn as made in error, which should never have existed (NOT_MADE).
    Only a draft moves to "requested" or "cancelled" without being sent, so a history
    with a draft step and no "requested" step is one the provider never saw."""
    steps = ServiceReferralStatusChange.objects.filter(referral=OuterRef("pk"))
    drafted = Exists(steps.filter(status=TaskStatus.DRAFT.value))
    requested = Exists(steps.filter(status=TaskStatus.REQUESTED.value))
    return ~Q(status__in=[s.value for s in NOT_MADE]) & ~(Q(drafted) & ~Q(requested))
