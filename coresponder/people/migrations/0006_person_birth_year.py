"""A person's birth year where only a year (or an age) is known; never beside a birth date."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0005_identity_models_in_identity'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='birth_year',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name='person',
            constraint=models.CheckConstraint(condition=models.Q(('birth_year__isnull', True), models.Q(('birth_date__isnull', True), ('birth_year__gt', 1900)), _connector='OR'), name='person_birth_year_without_date'),
        ),
    ]
