"""A referral imported from a FHIR bundle as a draft no longer starts its history with a
"requested" step: a draft was never sent, so the provider was never asked.

The import wrote a "requested" step first for every bundle, then the bundle's own
status. Nothing moves a referral into draft but that import, so a "requested" step
before a referral's first "draft" step is one the import wrote, not a request anyone
made; it is dropped, and the history starts where the referral did. A referral called
off from draft then reads, in its history, as never sent, and the provider it would have
gone to does not see it.
"""

from django.db import migrations
from django.db.models import Min


def forget_requests_before_a_draft(apps, schema_editor):
    """Every "requested" step recorded before a referral's first "draft" step goes."""
    Change = apps.get_model("services", "ServiceReferralStatusChange")
    drafted = (
        Change.objects.filter(status="draft")
        .values("referral_id")
        .annotate(first=Min("id"))
        .order_by()
    )
    for row in drafted:
        Change.objects.filter(
            referral_id=row["referral_id"], status="requested", id__lt=row["first"]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0004_referral_source_identifier"),
    ]

    operations = [
        migrations.RunPython(forget_requests_before_a_draft, migrations.RunPython.noop),
    ]
