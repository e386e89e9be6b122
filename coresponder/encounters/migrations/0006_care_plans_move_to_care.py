"""Care plans, goals, steps and follow-ups now belong to the care app.

Only the models' state leaves encounters; their tables stay, under the same names,
and the care app's 0001 takes them over.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("encounters", "0005_care_plans"),
        ("care", "0001_initial"),
        ("outreach", "0009_follow_up_notices_point_at_care"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="FollowUp"),
                migrations.DeleteModel(name="CarePlanStep"),
                migrations.DeleteModel(name="CarePlanGoal"),
                migrations.DeleteModel(name="CarePlan"),
            ],
            database_operations=[],
        ),
    ]
