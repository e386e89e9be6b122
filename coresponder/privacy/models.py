"""Consent, disclosures, API tokens and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from coresponder.common import Tracked


class Consent(Tracked):
    """A 42 CFR Part 2 consent, with every element the regulation names."""

    class SignatureMethod(models.TextChoices):
        WRITTEN = "written", "Signed on paper"
        ELECTRONIC = "electronic", "Signed electronically"
        VERBAL = "verbal_witnessed", "Verbal, witnessed"

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="consents")
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    discloser = models.CharField(max_length=200, help_text="Who may disclose")
    recipients = models.JSONField(default=list, help_text="Recipients by name or class")
    information = models.TextField(help_text="What information may be disclosed")
    purpose = models.TextField()
    expires_at = models.DateTimeField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(max_length=300, blank=True)
    signed_at = models.DateTimeField()
    signature_method = models.CharField(max_length=32, choices=SignatureMethod.choices)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"Consent {self.pk} of {self.person} for {self.purpose[:40]}"


class Disclosure(models.Model):
    """A release of Part 2 information to someone outside its holder; never edited."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="disclosures"
    )
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    disclosed_at = models.DateTimeField()
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.CharField(max_length=200)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    information = models.TextField()
    purpose = models.TextField(blank=True)
    notice_included = models.BooleanField(default=True)

    class Meta:
        ordering = ["-disclosed_at", "-id"]

    def __str__(self) -> str:
        return f"Disclosure {self.pk} to {self.recipient}"


class ApiToken(models.Model):
    """A Bearer token; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API token {self.prefix}… for {self.user}"


class AuditEvent(models.Model):
    """Who did what, to which record, when, from where, and how it ended.

    Append-only. Each event's `digest` covers its content and the previous
    event's digest, so a changed or removed event breaks the chain.
    """

    class Action(models.TextChoices):
        LOGON = "logon", "Sign-in"
        LOGOFF = "logoff", "Sign-out"
        READ = "read", "Read"
        CREATE = "create", "Create"
        CHANGE = "change", "Change"
        DELETE = "delete", "Delete"
        PERMISSION = "permission", "Permission change"
        EXPORT = "export", "Export"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        DENIED = "denied", "Denied"
        FAILED = "failed", "Failed"

    at = models.DateTimeField(db_index=True)
    # PROTECT: the digest covers the actor, so users are deactivated, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text="User name, or the system job")
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    program_slug = models.CharField(max_length=32, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    where = models.CharField(max_length=100, blank=True, help_text="IP address, or cli / worker")
    detail = models.JSONField(default=dict, blank=True)
    previous_digest = models.CharField(max_length=64, blank=True)
    digest = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}"


class AuditChainHead(models.Model):
    """One row, locked while an event is appended, so the chain never forks."""

    digest = models.CharField(max_length=64, blank=True)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Audit chain head after {self.count} events"
