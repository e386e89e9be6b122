"""The database-role tests need PostgreSQL's roles: they are collected only when the suite
runs there (CI's second run), rather than skipped on SQLite, where CI counts a skip as a failure.

`remembered` and `member` serve the tests of what the shared cache remembers.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from coresponder.domain.vocabulary import Role
from coresponder.programs.models import Program, User
from coresponder.programs.tests.factories import MembershipFactory, UserFactory

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

collect_ignore = [] if ON_POSTGRESQL else ["test_audit_roles_postgresql.py"]


@pytest.fixture
def remembered(settings: Any) -> None:
    """Token checks and grants remembered for a minute, in a cache of the test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "remembered",
        }
    }
    settings.AUTH_CACHE_SECONDS = 60
    cache.clear()


@pytest.fixture
def member(pad: Program) -> User:
    """An officer of PAD."""
    user = UserFactory.create(username="olivia")
    MembershipFactory.create(user=user, program=pad, role=Role.OFFICER.value)
    return user
