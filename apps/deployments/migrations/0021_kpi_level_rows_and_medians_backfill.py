"""Rebuild the period rows from the daily rows (left as they are): the new day rows, the rows per automation level
(every model filed under its current level) and every row's lead time median, by set-based SQL, a year at a time."""

from django.db import migrations


def backfill(apps, schema_editor):
    from apps.deployments.services.kpi_rollup_rebuild import period_rebuild

    period_rebuild(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("deployments", "0020_kpi_level_rows_and_medians")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
