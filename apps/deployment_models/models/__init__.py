"""The deployment_models app's models, one module per part: the deployment model itself, its stages, its RACI rows
and the record of its announcements. Every model is exported here: `from apps.deployment_models.models import
ModelStage`."""

from apps.deployment_models.models.announcements import ModelAnnouncement
from apps.deployment_models.models.deployment_model import (
    DEFAULT_PILOT_RUNS,
    MAX_PILOT_RUNS,
    MAX_REVIEW_INTERVAL_MONTHS,
    SELECTION_FACTOR_KEYS,
    SELECTION_FACTORS,
    AutomationLevel,
    DeploymentModel,
    DeploymentModelManager,
    ModelStatus,
    PilotDecision,
    PilotOutcome,
    Trigger,
)
from apps.deployment_models.models.responsibilities import (
    RACI_ROLE_CHOICES,
    Raci,
    Responsibility,
    ResponsibilityManager,
)
from apps.deployment_models.models.stages import (
    MAX_APPROVALS,
    MAX_STAGE_ORDER,
    MAX_TEMPLATE_STEPS,
    ModelStage,
    ModelStageManager,
    parse_step_template,
    step_template_problem,
)

__all__ = [
    "DEFAULT_PILOT_RUNS",
    "MAX_APPROVALS",
    "MAX_PILOT_RUNS",
    "MAX_REVIEW_INTERVAL_MONTHS",
    "MAX_STAGE_ORDER",
    "MAX_TEMPLATE_STEPS",
    "RACI_ROLE_CHOICES",
    "SELECTION_FACTORS",
    "SELECTION_FACTOR_KEYS",
    "AutomationLevel",
    "DeploymentModel",
    "DeploymentModelManager",
    "ModelAnnouncement",
    "ModelStage",
    "ModelStageManager",
    "ModelStatus",
    "PilotDecision",
    "PilotOutcome",
    "Raci",
    "Responsibility",
    "ResponsibilityManager",
    "Trigger",
    "parse_step_template",
    "step_template_problem",
]
