"""URLs of the deployment pages (DESIGN.md §5: stable addresses people can bookmark)."""

from django.urls import path

from apps.core.routes import resource_pages
from apps.deployments import views
from apps.deployments.views.alignment import AlignmentRateView

app_name = "deployments"

urlpatterns = [
    *resource_pages(
        "deployments",
        "deployment",
        list=views.DeploymentListView,
        create=views.DeploymentCreateView,
        detail=views.DeploymentDetailView,
        update=views.DeploymentUpdateView,
    ),
    path("deployments/mine/", views.MyWorkView.as_view(), name="my_work"),
    path("deployments/approvals/", views.ApprovalsView.as_view(), name="approvals"),
    path(
        "deployments/<int:pk>/transition/<str:action>/",
        views.DeploymentTransitionView.as_view(),
        name="deployment_transition",
    ),
    path("deployments/<int:pk>/checks/<int:check_id>/", views.CheckRecordView.as_view(), name="check_record"),
    path("deployments/<int:pk>/comments/", views.CommentAddView.as_view(), name="comment_add"),
    path("deployments/<int:pk>/incidents/", views.IncidentAddView.as_view(), name="incident_add"),
    path(
        "deployments/<int:pk>/incidents/<int:incident_id>/resolve/",
        views.IncidentResolveView.as_view(),
        name="incident_resolve",
    ),
    path(
        "deployments/<int:pk>/incidents/<int:incident_id>/withdraw/",
        views.IncidentWithdrawView.as_view(),
        name="incident_withdraw",
    ),
    path("deployments/<int:pk>/problems/", views.ProblemAddView.as_view(), name="problem_add"),
    path(
        "deployments/<int:pk>/problems/<int:problem_id>/resolve/",
        views.ProblemResolveView.as_view(),
        name="problem_resolve",
    ),
    path("deployments/<int:pk>/handover/", views.HandoverSetView.as_view(), name="handover_set"),
    path("alignment/<str:token>/", AlignmentRateView.as_view(), name="alignment_rate"),
    path("deployments/<int:pk>/pilot-confirm/", views.PilotConfirmView.as_view(), name="pilot_confirm"),
    path("suppliers/<int:pk>/deployments/", views.SupplierDeploymentsView.as_view(), name="supplier_deployments"),
    path("deployments/<int:pk>/feedback/", views.FeedbackSubmitView.as_view(), name="feedback_submit"),
    path("deployments/<int:pk>/release/", views.DeploymentReleaseView.as_view(), name="deployment_release"),
    path("deployments/<int:pk>/back-out-plan/", views.BackOutPlanView.as_view(), name="back_out_plan"),
    path("deployments/<int:pk>/steps/", views.StepAddView.as_view(), name="step_add"),
    path("deployments/<int:pk>/steps/<int:step_id>/", views.StepRecordView.as_view(), name="step_record"),
    path("deployments/<int:pk>/steps/<int:step_id>/remove/", views.StepRemoveView.as_view(), name="step_remove"),
]
