"""MatrixEntry (the "what is where" snapshot) moves here from the reports app: the state only — its table stays
`reports_matrixentry` with its rows — and its content type with it."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    old = ContentType.objects.filter(app_label="reports", model="matrixentry").first()
    if old is None:
        return
    ContentType.objects.filter(app_label="deployments", model="matrixentry").delete()
    old.app_label = "deployments"
    old.save(update_fields=["app_label"])


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="deployments", model="matrixentry").update(app_label="reports")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("deployments", "0004_conflict_window_index"),
        ("environments", "0001_initial"),
        ("reports", "0004_matrixentry_backfill"),  # which created and filled the table
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MatrixEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("current_at", models.DateTimeField(blank=True, null=True)),
                        ("last_at", models.DateTimeField(blank=True, null=True)),
                        ("component", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.servicecomponent")),
                        ("current", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="deployments.deployment")),
                        ("current_version", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="catalog.componentversion")),
                        ("environment", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="environments.environment")),
                        ("last", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="deployments.deployment")),
                        ("service", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.service")),
                    ],
                    options={
                        "db_table": "reports_matrixentry",
                        "verbose_name_plural": "matrix entries",
                        "indexes": [models.Index(fields=["service", "environment"], name="matrix_service_env")],
                        "constraints": [
                            models.UniqueConstraint(condition=models.Q(("component__isnull", False)), fields=("environment", "component"), name="matrix_one_entry_per_component"),
                            models.UniqueConstraint(condition=models.Q(("component__isnull", True)), fields=("environment", "service"), name="matrix_one_entry_per_service"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
