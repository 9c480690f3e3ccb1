"""Reports' own models: the permissions of the reports, the per-user secret calendar feed token and export jobs."""

import hashlib

from django.conf import settings
from django.db import models


class Report(models.Model):
    """No table: carries the permissions of the KPI reports and the exports, which are reads of other apps' rows."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_kpis", "Can view KPI reports"),
            ("export_records", "Can export registers, audit trails and KPI reports"),
        ]

    def __str__(self) -> str:
        return "Reports"


def feed_key_hash(key: str) -> str:
    """Feed keys are stored hashed, like API tokens: a leaked database does not leak usable feed URLs."""
    return hashlib.sha256(key.encode()).hexdigest()


class CalendarFeedToken(models.Model):
    """The secret key of a user's calendar feed URL, for calendar programs that cannot sign in (one per user)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="The first characters of the key, to recognise it.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "calendar feed token"

    def __str__(self) -> str:
        return f"{self.user} ({self.prefix}…)"


class ExportKind(models.TextChoices):
    DEPLOYMENTS_CSV = "deployments_csv", "Deployment register (CSV)"
    DEPLOYMENTS_XLSX = "deployments_xlsx", "Deployment register (Excel)"
    AUDIT_CSV = "audit_csv", "Audit trail (CSV)"
    AUDIT_PACK = "audit_pack", "Audit pack (ZIP)"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class ExportJob(models.Model):
    """An export prepared in the background; its file is downloadable only by the user who asked for it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs")
    kind = models.CharField(max_length=20, choices=ExportKind.choices)
    params = models.JSONField(default=dict, blank=True, help_text="The query string, as lists of values.")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=300, blank=True, help_text="Path under MEDIA_ROOT.")
    filename = models.CharField(max_length=150, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="exportjob_user_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, int(100 * self.done / self.total))
