"""Identity resolution's models, on the tables they had in the people app: state only."""

import django.core.serializers.json
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('people', '0004_person_search_text'),
        ('programs', '0005_form_tokens'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='LinkageModel',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('params', models.JSONField(default=dict)),
                        ('trained_at', models.DateTimeField()),
                        ('record_count', models.PositiveIntegerField(default=0)),
                        ('active', models.BooleanField(default=False)),
                    ],
                    options={
                        'db_table': 'people_linkagemodel',
                        'ordering': ['-trained_at', '-id'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('active', True)), fields=('active',), name='one_active_linkage_model')],
                    },
                ),
                migrations.CreateModel(
                    name='MatchCandidate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('modified_at', models.DateTimeField(auto_now=True)),
                        ('probability', models.FloatField()),
                        ('evidence', models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder)),
                        ('status', models.CharField(choices=[('pending', 'Waiting for review'), ('merged', 'Merged'), ('rejected', 'Not the same person')], default='pending', max_length=16)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('modified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('person_a', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='people.person')),
                        ('person_b', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='people.person')),
                    ],
                    options={
                        'db_table': 'people_matchcandidate',
                        'ordering': ['-probability', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='Merge',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source_record_ids', models.JSONField(default=list)),
                        ('snapshot', models.JSONField(default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder)),
                        ('moved', models.JSONField(default=dict)),
                        ('folded', models.JSONField(default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder)),
                        ('evidence', models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder)),
                        ('actor_label', models.CharField(blank=True, max_length=150)),
                        ('at', models.DateTimeField()),
                        ('undone_at', models.DateTimeField(blank=True, null=True)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('candidate', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='merges', to='identity.matchcandidate')),
                        ('kept', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='people.person')),
                        ('merged', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='people.person')),
                        ('undone_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'people_merge',
                        'ordering': ['-at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='SourceRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('modified_at', models.DateTimeField(auto_now=True)),
                        ('source', models.CharField(choices=[('ems', 'EMS'), ('police', 'Police'), ('hospital', 'Hospital'), ('self', 'The person'), ('family', 'Family or friends'), ('staff', 'Staff form'), ('import', 'File import'), ('other', 'Other')], default='other', max_length=16)),
                        ('external_id', models.CharField(blank=True, max_length=100)),
                        ('given_name', models.CharField(blank=True, max_length=100)),
                        ('family_name', models.CharField(blank=True, max_length=100)),
                        ('birth_date', models.DateField(blank=True, null=True)),
                        ('sex', models.CharField(blank=True, max_length=16)),
                        ('phone', models.CharField(blank=True, max_length=32)),
                        ('address', models.CharField(blank=True, max_length=300)),
                        ('event_date', models.DateField(blank=True, null=True)),
                        ('facility', models.CharField(blank=True, max_length=200)),
                        ('received_at', models.DateTimeField()),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('modified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='source_records', to='people.person')),
                        ('program', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='programs.program')),
                    ],
                    options={
                        'db_table': 'people_sourcerecord',
                        'ordering': ['received_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='PersonKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=200)),
                        ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='people.person')),
                        ('source_record', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='keys', to='identity.sourcerecord')),
                    ],
                    options={
                        'db_table': 'people_personkey',
                    },
                ),
                migrations.AddConstraint(
                    model_name='matchcandidate',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('person_a', 'person_b'), name='one_pending_match_candidate'),
                ),
                migrations.AddIndex(
                    model_name='personkey',
                    index=models.Index(fields=['key', 'person'], name='person_key_lookup'),
                ),
            ],
        ),
    ]
