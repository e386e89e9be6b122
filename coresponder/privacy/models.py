"""Consent, disclosures, API tokens and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from coresponder.core.models import Tracked


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
    recipients = models.JSONField(
        default=list,
        help_text='Recipients by name or class: {"organization": slug}, {"kind": kind}, '
        '{"role": role}, {"user": username} or {"name": text}',
    )
    information = models.TextField(help_text="What information may be disclosed")
    # The field groups the consent releases (clinical, part2), read by the access gate.
    covers = models.JSONField(default=list)
    purpose = models.TextField()
    right_to_revoke_explained = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(max_length=300, blank=True)
    signed_at = models.DateTimeField()
    signature_method = models.CharField(max_length=32, choices=SignatureMethod.choices)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

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
    # The program whose record was released, which accounts for it (42 CFR 2.24): the
    # consent's, the opening's, else the one program the reader saw the person through.
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disclosed_at = models.DateTimeField()
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.CharField(max_length=200)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_organization = models.ForeignKey(
        "programs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    information = models.TextField()
    groups = models.JSONField(default=list, help_text="Field groups released")
    purpose = models.TextField(blank=True)
    channel = models.CharField(max_length=16, default="api", help_text="api, web or export")
    notice_included = models.BooleanField(default=True)
    # The denied amendment requests whose request, denial and statement of disagreement went
    # with this release (45 CFR 164.526(d)(4)-(5)), by id; empty where none did.
    amendments = models.JSONField(
        default=list,
        blank=True,
        help_text="Denied amendment requests that went with this release",
    )
    # The record opened outside policy that let this release through, if one did: the
    # disclosure is kept as long as the opening (retention.break_glass_days).
    break_glass = models.ForeignKey(
        "BreakGlass",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disclosures",
    )

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
    # The organisation the token acts for; a user who changes organisation loses it.
    organization = models.ForeignKey(
        "programs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # When it stops working by itself; empty for a token issued before tokens expired.
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API token {self.prefix}… for {self.user}"


class BreakGlass(Tracked):
    """A clinician opened a record outside policy, giving a reason; a coordinator reviews it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    # The program whose clinician opened it, for someone the program knows: its retention
    # rule and legal holds keep the opening and the disclosures it made.
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"Break-glass by {self.user} on person {self.person_id}"
