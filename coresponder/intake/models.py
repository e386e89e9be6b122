"""How people come in: referrals on every pathway, overdoses, 911 calls."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from coresponder.core.models import Tracked, choices_of
from coresponder.domain.vocabulary import OverdoseSource
from coresponder.programs.models import PATHWAYS

OVERDOSE_SOURCES = choices_of(OverdoseSource)


class TriageStatus(models.TextChoices):
    NEW = "new", "Waiting for triage"
    ACCEPTED = "accepted", "Taken up"
    NOT_REACHED = "not_reached", "Could not reach"
    CLOSED = "closed", "Closed"


class Referral(Tracked):
    """One entry into a program on exactly one deflection pathway."""

    class Channel(models.TextChoices):
        API = "api", "API"
        FORM = "form", "Staff form"
        IMPORT = "import", "Import"
        PUBLIC = "public", "Public help page"
        DEMO = "demo", "Demo data"

    class OffenseCategory(models.TextChoices):
        DRUG_POSSESSION = "drug_possession", "Drug possession"
        PROSTITUTION = "prostitution", "Prostitution"
        RETAIL_THEFT = "retail_theft", "Retail theft"
        TRESPASS = "trespass", "Trespass"
        DISORDERLY = "disorderly_conduct", "Disorderly conduct"
        DRUG_SALE = "drug_sale", "Drug sale"
        ASSAULT = "assault", "Assault"
        ROBBERY = "robbery", "Robbery"
        OTHER = "other", "Other"

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="referrals"
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    pathway = models.CharField(max_length=32, choices=PATHWAYS)
    received_at = models.DateTimeField()
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    referring_organization = models.ForeignKey(
        "programs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    district = models.ForeignKey(
        "programs.District", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Criminal-justice facts (officer pathways).
    offense_category = models.CharField(max_length=32, choices=OffenseCategory.choices, blank=True)
    offense_violent = models.BooleanField(null=True)
    offense_weapon = models.BooleanField(null=True)
    # The prosecutor's case or docket number, for officer_intervention: how a
    # prosecutor, who may not read names, finds the person diverted from their case.
    case_number = models.CharField(max_length=64, blank=True, db_index=True)
    # A third party asking on someone's behalf.
    referrer_relationship = models.CharField(max_length=64, blank=True)
    referrer_name = models.CharField(max_length=200, blank=True)
    referrer_phone = models.CharField(max_length=32, blank=True)
    eligible = models.BooleanField(default=True)
    eligibility_reasons = models.JSONField(default=list, blank=True)
    # Self and family referrals from the public page wait for a coordinator's triage.
    help_requested = models.TextField(blank=True)
    consent_to_contact = models.BooleanField(null=True)
    contact_preference = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=8, blank=True)
    triage_status = models.CharField(
        max_length=16, choices=TriageStatus.choices, blank=True, db_index=True
    )
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["program", "received_at"])]

    def __str__(self) -> str:
        return f"{self.get_pathway_display()} referral {self.pk} ({self.program.slug})"


class Overdose(Tracked):
    """One overdose, however many agencies reported it."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="overdoses"
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="overdoses"
    )
    referral = models.OneToOneField(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="overdose"
    )
    occurred_at = models.DateTimeField()
    fatal = models.BooleanField(default=False)
    naloxone_doses = models.PositiveSmallIntegerField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    place = models.CharField(max_length=300, blank=True)
    district = models.ForeignKey(
        "programs.District", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["program", "occurred_at"])]

    def __str__(self) -> str:
        kind = "Fatal" if self.fatal else "Nonfatal"
        return f"{kind} overdose {self.pk} at {self.occurred_at:%Y-%m-%d %H:%M}"


class OverdoseReport(Tracked):
    """One source's account of an overdose (EMS, police, hospital ED, family), kept as reported."""

    overdose = models.ForeignKey(Overdose, on_delete=models.CASCADE, related_name="reports")
    source = models.CharField(max_length=16, choices=OVERDOSE_SOURCES)
    organization = models.ForeignKey(
        "programs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_id = models.CharField(max_length=100, blank=True)
    reported_at = models.DateTimeField()
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["reported_at", "id"]


class Call(Tracked):
    """A 911 / CAD call about mental health or substance use."""

    class CallType(models.TextChoices):
        MENTAL_HEALTH_CRISIS = "mental_health_crisis", "Mental-health crisis"
        SUICIDAL = "suicidal", "Suicidal ideation"
        SUBSTANCE_USE = "substance_use", "Substance use"
        INTOXICATION = "intoxication", "Intoxication"
        WELFARE_CHECK = "welfare_check", "Welfare check"
        OVERDOSE = "overdose", "Overdose"
        DISTURBANCE = "disturbance", "Disturbance"
        OTHER = "other", "Other"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="calls")
    referral = models.OneToOneField(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="call"
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    cad_number = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField()
    call_type = models.CharField(max_length=32, choices=CallType.choices)
    # As the CAD system sends it ("1", "P2", "E"): each system has its own scale.
    priority = models.CharField(max_length=16, blank=True)
    # Where the incident is: contact, shown only to roles that see where people are.
    address = models.CharField(max_length=300, blank=True)
    narrative = models.TextField(blank=True)
    weapons = models.BooleanField(default=False)
    violence_in_progress = models.BooleanField(default=False)
    caller_name = models.CharField(max_length=200, blank=True)
    caller_phone = models.CharField(max_length=32, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    co_responders_sent = models.BooleanField(null=True)
    triage_reasons = models.JSONField(default=list, blank=True)
    # The co-responder team that took the call, and its steps: sent, on scene, cleared. A
    # team stood down keeps the calls it took, so it is never deleted from under them.
    team = models.ForeignKey(
        "programs.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls_taken",
    )
    team_sent_at = models.DateTimeField(null=True, blank=True)
    team_arrived_at = models.DateTimeField(null=True, blank=True)
    team_cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            # Whether a team is on a call it has not cleared: read for every call that fits.
            models.Index(fields=["team", "team_cleared_at"], name="call_team_not_cleared"),
        ]
        constraints = [
            # A CAD call number names one call: a second entry of it is the same call.
            models.UniqueConstraint(
                fields=["program", "cad_number"],
                condition=~models.Q(cad_number=""),
                name="one_call_per_cad_number",
            )
        ]
