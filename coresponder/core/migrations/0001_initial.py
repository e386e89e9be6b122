"""The audit trail's models, moved here from privacy: state only, the tables stay as they are."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The tables were created, and made append-only, by privacy's migrations.
        ('privacy', '0005_audit_append_only'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditChainHead',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('digest', models.CharField(blank=True, max_length=64)),
                        ('count', models.BigIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'privacy_auditchainhead',
                    },
                ),
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(db_index=True)),
                        ('actor_label', models.CharField(help_text='User name, or the system job', max_length=200)),
                        ('action', models.CharField(choices=[('logon', 'Sign-in'), ('logoff', 'Sign-out'), ('read', 'Read'), ('create', 'Create'), ('change', 'Change'), ('delete', 'Delete'), ('permission', 'Permission change'), ('export', 'Export')], max_length=16)),
                        ('object_type', models.CharField(blank=True, max_length=64)),
                        ('object_id', models.CharField(blank=True, max_length=64)),
                        ('person_id', models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ('program_slug', models.CharField(blank=True, max_length=32)),
                        ('outcome', models.CharField(choices=[('success', 'Success'), ('denied', 'Denied'), ('failed', 'Failed')], default='success', max_length=16)),
                        ('where', models.CharField(blank=True, help_text='IP address, or cli / worker', max_length=100)),
                        ('fields', models.JSONField(blank=True, default=list, help_text='Fields or field groups touched')),
                        ('purpose', models.CharField(blank=True, max_length=200)),
                        ('detail', models.JSONField(blank=True, default=dict)),
                        ('previous_digest', models.CharField(blank=True, max_length=64)),
                        ('digest', models.CharField(max_length=64, unique=True)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'privacy_auditevent',
                        'ordering': ['id'],
                    },
                ),
            ],
        ),
    ]
