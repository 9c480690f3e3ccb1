"""Counts kept so that a page reads rows bounded by what it shows: the calendar's day counts (per UTC day, environment
and status, the deployments planned to overlap the day: a day's "+N more") and the deployments per status now (the
KPIs' backlog) — kept by the services that create a deployment, change its status or re-plan it
(apps/deployments/services/calendar_days.py) and rebuilt by `kpi_rollup_rebuild`."""

from django.db import models


class DeploymentCalendarDay(models.Model):
    """The deployments of one environment and status whose planned window overlaps one UTC day (planned start before
    the day's end, planned end after its start); a deployment without a planned start or end counts on no day. The
    keys are plain integers and strings, like the KPI rollups' (no foreign keys to check on bulk loads)."""

    day = models.DateField()
    environment_id = models.PositiveIntegerField()
    status = models.CharField(max_length=24)
    deployments = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "environment_id", "status"], name="calendar_day_one_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} env {self.environment_id} {self.status}: {self.deployments}"


class DeploymentStatusCount(models.Model):
    """How many deployments are in one of COUNTED statuses now (the approved ones: the KPIs' backlog), per
    environment and model, and over every environment and every model (key ALL, -1; model 0: none) — so the backlog
    of every deployment, of an environment or of a model is one row, however many deployments are approved."""

    COUNTED = ("approved",)

    status = models.CharField(max_length=24)
    environment_id = models.IntegerField()
    model_id = models.IntegerField()
    deployments = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["status", "environment_id", "model_id"], name="status_count_one_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.status} env {self.environment_id} model {self.model_id}: {self.deployments}"
