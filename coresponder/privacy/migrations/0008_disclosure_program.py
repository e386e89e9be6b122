import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def file_under_programs(apps, schema_editor):
    """Releases made before: under their consent's program, else their opening's."""
    Disclosure = apps.get_model("privacy", "Disclosure")
    Consent = apps.get_model("privacy", "Consent")
    BreakGlass = apps.get_model("privacy", "BreakGlass")
    Disclosure.objects.filter(consent__program__isnull=False).update(
        program=Subquery(Consent.objects.filter(pk=OuterRef("consent_id")).values("program")[:1])
    )
    Disclosure.objects.filter(program__isnull=True, break_glass__program__isnull=False).update(
        program=Subquery(
            BreakGlass.objects.filter(pk=OuterRef("break_glass_id")).values("program")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0007_break_glass_retention"),
        ("programs", "0015_district_spanish_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="disclosure",
            name="program",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="programs.program",
            ),
        ),
        migrations.RunPython(file_under_programs, migrations.RunPython.noop),
    ]
