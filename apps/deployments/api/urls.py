"""Mounts the deployments API under /api/v1/: the resource with its transition actions, and its records."""

from django.urls import re_path

from apps.deployments.api.views import deployments, gate, handover, hooks, incidents, pilot, plans, records

ID = r"(?P<pk>[^/.]+)"  # any segment: the views answer 404 (JSON) for ids that are not there or not visible


def register(router) -> None:
    router.register("deployments", deployments.DeploymentViewSet, basename="deployment")


urlpatterns = [
    re_path(r"^gate/$", gate.BuildGateView.as_view(), name="build-gate"),
    re_path(r"^hooks/github/$", hooks.GitHubHookView.as_view(), name="hook-github"),
    re_path(r"^hooks/gitlab/$", hooks.GitLabHookView.as_view(), name="hook-gitlab"),
    re_path(rf"^deployments/{ID}/gate/$", gate.DeploymentGateView.as_view(), name="deployment-gate"),
    re_path(rf"^deployments/{ID}/events/$", records.DeploymentEventListView.as_view(), name="deployment-events"),
    re_path(rf"^deployments/{ID}/checks/$", records.CheckListView.as_view(), name="deployment-checks"),
    re_path(
        rf"^deployments/{ID}/checks/(?P<check_id>[^/.]+)/$",
        records.CheckDetailView.as_view(),
        name="deployment-check-detail",
    ),
    re_path(rf"^deployments/{ID}/feedback/$", records.FeedbackListView.as_view(), name="deployment-feedback"),
    re_path(rf"^deployments/{ID}/incidents/$", incidents.IncidentLinkListView.as_view(), name="deployment-incidents"),
    re_path(
        rf"^deployments/{ID}/incidents/(?P<incident_id>[^/.]+)/resolve/$",
        incidents.IncidentResolveView.as_view(),
        name="deployment-incident-resolve",
    ),
    re_path(
        rf"^deployments/{ID}/incidents/(?P<incident_id>[^/.]+)/withdraw/$",
        incidents.IncidentWithdrawView.as_view(),
        name="deployment-incident-withdraw",
    ),
    re_path(rf"^deployments/{ID}/handover/$", handover.HandoverView.as_view(), name="deployment-handover"),
    re_path(rf"^deployments/{ID}/pilot-confirm/$", pilot.PilotConfirmView.as_view(), name="deployment-pilot-confirm"),
    re_path(rf"^deployments/{ID}/problems/$", records.ProblemListView.as_view(), name="deployment-problems"),
    re_path(rf"^deployments/{ID}/release/$", plans.DeploymentReleaseView.as_view(), name="deployment-release"),
    re_path(rf"^deployments/{ID}/steps/$", plans.StepListView.as_view(), name="deployment-steps"),
    re_path(rf"^deployments/{ID}/steps/reorder/$", plans.StepReorderView.as_view(), name="deployment-steps-reorder"),
    re_path(
        rf"^deployments/{ID}/steps/(?P<step_id>[^/.]+)/$", plans.StepDetailView.as_view(), name="deployment-step-detail"
    ),
]
