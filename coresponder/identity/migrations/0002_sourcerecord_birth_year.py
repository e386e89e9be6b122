"""A source record's birth year where the source gave only a year or an age."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('identity', '0001_initial'),
        ('people', '0006_person_birth_year'),
        ('programs', '0006_form_tokens_for_shifts_break_glass_and_imports'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='sourcerecord',
            name='birth_year',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name='sourcerecord',
            constraint=models.CheckConstraint(condition=models.Q(('birth_year__isnull', True), models.Q(('birth_date__isnull', True), ('birth_year__gt', 1900)), _connector='OR'), name='source_record_birth_year_without_date'),
        ),
    ]
