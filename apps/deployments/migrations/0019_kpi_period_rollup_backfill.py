"""Recompute the daily KPI rollup (its new columns: rate-of-change and alignment ratings, release lag) month by month,
then fill the week, month and year rows from it by set-based SQL, a year at a time."""

from django.db import migrations


def backfill(apps, schema_editor):
    from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild

    kpi_rollup_rebuild(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("deployments", "0018_kpi_period_rollup")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
