"""The deployment pages (register.py, pages.py) and the POST endpoints of a deployment's page (actions.py)."""

from apps.deployments.views.actions import (
    CheckRecordView,
    CommentAddView,
    DeploymentTransitionView,
    FeedbackSubmitView,
    HandoverSetView,
    IncidentAddView,
    IncidentResolveView,
    IncidentWithdrawView,
    PilotConfirmView,
    ProblemAddView,
    ProblemResolveView,
)
from apps.deployments.views.pages import (
    ApprovalsView,
    DeploymentCreateView,
    DeploymentDetailView,
    DeploymentUpdateView,
    MyWorkView,
)
from apps.deployments.views.plans import (
    BackOutPlanView,
    DeploymentReleaseView,
    StepAddView,
    StepRecordView,
    StepRemoveView,
)
from apps.deployments.views.register import DeploymentListView, SupplierDeploymentsView

__all__ = [
    "BackOutPlanView",
    "DeploymentReleaseView",
    "StepAddView",
    "StepRecordView",
    "StepRemoveView",
    "ApprovalsView",
    "CheckRecordView",
    "CommentAddView",
    "DeploymentCreateView",
    "DeploymentDetailView",
    "DeploymentListView",
    "DeploymentTransitionView",
    "DeploymentUpdateView",
    "FeedbackSubmitView",
    "HandoverSetView",
    "IncidentAddView",
    "IncidentResolveView",
    "IncidentWithdrawView",
    "MyWorkView",
    "PilotConfirmView",
    "ProblemAddView",
    "ProblemResolveView",
    "SupplierDeploymentsView",
]
