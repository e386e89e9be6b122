from django.db import migrations, models
from django.db.models import F


def start_from_version(apps, schema_editor):
    """Existing referrals start from the version every reader has already been shown."""
    apps.get_model("services", "ServiceReferral").objects.update(shared_version=F("version"))


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0002_closed_loop"),
    ]

    operations = [
        migrations.AddField(
            model_name="servicereferral",
            name="shared_version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.RunPython(start_from_version, migrations.RunPython.noop),
    ]
