"""AuditEntry moves here from the reports app: the state only — its table stays `reports_auditentry`, no row is
copied — and its content type with it, so the permissions and the groups holding them are kept."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    old = ContentType.objects.filter(app_label="reports", model="auditentry").first()
    if old is None:  # a new database: post_migrate makes the content type later
        return
    ContentType.objects.filter(app_label="audit", model="auditentry").delete()
    old.app_label = "audit"
    old.save(update_fields=["app_label"])


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="audit", model="auditentry").update(app_label="reports")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("reports", "0001_initial"),  # which created the table
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(db_index=True)),
                        ("actor_name", models.CharField(blank=True, max_length=150)),
                        ("channel", models.CharField(max_length=10)),
                        ("action", models.CharField(max_length=20)),
                        ("object_type", models.CharField(db_index=True, max_length=100)),
                        ("object_id", models.CharField(db_index=True, max_length=64)),
                        ("object_repr", models.CharField(max_length=300)),
                        ("changes", models.JSONField(blank=True, default=dict)),
                        ("service_id", models.BigIntegerField(blank=True, db_index=True, help_text="Scopes the entry to a service.", null=True)),
                        ("prev_hash", models.CharField(max_length=64)),
                        ("hash", models.CharField(max_length=64, unique=True)),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "reports_auditentry",
                        "verbose_name_plural": "audit entries",
                        "ordering": ["id"],
                        "permissions": [("view_audit", "Can view and verify the audit trail")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
