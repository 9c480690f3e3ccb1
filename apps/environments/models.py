"""Environments deployments go into, their standing verification checks, and freeze and maintenance windows."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class EnvironmentKind(models.TextChoices):
    DEVELOPMENT = "development", "Development"
    INTEGRATION = "integration", "Integration"
    TEST = "test", "Test"
    STAGING = "staging", "Staging"
    PRODUCTION = "production", "Production"
    OTHER = "other", "Other"


class EnvironmentManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


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
    objects = EnvironmentManager()

    class Meta:
        ordering = ["order", "name"]
        permissions = [("deploy_to_environment", "Can carry out deployments in this environment")]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        """The slug: reference data (fixtures/) names environments by it, whatever their ids."""
        return (self.slug,)

    @property
    def is_production(self) -> bool:
        return self.kind == EnvironmentKind.PRODUCTION


class EnvironmentCheckManager(models.Manager):
    def get_by_natural_key(self, slug, description):
        return self.get(environment__slug=slug, description=description)


class EnvironmentCheck(models.Model):
    """A standing verification check every deployment into the environment must record (e.g. back-up power)."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="standing_checks")
    description = models.CharField(max_length=300)
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()
    objects = EnvironmentCheckManager()

    class Meta:
        ordering = ["environment", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["environment", "description"], name="unique_environment_check")]

    def __str__(self) -> str:
        return self.description

    def natural_key(self) -> tuple[str, str]:
        return (*self.environment.natural_key(), self.description)

    natural_key.dependencies = ["environments.environment"]


class Clearance(models.Model):
    """A practitioner cleared to carry out deployments in one environment (e.g. production): who cleared them, why
    and until when. The services keep the guardian object permission `deploy_to_environment` in step with it; a
    clearance past `expires_at` no longer counts (selectors.practitioner_is_cleared)."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="clearances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="environment_clearances")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty = until withdrawn.")
    reminded_for = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="The expiry the holder and granter were last reminded of."
    )
    history = HistoricalRecords(excluded_fields=["reminded_for"])

    class Meta:
        ordering = ["environment", "user__username"]
        constraints = [models.UniqueConstraint(fields=["environment", "user"], name="unique_environment_clearance")]

    def __str__(self) -> str:
        return f"{self.user} cleared for {self.environment}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


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
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["environment", "start", "end"])]  # `environment` is each kind's own field

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not (self.name or "").strip():  # rows made without full_clean() (imports, fixtures) are named too
            self.name = self.default_name()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """Check the period and the fields its recurrence rule needs; clear the fields it does not use."""
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.start and self.end:
            if self.end < self.start:
                add("end", "The end must be after the start.")
            elif self.end == self.start:
                add("end", "The window has zero length: the end must be after the start.")
        rule = self.recurrence
        if rule == Recurrence.ONE_OFF and not self.end:
            add("end", "A one-off window needs an end.")
        if rule == Recurrence.WEEKLY:
            for field in ("weekly_start_day", "weekly_end_day"):
                value = getattr(self, field)
                if value is None:
                    add(field, "A weekly window needs a day of the week (0 = Monday … 6 = Sunday).")
                elif not 0 <= value <= 6:
                    add(field, f"{value} is not a day of the week: use 0 (Monday) to 6 (Sunday).")
            for field in ("start_time", "end_time"):
                if getattr(self, field) is None:
                    add(field, "A weekly window needs a time of day.")
            if (
                "weekly_end_day" not in errors
                and "end_time" not in errors
                and "start_time" not in errors
                and "weekly_start_day" not in errors
                and self.weekly_start_day == self.weekly_end_day
                and self.start_time == self.end_time
            ):
                add("end_time", "The weekly window has zero length: it must end at another day or time.")
        if rule == Recurrence.MONTH_END:
            if self.month_end_days is None:
                add("month_end_days", "A month-end window needs the number of last days of the month (1–10).")
            elif not 1 <= self.month_end_days <= 10:
                add("month_end_days", "The month-end window covers 1 to 10 last days of the month.")
        if rule == Recurrence.HOLIDAYS:
            self._clean_holidays(add)
        if errors:
            raise ValidationError(errors)
        self._drop_unused_fields()
        if not (self.name or "").strip():
            self.name = self.default_name()

    def _name_subject(self) -> str:
        return self._meta.verbose_name.capitalize()

    def default_name(self) -> str:
        """A readable name made from the reason (or the kind of window) and the dates, in the window's time zone,
        for clients that send only the contract's fields (DESIGN.md §5): e.g.
        "Quarter close (1 Dec 2026 22:00 – 3 Dec 2026 06:00 Europe/Berlin)"."""
        try:
            tz = zoneinfo.ZoneInfo(self.time_zone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = dt.UTC

        def when(value: dt.datetime) -> str:
            local = value.astimezone(tz)
            return f"{local.day} {local:%b %Y %H:%M}"

        if self.start is None:
            period = ""
        elif self.recurrence == Recurrence.ONE_OFF and self.end is not None:
            period = f"{when(self.start)} – {when(self.end)} {getattr(tz, 'key', 'UTC')}"
        else:
            period = f"{self.get_recurrence_display().lower()}, from {when(self.start).rsplit(' ', 1)[0]}"
        subject = self._name_subject()
        limit = self._meta.get_field("name").max_length
        if not period:
            return subject[:limit]
        room = limit - len(period) - 3
        if len(subject) > room:
            subject = subject[: max(room - 1, 1)].rstrip() + "…"
        return f"{subject} ({period})"

    def _clean_holidays(self, add) -> None:
        values = self.holidays
        if isinstance(values, str):
            values = [v.strip() for v in values.replace("\n", ",").split(",") if v.strip()]
        if not isinstance(values, list) or not values:
            add("holidays", 'A holidays window needs a list of ISO dates, e.g. ["2026-12-25", "2026-12-26"].')
            return
        days = set()
        for value in values:
            try:
                days.add(dt.date.fromisoformat(str(value).strip()))
            except ValueError:
                add("holidays", f"“{value}” is not an ISO date (YYYY-MM-DD).")
        self.holidays = [d.isoformat() for d in sorted(days)]

    def _drop_unused_fields(self) -> None:
        rule = self.recurrence
        if rule != Recurrence.WEEKLY:
            self.weekly_start_day = self.weekly_end_day = self.start_time = self.end_time = None
        if rule != Recurrence.MONTH_END:
            self.month_end_days = None
        if rule != Recurrence.HOLIDAYS:
            self.holidays = []


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
    name = models.CharField(max_length=150, blank=True, help_text="Empty = made from the reason and the dates.")
    reason = models.TextField()
    history = HistoricalRecords()

    def _name_subject(self) -> str:
        first_line = (self.reason or "").strip().splitlines()[0].strip() if (self.reason or "").strip() else ""
        return first_line.rstrip(".") or "Freeze"


class MaintenanceWindow(WindowBase):
    """An agreed period in which an environment that requires it accepts deployments."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="maintenance_windows")
    name = models.CharField(max_length=150, blank=True, help_text="Empty = made from the environment and the dates.")
    history = HistoricalRecords()

    def _name_subject(self) -> str:
        environment = self.environment if self.environment_id else None
        return f"{environment} maintenance" if environment else "Maintenance"
