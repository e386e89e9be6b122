from __future__ import annotations

from coresponder.core.audit import Actor
from coresponder.programs.actions import reset_mfa
from coresponder.programs.management.commands._cli import UserActionCommand
from coresponder.programs.models import User


class Command(UserActionCommand):
    help = (
        "Clear a user's second factor (a lost phone), end their sessions, revoke their API "
        "tokens and print a one-time set-up code: give it to them by phone or in person; "
        "after their password they enter it to set up a new authenticator app. Check who "
        "is asking first."
    )
    done = "will set up a new authenticator app with the set-up code"

    def act(self, actor: Actor, user: User) -> None:
        done = reset_mfa(actor, user)
        given = done.setup_code
        self.stdout.write(
            f"signed out everywhere: {done.sessions_ended} session(s) ended, "
            f"{done.tokens_revoked} API token(s) revoked"
        )
        self.stdout.write(
            f"set-up code (shown once, works until {given.expires_at:%Y-%m-%d %H:%M} UTC): "
            f"{given.code}"
        )
