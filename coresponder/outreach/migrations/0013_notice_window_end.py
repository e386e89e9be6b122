from django.db import migrations, models
from django.db.models import OuterRef, Subquery

PER_WINDOW = ["closing_soon_no_attempt", "missed"]


def remember_windows(apps, schema_editor):
    """Reminders already sent were about their task's window as it stands now."""
    Notice = apps.get_model("outreach", "Notice")
    OutreachTask = apps.get_model("outreach", "OutreachTask")
    Notice.objects.filter(kind__in=PER_WINDOW, task__isnull=False).update(
        window_end=Subquery(
            OutreachTask.objects.filter(pk=OuterRef("task_id")).values("window_end")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0012_windows_from_late_reports"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="window_end",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RemoveConstraint(
            model_name="notice",
            name="one_notice_per_task_kind",
        ),
        migrations.RunPython(remember_windows, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="notice",
            constraint=models.UniqueConstraint(
                condition=models.Q(window_end__isnull=True),
                fields=("recipient", "task", "kind"),
                name="one_notice_per_task_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="notice",
            constraint=models.UniqueConstraint(
                condition=models.Q(window_end__isnull=False),
                fields=("recipient", "task", "kind", "window_end"),
                name="one_notice_per_task_kind_window",
            ),
        ),
    ]
