"""The audit trail's models now live in core; their tables stay, so only the state moves."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('privacy', '0005_audit_append_only'),
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='AuditChainHead'),
                migrations.DeleteModel(name='AuditEvent'),
            ],
        ),
    ]
