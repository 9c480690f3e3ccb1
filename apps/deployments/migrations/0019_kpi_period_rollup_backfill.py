"""Recompute the daily KPI rollup (its new columns: rate-of-change and alignment ratings, release lag) month by month.
It also filled the week, month and year rows; the period rows have gained day and automation-level rows and a lead
time median since, and 0021 rebuilds them all from the daily rows, so this step now leaves them to it."""

from django.db import migrations


def backfill(apps, schema_editor):
    from apps.deployments.services.kpi_rollup_rebuild import daily_rebuild

    daily_rebuild(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("deployments", "0018_kpi_period_rollup")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
