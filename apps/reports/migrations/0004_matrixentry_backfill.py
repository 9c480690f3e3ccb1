from django.db import migrations


def backfill(apps, schema_editor):
    from apps.deployments.services.matrix_snapshot import matrix_snapshot_rebuild

    matrix_snapshot_rebuild(apps=apps, label="reports.MatrixEntry")


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0003_matrixentry"),
        ("deployments", "0004_conflict_window_index"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
