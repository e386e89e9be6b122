"""Identity resolution: what each source reported of a person, and what was decided of it.

The tables keep the names they had when these models lived in the people app.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from coresponder.core.models import Tracked
from coresponder.people.models import Person

# The reported fields the linkage core compares (coresponder.domain.linkage.Record).
LINKAGE_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "birth_year",
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
    # The year where the source gave only a year or an age (see Person.birth_year).
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    sex = models.CharField(max_length=16, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address = models.CharField(max_length=300, blank=True)
    event_date = models.DateField(null=True, blank=True)
    facility = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        db_table = "people_sourcerecord"
        ordering = ["received_at", "id"]
        constraints = [
            models.CheckConstraint(
                # A year only beside no date, and after 1900 (a rule on the row, not a
                # lookup of people: the condition is spelled as the migration stores it).
                condition=models.Q(("birth_year__isnull", True))
                | models.Q(("birth_date__isnull", True), ("birth_year__gt", 1900)),
                name="source_record_birth_year_without_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} record of {self.given_name} {self.family_name}"


class PersonKey(models.Model):
    """The online blocking index: a source record's blocking keys, pointing at its person."""

    key = models.CharField(max_length=200)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    source_record = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="keys")

    class Meta:
        db_table = "people_personkey"
        indexes = [models.Index(fields=["key", "person"], name="person_key_lookup")]

    def __str__(self) -> str:
        return self.key


class ProgramKey(models.Model):
    """The key table by program: each key row once for each program its person is known to.

    It lets a reader who learns of people through their programs rank the people sharing
    a probe's keys in one index-only read. Database triggers on the key table and on
    participations keep it (migration `identity/0004_program_key`), as an index is kept:
    nothing in Coresponder writes it, and whoever it ranks still passes the gate.
    """

    person_key = models.BigIntegerField()  # people_personkey.id
    program = models.BigIntegerField()
    key = models.CharField(max_length=200)
    person = models.BigIntegerField()

    class Meta:
        db_table = "people_programkey"
        indexes = [
            models.Index(fields=["program", "key", "person"], name="program_key_lookup"),
            models.Index(fields=["person_key"], name="program_key_row"),
            models.Index(fields=["person", "program"], name="program_key_person"),
        ]

    def __str__(self) -> str:
        return self.key


class LinkageModel(models.Model):
    """Trained match parameters; the one active row scores online matches."""

    params = models.JSONField(default=dict)
    trained_at = models.DateTimeField()
    record_count = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=False)

    class Meta:
        db_table = "people_linkagemodel"
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
        db_table = "people_matchcandidate"
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
    # The programs it was decided in (ids): those where the coordinator who merged the two
    # coordinates and sees either of them, or, merged by a job, every program of the two.
    # Only their coordinators (and administrators) undo it; empty for a merge made before
    # this was kept (`identity.access.undo_programs` reads it then).
    decided_in = models.JSONField(default=list, blank=True)
    at = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "people_merge"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Merge of person {self.merged_id} into {self.kept_id}"
