"""What the process records on a deployment: approvals, checks, attributed incidents, feedback and problems."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from apps.catalog.models import ComponentVersion
from apps.deployments.models.deployment import Deployment


class ApprovalRole(models.TextChoices):
    MANAGER = "manager", "Deployment manager"
    SERVICE_OWNER = "service_owner", "Service owner"


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Approval(models.Model):
    """One person's decision on a deployment's plan; superseded when the plan changes."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals")
    role = models.CharField(max_length=20, choices=ApprovalRole.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)
    superseded = models.BooleanField(default=False, help_text="The plan changed after this decision.")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approvals_by_deputy",
        help_text="The deployment manager a deputy decided for, under a delegation of approval.",
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        behalf = f" on behalf of {self.on_behalf_of}" if self.on_behalf_of_id else ""
        return f"{self.get_decision_display()} by {self.user}{behalf} ({self.get_role_display()})"


class CheckKind(models.TextChoices):
    """In the order of the process: a stage's entry criteria before the start, its exit criteria before completion."""

    ENTRY = "entry", "Entry criteria"
    COMPONENT = "component", "Component"
    ENVIRONMENT = "environment", "Environment"
    ACCEPTANCE = "acceptance", "Acceptance"
    EXIT = "exit", "Exit criteria"


class CheckResult(models.TextChoices):
    PENDING = "pending", "Pending"
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    NOT_APPLICABLE = "n_a", "Not applicable"


class Check(models.Model):
    """A verification the deployment records: a stage's entry or exit criterion, a component, the target environment,
    or acceptance. A pass of a required check carries its evidence, an N/A its reason (in `evidence`)."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(max_length=12, choices=CheckKind.choices)
    description = models.CharField(max_length=300)
    result = models.CharField(max_length=8, choices=CheckResult.choices, default=CheckResult.PENDING)
    evidence = models.TextField(blank=True)
    component_version = models.ForeignKey(
        ComponentVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    observed_checksum = models.CharField(max_length=64, blank=True)
    required = models.BooleanField(default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["deployment", "kind", "id"]
        indexes = [
            models.Index(fields=["deployment", "kind", "result"]),
            models.Index(
                fields=["deployment"],
                condition=models.Q(required=True) & ~models.Q(result__in=["pass", "n_a"]),
                name="check_unpassed_required",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description} — {self.get_result_display()}"


class IncidentLink(models.Model):
    """An incident attributed to the deployment: open until resolved (with the time the service was restored);
    a link made by mistake is withdrawn with a reason, kept for the record and left out of every count."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="incidents")
    incident_ref = models.CharField(max_length=100)
    title = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, blank=True)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["opened_at"]
        constraints = [
            # one standing link per incident and deployment; a withdrawn one may be linked again
            models.UniqueConstraint(
                fields=["deployment", "incident_ref"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="unique_incident_link",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True) | ~models.Q(withdrawn_reason=""),
                name="incident_withdrawn_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.incident_ref

    @property
    def state(self) -> str:
        """`withdrawn`, `resolved` or `open`."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        return "resolved" if self.resolved_at is not None else "open"


class Feedback(models.Model):
    """A stakeholder's 1–5 rating of the lead time and the quality of a completed deployment, and of the rate of
    change (how often their service is changed); the last was added later and is empty on older ratings."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rating_lead_time = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    rating_quality = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    rating_rate_of_change = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Satisfaction with the rate of change, 1–5; empty when not answered.",
    )
    comment = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "user"], name="one_feedback_per_user"),
            models.CheckConstraint(
                condition=models.Q(rating_lead_time__gte=1, rating_lead_time__lte=5), name="rating_lead_time_1_5"
            ),
            models.CheckConstraint(
                condition=models.Q(rating_quality__gte=1, rating_quality__lte=5), name="rating_quality_1_5"
            ),
            models.CheckConstraint(
                condition=models.Q(rating_rate_of_change__isnull=True)
                | models.Q(rating_rate_of_change__gte=1, rating_rate_of_change__lte=5),
                name="rating_rate_of_change_1_5",
            ),
        ]

    def __str__(self) -> str:
        rate = f", rate of change {self.rating_rate_of_change}/5" if self.rating_rate_of_change else ""
        return f"{self.user}: lead time {self.rating_lead_time}/5, quality {self.rating_quality}/5{rate}"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class DeploymentProblem(models.Model):
    """A problem or error found during the deployment."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="problems")
    description = models.TextField()
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    resolved = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.description[:60]}"
