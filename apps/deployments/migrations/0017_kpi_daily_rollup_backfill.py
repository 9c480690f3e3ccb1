"""Fill the KPI rollup from the deployments already recorded — after every column the rollup reads exists (the
branches that added them merged at 0015)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from apps.deployments.services.kpi_rollup import kpi_rollup_rebuild

    kpi_rollup_rebuild(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0016_kpi_daily_rollup"),
        ("deployment_models", "0008_stage_extra_approval_risk_threshold"),
        ("catalog", "0003_service_stakeholders"),
        ("environments", "0003_clearance_reminded_for"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
