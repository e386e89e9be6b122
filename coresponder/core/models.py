"""The records every app shares: the tracked base with its `version`, and the audit trail.

The audit tables keep the names they were created under (`privacy_auditevent`,
`privacy_auditchainhead`): the append-only trigger and the role grants name them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import models

from coresponder.domain.vocabulary import humanize


def choices_of(enum: type[StrEnum], labels: dict[Any, str] | None = None) -> list[tuple[str, str]]:
    """Django `choices` from a domain enum, labelled from `labels` when given."""
    return [(member.value, (labels or {}).get(member, humanize(member.value))) for member in enum]


class Tracked(models.Model):
    """A mutable record: who made and last changed it, when, and its `version`.

    `version` moves on with every write; a write that names an older version is
    stale and is refused with 409 rather than silently overwriting.
    """

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


# `version` is a PositiveIntegerField: the largest value every database stores.
MAX_VERSION = 2**31 - 1


class AuditEvent(models.Model):
    """Who did what, to which record, when, from where, and how it ended.

    Append-only. Each event's `digest`, an HMAC under the audit key (ADR 0006),
    covers its content and the previous event's digest, so a changed or removed
    event breaks the chain, and no one without the key can mend it.
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
        MERGE = "merge", "Merge of two records"
        UNMERGE = "unmerge", "Merge undone"

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
    fields = models.JSONField(default=list, blank=True, help_text="Fields or field groups touched")
    purpose = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    previous_digest = models.CharField(max_length=64, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    # Which of the AUDIT_CHAINS chains the event extends (ADR 0011); 1 for every
    # event written before there were several.
    chain = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        db_table = "privacy_auditevent"
        indexes = [models.Index(fields=["chain", "id"], name="privacy_audit_chain_id")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}"


class AuditChainHead(models.Model):
    """One row per chain (pk = its number), locked while an event is appended, so no chain forks."""

    digest = models.CharField(max_length=64, blank=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        db_table = "privacy_auditchainhead"

    def __str__(self) -> str:
        return f"Audit chain head after {self.count} events"
