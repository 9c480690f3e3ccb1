"""Deployment models: the agreed ways to deploy a kind of component, their stages and responsibilities."""

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from apps.environments.models import Environment


class ModelStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PILOT = "pilot", "Pilot"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class AutomationLevel(models.TextChoices):
    MANUAL = "manual", "Manual"
    PARTLY_AUTOMATED = "partly_automated", "Partly automated"
    FULLY_AUTOMATED = "fully_automated", "Fully automated"


class DeploymentModel(models.Model):
    """The agreed way to deploy a kind of component; an active version is immutable."""

    name = models.CharField(max_length=150)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=ModelStatus.choices, default=ModelStatus.DRAFT, db_index=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_models"
    )
    previous_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_versions"
    )
    component_types = models.JSONField(default=list, blank=True, help_text="Component types it covers.")
    component_sources = models.JSONField(default=list, blank=True, help_text="Component sources it covers.")
    automation_level = models.CharField(max_length=20, choices=AutomationLevel.choices, default=AutomationLevel.MANUAL)
    # The four dimensions of service management
    dimension_organisations_people = models.TextField("Organisations and people", blank=True)
    dimension_information_technology = models.TextField("Information and technology", blank=True)
    dimension_value_streams_processes = models.TextField("Value streams and processes", blank=True)
    dimension_partners_suppliers = models.TextField("Partners and suppliers", blank=True)
    # The factors the model was chosen on (free text per factor, keyed by factor name)
    selection_factors = models.JSONField(default=dict, blank=True)
    triggers = models.JSONField(default=list, blank=True, help_text="Deployment triggers this model serves.")
    rollback_procedure = models.TextField("Rollback (back-out) procedure", blank=True)
    rollback_rehearsed_on = models.DateField(null=True, blank=True)
    review_interval_months = models.PositiveSmallIntegerField(default=3)
    next_review_due = models.DateField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="unique_model_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status in (ModelStatus.DRAFT, ModelStatus.PILOT)

    def next_review_from(self, day):
        return day + relativedelta(months=self.review_interval_months)


class ModelStage(models.Model):
    """A stage of a model's flow through environments, with its criteria and approval rules."""

    model = models.ForeignKey(DeploymentModel, on_delete=models.CASCADE, related_name="stages")
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="model_stages")
    order = models.PositiveIntegerField()
    entry_criteria = models.TextField(blank=True)
    exit_criteria = models.TextField(blank=True)
    acceptance_criteria = models.TextField(blank=True, help_text="One acceptance check per line.")
    approvals_required = models.PositiveSmallIntegerField(default=1)
    requires_service_owner_approval = models.BooleanField(default=False)
    pre_approved = models.BooleanField(default=False, help_text="A standard, low-risk deployment: approved on submit.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["model", "order"]
        constraints = [
            models.UniqueConstraint(fields=["model", "order"], name="unique_stage_order"),
            models.UniqueConstraint(fields=["model", "environment"], name="unique_stage_environment"),
        ]

    def __str__(self) -> str:
        return f"{self.model} · {self.order}. {self.environment}"

    @property
    def acceptance_checks(self) -> list[str]:
        return [line.strip() for line in self.acceptance_criteria.splitlines() if line.strip()]


class Raci(models.TextChoices):
    RESPONSIBLE = "R", "Responsible"
    ACCOUNTABLE = "A", "Accountable"
    CONSULTED = "C", "Consulted"
    INFORMED = "I", "Informed"


class Responsibility(models.Model):
    """Who does what under a model: activity × role × RACI letter."""

    model = models.ForeignKey(DeploymentModel, on_delete=models.CASCADE, related_name="responsibilities")
    activity = models.CharField(max_length=150)
    role = models.CharField(max_length=100)
    raci = models.CharField(max_length=1, choices=Raci.choices)

    class Meta:
        ordering = ["model", "activity", "role"]
        constraints = [models.UniqueConstraint(fields=["model", "activity", "role"], name="unique_responsibility")]

    def __str__(self) -> str:
        return f"{self.activity} — {self.role}: {self.raci}"
