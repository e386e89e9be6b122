from __future__ import annotations

from coresponder.core.audit import Actor
from coresponder.programs.actions import enable_user
from coresponder.programs.management.commands._cli import UserActionCommand
from coresponder.programs.models import User


class Command(UserActionCommand):
    help = "Enable a disabled user again (audited as a permission change)."
    done = "enabled"

    def act(self, actor: Actor, user: User) -> None:
        enable_user(actor, user)
