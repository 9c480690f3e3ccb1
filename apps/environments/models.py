"""Environments deployments go into, their standing verification checks, and freeze and maintenance windows."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords


class EnvironmentKind(models.TextChoices):
    DEVELOPMENT = "development", "Development"
    INTEGRATION = "integration", "Integration"
    TEST = "test", "Test"
    STAGING = "staging", "Staging"
    PRODUCTION = "production", "Production"
    OTHER = "other", "Other"


class Environment(models.Model):
    """A controlled (or uncontrolled) environment that components are deployed into and removed from."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=EnvironmentKind.choices, db_index=True)
    purpose = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0, help_text="Position in the usual flow (development first).")
    controlled = models.BooleanField(default=True, help_text="Under the organisation's control.")
    allows_parallel_deployments = models.BooleanField(default=False)
    requires_maintenance_window = models.BooleanField(
        default=False, help_text="Deployments are accepted only inside this environment's maintenance windows."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_environments"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]
        permissions = [("deploy_to_environment", "Can carry out deployments in this environment")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_production(self) -> bool:
        return self.kind == EnvironmentKind.PRODUCTION


class EnvironmentCheck(models.Model):
    """A standing verification check every deployment into the environment must record (e.g. back-up power)."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="standing_checks")
    description = models.CharField(max_length=300)
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["environment", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["environment", "description"], name="unique_environment_check")]

    def __str__(self) -> str:
        return self.description


class Recurrence(models.TextChoices):
    ONE_OFF = "one_off", "One-off"
    WEEKLY = "weekly", "Every week (e.g. weekends)"
    MONTH_END = "month_end", "Every month-end"
    HOLIDAYS = "holidays", "A list of holidays"


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/Berlin, UTC).") from exc


class WindowBase(models.Model):
    """A period, one-off or recurring, in a stated time zone.

    One-off: `start`–`end`. Recurring windows hold between `start` and `end` (the end may be empty = for ever)
    and repeat by their rule: weekly from `weekly_start_day`/`start_time` to `weekly_end_day`/`end_time`;
    month-end on the last `month_end_days` days of each month; holidays on each date of `holidays`, all day.
    """

    recurrence = models.CharField(max_length=20, choices=Recurrence.choices, default=Recurrence.ONE_OFF)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    weekly_start_day = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = Monday … 6 = Sunday")
    weekly_end_day = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = Monday … 6 = Sunday")
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    month_end_days = models.PositiveSmallIntegerField(null=True, blank=True)
    holidays = models.JSONField(default=list, blank=True, help_text='ISO dates, e.g. ["2026-12-25"]')
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class FreezeWindow(WindowBase):
    """A period in which deployments may not be scheduled or started without an emergency override."""

    environment = models.ForeignKey(
        Environment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="freeze_windows",
        help_text="Empty = every environment.",
    )
    name = models.CharField(max_length=150)
    reason = models.TextField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["environment", "start", "end"])]

    def __str__(self) -> str:
        return self.name


class MaintenanceWindow(WindowBase):
    """An agreed period in which an environment that requires it accepts deployments."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="maintenance_windows")
    name = models.CharField(max_length=150)
    history = HistoricalRecords()

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["environment", "start", "end"])]

    def __str__(self) -> str:
        return self.name
