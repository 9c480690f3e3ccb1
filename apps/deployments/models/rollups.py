"""The KPI daily rollup: per day, environment, service, model and supplier, the counts and sums every KPI is
computed from (apps/reports/selectors/kpis.py, kpi_trend.py), kept by the services in the transaction of each change
(apps/deployments/services/kpi_rollup.py) and rebuilt from the deployments by `manage.py kpi_rollup_rebuild`.

The keys are plain integers, 0 for "none" (a deployment without model or supplier), so that one unique constraint
holds on every database and the rows carry no foreign keys to check on bulk loads."""

from django.db import models


def empty_sketch() -> dict:
    return {}


class DeploymentDailyRollup(models.Model):
    """One day's contribution of the deployments of one environment, service, model and supplier.

    Finished figures count the deployments that finished (completed, failed, rolled back) that day, by actual end
    in the server's time zone; planned figures count those planned to start that day (drafts and cancelled ones left
    out). Durations are kept as log-bucket sketches (apps/deployments/sketch.py): lead time of the completed ones and
    time to restore of the production failures."""

    day = models.DateField()
    environment_id = models.PositiveIntegerField()
    service_id = models.PositiveIntegerField()
    model_id = models.PositiveIntegerField(default=0)  # 0: no model
    supplier_id = models.PositiveIntegerField(default=0)  # 0: no supplier
    # finished that day
    finished = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)  # failed or rolled back
    with_incidents = models.IntegerField(default=0)  # at least one incident attributed and not withdrawn
    change_failures = models.IntegerField(default=0)  # failed, rolled back or with an incident
    on_schedule = models.IntegerField(default=0)
    lead_n = models.IntegerField(default=0)
    lead_sketch = models.JSONField(default=empty_sketch)
    restore_failures = models.IntegerField(default=0)  # failed deployments + incidents attributed (not withdrawn)
    restore_n = models.IntegerField(default=0)  # of which restored: rolled back, or incident resolved
    restore_sketch = models.JSONField(default=empty_sketch)
    feedback_n = models.IntegerField(default=0)
    feedback_lead_sum = models.IntegerField(default=0)
    feedback_quality_sum = models.IntegerField(default=0)
    # planned to start that day
    planned = models.IntegerField(default=0)
    overrides = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "environment_id", "service_id", "model_id", "supplier_id"], name="rollup_one_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["service_id", "day"], name="rollup_service_day"),
            models.Index(fields=["model_id", "day"], name="rollup_model_day"),
            models.Index(fields=["environment_id", "day"], name="rollup_env_day"),
            models.Index(fields=["supplier_id", "day"], name="rollup_supplier_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} env {self.environment_id} svc {self.service_id} model {self.model_id}"
