"""PostgreSQL: how many different blocking keys the key table holds, told rather than sampled.

ANALYZE samples 30,000 rows; most keys are on one or two rows, so the sample sees few
of them twice and PostgreSQL guesses far too few distinct keys (379,000 for the
4.9 million of a million-person registry), hence some thirty rows per key where there
are two or three. With that guess a lookup of the phones of fifty candidates looked
big enough to start a parallel worker, which alone took 8 to 15 ms of a 15 ms query.
Distinct keys are about 35% of the rows at a million people (77% at 10,000): a ratio,
so it holds as the registry grows, erring toward fewer rows per key, which keeps the
lookups on the index. SQLite plans without it.
"""

from typing import Any

from django.db import migrations

TABLE = "people_personkey"
RATIO = -0.35  # a negative n_distinct is a share of the rows


def set_estimate(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN key SET (n_distinct = {RATIO})")
        schema_editor.execute(f"ANALYZE {TABLE}")


def reset_estimate(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN key RESET (n_distinct)")
        schema_editor.execute(f"ANALYZE {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0002_sourcerecord_birth_year"),
    ]

    operations = [
        migrations.RunPython(set_estimate, reset_estimate),
    ]
