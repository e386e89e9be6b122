# The hours to first contact are stored packed (float64s) instead of as JSON. Daily facts
# built before hold no packed hours, so they and their builds are forgotten: the records
# answer until the worker builds again (it builds any program with no build).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0003_metric_days_read_by_breakdown_and_range'),
    ]

    operations = [
        migrations.RunSQL('DELETE FROM reports_metricbuild', migrations.RunSQL.noop),
        migrations.RunSQL('DELETE FROM reports_metricday', migrations.RunSQL.noop),
        migrations.RemoveField(model_name='metricday', name='hours'),
        migrations.AddField(
            model_name='metricday',
            name='hours',
            field=models.BinaryField(null=True),
        ),
    ]
