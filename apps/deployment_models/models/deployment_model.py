"""The deployment model: the agreed way to deploy a kind of component, with its status, the triggers and selection
factors it is chosen on, its review cycle and its pilot (model testing)."""

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from apps.catalog.models import ComponentSource, ComponentType


class ModelStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PILOT = "pilot", "Pilot"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class Trigger(models.TextChoices):
    """Why a deployment is made (a deployment's trigger; the triggers a model is meant for)."""

    REQUIREMENT = "requirement", "New or changed requirement"
    RELEASE = "release", "New feature or release"
    TECHNICAL_CHANGE = "technical_change", "Technical or operational change"
    THIRD_PARTY = "third_party", "Third-party requirement"
    RETIREMENT = "retirement", "Retirement"
    TROUBLESHOOTING = "troubleshooting", "Support or troubleshooting"
    SERVICE_REQUEST = "service_request", "Service request"


class AutomationLevel(models.TextChoices):
    MANUAL = "manual", "Manual"
    PARTLY_AUTOMATED = "partly_automated", "Partly automated"
    FULLY_AUTOMATED = "fully_automated", "Fully automated"


# The factors a model is chosen on (the practice guide's list), keyed as stored in `selection_factors`.
SELECTION_FACTORS = [
    ("automation", "Automation"),
    ("cost", "Cost"),
    ("expected_frequency", "Expected frequency"),
    ("requirement_change_rate", "Rate of requirement change"),
    ("technology_change_rate", "Rate of technology change"),
    ("component_flaw_risk", "Risk of component flaws"),
    ("source", "Source"),
    ("user_adoption", "User adoption"),
    ("consumer_visibility", "Visibility to consumers"),
]
SELECTION_FACTOR_KEYS = [key for key, _ in SELECTION_FACTORS]
MAX_REVIEW_INTERVAL_MONTHS = 36
DEFAULT_PILOT_RUNS = 3
MAX_PILOT_RUNS = 50


class PilotOutcome(models.TextChoices):
    """How the pilot ("model testing") went, as its evaluation says."""

    SUCCESSFUL = "successful", "Successful"
    PARTLY_SUCCESSFUL = "partly_successful", "Partly successful"
    UNSUCCESSFUL = "unsuccessful", "Unsuccessful"


class PilotDecision(models.TextChoices):
    """What the evaluation of a pilot decides: activate the model, revise it (back to draft), or abandon it."""

    ACTIVATE = "activate", "Activate"
    REVISE = "revise", "Revise"
    ABANDON = "abandon", "Abandon"


def _bad_choices(values, allowed) -> list:
    if not isinstance(values, list):
        return [values]
    return [v for v in values if v not in allowed]


class DeploymentModelManager(models.Manager):
    def get_by_natural_key(self, name, version):
        return self.get(name=name, version=version)


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
    # Model testing: the pilot's overseen runs, its evaluation, or the override that skipped it (DESIGN.md §2)
    pilot_runs_required = models.PositiveSmallIntegerField(
        default=DEFAULT_PILOT_RUNS,
        help_text="How many completed deployments a deployment manager must confirm before the pilot is evaluated.",
    )
    pilot_runs_confirmed = models.PositiveSmallIntegerField(default=0, editable=False)
    pilot_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    evaluation_outcome = models.CharField(max_length=20, choices=PilotOutcome.choices, blank=True, editable=False)
    evaluation_findings = models.TextField(blank=True, editable=False)
    evaluation_decision = models.CharField(max_length=10, choices=PilotDecision.choices, blank=True, editable=False)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)
    pilot_override_reason = models.TextField(blank=True, editable=False)
    pilot_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    pilot_overridden_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()
    objects = DeploymentModelManager()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="unique_model_version")]

    def __str__(self) -> str:
        return self.label(self.name, self.version)

    @staticmethod
    def label(name: str, version: int) -> str:
        """How a model reads in lists and filters, from its columns alone: "Standard release v3"."""
        return f"{name} v{version}"

    def natural_key(self) -> tuple[str, int]:
        """Name and version: the model templates in fixtures/ are named by them, whatever their ids."""
        return (self.name, self.version)

    @property
    def is_editable(self) -> bool:
        return self.status in (ModelStatus.DRAFT, ModelStatus.PILOT)

    def next_review_from(self, day):
        return day + relativedelta(months=self.review_interval_months)

    def clean(self):
        errors = {}
        if bad := _bad_choices(self.component_types, ComponentType.values):
            errors["component_types"] = f"Unknown component type(s): {', '.join(map(str, bad))}."
        if bad := _bad_choices(self.component_sources, ComponentSource.values):
            errors["component_sources"] = f"Unknown component source(s): {', '.join(map(str, bad))}."
        if bad := _bad_choices(self.triggers, Trigger.values):
            errors["triggers"] = f"Unknown trigger(s): {', '.join(map(str, bad))}."
        if not isinstance(self.selection_factors, dict):
            errors["selection_factors"] = "Selection factors are a mapping of factor → text."
        elif bad := [k for k, v in self.selection_factors.items() if k not in SELECTION_FACTOR_KEYS]:
            errors["selection_factors"] = f"Unknown selection factor(s): {', '.join(map(str, bad))}."
        elif any(not isinstance(v, str) for v in self.selection_factors.values()):
            errors["selection_factors"] = "Each selection factor is a text."
        if (
            self.review_interval_months is not None
            and not 1 <= self.review_interval_months <= MAX_REVIEW_INTERVAL_MONTHS
        ):
            errors["review_interval_months"] = f"The review interval is 1 to {MAX_REVIEW_INTERVAL_MONTHS} months."
        if self.pilot_runs_required is not None and not 1 <= self.pilot_runs_required <= MAX_PILOT_RUNS:
            errors["pilot_runs_required"] = f"A pilot is 1 to {MAX_PILOT_RUNS} overseen deployments."
        if errors:
            raise ValidationError(errors)

    @property
    def pilot_runs_missing(self) -> int:
        """How many more confirmed deployments the pilot needs before it can be evaluated."""
        return max(0, self.pilot_runs_required - self.pilot_runs_confirmed)

    @property
    def pilot_percent(self) -> int:
        """The pilot's progress, 0–100, for the model page's progress bar."""
        if not self.pilot_runs_required:
            return 100
        return min(100, round(100 * self.pilot_runs_confirmed / self.pilot_runs_required))

    @property
    def is_evaluated(self) -> bool:
        return bool(self.evaluation_decision)

    @property
    def component_type_labels(self) -> list[str]:
        return [dict(ComponentType.choices).get(v, v) for v in self.component_types or []]

    @property
    def component_source_labels(self) -> list[str]:
        return [dict(ComponentSource.choices).get(v, v) for v in self.component_sources or []]

    @property
    def trigger_labels(self) -> list[str]:
        return [dict(Trigger.choices).get(v, v) for v in self.triggers or []]

    @property
    def selection_factor_rows(self) -> list[tuple[str, str]]:
        """(label, text) for every factor, in the practice guide's order; empty text where none was given."""
        factors = self.selection_factors if isinstance(self.selection_factors, dict) else {}
        return [(label, factors.get(key, "")) for key, label in SELECTION_FACTORS]
