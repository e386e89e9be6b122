"""The one read gate: protected records are loaded only through `access_*` functions.

"Missing" and "not yours" raise the same NotVisible, so nobody learns that a
record they may not see exists.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from coresponder.domain.vocabulary import Role
from coresponder.programs.models import Membership, Program


class NotVisible(LookupError):
    """The record does not exist, or the caller may not know that it does."""


def is_admin(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.ADMIN))


def visible_programs(user: Any) -> QuerySet[Program]:
    """The programs a user acts in; administrators see every program."""
    if not user.is_authenticated or not user.is_active:
        return Program.objects.none()
    if is_admin(user):
        return Program.objects.all()
    return Program.objects.filter(memberships__user=user, memberships__active=True).distinct()


def role_in(user: Any, program: Program) -> Role | None:
    """The user's role in the program, or None when they are not in it."""
    if is_admin(user):
        return Role.ADMIN
    membership = Membership.objects.filter(user=user, program=program, active=True).first()
    return Role(membership.role) if membership else None


def access_program(user: Any, slug: str) -> Program:
    """A program the user acts in, or NotVisible."""
    program = visible_programs(user).filter(slug=slug).first()
    if program is None:
        raise NotVisible(f"program {slug!r}")
    return program
