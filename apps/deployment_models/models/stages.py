"""A model's stages: its flow through environments, with each stage's criteria, approval rules and step template."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from apps.deployment_models.models.deployment_model import DeploymentModel
from apps.environments.models import Environment

MAX_APPROVALS = 10
MAX_STAGE_ORDER = 1000


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
