"""Identity resolution's models live in the identity app; their tables stay: state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0004_person_search_text'),
        ('identity', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='LinkageModel',
                ),
                migrations.RemoveField(
                    model_name='merge',
                    name='candidate',
                ),
                migrations.RemoveField(
                    model_name='merge',
                    name='actor',
                ),
                migrations.RemoveField(
                    model_name='merge',
                    name='kept',
                ),
                migrations.RemoveField(
                    model_name='merge',
                    name='merged',
                ),
                migrations.RemoveField(
                    model_name='merge',
                    name='undone_by',
                ),
                migrations.RemoveField(
                    model_name='personkey',
                    name='person',
                ),
                migrations.RemoveField(
                    model_name='personkey',
                    name='source_record',
                ),
                migrations.RemoveField(
                    model_name='sourcerecord',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='sourcerecord',
                    name='modified_by',
                ),
                migrations.RemoveField(
                    model_name='sourcerecord',
                    name='person',
                ),
                migrations.RemoveField(
                    model_name='sourcerecord',
                    name='program',
                ),
                migrations.DeleteModel(
                    name='MatchCandidate',
                ),
                migrations.DeleteModel(
                    name='Merge',
                ),
                migrations.DeleteModel(
                    name='PersonKey',
                ),
                migrations.DeleteModel(
                    name='SourceRecord',
                ),
            ],
        ),
    ]
