"""AuditEntry went to the audit app and MatrixEntry to deployments (state only; their tables and rows stay). The
reports' own permissions (`view_kpis`, `export_records`) stay `reports.*`, now on the table-less Report model."""

from django.db import migrations, models

OWN = ("view_kpis", "export_records")


def keep_permissions(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    moved = Permission.objects.filter(content_type__app_label="audit", content_type__model="auditentry", codename__in=OWN)
    if not moved.exists():  # a new database: post_migrate makes them on Report
        return
    report, _ = ContentType.objects.get_or_create(app_label="reports", model="report")
    Permission.objects.filter(content_type=report, codename__in=OWN).delete()
    moved.update(content_type=report)


def keep_permissions_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    entry = ContentType.objects.filter(app_label="audit", model="auditentry").first()
    if entry is not None:
        Permission.objects.filter(content_type__app_label="reports", content_type__model="report", codename__in=OWN).update(
            content_type=entry
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("audit", "0001_initial"),
        ("deployments", "0005_matrixentry"),
        ("reports", "0004_matrixentry_backfill"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry"), migrations.DeleteModel(name="MatrixEntry")],
            database_operations=[],
        ),
        migrations.CreateModel(
            name="Report",
            fields=[("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"))],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("view_kpis", "Can view KPI reports"),
                    ("export_records", "Can export registers, audit trails and KPI reports"),
                ],
            },
        ),
        migrations.RunPython(keep_permissions, keep_permissions_back),
    ]
