"""Calls keep their CAD priority and street address; one call per CAD number, by the database.

Calls recorded twice under one CAD number before the database enforced it (the
staff API took a CAD number without looking for it) are the same call entered
twice. The oldest keeps the number: it is the record the CAD feed has answered
with for that number ever since, so every push keeps meaning the same call. The
later copies lose only the number; they and whatever hangs off them (referral,
encounter, follow-up) stay, so nothing a team recorded is lost and no deploy
waits on an operator to clean rows by hand. Refusing to migrate was the other
choice: it would stop an upgrade on data only a database console could fix.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count


def blank_later_copies(apps, schema_editor):
    """Every call but the oldest of each (program, CAD number) gives up the number."""
    Call = apps.get_model("intake", "Call")
    doubled = (
        Call.objects.exclude(cad_number="")
        .values("program_id", "cad_number")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    for group in doubled:
        ids = list(
            Call.objects.filter(program_id=group["program_id"], cad_number=group["cad_number"])
            .order_by("id")
            .values_list("id", flat=True)
        )
        Call.objects.filter(pk__in=ids[1:]).update(cad_number="")


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0005_case_number"),
        ("people", "0007_amendments"),
        ("programs", "0009_form_tokens_for_legal_holds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="call",
            name="priority",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="call",
            name="address",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.RunPython(blank_later_copies, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="call",
            constraint=models.UniqueConstraint(
                condition=models.Q(("cad_number", ""), _negated=True),
                fields=("program", "cad_number"),
                name="one_call_per_cad_number",
            ),
        ),
    ]
