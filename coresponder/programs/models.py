"""Organisations, programs, districts, teams, shifts, and who acts where."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from coresponder.core.models import Tracked, choices_of
from coresponder.domain.presets import Preset, preset_from_stored
from coresponder.domain.vocabulary import (
    ORGANIZATION_KIND_LABELS,
    PATHWAY_LABELS,
    ROLE_LABELS,
    OrganizationKind,
    Pathway,
    Role,
)

ORGANIZATION_KINDS = choices_of(OrganizationKind, ORGANIZATION_KIND_LABELS)
ROLES = choices_of(Role, ROLE_LABELS)
PATHWAYS = choices_of(Pathway, PATHWAY_LABELS)


class Organization(Tracked):
    """A partner organisation users belong to: a police department, a hospital, a provider…"""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=ORGANIZATION_KINDS)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser, Tracked):
    """A person who signs in: a unique user ID, in one organisation."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(max_length=32, choices=ROLES, default=Role.OFFICER.value)
    display_name = models.CharField(max_length=200, blank=True)
    # TOTP (RFC 6238) second factor; the base32 secret is set when the user enrols.
    mfa_secret = models.CharField(max_length=64, blank=True)
    mfa_enrolled_at = models.DateTimeField(null=True, blank=True)
    # The keyed digest of the one-time set-up code an administrator handed over (never the
    # code), which a user must give before setting up a new authenticator; blank for none.
    mfa_setup_code = models.CharField(max_length=64, blank=True)
    mfa_setup_code_expires_at = models.DateTimeField(null=True, blank=True)
    # CJIS: locked after repeated failed sign-ins until an administrator unlocks.
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_reason = models.CharField(max_length=200, blank=True)
    # The secret in the URL of this user's shift calendar; blank until first shown.
    calendar_secret = models.CharField(max_length=64, blank=True)
    # A password an administrator chose (a new account, or one set for the user) is known
    # to someone else: the user picks their own before anything else once signed in.
    password_must_change = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Program(Tracked):
    """A co-responder or deflection program, configured by its preset file."""

    slug = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    # The whole checked preset, as loaded; the source of every per-program rule.
    preset = models.JSONField(default=dict)
    preset_digest = models.CharField(max_length=64, blank=True)
    partners = models.ManyToManyField(Organization, blank=True, related_name="programs")

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def rules(self) -> Preset:
        """The program's rules: its stored preset, checked and typed.

        Code reads these, never the stored dict. Parsed once per instance and again
        only when `preset` is given a new value (a reload, `refresh_from_db`).
        """
        stored = self.preset
        cached: tuple[object, Preset] | None = self.__dict__.get("_rules")
        if cached is not None and cached[0] is stored:
            return cached[1]
        rules = preset_from_stored(stored or {}, f"the stored preset of program {self.slug!r}")
        self.__dict__["_rules"] = (stored, rules)
        return rules

    @property
    def filed_as(self) -> tuple[str, ...]:
        """Every slug the program's records and audit events may be filed under: its
        slug now, then those its preset says it had before (`formerly`). Events keep
        the slug they were written with."""
        return (self.slug, *self.rules.formerly)


class Membership(Tracked):
    """A user's role within one program."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=ROLES)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "program"], name="one_membership_per_program")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.program.slug}"


class District(Tracked):
    """A police district or service area a program works in."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="districts")
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    name_es = models.CharField(
        max_length=200, blank=True, help_text="The name on Spanish public pages; blank: the name"
    )
    active = models.BooleanField(default=True)
    boundary = models.JSONField(null=True, blank=True, help_text="GeoJSON Polygon or MultiPolygon")

    class Meta:
        ordering = ["program", "code"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="district_code_per_program")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.program.slug})"

    def name_in(self, lang: str) -> str:
        """The district's name in a page's language ("es" or "en")."""
        return self.name_es if lang == "es" and self.name_es else self.name


class Team(Tracked):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    calendar_secret = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["program", "name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="team_name_per_program")
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(Tracked):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    role = models.CharField(max_length=32, choices=ROLES)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_seat_per_team")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) on {self.team}"


class Shift(Tracked):
    """A recurring duty period (RFC 5545 RRULE) covering some districts."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="shifts")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="shifts"
    )
    name = models.CharField(max_length=200)
    rrule = models.CharField(max_length=500)
    starts_on = models.DateField()
    starts_at = models.TimeField(help_text="Local time in the program's time zone")
    duration_minutes = models.PositiveIntegerField()
    districts = models.ManyToManyField(District, blank=True, related_name="shifts")
    exceptions = models.JSONField(default=list, blank=True, help_text="Dates with no shift")
    ends_on = models.DateField(null=True, blank=True, help_text="The last day it runs")
    # Kept in step with the program's preset by `load_programs`, which changes and removes
    # these alone: a shift planned on the web stays as its coordinator left it.
    from_preset = models.BooleanField(default=False)

    class Meta:
        ordering = ["program", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.rrule})"


class FormToken(models.Model):
    """A create form's one-time token and the record its first submission saved.

    Written in the same transaction as the record, so a resubmitted form (Back,
    a second click, a resent draft) finds the record instead of saving another
    (ADR 0009). `user` is the signed-in submitter; an anonymous one is known by
    a random key kept in their session.
    """

    class Kind(models.TextChoices):
        ENCOUNTER = "encounter", "Encounter"
        REFERRAL = "referral", "Referral"
        ATTEMPT = "attempt", "Outreach attempt"
        CARE_PLAN = "care_plan", "Care plan"
        CARE_GOAL = "care_goal", "Care plan goal"
        CARE_STEP = "care_step", "Care plan step"
        FOLLOW_UP = "follow_up", "Follow-up"
        CONSENT = "consent", "Consent"
        SERVICE_REFERRAL = "service_referral", "Service referral"
        HELP_REQUEST = "help_request", "Help request"
        SHIFT = "shift", "Shift"
        BREAK_GLASS = "break_glass", "Break-glass opening"
        IMPORT = "import", "Import"
        AMENDMENT = "amendment", "Amendment request"
        SPIKE_CHECK = "spike_check", "Spike check"
        LEGAL_HOLD = "legal_hold", "Legal hold"
        AMENDMENT_EXTENSION = "amendment_extension", "Amendment extension"
        ACCOUNT = "account", "Account"
        RECORDS_REQUEST = "records_request", "Records request"
        RECORDS_REQUEST_EXTENSION = "records_request_extension", "Records request extension"
        CONTACT_REQUEST = "contact_request", "How the person asked to be reached"
        PASSWORD = "password", "Password change"
        MFA_RESET = "mfa_reset", "Authenticator reset"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    token = models.CharField(max_length=32)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    anonymous_key = models.CharField(max_length=32, blank=True)
    saved_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "token"], name="one_record_per_form_token")
        ]
        indexes = [models.Index(fields=["created_at"], name="form_token_age")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} form {self.token}"


class RequestKey(models.Model):
    """An API request's `Idempotency-Key` and the answer its first sending got.

    The API's counterpart of the form token: a client that sends the same POST
    again with the same key (a phone retrying over a bad connection) gets the
    first answer back instead of a second record. Keys belong to the user who
    sent them; `fingerprint` is a hash of the method, path and body, so a key
    reused for another request is told apart. `status` is empty while the first
    sending is being answered. `seen` keeps, for each person the first sending's
    events name, the groups of their record the sender could see then: the answer
    is given again only while that still holds.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    seen = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_answer_per_request_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="request_key_age")]

    def __str__(self) -> str:
        return f"request key {self.key}"
