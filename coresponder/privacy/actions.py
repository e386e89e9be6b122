"""The one write path for tokens (and, later, consents and disclosures)."""

from __future__ import annotations

from django.db import transaction

from coresponder.privacy.audit import Actor, record_event
from coresponder.privacy.models import ApiToken
from coresponder.privacy.tokens import digest_of, new_token_value
from coresponder.programs.models import User


def issue_api_token(actor: Actor, user: User) -> str:
    """A new Bearer token for `user`; the value is returned once and never stored."""
    value = new_token_value()
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, digest=digest_of(value), prefix=value[:8])
        record_event(
            actor, "permission", obj=token, detail={"user": user.username, "grant": "api token"}
        )
    return value
