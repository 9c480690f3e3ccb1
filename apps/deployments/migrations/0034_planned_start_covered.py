# The planned deployments by their start, covering what a plan's components' and practitioners' overlaps read of each
# (they name no environment): the bookings starting in a window that end before it are passed over in the index
# (PostgreSQL; on SQLite the index holds the start alone).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("deployments", "0033_on_its_way_covered")]

    operations = [
        migrations.AddIndex(
            model_name="deployment",
            index=models.Index(
                condition=models.Q(
                    (
                        "status__in",
                        (
                            "pending_approval",
                            "approved",
                            "verifying_components",
                            "verifying_environment",
                            "executing",
                            "verifying",
                        ),
                    )
                ),
                fields=["planned_start"],
                include=("planned_end", "status", "id", "environment", "reference"),
                name="dep_planned_start",
            ),
        ),
    ]
