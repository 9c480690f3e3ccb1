"""Counts kept so that a page reads rows bounded by what it shows: the calendar's day counts (per UTC day, environment
and status, the deployments planned to overlap the day: a day's "+N more"), the deployments per status now (the
KPIs' backlog), the deployments pending approval (the home page's "awaiting my approval") — kept by the services
that create a deployment, change its status or re-plan it (apps/deployments/services/calendar_days.py) — and the
practitioners' finished deployments per environment and day (the risk's experience factor;
apps/deployments/services/practitioner_counts.py); all rebuilt by `kpi_rollup_rebuild`."""

from django.db import models


class DeploymentCalendarDay(models.Model):
    """The deployments of one environment (or of every environment: ALL, -1) and status whose planned window overlaps
    one UTC day (planned start before the day's end, planned end after its start); a deployment without a planned
    start or end counts on no day. The keys are plain integers and strings, like the KPI rollups' (no foreign keys to
    check on bulk loads)."""

    day = models.DateField()
    environment_id = models.IntegerField()
    status = models.CharField(max_length=24)
    deployments = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "environment_id", "status"], name="calendar_day_one_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} env {self.environment_id} {self.status}: {self.deployments}"


class DeploymentStatusCount(models.Model):
    """How many deployments are approved or under way now (workflow.BOOKED), per status: per environment and model
    over every service (service ALL, -1), and per environment and service over every model (model ALL), each also
    over every environment (environment ALL; model 0: none). The KPIs' backlog of every deployment, an environment
    or a model is one row, and "what is where" finds the services with something on its way, and how much in each
    cell, in rows bounded by the services and environments — however many deployments are approved."""

    status = models.CharField(max_length=24)
    environment_id = models.IntegerField()
    model_id = models.IntegerField()
    service_id = models.IntegerField()
    deployments = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status", "environment_id", "model_id", "service_id"], name="status_count_one_per_key"
            )
        ]
        # the cells of a page of "what is where": a few services' rows, whatever the other services hold
        indexes = [models.Index(fields=["service_id", "model_id", "environment_id"], name="status_count_service")]

    def __str__(self) -> str:
        return f"{self.status} env {self.environment_id} model {self.model_id} svc {self.service_id}"


class DeploymentPendingCount(models.Model):
    """How many deployments are pending approval now, per environment, service, stage (0: none) and requester — and
    per requester over every environment, service and stage (those three ALL, -1), and over everything (all four
    ALL). The home page's "awaiting my approval" is read from these rows (apps/deployments/selectors/work.py): a
    deployment manager's is the row over everything less their own requests' row; an owner's, the rows of the
    services they own under stages that ask for their sign-off (the stage's flag and the owners read now), less
    their own requests — rows bounded by the catalog and the requesters, however many deployments there are."""

    environment_id = models.IntegerField()
    service_id = models.IntegerField()
    stage_id = models.IntegerField()
    requester_id = models.IntegerField()
    deployments = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["environment_id", "service_id", "stage_id", "requester_id"], name="pending_count_one_per_key"
            )
        ]
        indexes = [models.Index(fields=["service_id", "stage_id"], name="pending_count_service")]

    def __str__(self) -> str:
        return f"pending env {self.environment_id} svc {self.service_id} stage {self.stage_id} by {self.requester_id}"


class DeploymentPractitionerCount(models.Model):
    """How many deployments a practitioner (user) was assigned to that finished (workflow.FINISHED) in one
    environment on one UTC day (by actual end). The risk's experience factor adds up a year of a practitioner's days
    (at most 365 rows per practitioner, however many deployments there are) and counts only the two days the year's
    bounds cut through from the deployments (apps/deployments/risk/selectors.py). Plain integer keys, like the
    others'. The unique key's index (practitioner, environment, day) is the one the read walks: a practitioner's
    days in an environment, in order."""

    user_id = models.IntegerField()
    environment_id = models.IntegerField()
    day = models.DateField()
    deployments = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "environment_id", "day"], name="practitioner_count_one_per_key")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} env {self.environment_id} {self.day}: {self.deployments}"
