# The conflicts' index covers what the calendar reads of a shown deployment's overlaps in its environment (their start,
# id and reference): counting them reads the index alone (PostgreSQL; on SQLite the index is as before).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("deployments", "0031_matrix_shown")]

    operations = [
        migrations.RemoveIndex(
            model_name="deployment",
            name="dep_planned_env_end",
        ),
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
                fields=["environment", "planned_end"],
                include=("planned_start", "id", "reference"),
                name="dep_planned_env_end",
            ),
        ),
    ]
