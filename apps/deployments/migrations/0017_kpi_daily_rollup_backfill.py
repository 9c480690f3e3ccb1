"""Filled the KPI daily rollup from the deployments already recorded. The rollup has gained columns since, and
0019 rebuilds every level from the deployments, so this step is left as a no-op (it has run where it had to)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0016_kpi_daily_rollup"),
        ("deployment_models", "0008_stage_extra_approval_risk_threshold"),
        ("catalog", "0003_service_stakeholders"),
        ("environments", "0003_clearance_reminded_for"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
