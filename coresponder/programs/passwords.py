"""The password rule of coresponder.domain.passwords as a Django password validator."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from coresponder.domain.passwords import is_predictable

PREDICTABLE = (
    "This password is mostly one character repeated or runs such as abcd, 4321 or qwerty; "
    "choose one that is harder to guess, such as a few unrelated words."
)


class PredictablePasswordValidator:
    """Refuses repeated characters and alphabet, digit or keyboard runs (in settings)."""

    def validate(self, password: str, user: Any = None) -> None:
        if is_predictable(password):
            raise ValidationError(PREDICTABLE, code="password_predictable")

    def get_help_text(self) -> str:
        return "Your password cannot be mostly repeated characters or runs such as abcd or qwerty."
