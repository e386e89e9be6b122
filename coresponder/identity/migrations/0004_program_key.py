"""The key table by program, kept by database triggers.

`people_programkey` holds each row of the key table once for each program its person
takes part in. Triggers keep it as an index is kept, whatever writes the key table or
the participations (an action, a merge moving rows with UPDATE, a deletion cascading
from a person, a bulk load): a key row added, moved to another person or removed, and a
participation added, moved or removed, each change the rows they stand for, in the same
statement. Existing rows are copied in once.
"""

from typing import Any

from django.db import migrations, models

KEYS, PARTICIPATIONS, BY_PROGRAM = "people_personkey", "people_participation", "people_programkey"
COLUMNS = f"{BY_PROGRAM} (person_key, program, key, person)"

# What each change means for the table, as statements over NEW and OLD rows.
KEY_ADDED = (
    f"INSERT INTO {COLUMNS} SELECT NEW.id, p.program_id, NEW.key, NEW.person_id "
    f"FROM {PARTICIPATIONS} p WHERE p.person_id = NEW.person_id"
)
KEY_REMOVED = f"DELETE FROM {BY_PROGRAM} WHERE person_key = OLD.id"
JOINED = (
    f"INSERT INTO {COLUMNS} SELECT k.id, NEW.program_id, k.key, k.person_id "
    f"FROM {KEYS} k WHERE k.person_id = NEW.person_id"
)
LEFT = f"DELETE FROM {BY_PROGRAM} WHERE person = OLD.person_id AND program = OLD.program_id"

# (trigger, table, event, statements)
TRIGGERS = (
    ("program_key_added", KEYS, "INSERT", (KEY_ADDED,)),
    ("program_key_removed", KEYS, "DELETE", (KEY_REMOVED,)),
    ("program_key_moved", KEYS, "UPDATE OF person_id, key", (KEY_REMOVED, KEY_ADDED)),
    ("program_key_joined", PARTICIPATIONS, "INSERT", (JOINED,)),
    ("program_key_left", PARTICIPATIONS, "DELETE", (LEFT,)),
    ("program_key_rejoined", PARTICIPATIONS, "UPDATE OF person_id, program_id", (LEFT, JOINED)),
)
BACKFILL = (
    f"INSERT INTO {COLUMNS} SELECT k.id, p.program_id, k.key, k.person_id "
    f"FROM {KEYS} k JOIN {PARTICIPATIONS} p ON p.person_id = k.person_id"
)


def create_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for name, table, event, statements in TRIGGERS:
        body = "; ".join(statements)
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {body}; RETURN NULL; END $$"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        elif vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {body}; END"
            )
        else:
            raise RuntimeError(
                f"no triggers for {vendor}: Coresponder runs on SQLite or PostgreSQL"
            )
    schema_editor.execute(BACKFILL)


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for name, table, _event, _statements in TRIGGERS:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0003_person_key_distinct_estimate"),
        ("people", "0008_amendment_extension"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProgramKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("person_key", models.BigIntegerField()),
                ("program", models.BigIntegerField()),
                ("key", models.CharField(max_length=200)),
                ("person", models.BigIntegerField()),
            ],
            options={"db_table": "people_programkey"},
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        # Indexed once the existing rows are in, which is many times faster at scale.
        migrations.AddIndex(
            model_name="programkey",
            index=models.Index(fields=["program", "key", "person"], name="program_key_lookup"),
        ),
        migrations.AddIndex(
            model_name="programkey",
            index=models.Index(fields=["person_key"], name="program_key_row"),
        ),
        migrations.AddIndex(
            model_name="programkey",
            index=models.Index(fields=["person", "program"], name="program_key_person"),
        ),
    ]
