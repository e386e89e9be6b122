"""The read gate for an outreach task, built on the privacy gate's person access."""

from __future__ import annotations

from typing import Any

from coresponder.core.errors import NotVisible
from coresponder.domain.policy import FieldGroup
from coresponder.outreach.models import OutreachTask
from coresponder.privacy.access import PersonAccess, access_person, may_read


def access_task(user: Any, task_id: Any) -> tuple[OutreachTask, PersonAccess]:
    """An outreach task and its person, for a user whose role sees outreach in its program."""
    try:
        task = OutreachTask.objects.select_related("program").get(pk=int(task_id))
    except (OutreachTask.DoesNotExist, TypeError, ValueError) as exc:
        raise NotVisible("outreach task") from exc
    access = access_person(user, task.person_id)
    role = access.roles.get(task.program_id)
    if role is None or not may_read(role, FieldGroup.OUTREACH):
        raise NotVisible("outreach task")
    return task, access
