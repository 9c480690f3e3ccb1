"""The deployment pages (register.py, pages.py) and the POST endpoints of a deployment's page (actions.py)."""

from apps.deployments.views.actions import (
    CheckRecordView,
    CommentAddView,
    DeploymentTransitionView,
    FeedbackSubmitView,
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
from apps.deployments.views.register import DeploymentListView, SupplierDeploymentsView

__all__ = [
    "ApprovalsView",
    "CheckRecordView",
    "CommentAddView",
    "DeploymentCreateView",
    "DeploymentDetailView",
    "DeploymentListView",
    "DeploymentTransitionView",
    "DeploymentUpdateView",
    "FeedbackSubmitView",
    "IncidentAddView",
    "IncidentResolveView",
    "IncidentWithdrawView",
    "MyWorkView",
    "PilotConfirmView",
    "ProblemAddView",
    "ProblemResolveView",
    "SupplierDeploymentsView",
]
