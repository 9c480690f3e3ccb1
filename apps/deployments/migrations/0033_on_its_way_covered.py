# The index of "what is where"'s deployments on their way covers what a cell shows of them (their reference and
# status): a page's cells read the index alone (PostgreSQL; on SQLite the index is as before).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("deployments", "0032_calendar_overlaps_covered")]

    operations = [
        migrations.RemoveIndex(
            model_name="deployment",
            name="dep_on_its_way",
        ),
        migrations.AddIndex(
            model_name="deployment",
            index=models.Index(
                condition=models.Q(
                    (
                        "status__in",
                        ("approved", "verifying_components", "verifying_environment", "executing", "verifying"),
                    )
                ),
                fields=["service", "environment", "planned_start", "id"],
                include=("reference", "status"),
                name="dep_on_its_way",
            ),
        ),
    ]
