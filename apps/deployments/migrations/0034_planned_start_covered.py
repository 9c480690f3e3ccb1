# The planned deployments by their start, covering what a plan's overlaps read of each (the environment's, the components'
# and the practitioners'): the bookings of the window that end before it are passed over in the index (PostgreSQL; on
# SQLite the index holds the start alone).

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
                include=("planned_end", "status", "id", "environment", "reference", "title"),
                name="dep_planned_start",
            ),
        ),
    ]
