"""The people programs help, and the family and friends around them."""

from __future__ import annotations

from typing import Any

from django.db import models

from coresponder.core.models import Tracked
from coresponder.domain.intake import birth_year_from
from coresponder.domain.linkage import search_text
from coresponder.domain.vocabulary import AmendmentDenialGround, choices


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
    # Only the year, where no birth date is known (reported, or estimated from an age at an
    # event); a birth date says its year, so the two are never stored together.
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
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
        constraints = [
            models.CheckConstraint(
                # A year only beside no date, and after 1900 (a rule on the row, not a
                # lookup of people: the condition is spelled as the migration stores it).
                condition=models.Q(("birth_year__isnull", True))
                | models.Q(("birth_date__isnull", True), ("birth_year__gt", 1900)),
                name="person_birth_year_without_date",
            )
        ]

    def __str__(self) -> str:
        name = f"{self.given_name} {self.family_name}".strip()
        return name or f"Person {self.pk}"

    def prepare_save(self) -> None:
        """Derived fields follow the names, on every path that writes the row."""
        aliases = [str(a) for a in self.aliases or [] if isinstance(a, str)]
        self.search_text = search_text(self.given_name, self.family_name, aliases)[:500]
        self.birth_year = birth_year_from(self.birth_date, self.birth_year)

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


