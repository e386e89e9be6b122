"""Care plans, goals, steps and follow-ups belong to the care app.

The tables were created by encounters 0005 and keep their names: this migration
only takes over the models' state, and writes nothing to the database.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('encounters', '0005_care_plans'),
        ('people', '0002_initial'),
        ('programs', '0004_calendar_secrets'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CarePlan',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('modified_at', models.DateTimeField(auto_now=True)),
                        ('title', models.CharField(max_length=200)),
                        ('status', models.CharField(choices=[('active', 'Active'), ('completed', 'Completed'), ('closed', 'Closed')], default='active', max_length=16)),
                        ('opened_on', models.DateField()),
                        ('closed_on', models.DateField(blank=True, null=True)),
                        ('note', models.TextField(blank=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('modified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='care_plans', to=settings.AUTH_USER_MODEL)),
                        ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='care_plans', to='people.person')),
                        ('program', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='care_plans', to='programs.program')),
                    ],
                    options={
                        'db_table': 'encounters_careplan',
                        'ordering': ['-opened_on', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='CarePlanGoal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('modified_at', models.DateTimeField(auto_now=True)),
                        ('need', models.CharField(choices=[('treatment', 'Treatment'), ('housing', 'Housing'), ('benefits', 'Benefits'), ('id_documents', 'ID documents'), ('transportation', 'Transportation'), ('mental_health', 'Mental health'), ('medical', 'Medical care'), ('legal', 'Legal'), ('employment', 'Employment'), ('family', 'Family'), ('recovery_support', 'Recovery support'), ('other', 'Other')], max_length=32)),
                        ('description', models.CharField(blank=True, max_length=500)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('met', 'Met'), ('dropped', 'Dropped')], default='open', max_length=16)),
                        ('times_reopened', models.PositiveIntegerField(default=0)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('modified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='goals', to='care.careplan')),
                    ],
                    options={
                        'db_table': 'encounters_careplangoal',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='CarePlanStep',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('modified_at', models.DateTimeField(auto_now=True)),
                        ('description', models.CharField(max_length=500)),
                        ('due_on', models.DateField(blank=True, null=True)),
                        ('done_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('goal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='care.careplangoal')),
                        ('modified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='care_steps', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'encounters_careplanstep',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='FollowUp',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('modified_at', models.DateTimeField(auto_now=True)),
                        ('due_at', models.DateTimeField()),
                        ('kind', models.CharField(choices=[('phone', 'Phone call'), ('visit', 'Home visit'), ('text', 'Text message'), ('in_person', 'In person')], max_length=16)),
                        ('done_at', models.DateTimeField(blank=True, null=True)),
                        ('outcome', models.TextField(blank=True)),
                        ('reminded_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('modified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='care_follow_ups', to=settings.AUTH_USER_MODEL)),
                        ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='follow_ups', to='care.careplan')),
                    ],
                    options={
                        'db_table': 'encounters_followup',
                        'ordering': ['due_at', 'id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='careplan',
                    index=models.Index(fields=['person', 'program'], name='encounters__person__052473_idx'),
                ),
                migrations.AddIndex(
                    model_name='followup',
                    index=models.Index(fields=['done_at', 'reminded_at', 'due_at'], name='encounters__done_at_a23e99_idx'),
                ),
            ],
            database_operations=[],
        ),
    ]
