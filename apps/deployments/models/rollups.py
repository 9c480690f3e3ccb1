"""The KPI rollups: per day, environment, service, model and supplier, the counts and sums every KPI is computed from
(apps/reports/selectors/kpis.py, kpi_trend.py), and the same figures per week, month and year over coarser keys;
kept by the services in the transaction of each change (apps/deployments/services/kpi_rollup.py) and rebuilt from
the deployments by `manage.py kpi_rollup_rebuild`.

The keys are plain integers, 0 for "none" (a deployment without model or supplier), so that one unique constraint
holds on every database and the rows carry no foreign keys to check on bulk loads."""

from django.db import models

from apps.deployment_models.models import AutomationLevel


def empty_sketch() -> dict:
    return {}


class RollupFigures(models.Model):
    """The figures of a rollup row. Finished figures count the deployments that finished (completed, failed, rolled
    back) in the row's days, by actual end in the server's time zone; planned figures count those planned to start
    in them (drafts and cancelled ones left out). Durations are kept as log-bucket sketches
    (apps/deployments/sketch.py): lead time of the completed ones, time to restore of the production failures and the
    time from the end of a completed deployment to its release."""

    # finished in the row's days
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
    rate_n = models.IntegerField(default=0)  # ratings of the rate of change given
    rate_sum = models.IntegerField(default=0)
    alignment_n = models.IntegerField(default=0)  # partner alignment ratings answered
    alignment_sum = models.IntegerField(default=0)
    release_n = models.IntegerField(default=0)  # completed and released to users since
    release_sketch = models.JSONField(default=empty_sketch)  # from the end of the deployment to its release
    # planned to start in the row's days
    planned = models.IntegerField(default=0)
    overrides = models.IntegerField(default=0)

    class Meta:
        abstract = True


class DeploymentDailyRollup(RollupFigures):
    """One day's contribution of the deployments of one environment, service, model and supplier."""

    day = models.DateField()
    environment_id = models.PositiveIntegerField()
    service_id = models.PositiveIntegerField()
    model_id = models.PositiveIntegerField(default=0)  # 0: no model
    supplier_id = models.PositiveIntegerField(default=0)  # 0: no supplier

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


class Cut(models.TextChoices):
    SERVICE = "S", "service"
    SUPPLIER = "U", "supplier"


class DeploymentCutRollup(RollupFigures):
    """The daily rows of one day added up per service, or per supplier (deployments without one left out): per
    environment and model, over every environment (environment_id ALL), every model (model_id ALL) and both. A KPI
    cut by service, by supplier or by an owner's services reads these instead of the daily rows: its plain figures
    one row per day and service (or supplier), its production figures one per day, service and production
    environment, its agreed models' one per day, service and model — however many deployments each day holds."""

    day = models.DateField()
    cut = models.CharField(max_length=1, choices=Cut.choices)
    cut_id = models.PositiveIntegerField()  # the service's or supplier's id
    environment_id = models.IntegerField()  # ALL: every environment
    model_id = models.IntegerField()  # 0: no model; ALL: every model

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cut", "cut_id", "environment_id", "model_id", "day"], name="cut_rollup_one_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.get_cut_display()} {self.cut_id} env {self.environment_id} model {self.model_id}"


class Grain(models.TextChoices):
    DAY = "D", "day"
    WEEK = "W", "week"  # starting on Monday
    MONTH = "M", "month"
    YEAR = "Y", "year"


# The KPI filter `automation_level`: the model's level, or "automated" for partly and fully automated together.
# Deployments without a model have no automation level and fall under none of these.
AUTOMATION_LEVELS: dict[str, tuple[str, ...]] = {
    "manual": (AutomationLevel.MANUAL,),
    "automated": (AutomationLevel.PARTLY_AUTOMATED, AutomationLevel.FULLY_AUTOMATED),
    "partly_automated": (AutomationLevel.PARTLY_AUTOMATED,),
    "fully_automated": (AutomationLevel.FULLY_AUTOMATED,),
}
# The model key of the period rows that add up every model of an automation level (as filed, RollupModelLevel).
LEVEL_KEYS: dict[str, int] = {"manual": -2, "automated": -3, "partly_automated": -4, "fully_automated": -5}


def level_keys(automation_level: str | None) -> tuple[int, ...]:
    """The level rows a model of `automation_level` (a model's level, not a filter key) adds to."""
    return tuple(LEVEL_KEYS[key] for key, members in AUTOMATION_LEVELS.items() if automation_level in members)


class DeploymentPeriodRollup(RollupFigures):
    """The daily rows of one day, week, month or year added up, over every service and supplier, per environment and
    model — and also over every environment (environment_id ALL), every model (model_id ALL), every model of an
    automation level (model_id one of LEVEL_KEYS, filed by RollupModelLevel) or both: a period without a service,
    supplier or owner's scope reads a few of these rows instead of one per deployment, and the duration sketches are
    merged over the fewest rows that answer the filters. `lead_median` is the row's own lead time median (read from
    its sketch like sketch_quantiles), so a trend bucket covered by one row needs no merging."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    start = models.DateField()
    environment_id = models.IntegerField()  # ALL: every environment
    model_id = models.IntegerField(default=0)  # 0: no model; ALL: every model; LEVEL_KEYS: the models of a level
    lead_median = models.FloatField(null=True, blank=True)  # seconds; None when no lead time

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "start", "environment_id", "model_id"], name="period_rollup_one_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_grain_display()} {self.start} env {self.environment_id} model {self.model_id}"


class RollupModelLevel(models.Model):
    """The automation level a model's contributions are filed under in the level rows of DeploymentPeriodRollup: its
    level when first written (or at the last rebuild). The services file under this level, not the model's current
    one, so the level rows stay exact sums; a model whose level has changed since is read from its own rows at query
    time (apps/reports/selectors/kpi_rollup.py) until `kpi_rollup_rebuild` files it again."""

    model_id = models.PositiveIntegerField(primary_key=True)
    automation_level = models.CharField(max_length=20)

    def __str__(self) -> str:
        return f"model {self.model_id} filed as {self.automation_level}"
