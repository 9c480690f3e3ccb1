"""A deployment: component versions moved into (or removed from) an environment under a deployment model."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from simple_history.models import HistoricalRecords

from apps.catalog.models import ComponentVersion, Service, Supplier
from apps.deployment_models.models import DeploymentModel, ModelStage, Trigger
from apps.deployments.workflow import BOOKED, PLANNED, Status
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


HISTORY_UNINDEXED = (
    "reference",
    "model",
    "stage",
    "service",
    "environment",
    "requester",
    "manager",
    "supplier",
    "released_by",
    "pilot_confirmed_by",
)


def window_length() -> models.Expression:
    """A deployment's planned window's length, as the index of migration 0023 (`dep_window_length`) holds it: the
    longest one, `Max(window_length())`, is read from that index alone."""
    return models.F("planned_end") - models.F("planned_start")


class Deployment(models.Model):
    """Moving component versions into (or removing them from) an environment, under a deployment model."""

    reference = models.CharField(max_length=20, unique=True, null=True, editable=False)
    title = models.CharField(max_length=200)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.DEPLOY)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.RELEASE)
    # the foreign keys' own indexes: none where an index of Meta leads with the key (dep_model_start,
    # dep_service_start, dep_env_start, dep_requester_start), a partial one where most rows hold none (Meta's
    # dep_*_set): a new deployment is written into eight indexes fewer
    model = models.ForeignKey(
        DeploymentModel, null=True, blank=True, on_delete=models.PROTECT, related_name="deployments", db_index=False
    )
    stage = models.ForeignKey(
        ModelStage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="deployments", db_index=False)
    component_versions = models.ManyToManyField(ComponentVersion, related_name="deployments", blank=True)
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="deployments", db_index=False)
    change_ref = models.CharField("Change record", max_length=100, blank=True)
    release_ref = models.CharField("Release record", max_length=100, blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_deployments", db_index=False
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
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="deployments", db_index=False
    )
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
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
    )
    knowledge_links = models.JSONField(
        default=list, blank=True, validators=[validate_http_urls], help_text="Knowledge articles the handover links."
    )
    override_count = models.PositiveIntegerField(default=0, editable=False)
    # Under a model in pilot, a deployment manager confirms each completed run (model testing, DESIGN.md §2)
    pilot_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
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
    # the history is read by deployment (its id) and date alone: its copies of the keys and the reference need no index
    history = HistoricalRecords(
        excluded_fields=["updated_at", "risk_score", "risk_factors", "risk_scored_at"],
        no_db_index=[*HISTORY_UNINDEXED],
    )

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
            # a status and an environment, newest first (the register by planned start, the API by id): read in
            # order from the first match, not walked past the deployments planned ahead, whatever the table holds
            models.Index(fields=["status", "environment", "-planned_start", "-id"], name="dep_status_env_start"),
            models.Index(fields=["status", "environment", "-id"], name="dep_status_env_id"),
            models.Index(fields=["-created_at", "-id"], name="dep_created_id"),
            models.Index(fields=["external_id"], name="dep_external_id"),
            models.Index(fields=["change_ref"], name="dep_change_ref"),
            models.Index(fields=["status", "actual_end"], name="dep_status_end"),  # KPIs: finished in a period
            models.Index(fields=["service", "environment", "status", "actual_end"], name="dep_restore"),
            models.Index(fields=["-risk_score", "-id"], name="dep_risk_id"),  # the register sorted by risk
            # the keys most deployments leave empty, for what deletes or filters by one of them
            *(
                models.Index(fields=[key], name=f"dep_{key}_set", condition=models.Q(**{f"{key}__isnull": False}))
                for key in ("stage", "supplier", "released_by", "pilot_confirmed_by")
            ),
            # conflicts: the deployments holding a window that overlaps a plan (a few thousand open among millions);
            # covering what the calendar reads of a shown deployment's overlaps in its environment (their start, id and
            # reference), so that counting them reads no row (PostgreSQL; elsewhere the include is left out)
            models.Index(
                fields=["environment", "planned_end"],
                include=["planned_start", "id", "reference"],
                condition=models.Q(status__in=PLANNED),
                name="dep_planned_env_end",
            ),
            # "what is where": a cell's first deployments on their way, soonest first (a few thousand among millions),
            # covering what a cell shows of them (their reference and status), so that a page's cells read no row
            # (PostgreSQL; elsewhere the include is left out)
            models.Index(
                fields=["service", "environment", "planned_start", "id"],
                include=["reference", "status"],
                condition=models.Q(status__in=BOOKED),
                name="dep_on_its_way",
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
