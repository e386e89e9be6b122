"""The database-role tests need PostgreSQL's roles: they are collected only when the suite
runs there (CI's second run), rather than skipped on SQLite, where CI counts a skip as a failure.
"""

from __future__ import annotations

from django.conf import settings

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

collect_ignore = [] if ON_POSTGRESQL else ["test_audit_roles_postgresql.py"]
