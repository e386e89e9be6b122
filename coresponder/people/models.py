"""The people programs help, and the family and friends around them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from coresponder.core.models import Tracked
from coresponder.domain.linkage import search_text


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Another sex"
    UNKNOWN = "unknown", "Unknown"


class Race(models.TextChoices):
    """OMB race categories, for disparity reporting."""

    AMERICAN_INDIAN = "american_indian_alaska_native", "American Indian or Alaska Native"
    ASIAN = "asian", "Asian"
    BLACK = "black", "Black or African American"
    PACIFIC_ISLANDER = "native_hawaiian_pacific_islander", "Native Hawaiian or Pacific Islander"
    WHITE = "white", "White"
    MULTIPLE = "multiple", "More than one race"
    UNKNOWN = "unknown", "Unknown or declined"


class Ethnicity(models.TextChoices):
    HISPANIC = "hispanic", "Hispanic or Latino"
    NOT_HISPANIC = "not_hispanic", "Not Hispanic or Latino"
    UNKNOWN = "unknown", "Unknown or declined"


class Person(Tracked):
    """A participant: the person a program helps."""

    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names as reported")
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=16, choices=Sex.choices, default=Sex.UNKNOWN)
    race = models.CharField(max_length=48, choices=Race.choices, default=Race.UNKNOWN)
    ethnicity = models.CharField(
        max_length=16, choices=Ethnicity.choices, default=Ethnicity.UNKNOWN
    )
    phone = models.CharField(max_length=32, blank=True)
    address = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    deceased_on = models.DateField(null=True, blank=True)
    # Set when identity resolution found this record to be another person's; the
    # row stays so that the merge can be undone exactly.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_people"
    )
    # The names folded for search (case, accents, punctuation), kept by every save.
    search_text = models.CharField(max_length=500, blank=True, editable=False)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self) -> str:
        name = f"{self.given_name} {self.family_name}".strip()
        return name or f"Person {self.pk}"

    def prepare_save(self) -> None:
        """Derived fields follow the names, on every path that writes the row."""
        aliases = [str(a) for a in self.aliases or [] if isinstance(a, str)]
        self.search_text = search_text(self.given_name, self.family_name, aliases)[:500]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.prepare_save()
        super().save(*args, **kwargs)


class Participation(Tracked):
    """A person's history with one program begins here; the access gate reads it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="participations")
    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="participations"
    )
    first_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "program"], name="one_participation")
        ]


class Collateral(Tracked):
    """A family member or friend of a participant; PCO counts contacts with them too."""

    class Kind(models.TextChoices):
        FAMILY = "family", "Family"
        FRIEND = "friend", "Friend"
        OTHER = "other", "Other"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="collaterals")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FAMILY)
    relationship = models.CharField(max_length=64, help_text="mother, partner, friend…")
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["person", "id"]

    def __str__(self) -> str:
        return f"{self.name or 'Unnamed'} ({self.relationship} of {self.person})"


# --- Identity resolution ------------------------------------------------------

# The reported fields the linkage core compares (coresponder.domain.linkage.Record).
LINKAGE_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "phone",
    "address",
    "event_date",
    "facility",
)


class SourceRecord(Tracked):
    """One source's account of a person, as reported: the evidence identity resolution weighs."""

    class Source(models.TextChoices):
        EMS = "ems", "EMS"
        POLICE = "police", "Police"
        HOSPITAL = "hospital", "Hospital"
        SELF = "self", "The person"
        FAMILY = "family", "Family or friends"
        STAFF = "staff", "Staff form"
        IMPORT = "import", "File import"
        OTHER = "other", "Other"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="source_records")
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.OTHER)
    external_id = models.CharField(max_length=100, blank=True)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=16, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address = models.CharField(max_length=300, blank=True)
    event_date = models.DateField(null=True, blank=True)
    facility = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} record of {self.given_name} {self.family_name}"


class PersonKey(models.Model):
    """The online blocking index: a source record's blocking keys, pointing at its person."""

    key = models.CharField(max_length=200)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    source_record = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="keys")

    class Meta:
        indexes = [models.Index(fields=["key", "person"], name="person_key_lookup")]

    def __str__(self) -> str:
        return self.key


class LinkageModel(models.Model):
    """Trained match parameters; the one active row scores online matches."""

    params = models.JSONField(default=dict)
    trained_at = models.DateTimeField()
    record_count = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-trained_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_linkage_model"
            )
        ]

    def __str__(self) -> str:
        return f"Linkage model trained {self.trained_at:%Y-%m-%d %H:%M}"


class MatchCandidate(Tracked):
    """Two people who may be one, waiting for a coordinator to decide."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        MERGED = "merged", "Merged"
        REJECTED = "rejected", "Not the same person"

    person_a = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField()
    evidence = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-probability", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person_a", "person_b"],
                condition=models.Q(status="pending"),
                name="one_pending_match_candidate",
            )
        ]


class Merge(models.Model):
    """One merge, with everything needed to undo it exactly."""

    kept = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(
        MatchCandidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    source_record_ids = models.JSONField(default=list)
    # The merged person's fields before the merge.
    snapshot = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    # {"app.model": {"field": [ids moved from merged to kept]}}
    moved = models.JSONField(default=dict)
    # Rows of the merged person folded into the kept person's (one participation per
    # program), and the kept rows' values they changed: {"removed": [...], "changed": [...]}.
    folded = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    evidence = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Merge of person {self.merged_id} into {self.kept_id}"
