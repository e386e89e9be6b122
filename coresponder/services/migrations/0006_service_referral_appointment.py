"""When the person is booked to be seen, as the provider said on accepting a referral."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0005_imported_drafts_were_never_requested"),
    ]

    operations = [
        migrations.AddField(
            model_name="servicereferral",
            name="appointment_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
