"""The deployments app's models, one module per part: the deployment itself, what the process records on it, its
timeline, its step plan, the alignment ratings, the KPI rollup, the calendar's day counts, the backlog and the
practitioners' finished deployments, the risk back-test, the "what is where" snapshot and the inbound calls' replay
guards. Every model is exported here: `from apps.deployments.models import Deployment`."""

from apps.deployments.models.alignment import AlignmentRating, AlignmentRole
from apps.deployments.models.calendar_days import (
    DeploymentCalendarDay,
    DeploymentPendingCount,
    DeploymentPractitionerCount,
    DeploymentStatusCount,
)
from apps.deployments.models.deployment import (
    MAX_KNOWLEDGE_LINKS,
    Action,
    Channel,
    Deployment,
    validate_http_urls,
    window_length,
)
from apps.deployments.models.events import AppendOnlyError, DeploymentEvent, EventKind
from apps.deployments.models.inbound import HookDelivery, HookSource, IdempotencyKey
from apps.deployments.models.matrix import MatrixEntry
from apps.deployments.models.plans import MAX_STEP_MINUTES, DeploymentStep, StepStatus
from apps.deployments.models.records import (
    Approval,
    ApprovalRole,
    Check,
    CheckKind,
    CheckResult,
    Decision,
    DeploymentProblem,
    Feedback,
    IncidentLink,
    Severity,
)
from apps.deployments.models.risk import RiskBacktest
from apps.deployments.models.rollups import (
    AUTOMATION_LEVELS,
    LEVEL_KEYS,
    Cut,
    DeploymentCutRollup,
    DeploymentDailyRollup,
    DeploymentPeriodRollup,
    Grain,
    RollupModelLevel,
    empty_sketch,
    level_keys,
)
from apps.deployments.rollup_keys import ALL

__all__ = [
    "ALL",
    "AUTOMATION_LEVELS",
    "LEVEL_KEYS",
    "MAX_KNOWLEDGE_LINKS",
    "MAX_STEP_MINUTES",
    "Action",
    "AlignmentRating",
    "AlignmentRole",
    "AppendOnlyError",
    "Approval",
    "ApprovalRole",
    "Channel",
    "Check",
    "CheckKind",
    "CheckResult",
    "Decision",
    "Deployment",
    "DeploymentCalendarDay",
    "Cut",
    "DeploymentCutRollup",
    "DeploymentDailyRollup",
    "DeploymentPeriodRollup",
    "DeploymentEvent",
    "DeploymentProblem",
    "DeploymentPendingCount",
    "DeploymentPractitionerCount",
    "DeploymentStatusCount",
    "DeploymentStep",
    "EventKind",
    "Feedback",
    "Grain",
    "HookDelivery",
    "HookSource",
    "IdempotencyKey",
    "IncidentLink",
    "MatrixEntry",
    "RiskBacktest",
    "RollupModelLevel",
    "Severity",
    "StepStatus",
    "empty_sketch",
    "level_keys",
    "window_length",
    "validate_http_urls",
]
