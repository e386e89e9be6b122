"""The read gate for an outreach task, built on the privacy gate's person access."""

from __future__ import annotations

from typing import Any

from coresponder.core.errors import NotVisible
from coresponder.domain.policy import FieldGroup
from coresponder.outreach.models import Attempt, OutreachTask
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


# What a reader is told in place of a close note they may not read.
CLOSE_NOTE_WITHHELD = "withheld: it may hold clinical detail"


def close_note_read(task: OutreachTask, access: PersonAccess) -> str | None:
    """The note given when the task was closed by hand, as this reader reads it: "" where
    there is none, None where it is withheld.

    Typed in words ("admitted to inpatient detox, on methadone"), it may say what treatment
    the person went to: clinical detail, which the reader is shown where the gate shows
    them the person's clinical detail in the task's program (the clinical team; an officer
    only under a consent naming them, a disclosure), as an encounter's note or a service
    referral's note is."""
    if not task.close_note:
        return ""
    if access.shows(FieldGroup.CLINICAL, task.program_id):
        return task.close_note
    return None


def attempt_note_read(attempt: Attempt, access: PersonAccess, program_id: int) -> str | None:
    """The note typed with a visit, as this reader reads it: "" where there is none, None
    where it is withheld.

    Typed on the doorstep ("drinking again; a gun in the house"), it is for the clinical team
    who follow the person up, and may hold clinical detail: shown where the gate shows the
    reader the person's clinical detail in the task's program, as a close note is."""
    if not attempt.note:
        return ""
    if access.shows(FieldGroup.CLINICAL, program_id):
        return attempt.note
    return None
