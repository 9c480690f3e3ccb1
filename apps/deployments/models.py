"""Deployments and what the process records about them: approvals, checks, events, incidents, feedback, problems."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from simple_history.models import HistoricalRecords

from apps.catalog.models import ComponentVersion, Service, Supplier
from apps.deployment_models.models import DeploymentModel, ModelStage, Trigger
from apps.deployments.workflow import PLANNED, Status
from apps.environments.models import Environment

MAX_KNOWLEDGE_LINKS = 20


def validate_http_urls(value) -> None:
    """A list of at most MAX_KNOWLEDGE_LINKS http(s) addresses."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Give a list of http(s) addresses.")
    if len(value) > MAX_KNOWLEDGE_LINKS:
        raise ValidationError(f"At most {MAX_KNOWLEDGE_LINKS} links.")
    check = URLValidator(schemes=["http", "https"])
    for url in value:
        try:
            check(url)
        except ValidationError as exc:
            raise ValidationError(f"“{url[:100]}” is not an http(s) address.") from exc


class Action(models.TextChoices):
    DEPLOY = "deploy", "Deploy"
    REMOVE = "remove", "Remove"


class Channel(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    ADMIN = "admin", "Admin"
    SYSTEM = "system", "System"


class Deployment(models.Model):
    """Moving component versions into (or removing them from) an environment, under a deployment model."""

    reference = models.CharField(max_length=20, unique=True, null=True, editable=False)
    title = models.CharField(max_length=200)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.DEPLOY)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.RELEASE)
    model = models.ForeignKey(
        DeploymentModel, null=True, blank=True, on_delete=models.PROTECT, related_name="deployments"
    )
    stage = models.ForeignKey(ModelStage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="deployments")
    component_versions = models.ManyToManyField(ComponentVersion, related_name="deployments", blank=True)
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="deployments")
    change_ref = models.CharField("Change record", max_length=100, blank=True)
    release_ref = models.CharField("Release record", max_length=100, blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_deployments"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_deployments",
        verbose_name="deployment manager",
    )
    practitioners = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="assigned_deployments", blank=True)
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="deployments")
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT, editable=False)
    outcome = models.TextField(blank=True)
    requirements = models.TextField(blank=True)
    acceptance_criteria = models.TextField(blank=True, help_text="One acceptance check per line.")
    is_rollback = models.BooleanField(
        default=False, help_text="A stated rollback: deploying an older version than the one in the environment."
    )
    handover_note = models.TextField(
        blank=True, help_text="For the service desk: knowledge-base and onboarding updates."
    )
    back_out_plan = models.TextField(
        "back-out plan", blank=True, help_text="How to undo it; prefilled from the model's rollback procedure."
    )
    # the release to users, recorded beside the status (a completed deployment may stay "deployed, not released")
    released_at = models.DateTimeField(null=True, blank=True, editable=False)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    knowledge_links = models.JSONField(
        default=list, blank=True, validators=[validate_http_urls], help_text="Knowledge articles the handover links."
    )
    override_count = models.PositiveIntegerField(default=0, editable=False)
    # Under a model in pilot, a deployment manager confirms each completed run (model testing, DESIGN.md §2)
    pilot_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    pilot_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    pilot_comment = models.TextField(blank=True, editable=False)
    external_id = models.CharField(max_length=200, blank=True, help_text="The pipeline run that created it.")
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False, help_text="For optimistic locking.")
    # the risk score (apps/deployments/risk): 0–100 and the factors behind it, recomputed when the plan changes
    risk_score = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    risk_factors = models.JSONField(null=True, blank=True, editable=False)
    risk_scored_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at", "risk_score", "risk_factors", "risk_scored_at"])

    class Meta:
        ordering = ["-planned_start", "-id"]
        permissions = [
            ("approve_deployment", "Can approve, reject and schedule deployments"),
            ("execute_deployment", "Can carry out deployments (start, check, complete, fail, roll back)"),
            ("override_deployment", "Can override conflicts and gates with a justification"),
        ]
        indexes = [
            models.Index(fields=["status", "-planned_start"], name="dep_status_start"),
            models.Index(fields=["environment", "planned_start"], name="dep_env_start"),
            models.Index(fields=["service", "-planned_start"], name="dep_service_start"),
            models.Index(fields=["model", "-planned_start"], name="dep_model_start"),
            models.Index(fields=["requester", "-planned_start"], name="dep_requester_start"),
            models.Index(fields=["-planned_start", "-id"], name="dep_start_id"),
            models.Index(fields=["-created_at", "-id"], name="dep_created_id"),
            models.Index(fields=["external_id"], name="dep_external_id"),
            models.Index(fields=["change_ref"], name="dep_change_ref"),
            models.Index(fields=["status", "actual_end"], name="dep_status_end"),  # KPIs: finished in a period
            models.Index(fields=["service", "environment", "status", "actual_end"], name="dep_restore"),
            models.Index(fields=["-risk_score", "-id"], name="dep_risk_id"),  # the register sorted by risk
            # conflicts: the deployments holding a window that overlaps a plan (a few thousand open among millions)
            models.Index(
                fields=["environment", "planned_end"],
                condition=models.Q(status__in=PLANNED),
                name="dep_planned_env_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference or 'DEP-new'} {self.title}"

    def clean(self):
        if self.planned_start and self.planned_end and self.planned_end <= self.planned_start:
            raise ValidationError({"planned_end": "The planned end must be after the planned start."})
        if self.actual_start and self.actual_end and self.actual_end < self.actual_start:
            raise ValidationError({"actual_end": "The actual end cannot be before the actual start."})

    @staticmethod
    def reference_for(pk: int) -> str:
        return f"DEP-{pk:06d}"

    @property
    def is_removal(self) -> bool:
        return self.action == Action.REMOVE


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


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    TRANSITION = "transition", "Transition"
    APPROVAL = "approval", "Approval"
    CHECK = "check", "Check"
    COMMENT = "comment", "Comment"
    OVERRIDE = "override", "Override"
    COMMUNICATION = "communication", "Communication"
    ASSIGNMENT = "assignment", "Assignment"
    INCIDENT = "incident", "Incident"
    PROBLEM = "problem", "Problem"
    FEEDBACK = "feedback", "Feedback"
    RELEASE = "release", "Release"
    STEP = "step", "Step"
    PILOT = "pilot", "Pilot run confirmed"


class AppendOnlyError(Exception):
    pass


class DeploymentEvent(models.Model):
    """The append-only timeline of a deployment: transitions, comments, checks, approvals, communications."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    token_name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["deployment", "at", "id"], name="event_dep_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("force_append_only_bypass", False):
            raise AppendOnlyError("Deployment events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Deployment events are append-only.")


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


class IdempotencyKey(models.Model):
    """Remembers an API client's `Idempotency-Key` so a retried create returns the first result."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")]

    def __str__(self) -> str:
        return self.key


# The "what is where" snapshot: per environment and component (and per environment and service), the latest
# completed and the latest finished deployment, kept by `matrix_record_final` so the matrix never ranks history.
class MatrixEntry(models.Model):
    """One cell part of the matrix. With a component: the latest completed deployment touching it in the environment
    (`current`, with `current_version` empty after a removal) and the latest finished one (`last`). Without a
    component: the latest finished deployment of the service in the environment (the by-service "Last")."""

    environment = models.ForeignKey("environments.Environment", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    component = models.ForeignKey(
        "catalog.ServiceComponent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    current = models.ForeignKey(
        "deployments.Deployment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_at = models.DateTimeField(null=True, blank=True)
    current_version = models.ForeignKey(
        "catalog.ComponentVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last = models.ForeignKey(
        "deployments.Deployment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "reports_matrixentry"  # created by the reports app before the snapshot moved here
        verbose_name_plural = "matrix entries"
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "component"],
                condition=models.Q(component__isnull=False),
                name="matrix_one_entry_per_component",
            ),
            models.UniqueConstraint(
                fields=["environment", "service"],
                condition=models.Q(component__isnull=True),
                name="matrix_one_entry_per_service",
            ),
        ]
        indexes = [models.Index(fields=["service", "environment"], name="matrix_service_env")]

    def __str__(self) -> str:
        return f"{self.environment_id}/{self.service_id}/{self.component_id}"


class HookSource(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"


class HookDelivery(models.Model):
    """An inbound deployment event whose signature or token verified: kept so a replayed delivery id is refused,
    with what became of it (applied, or refused and why)."""

    source = models.CharField(max_length=10, choices=HookSource.choices)
    delivery_id = models.CharField(max_length=100)
    event = models.CharField(max_length=50, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    deployment = models.ForeignKey(Deployment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status_code = models.PositiveSmallIntegerField(default=0)
    outcome = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "delivery_id"], name="unique_hook_delivery")]
        verbose_name_plural = "hook deliveries"
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.delivery_id}"


# the step plan lives in its own module (this one is long enough); imported here so Django registers it
# the partners' and consumers' alignment ratings live in their own module, registered with the app from here
from apps.deployments.models_alignment import AlignmentRating  # noqa: E402, F401
from apps.deployments.plan_models import DeploymentStep, StepStatus  # noqa: E402, F401

# the risk back-test's results live beside the score's computation; imported here so Django registers the model
from apps.deployments.risk.models import RiskBacktest  # noqa: E402, F401
from apps.deployments.rollup_models import DeploymentDailyRollup  # noqa: E402, F401 (the KPI rollup, its own module)
