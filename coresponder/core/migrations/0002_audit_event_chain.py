"""Audit events name the chain they extend (ADR 0011); every event already written is in chain 1.

PostgreSQL adds a column with a constant default without touching any row, so
the append-only trigger, which refuses UPDATE and DELETE, is not involved. The
table stays privacy_auditevent, so the application role's grants still cover it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("privacy", "0006_audit_models_in_core"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["chain", "id"], name="privacy_audit_chain_id"),
        ),
    ]
