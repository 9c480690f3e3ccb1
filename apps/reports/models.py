"""Reports' own models: the permissions of the reports, the per-user secret calendar feed token, export jobs and the
audit findings register."""

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


# --- audit findings ----------------------------------------------------------------------------------------------


class SubjectType(models.TextChoices):
    DEPLOYMENT = "deployment", "Deployment"
    MODEL = "model", "Deployment model"
    REVIEW = "review", "Model review"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    REMEDIATED = "remediated", "Remediated"
    CLOSED = "closed", "Closed"


SUBJECT_FIELDS = {SubjectType.DEPLOYMENT: "deployment", SubjectType.MODEL: "model", SubjectType.REVIEW: "review"}


class AuditFinding(models.Model):
    """A finding an auditor or manager raised on a deployment, a deployment model or a model review.

    The subject is one real foreign key, the one `subject_type` names (a constraint holds the pair together), so a
    finding can never point at a row that is not there; `subject_id` is that key's value."""

    subject_type = models.CharField(max_length=12, choices=SubjectType.choices)
    deployment = models.ForeignKey(
        "deployments.Deployment", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_findings"
    )
    model = models.ForeignKey(
        "deployment_models.DeploymentModel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_findings",
    )
    review = models.ForeignKey(
        "reviews.ModelReview", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_findings"
    )
    severity = models.CharField(max_length=10, choices=Severity.choices)
    title = models.CharField(max_length=200)
    description = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_findings")
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="raised_findings")
    raised_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["status", "due_date"], name="finding_status_due")]
        constraints = [
            models.CheckConstraint(
                name="finding_one_subject",
                condition=(
                    models.Q(
                        subject_type=SubjectType.DEPLOYMENT,
                        deployment__isnull=False,
                        model__isnull=True,
                        review__isnull=True,
                    )
                    | models.Q(
                        subject_type=SubjectType.MODEL,
                        deployment__isnull=True,
                        model__isnull=False,
                        review__isnull=True,
                    )
                    | models.Q(
                        subject_type=SubjectType.REVIEW,
                        deployment__isnull=True,
                        model__isnull=True,
                        review__isnull=False,
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"F-{self.pk or 0:05d} {self.title}"

    @property
    def reference(self) -> str:
        return f"F-{self.pk:05d}"

    @property
    def subject(self):
        field = SUBJECT_FIELDS.get(self.subject_type)
        return getattr(self, field) if field else None

    @property
    def subject_id(self) -> int | None:
        field = SUBJECT_FIELDS.get(self.subject_type)
        return getattr(self, f"{field}_id") if field else None


class FindingEvent(models.Model):
    """Append-only history of a finding: its raising and every status change, with who, when, how and why."""

    finding = models.ForeignKey(AuditFinding, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    reason = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.finding_id}: {self.from_status or '—'} → {self.to_status}"


# --- KPI targets -------------------------------------------------------------------------------------------------


class KpiTarget(models.Model):
    """A manager's target for one KPI, in the metric's unit, with the amber band around it (DESIGN.md §5, "kpis
    (more)"). Whether higher or lower is better is the metric's own (apps.reports.selectors.kpi_goals); `metric` is a
    key of the metric table, checked by the service rather than by choices, so a new metric needs no migration."""

    metric = models.CharField(max_length=60, unique=True)
    target = models.FloatField()
    amber_band = models.FloatField(
        null=True,
        blank=True,
        help_text="How far on the wrong side of the target is still amber, in the metric's unit; "
        "empty: 10% of the target.",
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField()

    class Meta:
        ordering = ["metric"]
        verbose_name = "KPI target"
        constraints = [
            models.CheckConstraint(
                name="kpitarget_band_not_negative",
                condition=models.Q(amber_band__isnull=True) | models.Q(amber_band__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}: {self.target:g}"
