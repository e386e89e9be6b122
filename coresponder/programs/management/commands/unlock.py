from __future__ import annotations

from coresponder.core.audit import Actor
from coresponder.programs.actions import unlock_user
from coresponder.programs.management.commands._cli import UserActionCommand
from coresponder.programs.models import User


class Command(UserActionCommand):
    help = "Unlock a user locked after failed sign-ins (audited as a permission change)."
    done = "unlocked"

    def act(self, actor: Actor, user: User) -> None:
        unlock_user(actor, user)
