"""Printable reports: one deployment with everything recorded about it, and one model review."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from apps.core.permissions import user_can
from apps.deployments.models import Deployment
from apps.deployments.selectors.page import deployment_approvals, deployment_checks, deployment_events, deployment_get
from apps.reviews.analysis import analysis_for
from apps.reviews.models import ModelReview


class DeploymentReportView(LoginRequiredMixin, TemplateView):
    """The deployment with its plan, approvals, checks and evidence, timeline, incidents, problems and feedback."""

    template_name = "reports/deployment_report.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        try:
            deployment = deployment_get(user=self.request.user, pk=kwargs["pk"])
        except Deployment.DoesNotExist as exc:
            raise Http404("No such deployment.") from exc
        ctx.update(
            d=deployment,
            approvals=deployment_approvals(deployment=deployment),
            checks=deployment_checks(deployment=deployment),
            events=deployment_events(deployment=deployment),
            incidents=deployment.incidents.all(),
            problems=deployment.problems.select_related("created_by"),
            feedback=deployment.feedback.select_related("user"),
        )
        return ctx


class ReviewReportView(LoginRequiredMixin, TemplateView):
    """A model review: its analysis of the records, findings, lessons, decision and improvement initiatives."""

    template_name = "reports/review_report.html"

    def get_context_data(self, **kwargs):
        if not user_can(self.request.user, "reviews.view_modelreview"):
            raise PermissionDenied("Reviews are open to the practice's roles.")
        ctx = super().get_context_data(**kwargs)
        review = get_object_or_404(
            ModelReview.objects.select_related("model", "facilitator", "new_model_version", "trigger_deployment"),
            pk=kwargs["pk"],
        )
        analysis = analysis_for(review.analysis, self.request.user)  # only the deployments the user may see
        ctx.update(
            review=review,
            participants=review.participants.order_by("username"),
            initiatives=review.initiatives.select_related("owner"),
            analysis_items=[(k, v) for k, v in analysis.items() if not isinstance(v, list | dict)],
            analysis_lists=[(k, v) for k, v in analysis.items() if isinstance(v, list | dict)],
        )
        return ctx
