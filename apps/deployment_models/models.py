"""Deployment models: the agreed ways to deploy a kind of component, their stages and responsibilities."""

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from apps.catalog.models import ComponentSource, ComponentType
from apps.environments.models import Environment
from apps.roles.definitions import RACI_ROLES, competency_of


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
MAX_APPROVALS = 10
MAX_STAGE_ORDER = 1000
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


class ModelStageManager(models.Manager):
    def get_by_natural_key(self, name, version, order):
        return self.get(model__name=name, model__version=version, order=order)


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
    requires_change_ref = models.BooleanField(
        "requires an authorised change",
        default=False,
        help_text="Approval (or a pre-approved submit) needs the reference of the change that authorised it.",
    )
    step_template = models.TextField(
        blank=True,
        help_text="The step plan copied onto each deployment planned at this stage: one step per line, optionally "
        "with its expected minutes after a bar (e.g. “Install | 30”).",
    )
    extra_approval_risk_threshold = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="A deployment whose risk score (0–100) reaches this needs one approval more than the stage asks "
        "for. Empty: the score never adds one.",
    )
    history = HistoricalRecords()
    objects = ModelStageManager()

    class Meta:
        ordering = ["model", "order"]
        constraints = [
            models.UniqueConstraint(fields=["model", "order"], name="unique_stage_order"),
            models.UniqueConstraint(fields=["model", "environment"], name="unique_stage_environment"),
        ]

    def __str__(self) -> str:
        return f"{self.model} · {self.order}. {self.environment}"

    def natural_key(self) -> tuple[str, int, int]:
        return (*self.model.natural_key(), self.order)

    natural_key.dependencies = ["deployment_models.deploymentmodel", "environments.environment"]

    def clean(self):
        errors = {}
        if self.order is not None and not 1 <= self.order <= MAX_STAGE_ORDER:
            errors["order"] = f"The order is a number from 1 to {MAX_STAGE_ORDER}."
        approvals = self.approvals_required
        if approvals is not None and not 0 <= approvals <= MAX_APPROVALS:
            errors["approvals_required"] = f"A stage needs between 0 and {MAX_APPROVALS} approvals."
        elif self.pre_approved and approvals:
            # Pre-approved means approved on submit: asking for approvals as well would be a contradiction.
            errors["approvals_required"] = "A pre-approved stage is approved on submit: it needs 0 approvals."
        elif self.requires_service_owner_approval and not approvals:
            errors["approvals_required"] = (
                "A service-owner sign-off is one of the approvals: a stage that requires it needs at least 1."
            )
        if problem := step_template_problem(self.step_template):
            errors["step_template"] = problem
        if self.pre_approved and self.requires_service_owner_approval:
            errors["requires_service_owner_approval"] = (
                "A pre-approved stage cannot require a service-owner sign-off: it is approved on submit."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def acceptance_checks(self) -> list[str]:
        return [line.strip() for line in self.acceptance_criteria.splitlines() if line.strip()]

    @property
    def template_steps(self) -> list[tuple[str, int | None]]:
        """The step template as (title, expected minutes or None), in order."""
        return parse_step_template(self.step_template)


MAX_TEMPLATE_STEPS = 50


def parse_step_template(text: str) -> list[tuple[str, int | None]]:
    """Lines of “title” or “title | minutes”; a bad minutes part is kept in the title (clean() reports it)."""
    steps = []
    for line in (text or "").splitlines():
        title, _, minutes = line.partition("|")
        title, minutes = title.strip()[:200], minutes.strip()
        if not title:
            continue
        steps.append((title, int(minutes) if minutes.isascii() and minutes.isdigit() and int(minutes) else None))
    return steps


def step_template_problem(text: str) -> str:
    """What is wrong with a step template ("" when nothing)."""
    for line in (text or "").splitlines():
        title, bar, minutes = line.partition("|")
        if bar and not title.strip():
            return f"“{line.strip()}”: a step needs a title before the bar."
        if bar and not (minutes.strip().isascii() and minutes.strip().isdigit() and 0 < int(minutes.strip()) <= 10080):
            return f"“{line.strip()}”: after the bar come the expected minutes, 1 to 10080."
    if len(parse_step_template(text)) > MAX_TEMPLATE_STEPS:
        return f"A step template has at most {MAX_TEMPLATE_STEPS} steps."
    return ""


class Raci(models.TextChoices):
    RESPONSIBLE = "R", "Responsible"
    ACCOUNTABLE = "A", "Accountable"
    CONSULTED = "C", "Consulted"
    INFORMED = "I", "Informed"


class ResponsibilityManager(models.Manager):
    def get_by_natural_key(self, name, version, activity, role):
        return self.get(model__name=name, model__version=version, activity=activity, role=role)


RACI_ROLE_CHOICES = [(role, role) for role in RACI_ROLES]


class Responsibility(models.Model):
    """Who does what under a model: activity × role × RACI letter; the role comes from the role list
    (apps.roles.definitions.RACI_ROLES), never free text."""

    model = models.ForeignKey(DeploymentModel, on_delete=models.CASCADE, related_name="responsibilities")
    activity = models.CharField(max_length=150)
    role = models.CharField(max_length=100, choices=RACI_ROLE_CHOICES, help_text="A role (or party) of the role list.")
    raci = models.CharField(max_length=1, choices=Raci.choices)
    objects = ResponsibilityManager()

    class Meta:
        ordering = ["model", "activity", "role"]
        verbose_name_plural = "responsibilities"
        constraints = [models.UniqueConstraint(fields=["model", "activity", "role"], name="unique_responsibility")]

    def __str__(self) -> str:
        return f"{self.activity} — {self.role}: {self.raci}"

    def natural_key(self) -> tuple[str, int, str, str]:
        return (*self.model.natural_key(), self.activity, self.role)

    @property
    def competency_profile(self) -> str:
        """The competency profile (letters) of the row's role."""
        return competency_of(self.role)

    natural_key.dependencies = ["deployment_models.deploymentmodel"]


class ModelAnnouncement(models.Model):
    """A model's activation or retirement announced to the owners of the services that use it: sent once per model
    and event (the worker's record of who was told)."""

    class Kind(models.TextChoices):
        ACTIVATED = "activated", "Activated"
        RETIRED = "retired", "Retired"

    model = models.ForeignKey(DeploymentModel, on_delete=models.CASCADE, related_name="announcements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list, blank=True)
    services = models.JSONField(default=list, blank=True, help_text="Names of the services whose owners were told.")

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["model", "kind"], name="one_announcement_per_model_event")]

    def __str__(self) -> str:
        return f"{self.model} {self.get_kind_display().lower()}: {len(self.recipients)} told"