class Amendment(Tracked):
    """A person's request to amend their record (HIPAA 45 CFR 164.526), and its answer.

    Nothing is overwritten without its original: an accepted amendment keeps the value it
    replaced, and a denied one keeps its grounds, the reason explaining them and the
    person's statement of disagreement, which then travels with the record.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting a decision"
        ACCEPTED = "accepted", "Accepted"
        DENIED = "denied", "Denied"

    class RecordKind(models.TextChoices):
        PERSON = "person", "Person record"
        ENCOUNTER = "encounter", "Encounter"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="amendments")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    record_kind = models.CharField(max_length=16, choices=RecordKind.choices)
    record_id = models.PositiveIntegerField()
    field = models.CharField(max_length=64)
    proposed_value = models.JSONField(null=True, blank=True)
    # The value the record held when the request came in, then the one an acceptance replaced.
    original_value = models.JSONField(null=True, blank=True)
    statement = models.TextField(blank=True, help_text="The person's request, in their words")
    received_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "programs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # 164.526(a)(2): a denial rests on one of four grounds, and (d)(1)(i) the written denial
    # states it. Blank on a request not denied, and on one denied before it was asked.
    denial_grounds = models.CharField(
        max_length=32, choices=choices("amendment_denial_ground"), blank=True
    )
    # What the grounds mean for this request, in the decider's words; the person is told it.
    denial_reason = models.TextField(blank=True)
    # 164.526(d)(1)(iii): the person may file a statement of disagreement with a denial.
    disagreement = models.TextField(blank=True)
    # 164.526(d)(1)(iii), (d)(5)(ii): without a statement of disagreement, the request and the
    # denial go with future disclosures of the information only when the person asks.
    include_with_disclosures = models.BooleanField(
        default=False,
        help_text="The person asked that the request and the denial go with future disclosures",
    )
    # 164.526(b)(2)(ii): the time to act may be extended once, by at most 30 days, with the
    # reasons for the delay given to the person in writing within the first 60.
    extended_at = models.DateTimeField(null=True, blank=True)
    extended_by = models.ForeignKey(
        "programs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    extension_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["received_on", "id"]
        indexes = [
            models.Index(fields=["program", "status"]),
            models.Index(fields=["record_kind", "record_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                # Grounds only on a denial, and only the ones 164.526(a)(2) allows.
                condition=models.Q(denial_grounds="")
                | models.Q(
                    status="denied", denial_grounds__in=[str(g) for g in AmendmentDenialGround]
                ),
                name="amendment_grounds_of_a_denial",
            ),
        ]


class RecordsRequest(Tracked):
    """A person's request for their records (HIPAA right of access, 45 CFR 164.524), kept
    from its receipt to its answer so that nobody loses track of its deadline.

    The export itself is `people/records_request.py`; this is the request it answers.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting an answer"
        FULFILLED = "fulfilled", "Fulfilled"
        DENIED = "denied", "Denied"
        # 164.524(d)(1): access denied in part, the rest given; the parts withheld are named
        # in `withheld_parts`, and their denial may be reviewed as a whole denial may.
        FULFILLED_IN_PART = "fulfilled_in_part", "Fulfilled in part"
        # 164.524(d)(4): the reviewing official overturned the denial; the request is to be
        # fulfilled as an open one is, and is due 30 days after the determination.
        GRANTED_ON_REVIEW = "granted_on_review", "Access granted on review"

    class Determination(models.TextChoices):
        UPHELD = "upheld", "Upheld"
        OVERTURNED = "overturned", "Overturned"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="records_requests")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    # A date on the program's calendar: the deadline counts the program's days.
    received_on = models.DateField()
    requested_by = models.CharField(
        max_length=200, blank=True, help_text="The person, or their personal representative"
    )
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    fulfilled_by = models.ForeignKey(
        "programs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # 164.524(b)(2)(ii): the time to act may be extended once, by at most 30 days, with the
    # reasons for the delay and the date of completion given to the person in writing
    # within the first 30.
    extended_at = models.DateTimeField(null=True, blank=True)
    extended_by = models.ForeignKey(
        "programs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    extension_reason = models.TextField(blank=True)
    # 164.524(a)(2), (a)(3): access is denied in whole on one or more grounds the rule allows
    # (AccessDenialGround codes, `choices("access_denial_ground")`), and (d)(2)(i) the written
    # denial states them. Empty on a request not denied.
    denied_at = models.DateTimeField(null=True, blank=True)
    denied_by = models.ForeignKey(
        "programs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    denial_grounds = models.JSONField(default=list, blank=True)
    # What the grounds mean for this request, in the decider's words; the person is told it.
    denial_reason = models.TextField(blank=True)
    # Access denied in part (164.524(d)(1)): the parts of the record withheld, each a
    # {"group": FieldGroup code, "grounds": [AccessDenialGround codes], "reason": text};
    # `denial_grounds` then holds all their grounds. Empty on a request not so answered.
    withheld_parts = models.JSONField(default=list, blank=True)
    # 164.524(a)(4), (d)(4): a denial on a reviewable ground is reviewed, when the person asks,
    # by a licensed health care professional the program designates who took no part in it.
    # The day asked is on the program's calendar; empty while none was asked.
    review_asked_on = models.DateField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "programs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # The day of the determination on the program's calendar: a denial overturned is due
    # 30 days after it.
    reviewed_on = models.DateField(null=True, blank=True)
    review_determination = models.CharField(
        max_length=16, choices=Determination.choices, blank=True
    )
    review_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["received_on", "id"]
        indexes = [models.Index(fields=["program", "status"])]
        constraints = [
            models.CheckConstraint(
                # A denial says when it was made and why; only a denial carries a reason, and
                # it is kept once a review overturned it (then fulfilled). A request fulfilled
                # in part was both fulfilled and denied, at once.
                condition=models.Q(status="denied", denied_at__isnull=False)
                | models.Q(
                    status="fulfilled_in_part",
                    denied_at__isnull=False,
                    fulfilled_at__isnull=False,
                )
                | models.Q(("status__in", ["open", "fulfilled"]), denial_reason="")
                | models.Q(
                    ("status__in", ["granted_on_review", "fulfilled"]),
                    denied_at__isnull=False,
                    review_determination="overturned",
                ),
                name="records_request_reason_of_a_denial",
            ),
            models.CheckConstraint(
                # A determination answers a review asked, on the day it was recorded.
                condition=models.Q(review_determination="", reviewed_on__isnull=True)
                | models.Q(
                    ~models.Q(review_determination=""),
                    review_asked_on__isnull=False,
                    reviewed_on__isnull=False,
                ),
                name="records_request_review_asked_then_decided",
            ),
        ]


class ContactRequest(Tracked):
    """How the person asked to be reached by one program (HIPAA 45 CFR 164.522(b)): the ways
    not to use (ContactLimit codes, `choices("contact_limit")`) and the ways to use instead.

    A request the person takes back is withdrawn, not deleted: the history of what they asked,
    and when, stays with the record.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contact_requests")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    limits = models.JSONField(default=list, blank=True)
    # The other address not to visit (a mother's house, say), with "no_visits_at_address".
    avoid_address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text="A phone to use instead")
    address = models.CharField(max_length=300, blank=True, help_text="An address to use instead")
    note = models.TextField(blank=True, help_text="How else, in the person's words")
    # A date on the program's calendar.
    asked_on = models.DateField()
    recorded_by = models.ForeignKey(
        "programs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "programs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["asked_on", "id"]
        indexes = [models.Index(fields=["person", "program"])]

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None
