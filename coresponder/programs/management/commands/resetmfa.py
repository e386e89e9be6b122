from __future__ import annotations

from coresponder.core.audit import Actor
from coresponder.programs.actions import reset_mfa
from coresponder.programs.management.commands._cli import UserActionCommand
from coresponder.programs.models import User


class Command(UserActionCommand):
    help = (
        "Clear a user's second factor (a lost phone): they set up a new authenticator app "
        "at their next sign-in. Check who is asking first."
    )
    done = "will set up a new authenticator app"

    def act(self, actor: Actor, user: User) -> None:
        reset_mfa(actor, user)
